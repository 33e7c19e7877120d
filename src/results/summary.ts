/** The per-benchmark summary: statistics of every metric over the measured iterations. */
import { EXACT_VALUES_LIMIT, MetricSink } from './metric-sink.js';
import { itlGapsMs } from './metrics.js';
import type { IterationRecord, Summary } from './schema.js';

/** The per-iteration (or per-request) values a summary is made of. */
type Measured = Pick<IterationRecord, 'e2e_ms' | 'ttft_ms' | 'itl_ms' | 'token_ms' | 'tokens_per_s' | 'decode_tokens_per_s'>;

const KEYS = ['e2e_ms', 'ttft_ms', 'itl_ms', 'tokens_per_s', 'decode_tokens_per_s'] as const;

/**
 * Per-iteration values, plus the ITL gaps pooled over iterations, taken one iteration at a time
 * (a load run's requests as they end): exact up to `limit` values per metric, from sketches past it.
 */
export class SummaryTally {
  private readonly sinks: Record<(typeof KEYS)[number], MetricSink>;
  private readonly gaps: MetricSink;

  constructor(limit = EXACT_VALUES_LIMIT) {
    this.sinks = Object.fromEntries(KEYS.map((k) => [k, new MetricSink(k, limit)])) as Record<(typeof KEYS)[number], MetricSink>;
    this.gaps = new MetricSink('itl_gap_ms', limit);
  }

  add(it: Measured): void {
    // a rate over no time is not a number (a server that sent every token in one read): left out
    for (const k of KEYS) {
      const v = it[k];
      if (typeof v === 'number' && Number.isFinite(v)) this.sinks[k].add(v);
    }
    for (const gap of itlGapsMs(it.token_ms)) this.gaps.add(gap);
  }

  get count(): number {
    return this.sinks.e2e_ms.count;
  }

  summary(): Summary {
    const s = this.sinks;
    const gaps = this.gaps.stats();
    return {
      e2e_ms: s.e2e_ms.stats(),
      ttft_ms: s.ttft_ms.stats(),
      itl_ms: s.itl_ms.stats(),
      // no intervals for the pooled gaps: gaps of one iteration are correlated, and intervals that
      // took them as independent were about half as wide as the honest ones
      itl_gap_ms: gaps && { ...gaps, ci95_mean: null, ci95_median: null },
      tokens_per_s: s.tokens_per_s.stats(),
      decode_tokens_per_s: s.decode_tokens_per_s.stats(),
      noise: {
        e2e_ms: s.e2e_ms.noise(),
        ttft_ms: s.ttft_ms.noise(),
        itl_ms: s.itl_ms.noise(),
        tokens_per_s: s.tokens_per_s.noise(),
        decode_tokens_per_s: s.decode_tokens_per_s.noise(),
      },
    };
  }
}

/** Per-iteration values, plus the ITL gaps pooled over iterations, summarized. */
export function summarizeIterations(iterations: readonly Measured[]): Summary {
  const tally = new SummaryTally();
  for (const it of iterations) tally.add(it);
  return tally.summary();
}
