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
import { chatMessages, TOKENIZER_SHAPES, type TokenizerShape } from './server-dialect.js';
import { type Exchange, failedOnStaleConnection, streamRequest } from './stream-request.js';

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

/** One message of a chat: what a user said or what the assistant answered. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A prompt as token ids (completions only), as text, or as a whole chat so far (chat only: multi-turn sessions). */
export type Prompt = { ids: readonly number[]; text?: undefined; messages?: undefined } | { text: string; ids?: undefined; messages?: undefined } | { messages: readonly ChatMessage[]; ids?: undefined; text?: undefined };

export interface RequestResult {
  exchange: Exchange;
  /** Times the request was sent again after its reused connection closed before any response byte (0 or 1). */
  retries: number;
  reading: StreamReading;
  /** Null when the request was never written (connect failure, aborted before sending). */
  metrics: HttpRequestMetrics | null;
}

/** The request body asking for exactly `maxTokens` streamed tokens. */
export function requestBody(target: OpenAiTarget, prompt: Prompt, maxTokens: number): Record<string, unknown> {
  const body: Record<string, unknown> = { model: target.model, stream: true, max_tokens: maxTokens, temperature: 0 };
  if (target.api === 'completions') {
    // Stryker disable next-line OptionalChaining: a prompt has ids, text or messages
    body.prompt = prompt.ids ? [...prompt.ids] : (prompt.text ?? prompt.messages?.map((m) => m.content).join('\n'));
    if (target.logprobs) body.logprobs = 1;
  } else {
    // Stryker disable next-line StringLiteral: chat prompts are text or messages, never ids
    body.messages = prompt.messages ? [...prompt.messages] : chatMessages(prompt.text ?? '');
    if (target.logprobs) body.logprobs = true;
  }
  if (target.ignoreEos) {
    body.ignore_eos = true;
    body.min_tokens = maxTokens;
  }
  if (target.usage) body.stream_options = { include_usage: true, continuous_usage_stats: true };
  return body;
}

/** A 2xx status. */
const isSuccess = (status: number): boolean => Math.floor(status / 100) === 2;

/** Tries of a question whose connection the server closed underneath it (each stale connection the pool still holds can cost one). */
const STALE_QUESTION_TRIES = 4;

/** The error codes of a connection the other side closed or reset under a request (not one refused or timed out). */
const CLOSED_UNDERNEATH: ReadonlySet<unknown> = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  // Stryker disable next-line StringLiteral: a write after the peer closed races its read; no test builds it reliably
  'EPIPE',
]);

function closedUnderneath(err: unknown): boolean {
  // Stryker disable next-line OptionalChaining: undici rejects with Error objects, never null
  return CLOSED_UNDERNEATH.has((err as { code?: unknown } | null)?.code);
}

export class OpenAiClient {
  readonly pool: Pool;
  /**
   * The server closed a kept-alive connection before answering on it (llama.cpp's server closes after
   * every streamed response while advertising keep-alive): from then on every request asks for its
   * connection to close, so none is written to a dead socket, failed and sent again.
   */
  private closesConnections = false;
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

  /**
   * Sends one streaming request and reads its answer (`wholeText`: all of its visible text, else the first 200 characters); never throws. A request whose reused
   * keep-alive connection closes before any byte of the response is sent once more (undici then
   * opens a new connection), with t0 taken again; never after a response byte.
   */
  async send(prompt: Prompt, maxTokens: number, signal?: AbortSignal, options: { wholeText?: boolean } = {}): Promise<RequestResult> {
    const body = JSON.stringify(requestBody(this.target, prompt, maxTokens));
    let retries = 0;
    for (;;) {
      // the whole answer only where it is needed (a session's history): hundreds of streams keep 200 characters each
      const reader = new OpenAiStreamReader(options.wholeText ? Infinity : 200);
      const release = this.target.busyPoll ? holdLoopAwake() : null;
      const exchange = await streamRequest(this.pool, {
        path: `${this.basePath}/${this.target.api === 'chat' ? 'chat/completions' : 'completions'}`,
        headers: this.headers,
        body,
        idleTimeoutMs: this.target.idleTimeoutMs,
        totalTimeoutMs: this.target.totalTimeoutMs,
        onEvent: (event) => reader.event(event),
        closeAfter: this.closesConnections,
        ...(signal ? { signal } : {}),
      });
      release?.();
      // Stryker disable next-line ConditionalExpression: a request sent again goes on a new connection (closeAfter), which cannot be stale
      if (retries === 0 && failedOnStaleConnection(exchange) && !signal?.aborted) {
        retries++;
        this.closesConnections = true;
        continue;
      }
      const reading = reader.finish(exchange);
      const metrics =
        exchange.t0 === null
          ? null
          : httpRequestMetrics(exchange.t0, exchange.headersAt, exchange.arrivals, reading.tokensPerArrival, reading.firstOutputArrival, exchange.endedAt);
      return { exchange, reading, metrics, retries };
    }
  }

