/**
 * The metric definitions of docs/metrics.md, for one iteration. Every formula lives here.
 * Inputs are CLOCK_MONOTONIC nanoseconds: t0 just before generate() is called, t1 just after it
 * returns, and one stamp per generation step (s_1..s_N; the prompt echo and end() are not steps).
 */

const NS_PER_MS = 1e6;

export interface IterationMetrics {
  /** t1 - t0 */
  e2e_ms: number;
  /** s_1 - t0 */
  ttft_ms: number;
  /** (s_N - s_1) / (N - 1): the mean decode step */
  itl_ms: number;
  /** s_k - t0 for every step */
  token_ms: number[];
  /** batch_size · N / e2e */
  tokens_per_s: number;
  /** batch_size · (N - 1) / (s_N - s_1) */
  decode_tokens_per_s: number;
}

/** Milliseconds from `from` to `to` (both ns). */
export function msBetween(from: bigint, to: bigint): number {
  return Number(to - from) / NS_PER_MS;
}

/** ITL gaps s_k - s_{k-1}, k = 2..N, from stamps relative to t0 (ms). */
export function itlGapsMs(tokenMs: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let k = 1; k < tokenMs.length; k++) gaps.push((tokenMs[k] as number) - (tokenMs[k - 1] as number));
  return gaps;
}

/** The metrics of one iteration from e2e and the step stamps relative to t0 (ms); N >= 2. */
export function metricsFromMs(e2eMs: number, tokenMs: readonly number[], batchSize: number): IterationMetrics {
  const n = tokenMs.length;
  if (n < 2) throw new RangeError(`ITL needs at least 2 token stamps, got ${n}`);
  const first = tokenMs[0] as number;
  const decodeMs = (tokenMs[n - 1] as number) - first;
  return {
    e2e_ms: e2eMs,
    ttft_ms: first,
    itl_ms: decodeMs / (n - 1),
    token_ms: [...tokenMs],
    tokens_per_s: (batchSize * n) / (e2eMs / 1000),
    decode_tokens_per_s: (batchSize * (n - 1)) / (decodeMs / 1000),
  };
}

/** The metrics of one iteration from clock readings (ns). */
export function iterationMetrics(t0: bigint, t1: bigint, stamps: readonly bigint[], batchSize: number): IterationMetrics {
  return metricsFromMs(
    msBetween(t0, t1),
    stamps.map((s) => msBetween(t0, s)),
    batchSize,
  );
}

/**
 * Token stamps of a stream (ms after t0): a read carrying k tokens gives k stamps spread evenly
 * over the gap since the previous token-bearing read, the last one at the read itself; the tokens
 * of the first token-bearing read all get that read's stamp, so TTFT is when a token first arrived.
 */
export function spreadTokenStamps(arrivalMs: readonly number[], tokensPerArrival: readonly number[]): number[] {
  const stamps: number[] = [];
  let previous: number | null = null;
  for (const [i, at] of arrivalMs.entries()) {
    const k = tokensPerArrival[i] ?? 0;
    if (k <= 0) continue;
    for (let j = 1; j <= k; j++) stamps.push(previous === null || j === k ? at : previous + ((at - previous) * j) / k);
    previous = at;
  }
  return stamps;
}

/** What one streamed HTTP request measured, all in ms after its t0 (just before it was written). */
export interface HttpRequestMetrics {
  /** response head */
  ttfb_ms: number | null;
  /** first read that carried a token (content, reasoning or tool call) */
  ttft_ms: number | null;
  /** first read with visible content */
  ttfo_ms: number | null;
  /** last token's stamp */
  last_token_ms: number | null;
  /** end of the response (after [DONE]) */
  e2e_ms: number;
  /** (s_N - s_1) / (N - 1), when N >= 2: also the time per output token (TPOT) */
  itl_ms: number | null;
  token_ms: number[];
}

