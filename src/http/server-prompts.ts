/**
 * Prompts for a server, of exact lengths by its own tokenizer where it has one (any of the shapes in
 * server-dialect.ts). By default every prompt differs from every earlier one from its first token:
 * request k starts with the digits of r + k in base D (least significant first; r is drawn at random
 * per source, so runs against the same server differ too), written with D distinct tokens of the
 * default text, so no prefix cache (llama.cpp's prompt cache, vLLM's automatic prefix caching) can
 * serve any part of it; `prompt_reuse` asks for caching on purpose. Where the server
 * has no tokenizer, words stand in for tokens, and how many words make a token is calibrated
 * against the server's own prompt count before measuring.
 */
import { randomInt } from 'node:crypto';
import type { PromptReuse } from '../config/prompt-reuse.js';
import { DEFAULT_TEXT } from '../synth/default-text.js';
import { RunError } from '../util/errors.js';
import type { OpenAiClient, Prompt } from './openai-client.js';

/** The tokens of prompt number `k` of `length`, from `pool` with digits from `alphabet` (pure; tested). */
export function promptTokens<T>(pool: readonly T[], alphabet: readonly T[], reuse: PromptReuse, k: number, length: number): T[] {
  if (reuse.mode === 'repeat') return pool.slice(0, length);
  // Stryker disable next-line ConditionalExpression: unique has no tokens, and slice(0, NaN) is empty
  const shared = reuse.mode === 'prefix' ? pool.slice(0, Math.min(reuse.tokens, length)) : [];
  const digits: T[] = [];
  const base = alphabet.length;
  let rest = k;
  do {
    digits.push(alphabet[rest % base] as T);
    rest = Math.floor(rest / base);
  } while (rest > 0);
  const head = [...shared, ...digits].slice(0, length);
  const bodyLength = length - head.length;
  // the body starts at a different place for each k, so prompts differ in content too
  const room = Math.max(1, pool.length - bodyLength);
  const start = (shared.length + (((k % room) * 7919) % room)) % room;
  return [...head, ...pool.slice(start, start + bodyLength)];
}

// Stryker disable next-line ObjectLiteral,StringLiteral: promptTokens takes any mode but repeat and prefix as unique
const UNIQUE: PromptReuse = { mode: 'unique' };

/** The distinct values of a list, in order of first appearance. */
function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

// Stryker disable next-line Regex: the filter drops the empty words that /\s/ leaves between repeated spaces
const wordsOf = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

/**
 * How prompt lengths were made: `exact` (the server's own tokenizer, chat prompts counted inside its
 * template), `unchecked_chat` (the tokenizer's ids as text, the chat template's count not known to
 * the server's API), `calibrated_words` (no tokenizer: words per token learnt from the server's
 * prompt counts) or `words` (no tokenizer and no prompt count: a word taken for a token).
 */
export type PromptLengthBy = 'exact' | 'unchecked_chat' | 'calibrated_words' | 'words';

/** What calibration learnt of a server's counting (how lengths are made: ServerPrompts.lengthBy). */
export interface ServerPromptInfo {
  /** Tokens the server counts on top of a prompt's own (chat template, BOS), from a probe; null when the server reports no prompt count. */
  overhead: number | null;
  /** Words per token (text prompts without a tokenizer); 1 with a tokenizer. */
  wordsPerToken: number;
}

/** A server's prompts, numbered in the order they are asked for from a random start. */
export class ServerPrompts {
  /** The number of the next prompt: random at first, so that no earlier run's prompts come again. */
  private next = randomInt(2 ** 40);
  /** Tokens of the chat template around a prompt (the whole prompt of an empty message); null when the server cannot say. */
  private chatOverhead: number | null = null;
  info: ServerPromptInfo;

  private constructor(
    private readonly client: OpenAiClient,
    private readonly reuse: PromptReuse,
    private readonly pool: readonly (number | string)[],
    private readonly alphabet: readonly (number | string)[],
    /** Pool entries are token ids (else words). */
    private readonly ids: boolean,
  ) {
    this.info = { overhead: null, wordsPerToken: 1 };
  }

  /** Builds the pool (by the server's tokenizer when it has one) for prompts up to `longest` tokens. */
  static async create(client: OpenAiClient, reuse: PromptReuse, longest: number): Promise<ServerPrompts> {
    const perCopy = await client.tokenize(DEFAULT_TEXT);
    // chat sends text: token ids are only of use when the server can turn them back into text
    const usable = perCopy !== null && (client.target.api === 'completions' || (await client.detokenize(perCopy.slice(0, 4))) !== null);
    const copies = Math.ceil((longest * 4) / Math.max(1, usable ? perCopy.length : wordsOf(DEFAULT_TEXT).length)) + 1;
    const text = Array.from({ length: copies }, () => DEFAULT_TEXT).join(' ');
    const ids = usable ? await client.tokenize(text) : null;
    const pool: (number | string)[] = ids ?? wordsOf(text);
    return new ServerPrompts(client, reuse, pool, distinct(pool), ids !== null);
  }

  /** The next prompt, of `length` tokens (exact by the server's tokenizer, else calibrated words). */
  async take(length: number): Promise<Prompt> {
    // Stryker disable next-line UpdateOperator: prompts numbered downwards are as new as upwards
    const k = this.next++;
    if (!this.ids) {
      const words = Math.max(1, Math.round(length * this.info.wordsPerToken));
      return { text: promptTokens(this.pool, this.alphabet, this.reuse, k, words).join(' ') };
    }
    const tokens = promptTokens(this.pool, this.alphabet, this.reuse, k, length) as number[];
    if (this.client.target.api === 'completions') return { ids: tokens };
    return { text: await this.textOf(tokens, length) };
  }