  /**
   * A plain JSON request below the server's origin: the status and the parsed answer (null when not
   * JSON); null on a transport failure. These are questions that change nothing on the server
   * (models, tokenize, templates), so one lost to a kept-alive connection the server had already
   * closed (llama.cpp's server closes after each stream) is asked again, and from then on every
   * request asks for its connection to close, as `send` does.
   */
  private async requestJson(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; answer: unknown } | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Stryker disable next-line ConditionalExpression: a body of undefined is no body
        const res = await this.pool.request({ method, path, headers: this.headers, reset: this.closesConnections, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        const text = await res.body.text();
        let answer: unknown = null;
        try {
          answer = JSON.parse(text) as unknown;
        } catch {
          // not JSON: no answer
        }
        return { status: res.statusCode, answer };
      } catch (err) {
        if (attempt >= STALE_QUESTION_TRIES || !closedUnderneath(err)) return null;
        this.closesConnections = true;
      }
    }
  }

  private async postJson(path: string, body: unknown): Promise<unknown> {
    const r = await this.requestJson('POST', path, body);
    return r && isSuccess(r.status) ? r.answer : null;
  }

  /** The tokenizer shape this server answered to; undefined until the first tokenize, null when none did. */
  private shape: TokenizerShape | null | undefined = undefined;

  /** The server family whose tokenizer answered (vllm, llama.cpp, tgi); null when none did or none was asked. */
  get tokenizerName(): string | null {
    return this.shape ? this.shape.name : null;
  }

  /**
   * Token ids of a text by the server's own tokenizer; null when it has none. Each server family's
   * /tokenize shape is tried in turn, and an empty list for a non-empty text is no answer (llama.cpp's
   * server answers a vLLM-shaped body with {"tokens": []}).
   */
  async tokenize(text: string): Promise<number[] | null> {
    const shapes = this.shape === undefined ? TOKENIZER_SHAPES : this.shape === null ? [] : [this.shape];
    for (const shape of shapes) {
      const ids = shape.tokens(await this.postJson('/tokenize', shape.tokenizeBody(this.target.model, text)));
      if (ids && (ids.length > 0 || text.trim() === '')) {
        this.shape = shape;
        return ids;
      }
    }
    if (this.shape === undefined && text.trim() !== '') this.shape = null;
    return null;
  }

  /** Text of token ids by the server (/detokenize, in the shape its /tokenize answered to); null when it cannot. */
  async detokenize(ids: readonly number[]): Promise<string | null> {
    const detokenizeBody = this.shape?.detokenizeBody;
    if (!this.shape || !detokenizeBody) return null;
    return this.shape.text(await this.postJson('/detokenize', detokenizeBody(this.target.model, ids)));
  }

  /** Tokens of the whole chat prompt for this text, template applied, by the server; null when it cannot say. */
  async chatPromptTokens(text: string): Promise<number | null> {
    if (!this.shape) return null;
    return this.shape.chatPromptCount((path, body) => this.postJson(path, body), this.target.model, text);
  }

  /**
   * What GET {url}/models says: the names listed with each one's context length where the server
   * gives it (vLLM max_model_len, llama.cpp meta.n_ctx), no such endpoint, or no answer at all.
   */
  async listModels(): Promise<{ kind: 'listed'; names: string[]; context: Map<string, number> } | { kind: 'absent'; status: number } | { kind: 'unreachable' }> {
    const r = await this.requestJson('GET', `${this.basePath}/models`);
    if (!r) return { kind: 'unreachable' };
    const a = r.answer as { data?: unknown; models?: unknown } | null;
    const list = Array.isArray(a?.data) ? a.data : Array.isArray(a?.models) ? a.models : null;
    if (!isSuccess(r.status) || !list) return { kind: 'absent', status: r.status };
    const names = new Set<string>();
    const context = new Map<string, number>();
    for (const m of list as { id?: unknown; name?: unknown; model?: unknown; aliases?: unknown; max_model_len?: unknown; meta?: { n_ctx?: unknown } }[]) {
      const own = [m.id, m.name, m.model, ...(Array.isArray(m.aliases) ? m.aliases : [])].filter((v): v is string => typeof v === 'string');
      const ctx = typeof m.max_model_len === 'number' ? m.max_model_len : typeof m.meta?.n_ctx === 'number' ? m.meta.n_ctx : null;
      for (const n of own) {
        names.add(n);
        if (ctx !== null) context.set(n, ctx);
      }
    }
    return { kind: 'listed', names: [...names], context };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * The result record of one request; `origin` is the time its t0_ms counts from (ns); `inputTokens`
 * the prompt length asked, `overhead` the tokens the server adds to it (null: unknown).
 */
export function httpRequestRecord(r: RequestResult, origin: bigint, inputTokens: number | null, overhead: number | null): HttpRequestRecord {
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
    prompt_overhead_tokens: overhead,
    cached_tokens: r.reading.cachedTokens,
    retries: r.retries,
    served_model: r.reading.model,
    server_timings: r.reading.serverTimings,
  };
}