/** The metrics of one streamed request from its clock readings (ns) and tokens per read. */
export function httpRequestMetrics(
  t0: bigint,
  headersAt: bigint | null,
  arrivals: ArrayLike<bigint>,
  tokensPerArrival: readonly number[],
  firstOutputArrival: number | null,
  endedAt: bigint,
): HttpRequestMetrics {
  const arrivalMs = Array.from(arrivals, (a) => msBetween(t0, a));
  const tokenMs = spreadTokenStamps(arrivalMs, tokensPerArrival);
  const n = tokenMs.length;
  return {
    ttfb_ms: headersAt === null ? null : msBetween(t0, headersAt),
    ttft_ms: n > 0 ? (tokenMs[0] as number) : null,
    ttfo_ms: firstOutputArrival === null ? null : (arrivalMs[firstOutputArrival] as number),
    last_token_ms: n > 0 ? (tokenMs[n - 1] as number) : null,
    e2e_ms: msBetween(t0, endedAt),
    itl_ms: n >= 2 ? ((tokenMs[n - 1] as number) - (tokenMs[0] as number)) / (n - 1) : null,
    token_ms: tokenMs,
  };
}

/** Requests per second over a set of send times (ms): (n − 1) / (last − first); null below 2. */
export function ratePerS(timesMs: readonly number[]): number | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of timesMs) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return rateOver(timesMs.length, lo, hi);
}

/** Requests per second of `count` send times from `firstMs` to `lastMs`: (count − 1) / (last − first); null below 2. */
export function rateOver(count: number, firstMs: number, lastMs: number): number | null {
  return count >= 2 && lastMs > firstMs ? ((count - 1) * 1000) / (lastMs - firstMs) : null;
}

/** Latency limits of a service-level objective (ms); a missing limit always passes. */
export interface Slo {
  ttft_ms: number | null;
  tpot_ms: number | null;
  e2e_ms: number | null;
}

/** Whether a request is good: it succeeded and met every limit (TPOT is the request's ITL). */
export function meetsSlo(r: { ok: boolean; ttft_ms: number | null; itl_ms: number | null; e2e_ms: number | null }, slo: Slo): boolean {
  if (!r.ok) return false;
  const within = (value: number | null, limit: number | null): boolean => limit === null || (value !== null && value <= limit);
  return within(r.ttft_ms, slo.ttft_ms) && (slo.tpot_ms === null || r.itl_ms === null || r.itl_ms <= slo.tpot_ms) && within(r.e2e_ms, slo.e2e_ms);
}

/** Whether the server counted another prompt length than was asked plus what it adds to every prompt (template, BOS); known only when both counts are. */
export function promptMismatch(r: { input_tokens: number | null; prompt_tokens: number | null; prompt_overhead_tokens?: number | null | undefined }): boolean {
  return r.input_tokens !== null && r.prompt_tokens !== null && r.prompt_tokens !== r.input_tokens + (r.prompt_overhead_tokens ?? 0);
}

/** Per second over a window of `windowMs`. */
export function perSecond(count: number, windowMs: number): number {
  return windowMs > 0 ? (count * 1000) / windowMs : 0;
}

type CacheFacts = { input_tokens: number | null; cached_tokens?: number | null | undefined; prompt_overhead_tokens?: number | null | undefined };

/** Prompt tokens the server served from its cache beyond what it adds itself (a chat template's shared head); 0 when it did not say. */
export function cachedBeyondTemplate(r: CacheFacts): number {
  return Math.max(0, (r.cached_tokens ?? 0) - (r.prompt_overhead_tokens ?? 0));
}

/**
 * Whether the server's cache report contradicts the prompt reuse asked for: with unique prompts,
 * more than 1% of the prompt served from cache; with repeat or prefix=N, nothing served from cache.
 */
export function cacheContradicts(r: CacheFacts, reuse: { mode: string }): boolean {
  if (r.cached_tokens === null || r.cached_tokens === undefined || r.input_tokens === null) return false;
  if (reuse.mode === 'unique') return cachedBeyondTemplate(r) > 0.01 * r.input_tokens;
  return cachedBeyondTemplate(r) === 0;
}

/**
 * Prompt tokens per second as llama-bench's pp test reports them, from an iteration's TTFT:
 * batch · prompt length / TTFT. TTFT also holds the first token's decode step, so this reads a
 * little below llama-bench's pp figure (docs/metrics.md).
 */
export function promptTokensPerS(ttftMs: number, batchSize: number, promptTokens: number): number {
  return (batchSize * promptTokens) / (ttftMs / 1000);
}
