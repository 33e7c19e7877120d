/**
 * What an OpenAI-compatible stream says: which reads carried how many tokens (and how we know),
 * where the first token and the first visible output arrived, the server's prompt count, and
 * whether the request succeeded. Success: a 2xx status, at least one token, no error event and a
 * clean end (`data: [DONE]` or a finish_reason, then the response ends). Anything else is a
 * classified failure.
 */
import { cachedPromptTokens, type ServerTimings, serverTimings } from './server-dialect.js';
import type { SseEvent } from './sse.js';
import type { Exchange } from './stream-request.js';

export type FailureKind = 'connect' | 'timeout' | 'http_status' | 'malformed' | 'truncated' | 'server_error' | 'no_tokens' | 'interrupted';

export interface RequestFailure {
  kind: FailureKind;
  message: string;
}

/** Where token counts came from, best first. */
export type TokenSource = 'logprobs' | 'usage_delta' | 'final_usage' | 'chunks';

export interface StreamReading {
  /** Tokens carried by each network read (same order as the exchange's arrivals). */
  tokensPerArrival: number[];
  source: TokenSource;
  outputTokens: number;
  firstTokenArrival: number | null;
  /** First read with visible content (not reasoning, not tool calls). */
  firstOutputArrival: number | null;
  promptTokens: number | null;
  /** Visible text, its first characters (200 unless the reader was asked for more). */
  text: string;
  responseId: string | null;
  /** The `model` the responses named (the first one given). */
  model: string | null;
  /** Prompt tokens the server served from its cache, when it said (llama.cpp timings, vLLM usage). */
  cachedTokens: number | null;
  /** The server's own timing of the request, when it said (llama.cpp). */
  serverTimings: ServerTimings | null;
  /** The read that completed each data event other than [DONE], in order (to match a server's write log). */
  eventArrivals: number[];
  failure: RequestFailure | null;
}

