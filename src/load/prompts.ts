/**
 * The prompts of a load run: synthetic ones of exact token lengths (by the server's tokenizer when
 * it has one), unique per request by default, optionally with lengths drawn uniformly around the
 * target, or a JSONL dataset (one
 * prompt per line: {"prompt"}, {"text"}, {"messages": [...]} or ShareGPT {"conversations": [...]}).
 */
import type { OpenAiClient, Prompt } from '../http/openai-client.js';
import type { PromptReuse } from '../config/prompt-reuse.js';
import { type PromptLengthBy, ServerPrompts } from '../http/server-prompts.js';
import { InputError, RunError } from '../util/errors.js';
import { conversationOf, datasetLines } from './dataset.js';
import { BLOCK_TOKENS, type TraceEntry } from './trace.js';
import { Xoshiro128 } from '../util/random.js';

export interface LoadPrompt {
  prompt: Prompt;
  /** The prompt length asked, in tokens (exact by the server's tokenizer, else calibrated words); null for dataset prompts. */
  inputTokens: number | null;
  /** Tokens the server adds to each prompt (template, BOS), from a probe; null when unknown. */
  overhead: number | null;
  outputTokens: number;
  /** How its length was made (synthetic prompts); absent for dataset prompts, given whole. */
  lengthBy?: PromptLengthBy;
}

export interface SyntheticPromptSpec {
  inputLen: number;
  outputLen: number;
  /** Lengths drawn uniformly from [len·(1 − r), len·(1 + r)]; 0 for fixed lengths. */
  rangeRatio: number;
  seed: number;
  count: number;
}

/** A length drawn around `len` (at least `min`). */
function drawLength(rng: Xoshiro128, len: number, ratio: number, min: number): number {
  if (ratio === 0) return len;
  const lo = Math.max(min, Math.floor(len * (1 - ratio)));
  const hi = Math.max(lo, Math.ceil(len * (1 + ratio)));
  return lo + Math.floor(rng.nextFloat() * (hi - lo + 1));
}

/**
 * Synthetic prompts, one per request (warmups included), each unique from its first token unless
 * `reuse` says otherwise (ServerPrompts); calibrated against the server's prompt count first.
 */
export async function syntheticPrompts(client: OpenAiClient, spec: SyntheticPromptSpec, reuse: PromptReuse): Promise<LoadPrompt[]> {
  const rng = new Xoshiro128(spec.seed ^ 0x5bd1e995);
  const lengths = Array.from({ length: spec.count }, () => [drawLength(rng, spec.inputLen, spec.rangeRatio, 1), drawLength(rng, spec.outputLen, spec.rangeRatio, 2)] as const);
  const longest = Math.max(...lengths.map(([i]) => i));
  const source = await ServerPrompts.create(client, reuse, longest);
  const info = await source.calibrate(spec.inputLen);
  const out: LoadPrompt[] = [];
  for (const [inputLen, outputLen] of lengths) {
    out.push({ prompt: await source.take(inputLen), inputTokens: inputLen, overhead: info.overhead, outputTokens: outputLen, lengthBy: source.lengthBy });
  }
  return out;
}

function promptText(line: Record<string, unknown>): string | null {
  if (typeof line.prompt === 'string') return line.prompt;
  if (typeof line.text === 'string') return line.text;
  return conversationOf(line)?.users[0] ?? null;
}

/** Prompts from a JSONL file; each line may give its own output length (`output_len` or `max_tokens`). */
export function datasetPrompts(path: string, outputLen: number): LoadPrompt[] {
  const prompts: LoadPrompt[] = [];
  for (const { line: obj, number } of datasetLines(path)) {
    const prompt = promptText(obj);
    if (prompt === null) {
      throw new InputError('config_file', `--dataset ${path}:${number}: no prompt; allowed: {"prompt"}, {"text"}, {"messages": [{"role": "user", ...}]} or {"conversations": [{"from": "human", ...}]}`);
    }
    const own = obj.output_len ?? obj.max_tokens;
    prompts.push({ prompt: { text: prompt }, inputTokens: null, overhead: null, outputTokens: typeof own === 'number' && Number.isInteger(own) && own >= 1 ? own : outputLen });
  }
  if (prompts.length === 0) throw new InputError('config_file', `--dataset ${path}: no prompts in it`);
  return prompts;
}

/**
 * The prompts of a trace replay, one per line in order: a line with hash ids is its blocks (block
 * `h` the same tokens wherever it appears, numbered from `salt`, which every part of a sharded run
 * shares), a line without them a prompt unique from its first token; then `warmups` unique prompts
 * for the warmup requests, which the runner takes from the end (none of them shares a block).
 */
export async function tracePrompts(client: OpenAiClient, entries: readonly TraceEntry[], salt: number, warmups: number): Promise<LoadPrompt[]> {
  const longest = Math.max(BLOCK_TOKENS, ...entries.map((e) => e.inputLength));
  const source = await ServerPrompts.create(client, { mode: 'unique' }, longest);
  const first = entries[0] as TraceEntry;
  if (entries.some((e) => e.hashIds !== null) && !source.sendsIds) {
    throw new RunError('request_failed', 'a trace with hash_ids sends its blocks as token ids: it needs --api completions and a server that tokenizes them (POST /tokenize), and this one did not (no such endpoint, or no answer)');
  }
  const info = await source.calibrate(first.inputLength);
  const out: LoadPrompt[] = [];
  for (const e of entries) {
    const prompt = e.hashIds ? source.blocks(e.hashIds, e.inputLength, salt, BLOCK_TOKENS) : await source.take(e.inputLength);
    out.push({ prompt, inputTokens: e.inputLength, overhead: info.overhead, outputTokens: e.outputLength, lengthBy: source.lengthBy });
  }
  for (let i = 0; i < warmups; i++) out.push({ prompt: await source.take(first.inputLength), inputTokens: first.inputLength, overhead: info.overhead, outputTokens: first.outputLength, lengthBy: source.lengthBy });
  return out;
}
