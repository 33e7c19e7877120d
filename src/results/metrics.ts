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
