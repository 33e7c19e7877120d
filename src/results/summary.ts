/** The per-benchmark summary: statistics of every metric over the measured iterations. */
import { itlGapsMs } from './metrics.js';
import type { IterationRecord, Noise, Summary } from './schema.js';
import { detectableChange, finiteOrNull, logSigma, mean, type Stats, summarize, variance } from './statistics.js';

/** The per-iteration (or per-request) values a summary is made of. */
type Measured = Pick<IterationRecord, 'e2e_ms' | 'ttft_ms' | 'itl_ms' | 'token_ms' | 'tokens_per_s' | 'decode_tokens_per_s'>;

/**
 * The pooled ITL gaps, without confidence intervals: gaps of one iteration are correlated, and
 * intervals that took the pooled gaps as independent were about half as wide as the honest ones.
 */
function pooledGapStats(gaps: readonly number[]): Stats | null {
  const stats = summarize(gaps, 'itl_gap_ms');
  return stats && { ...stats, ci95_mean: null, ci95_median: null };
}

/** The spread of one metric's positive values, and the change a like run could detect; null below 2 values. */
export function noiseOf(values: readonly number[]): Noise | null {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const n = positive.length;
  if (n < 2) return null;
  const sigma = logSigma(positive);
  return { cv: Math.sqrt(variance(positive)) / mean(positive), log_sigma: sigma, detectable_change: finiteOrNull(detectableChange(sigma, n, n)) };
}

/** Per-iteration values, plus the ITL gaps pooled over iterations, summarized. */
export function summarizeIterations(iterations: readonly Measured[]): Summary {
  // a rate over no time is not a number (a server that sent every token in one read): left out
  const pick = (f: (it: Measured) => number): number[] => iterations.map(f).filter(Number.isFinite);
  return {
    e2e_ms: summarize(pick((it) => it.e2e_ms), 'e2e_ms'),
    ttft_ms: summarize(pick((it) => it.ttft_ms), 'ttft_ms'),
    itl_ms: summarize(pick((it) => it.itl_ms), 'itl_ms'),
    itl_gap_ms: pooledGapStats(iterations.flatMap((it) => itlGapsMs(it.token_ms))),
    tokens_per_s: summarize(pick((it) => it.tokens_per_s), 'tokens_per_s'),
    decode_tokens_per_s: summarize(pick((it) => it.decode_tokens_per_s), 'decode_tokens_per_s'),
    noise: {
      e2e_ms: noiseOf(iterations.map((it) => it.e2e_ms)),
      ttft_ms: noiseOf(iterations.map((it) => it.ttft_ms)),
      itl_ms: noiseOf(iterations.map((it) => it.itl_ms)),
      tokens_per_s: noiseOf(iterations.map((it) => it.tokens_per_s)),
      decode_tokens_per_s: noiseOf(iterations.map((it) => it.decode_tokens_per_s)),
    },
  };
}
