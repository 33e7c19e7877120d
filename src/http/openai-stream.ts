/**
 * What an OpenAI-compatible stream says: which reads carried how many tokens (and how we know),
 * where the first token and the first visible output arrived, the server's prompt count, and
 * whether the request succeeded. Success: a 2xx status, at least one token, no error event and a
 * clean end (`data: [DONE]` or a finish_reason, then the response ends). Anything else is a
 * classified failure.
 */
import type { Exchange } from './stream-request.js';

export type FailureKind = 'connect' | 'timeout' | 'http_status' | 'malformed' | 'truncated' | 'server_error' | 'no_tokens' | 'aborted';

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
  /** Visible text, first 200 characters. */
  text: string;
  responseId: string | null;
  failure: RequestFailure | null;
}

interface ChunkFacts {
  arrival: number;
  logprobs: number | null;
  /** Cumulative completion_tokens from usage on this chunk, if any. */
  usage: number | null;
  hasChoice: boolean;
  visible: string;
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

/** Reads the events of an exchange. */
export function readStream(x: Exchange): StreamReading {
  const reading: StreamReading = {
    tokensPerArrival: new Array<number>(x.arrivals.length).fill(0),
    source: 'chunks',
    outputTokens: 0,
    firstTokenArrival: null,
    firstOutputArrival: null,
    promptTokens: null,
    text: '',
    responseId: null,
    failure: null,
  };
  const fail = (kind: FailureKind, message: string): StreamReading => {
    reading.failure ??= { kind, message };
    return reading;
  };
  if (x.end.kind === 'connect' || x.end.kind === 'timeout' || x.end.kind === 'aborted') fail(x.end.kind, x.end.message);
  if (x.status !== null && (x.status < 200 || x.status > 299)) return fail('http_status', httpErrorMessage(x.status, x.errorBody));

  const chunks: ChunkFacts[] = [];
  let done = false;
  let finished = false;
  let finalUsage: number | null = null;
  for (const ev of x.events) {
    if (ev.data === '[DONE]') {
      done = true;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      if (ev.event === 'error') fail('server_error', `error event: ${ev.data.slice(0, 300)}`);
      else fail('malformed', `chunk is not JSON: ${ev.data.slice(0, 120)}`);
      break;
    }
    if (ev.event === 'error' || (isObject(parsed) && parsed.error !== undefined && parsed.error !== null)) {
      fail('server_error', `error event: ${errorText(parsed)}`);
      break;
    }
    if (!isObject(parsed)) {
      fail('malformed', `chunk is not a JSON object: ${ev.data.slice(0, 120)}`);
      break;
    }
    if (typeof parsed.id === 'string') reading.responseId ??= parsed.id;
    const usage = isObject(parsed.usage) ? parsed.usage : null;
    if (usage && typeof usage.prompt_tokens === 'number') reading.promptTokens = usage.prompt_tokens;
    const cumulative = usage && typeof usage.completion_tokens === 'number' ? usage.completion_tokens : null;
    if (cumulative !== null) finalUsage = cumulative;
    const choices = Array.isArray(parsed.choices) ? parsed.choices : [];
    const choice: Json | null = isObject(choices[0]) ? choices[0] : null;
    const facts: ChunkFacts = { arrival: ev.arrival, logprobs: null, usage: cumulative, hasChoice: choice !== null, visible: '', other: false };
    if (choice) {
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finished = true;
      const delta = isObject(choice.delta) ? choice.delta : null;
      // completions: text; chat: delta.content, delta.reasoning(_content), delta.tool_calls
      if (nonEmptyString(choice.text)) facts.visible = choice.text;
      if (delta) {
        if (nonEmptyString(delta.content)) facts.visible = delta.content;
        if (nonEmptyString(delta.reasoning_content) || nonEmptyString(delta.reasoning)) facts.other = true;
        if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) facts.other = true;
      }
      const lp = isObject(choice.logprobs) ? choice.logprobs : null;
      if (lp) {
        if (Array.isArray(lp.tokens)) facts.logprobs = lp.tokens.length;
        else if (Array.isArray(lp.content)) facts.logprobs = lp.content.length + (Array.isArray(lp.reasoning) ? lp.reasoning.length : 0);
      }
    }
    chunks.push(facts);
  }
  const bearing = chunks.filter((c) => c.visible !== '' || c.other || (c.logprobs ?? 0) > 0);
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
  } else if (bearing.length > 0 && finalUsage !== null) {
    reading.source = 'final_usage';
    counts = evenShares(finalUsage, bearing.length);
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
  for (const c of bearing) {
    if (c.visible === '') continue;
    reading.firstOutputArrival ??= c.arrival;
    if (reading.text.length < 200) reading.text += c.visible;
  }
  reading.text = reading.text.slice(0, 200);
  // a failure found above still lets the tokens that did arrive be counted
  if (reading.failure) return reading;

  if (x.end.kind === 'truncated') return fail('truncated', `stream cut after ${x.events.length} events: ${x.end.message}`);
  if (!done && !finished) return fail('truncated', `stream ended without [DONE] or a finish_reason after ${x.events.length} events`);
  if (x.leftover.trim() !== '') return fail('malformed', `stream ended inside an event: ${x.leftover.trim().slice(0, 120)}`);
  if (reading.outputTokens === 0) return fail('no_tokens', 'the stream carried no tokens');
  return reading;
}
