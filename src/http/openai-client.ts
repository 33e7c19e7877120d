/**
 * A client for one OpenAI-compatible server: builds streaming completions / chat requests that ask
 * for exactly N tokens, sends them on a keep-alive undici pool and reads the answers. Used by the
 * `openai` engine (one request per row) and by `tokenbench load`.
 */
import { Pool } from 'undici';
import { httpRequestMetrics, type HttpRequestMetrics, msBetween } from '../results/metrics.js';
import type { HttpRequestRecord } from '../results/schema.js';
import { holdLoopAwake } from './busy-poll.js';
import { OpenAiStreamReader, type StreamReading } from './openai-stream.js';
import { stampingConnector } from './read-stamps.js';
import { type Exchange, streamRequest } from './stream-request.js';

export type OpenAiApi = 'completions' | 'chat';

export interface OpenAiTarget {
  /** Base URL including the API prefix, e.g. http://localhost:8000/v1 */
  url: string;
  model: string;
  api: OpenAiApi;
  apiKey: string | null;
  /** Ask the server to ignore EOS and to produce at least max_tokens (vLLM, llama.cpp, TGI extensions). */
  ignoreEos: boolean;
  /** Ask for logprobs, the exact per-chunk token count. */
  logprobs: boolean;
  /** Ask for usage on every chunk (stream_options). */
  usage: boolean;
  /** No byte for this long ends a request as a timeout. */
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  /** Keep the event loop polling while requests are in flight (busy-poll.ts): costs a core. */
  busyPoll: boolean;
}

/** A prompt as token ids (completions only) or as text. */
export type Prompt = { ids: readonly number[]; text?: undefined } | { text: string; ids?: undefined };

export interface RequestResult {
  exchange: Exchange;
  reading: StreamReading;
  /** Null when the request was never written (connect failure, aborted before sending). */
  metrics: HttpRequestMetrics | null;
}

/** The request body asking for exactly `maxTokens` streamed tokens. */
export function requestBody(target: OpenAiTarget, prompt: Prompt, maxTokens: number): Record<string, unknown> {
  const body: Record<string, unknown> = { model: target.model, stream: true, max_tokens: maxTokens, temperature: 0 };
  if (target.api === 'completions') {
    body.prompt = prompt.ids ? [...prompt.ids] : prompt.text;
    if (target.logprobs) body.logprobs = 1;
  } else {
    body.messages = [{ role: 'user', content: prompt.text ?? '' }];
    if (target.logprobs) body.logprobs = true;
  }
  if (target.ignoreEos) {
    body.ignore_eos = true;
    body.min_tokens = maxTokens;
  }
  if (target.usage) body.stream_options = { include_usage: true, continuous_usage_stats: true };
  return body;
}

export class OpenAiClient {
  readonly pool: Pool;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;

  /** `connections`: the pool size (null: one per request in flight, no limit). */
  constructor(
    readonly target: OpenAiTarget,
    connections: number | null,
  ) {
    const url = new URL(target.url);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: target.idleTimeoutMs,
      bodyTimeout: target.idleTimeoutMs,
      connect: stampingConnector(),
    });
    this.headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (target.apiKey) this.headers.authorization = `Bearer ${target.apiKey}`;
  }

  /** Sends one streaming request and reads its answer; never throws. */
  async send(prompt: Prompt, maxTokens: number, signal?: AbortSignal): Promise<RequestResult> {
    const reader = new OpenAiStreamReader();
    const release = this.target.busyPoll ? holdLoopAwake() : null;
    const exchange = await streamRequest(this.pool, {
      path: `${this.basePath}/${this.target.api === 'chat' ? 'chat/completions' : 'completions'}`,
      headers: this.headers,
      body: JSON.stringify(requestBody(this.target, prompt, maxTokens)),
      idleTimeoutMs: this.target.idleTimeoutMs,
      totalTimeoutMs: this.target.totalTimeoutMs,
      onEvent: (event) => reader.event(event),
      ...(signal ? { signal } : {}),
    });
    release?.();
    const reading = reader.finish(exchange);
    const metrics =
      exchange.t0 === null
        ? null
        : httpRequestMetrics(exchange.t0, exchange.headersAt, exchange.arrivals, reading.tokensPerArrival, reading.firstOutputArrival, exchange.endedAt);
    return { exchange, reading, metrics };
  }

  /** A plain JSON POST below the server's origin; null on any failure. */
  private async postJson(path: string, body: unknown): Promise<unknown> {
    try {
      const res = await this.pool.request({ method: 'POST', path, headers: this.headers, body: JSON.stringify(body) });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode > 299) return null;
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  /** Token ids of a text by the server's own tokenizer (vLLM's or llama.cpp's /tokenize); null when it has none. */
  async tokenize(text: string): Promise<number[] | null> {
    const vllm = await this.postJson('/tokenize', { model: this.target.model, prompt: text, add_special_tokens: false });
    const llama = vllm ?? (await this.postJson('/tokenize', { content: text, add_special: false }));
    const tokens = (llama as { tokens?: unknown } | null)?.tokens;
    return Array.isArray(tokens) && tokens.every((t) => Number.isInteger(t)) ? (tokens as number[]) : null;
  }

  /** Text of token ids by the server (/detokenize); null when it cannot. */
  async detokenize(ids: readonly number[]): Promise<string | null> {
    const vllm = await this.postJson('/detokenize', { model: this.target.model, tokens: ids });
    const answer = vllm ?? (await this.postJson('/detokenize', { tokens: ids }));
    const a = answer as { prompt?: unknown; content?: unknown } | null;
    return typeof a?.prompt === 'string' ? a.prompt : typeof a?.content === 'string' ? a.content : null;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The result record of one request; `origin` is the time its t0_ms counts from (ns); `inputTokens` the prompt length asked. */
export function httpRequestRecord(r: RequestResult, origin: bigint, inputTokens: number | null): HttpRequestRecord {
  const m = r.metrics;
  return {
    t0_ms: r.exchange.t0 === null ? 0 : msBetween(origin, r.exchange.t0),
    status: r.exchange.status,
    ok: r.reading.failure === null,
    failure: r.reading.failure,
    ttfb_ms: m?.ttfb_ms ?? null,
    ttft_ms: m?.ttft_ms ?? null,
    ttfo_ms: m?.ttfo_ms ?? null,
    last_token_ms: m?.last_token_ms ?? null,
    e2e_ms: m?.e2e_ms ?? null,
    itl_ms: m?.itl_ms ?? null,
    output_tokens: r.reading.outputTokens,
    input_tokens: inputTokens,
    prompt_tokens: r.reading.promptTokens,
    token_source: r.reading.source,
    reads: r.exchange.arrivals.length,
    response_id: r.reading.responseId,
  };
}