/** What one chunk said, kept compact: no chunk text is held once it has been read. */
interface ChunkFacts {
  arrival: number;
  logprobs: number | null;
  /** Cumulative completion_tokens from usage on this chunk, if any. */
  usage: number | null;
  hasChoice: boolean;
  /** Visible content (completions text, chat content). */
  visible: boolean;
  /** Reasoning or tool calls: tokens, but not visible output. */
  other: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function errorText(value: unknown): string {
  if (isObject(value)) {
    const inner = isObject(value.error) ? value.error : value;
    if (typeof inner.message === 'string') return inner.message;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The message of a non-2xx body: the JSON error's message when there is one, else the text. */
export function httpErrorMessage(status: number, body: string): string {
  let detail = body.trim();
  try {
    detail = errorText(JSON.parse(body));
  } catch {
    // not JSON: keep the text
  }
  return `HTTP ${status}${detail ? `: ${detail.replace(/\s+/g, ' ').slice(0, 300)}` : ''}`;
}

/** Spreads `total` tokens over `count` chunks as evenly as possible (earlier chunks get the remainder). */
function evenShares(total: number, count: number): number[] {
  const base = Math.floor(total / count);
  const extra = total - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Reads a stream event by event as it arrives (JSON parsed per event, right after the read that
 * completed it was stamped), so that the end of a request costs little: with hundreds of streams,
 * work done when one request ends would delay the stamps of all the others.
 */
export class OpenAiStreamReader {
  // what each chunk said, as columns of small integers: no object per chunk stays alive while
  // hundreds of streams run, so the garbage collector's pauses stay short (-1: not given)
  private readonly chunkArrival: number[] = [];
  private readonly chunkLogprobs: number[] = [];
  private readonly chunkUsage: number[] = [];
  private readonly chunkFlags: number[] = [];
  private readonly eventArrivals: number[] = [];
  private done = false;
  private finished = false;
  private finalUsage: number | null = null;
  private promptTokens: number | null = null;
  private responseId: string | null = null;
  private model: string | null = null;
  private cachedTokens: number | null = null;
  private serverTimings: ServerTimings | null = null;
  private text = '';
  /** The data of the latest event, for the message of a stream without tokens. */
  private lastEvent = '';
  private failure: RequestFailure | null = null;

  /** `textLimit`: the characters of visible text kept (a session's history needs them all). */
  constructor(private readonly textLimit = 200) {}

  private fail(kind: FailureKind, message: string): void {
    this.failure ??= { kind, message };
  }

  /** One SSE event; after a failure the rest are ignored. */
  event(ev: SseEvent): void {
    if (this.failure) return;
    if (ev.data === '[DONE]') {
      this.done = true;
      return;
    }
    this.eventArrivals.push(ev.arrival);
    this.lastEvent = ev.data;
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      if (ev.event === 'error') this.fail('server_error', `error event: ${ev.data.slice(0, 300)}`);
      else this.fail('malformed', `chunk is not JSON: ${ev.data.slice(0, 120)}`);
      return;
    }
    if (ev.event === 'error' || (isObject(parsed) && parsed.error !== undefined && parsed.error !== null)) {
      this.fail('server_error', `error event: ${errorText(parsed)}`);
      return;
    }
    if (!isObject(parsed)) {
      this.fail('malformed', `chunk is not a JSON object: ${ev.data.slice(0, 120)}`);
      return;
    }
    if (typeof parsed.id === 'string') this.responseId ??= parsed.id;
    if (typeof parsed.model === 'string') this.model ??= parsed.model;
    this.cachedTokens = cachedPromptTokens(parsed) ?? this.cachedTokens;
    this.serverTimings = serverTimings(parsed) ?? this.serverTimings;
    const usage = isObject(parsed.usage) ? parsed.usage : null;
    if (usage && typeof usage.prompt_tokens === 'number') this.promptTokens = usage.prompt_tokens;
    const cumulative = usage && typeof usage.completion_tokens === 'number' ? usage.completion_tokens : null;
    if (cumulative !== null) this.finalUsage = cumulative;
    const choices = Array.isArray(parsed.choices) ? parsed.choices : [];
    const choice: Json | null = isObject(choices[0]) ? choices[0] : null;
    const facts: ChunkFacts = { arrival: ev.arrival, logprobs: null, usage: cumulative, hasChoice: choice !== null, visible: false, other: false };
    this.readChoice(choice, facts);
    this.keep(facts);
  }

  private keep(facts: ChunkFacts): void {
    this.chunkArrival.push(facts.arrival);
    this.chunkLogprobs.push(facts.logprobs ?? -1);
    this.chunkUsage.push(facts.usage ?? -1);
    this.chunkFlags.push((facts.hasChoice ? 1 : 0) | (facts.visible ? 2 : 0) | (facts.other ? 4 : 0));
  }

  private chunks(): ChunkFacts[] {
    return this.chunkArrival.map((arrival, i) => {
      const lp = this.chunkLogprobs[i] as number;
      const usage = this.chunkUsage[i] as number;
      const flags = this.chunkFlags[i] as number;
      return { arrival, logprobs: lp < 0 ? null : lp, usage: usage < 0 ? null : usage, hasChoice: (flags & 1) !== 0, visible: (flags & 2) !== 0, other: (flags & 4) !== 0 };
    });
  }

  /** Reads the choice of one chunk into its facts. */
  private readChoice(choice: Json | null, facts: ChunkFacts): void {
    if (choice) {
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.finished = true;
      const delta = isObject(choice.delta) ? choice.delta : null;
      // completions: text; chat: delta.content, delta.reasoning(_content), delta.tool_calls
      let visible = nonEmptyString(choice.text) ? choice.text : '';
      if (delta) {
        if (nonEmptyString(delta.content)) visible = delta.content;
        if (nonEmptyString(delta.reasoning_content) || nonEmptyString(delta.reasoning)) facts.other = true;
        if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) facts.other = true;
      }
      if (visible !== '') {
        facts.visible = true;
        if (this.text.length < this.textLimit) this.text = this.textLimit === Infinity ? this.text + visible : (this.text + visible).slice(0, this.textLimit);
      }
      const lp = isObject(choice.logprobs) ? choice.logprobs : null;
      if (lp) {
        if (Array.isArray(lp.tokens)) facts.logprobs = lp.tokens.length;
        else if (Array.isArray(lp.content)) facts.logprobs = lp.content.length + (Array.isArray(lp.reasoning) ? lp.reasoning.length : 0);
      }
    }
  }

  /** The reading of the whole exchange, once it has ended. */
  finish(x: Exchange): StreamReading {
    const reading: StreamReading = {
      tokensPerArrival: new Array<number>(x.arrivals.length).fill(0),
      source: 'chunks',
      outputTokens: 0,
      firstTokenArrival: null,
      firstOutputArrival: null,
      promptTokens: this.promptTokens,
      text: this.text,
      responseId: this.responseId,
      model: this.model,
      cachedTokens: this.cachedTokens,
      serverTimings: this.serverTimings,
      eventArrivals: this.eventArrivals,
      failure: null,
    };
    const fail = (kind: FailureKind, message: string): StreamReading => {
      reading.failure ??= { kind, message };
      return reading;
    };
    if (x.end.kind === 'connect' || x.end.kind === 'timeout' || x.end.kind === 'interrupted') fail(x.end.kind, x.end.message);
    if (x.status !== null && (x.status < 200 || x.status > 299)) return fail('http_status', httpErrorMessage(x.status, x.errorBody));
    if (this.failure) fail(this.failure.kind, this.failure.message);

    const chunks = this.chunks();
    const bearing = chunks.filter((c) => c.visible || c.other || (c.logprobs ?? 0) > 0);
    let counts: number[];
    if (bearing.length > 0 && bearing.every((c) => c.logprobs !== null)) {
      reading.source = 'logprobs';
      counts = bearing.map((c) => c.logprobs as number);
    } else if (bearing.length > 0 && bearing.every((c) => c.usage !== null)) {
      reading.source = 'usage_delta';
      // each chunk's tokens = its cumulative count minus the previous chunk's
      let previous = 0;
      const byChunk = new Map<ChunkFacts, number>();
      for (const c of chunks) {
        if (c.usage === null || !c.hasChoice) continue;
        byChunk.set(c, c.usage - previous);
        previous = c.usage;
      }
      counts = bearing.map((c) => Math.max(0, byChunk.get(c) ?? 0));
    } else if (bearing.length > 0 && this.finalUsage !== null) {
      reading.source = 'final_usage';
      counts = evenShares(this.finalUsage, bearing.length);
    } else {
      reading.source = 'chunks';
      counts = bearing.map(() => 1);
    }
    for (const [i, c] of bearing.entries()) {
      const k = counts[i] as number;
      if (k <= 0) continue;
      reading.tokensPerArrival[c.arrival] = (reading.tokensPerArrival[c.arrival] as number) + k;
      reading.outputTokens += k;
      reading.firstTokenArrival ??= c.arrival;
    }
    reading.firstOutputArrival = bearing.find((c) => c.visible)?.arrival ?? null;
    // a failure found above still lets the tokens that did arrive be counted
    if (reading.failure) return reading;

    if (x.end.kind === 'truncated') return fail('truncated', `stream cut after ${x.eventCount} events: ${x.end.message}`);
    if (!this.done && !this.finished) return fail('truncated', `stream ended without [DONE] or a finish_reason after ${x.eventCount} events`);
    if (x.leftover.trim() !== '') return fail('malformed', `stream ended inside an event: ${x.leftover.trim().slice(0, 120)}`);
    if (reading.outputTokens === 0) {
      // what the stream did carry, so that a server's reason can be found
      const usage = this.finalUsage === null ? '' : `, usage completion_tokens ${this.finalUsage}`;
      return fail('no_tokens', `the stream carried no tokens (${x.eventCount} events, ${x.arrivals.length} reads${this.finished ? ', a finish_reason' : ''}${this.done ? ', [DONE]' : ''}${usage}; last event: ${this.lastEvent.slice(0, 200)})`);
    }
    return reading;
  }
}