  /** How this source's prompt lengths are made (after calibrate: before it, a chat count or words per token is not known yet). */
  get lengthBy(): PromptLengthBy {
    if (!this.ids) return this.info.overhead === null ? 'words' : 'calibrated_words';
    return this.client.target.api === 'chat' && this.chatOverhead === null ? 'unchecked_chat' : 'exact';
  }

  /** Whether prompts are token ids sent as they are (completions with the server's tokenizer): the only prompts whose blocks stay blocks. */
  get sendsIds(): boolean {
    return this.ids && this.client.target.api === 'completions';
  }

  /**
   * A prompt of blocks (a trace line's hash ids): block `h` is the same `blockTokens` tokens wherever
   * it appears in this run (prompt number `salt + h`, unique from its first token against every
   * other block and prompt), in the order given, cut to `length`; tokens past its blocks are a
   * prompt of their own. Token ids only: text would merge across a block's edges.
   */
  blocks(hashIds: readonly number[], length: number, salt: number, blockTokens: number): Prompt {
    if (!this.sendsIds) throw new Error('blocks need token-id prompts (--api completions, a server with a tokenizer)');
    // Stryker disable next-line ArithmeticOperator: salt - h numbers the blocks as distinctly as salt + h
    const tokens = hashIds.flatMap((h) => promptTokens(this.pool, this.alphabet, UNIQUE, salt + h, blockTokens));
    // Stryker disable next-line ArithmeticOperator,UpdateOperator: a longer tail is cut below; numbered downwards it is as new
    tokens.push(...promptTokens(this.pool, this.alphabet, UNIQUE, this.next++, Math.max(0, length - tokens.length)));
    return { ids: tokens.slice(0, length) as number[] };
  }

  /**
   * Text that the server counts as `length` tokens inside its chat template, from token ids: their
   * text can tokenize into fewer or more tokens where pieces merge, so ids are dropped or added until
   * the count is exact (a few tries; what is left is counted as a mismatch). Without a chat count
   * from the server, the ids' text as it is.
   */
  private async textOf(tokens: readonly number[], length: number): Promise<string> {
    let ids = [...tokens];
    // Stryker disable next-line StringLiteral: the loop sets it before it is read
    let text = '';
    for (let attempt = 0; attempt < 8; attempt++) {
      const answered = await this.client.detokenize(ids);
      // it answered when the prompts were set up: without it now, no prompt of the length asked can be made
      if (answered === null) throw new RunError('request_failed', `the server stopped answering /detokenize (it did at first): no chat prompt of ${length} tokens can be made`);
      text = answered;
      if (this.chatOverhead === null) break;
      const whole = await this.client.chatPromptTokens(text);
      // it counted the template when the prompts were set up: without it now, the length would silently be off
      if (whole === null) throw new RunError('request_failed', `the server stopped counting chat prompts (it did at first): no chat prompt of ${length} tokens can be made`);
      const counted = whole - this.chatOverhead;
      if (counted === length) break;
      // in proportion: where a word of the text is several tokens of the chat, a step of one id per token would overshoot for ever
      // Stryker disable next-line EqualityOperator: counted === length ended the loop above
      if (counted > length) ids = ids.slice(0, Math.max(1, Math.floor((ids.length * length) / counted)));
      else ids = [...ids, ...(this.pool.slice(0, Math.max(1, Math.round(((length - counted) * ids.length) / Math.max(1, counted)))) as number[])];
    }
    return text;
  }

  /** The server's count of one probe prompt (a request for 2 tokens); null when it does not say. */
  private async countOf(prompt: Prompt): Promise<number | null> {
    const r = await this.client.send(prompt, 2);
    return r.reading.promptTokens;
  }

  /**
   * Learns, from probe requests before measuring, how many tokens the server adds to a prompt
   * (template, BOS) and, without a tokenizer, how many words make a token; sets `info`.
   */
  async calibrate(length: number): Promise<ServerPromptInfo> {
    if (this.ids) {
      // chat: the template's own tokens, where the server can count a templated prompt
      if (this.client.target.api === 'chat') this.chatOverhead = await this.client.chatPromptTokens('');
      const counted = await this.countOf(await this.take(length));
      this.info.overhead = counted === null ? null : counted - length;
      return this.info;
    }
    // two lengths of words give the tokens per word and the fixed part
    const w = Math.max(8, length);
    // Stryker disable next-line UpdateOperator: prompts numbered downwards are as new as upwards
    const a = await this.countOf({ text: promptTokens(this.pool, this.alphabet, this.reuse, this.next++, w).join(' ') });
    // Stryker disable next-line UpdateOperator: as above
    const b = await this.countOf({ text: promptTokens(this.pool, this.alphabet, this.reuse, this.next++, 2 * w).join(' ') });
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a server that counts one probe counts the other
    if (a === null || b === null) return this.info;
    // a count that does not grow with the words (a server that cuts prompts) says nothing of a word's tokens
    if (b <= a) return this.info;
    const tokensPerWord = (b - a) / w;
    this.info.wordsPerToken = 1 / tokensPerWord;
    this.info.overhead = Math.round(a - tokensPerWord * w);
    return this.info;
  }
}
