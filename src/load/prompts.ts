/**
 * The prompts of a load run: synthetic ones of exact token lengths (by the server's tokenizer when
 * it has one), optionally with lengths drawn uniformly around the target, or a JSONL dataset (one
 * prompt per line: {"prompt"}, {"text"}, {"messages": [...]} or ShareGPT {"conversations": [...]}).
 */
import { readFileSync } from 'node:fs';
import type { OpenAiClient, Prompt } from '../http/openai-client.js';
import { DEFAULT_TEXT } from '../synth/default-text.js';
import { InputError } from '../util/errors.js';
import { Xoshiro128 } from '../util/random.js';

export interface LoadPrompt {
  prompt: Prompt;
  /** The prompt length in tokens when it is known exactly (the server's tokenizer), else null. */
  inputTokens: number | null;
  outputTokens: number;
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
 * Synthetic prompts. Each starts at a different place in a long token sequence, so that a server's
 * prefix cache does not turn every prompt after the first into a cache hit.
 */
export async function syntheticPrompts(client: OpenAiClient, spec: SyntheticPromptSpec): Promise<LoadPrompt[]> {
  const rng = new Xoshiro128(spec.seed ^ 0x5bd1e995);
  const lengths = Array.from({ length: spec.count }, () => [drawLength(rng, spec.inputLen, spec.rangeRatio, 1), drawLength(rng, spec.outputLen, spec.rangeRatio, 2)] as const);
  const longest = Math.max(...lengths.map(([i]) => i));
  const wordsOf = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');
  // a pool of at least 4x the longest prompt, tokenized once
  const perCopy = (await client.tokenize(DEFAULT_TEXT))?.length ?? wordsOf(DEFAULT_TEXT).length;
  const text = Array.from({ length: Math.ceil((longest * 4) / Math.max(1, perCopy)) + 1 }, () => DEFAULT_TEXT).join(' ');
  const ids = await client.tokenize(text);
  const allWords = wordsOf(text);
  const pool: readonly (number | string)[] = ids ?? allWords;
  const out: LoadPrompt[] = [];
  for (const [inputLen, outputLen] of lengths) {
    const start = Math.floor(rng.nextFloat() * Math.max(0, pool.length - inputLen));
    const slice = pool.slice(start, start + inputLen);
    if (ids && client.target.api === 'completions') {
      out.push({ prompt: { ids: slice as number[] }, inputTokens: slice.length, outputTokens: outputLen });
      continue;
    }
    // chat, or no tokenizer: text of (about) inputLen tokens; the server's own count is recorded
    const asText = (ids ? await client.detokenize(slice as number[]) : null) ?? allWords.slice(start, start + inputLen).join(' ');
    out.push({ prompt: { text: asText }, inputTokens: null, outputTokens: outputLen });
  }
  return out;
}

function promptText(line: Record<string, unknown>): string | null {
  if (typeof line.prompt === 'string') return line.prompt;
  if (typeof line.text === 'string') return line.text;
  const turns = Array.isArray(line.conversations) ? line.conversations : Array.isArray(line.messages) ? line.messages : null;
  if (!turns) return null;
  for (const t of turns as Record<string, unknown>[]) {
    const who = t.from ?? t.role;
    const value = t.value ?? t.content;
    if ((who === 'human' || who === 'user') && typeof value === 'string') return value;
  }
  return null;
}

/** Prompts from a JSONL file; each line may give its own output length (`output_len` or `max_tokens`). */
export function datasetPrompts(path: string, outputLen: number): LoadPrompt[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('config_file', `--dataset ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const prompts: LoadPrompt[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new InputError('config_file', `--dataset ${path}:${i + 1}: not JSON; each line must be one JSON object`);
    }
    const obj = (typeof line === 'object' && line !== null ? line : {}) as Record<string, unknown>;
    const prompt = promptText(obj);
    if (prompt === null) {
      throw new InputError('config_file', `--dataset ${path}:${i + 1}: no prompt; allowed: {"prompt"}, {"text"}, {"messages": [{"role": "user", ...}]} or {"conversations": [{"from": "human", ...}]}`);
    }
    const own = obj.output_len ?? obj.max_tokens;
    prompts.push({ prompt: { text: prompt }, inputTokens: null, outputTokens: typeof own === 'number' && Number.isInteger(own) && own >= 1 ? own : outputLen });
  }
  if (prompts.length === 0) throw new InputError('config_file', `--dataset ${path}: no prompts in it`);
  return prompts;
}
