/**
 * One metric's values as they come, for summaries that must not grow with the run (a load run of
 * hours): the values themselves while there are at most `limit` of them, so that statistics are
 * exact (statistics.ts), and always a quantile sketch and running moments, which take over past the
 * limit. Statistics from the sketch say so (`relative_error`): each percentile is within that
 * fraction of the exact one; n, mean, std, min and max stay exact.
 */
import type { Noise } from './schema.js';
import { QuantileSketch } from './sketch.js';
import { type Stats, assertFinite, detectableChange, finiteOrNull, mean, medianIntervalRank, studentTQuantile, summarize, variance } from './statistics.js';

/** Values kept exactly per metric by default: past this a metric's percentiles come from its sketch. */
export const EXACT_VALUES_LIMIT = 1_000_000;

/** The relative error of the sketches (0.5%). */
export const SKETCH_RELATIVE_ERROR = 0.005;

/** Statistics of the schema, with the sketch's bound when the percentiles came from one. */
export type SinkStats = Stats & { relative_error?: number };

/** Count, mean and sum of squared deviations, one value at a time (Welford). */
class RunningMoments {
  n = 0;
  mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  /** Sample variance (n - 1). */
  get variance(): number {
    return this.n > 1 ? Math.max(0, this.m2) / (this.n - 1) : 0;
  }
}

/** The noise of a metric from its positive values' count, mean and variance and the variance of their logs; null below 2. */
export function noiseFromMoments(n: number, mean: number, variance: number, logVariance: number): Noise | null {
  if (n < 2) return null;
  const sigma = Math.sqrt(logVariance);
  return { cv: Math.sqrt(variance) / mean, log_sigma: sigma, detectable_change: finiteOrNull(detectableChange(sigma, n, n)) };
}

/** The spread of one metric's positive values, and the change a like run could detect; null below 2 values. */
export function noiseOf(values: readonly number[]): Noise | null {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length < 2) return null;
  return noiseFromMoments(positive.length, mean(positive), variance(positive), variance(positive.map(Math.log)));
}

export class MetricSink {
  private values: number[] | null = [];
  private readonly sketch = new QuantileSketch(SKETCH_RELATIVE_ERROR);
  private readonly all = new RunningMoments();
  private readonly positive = new RunningMoments();
  private readonly logs = new RunningMoments();

  constructor(
    /** Named in the error for a value that is not finite. */
    private readonly what: string,
    private readonly limit = EXACT_VALUES_LIMIT,
  ) {}

  /** Adds one value (a RunError for NaN or an infinity, as summarize gives). */
  add(x: number): void {
    if (!Number.isFinite(x)) assertFinite([x], this.what);
    if (this.values) {
      if (this.values.length < this.limit) this.values.push(x);
      else this.values = null;
    }
    this.sketch.add(x);
    this.all.add(x);
    if (x > 0) {
      this.positive.add(x);
      this.logs.add(Math.log(x));
    }
  }

  get count(): number {
    return this.all.n;
  }

  /** Whether the statistics are exact (every value kept). */
  get exact(): boolean {
    return this.values !== null;
  }

  /** The statistics of the schema: exact while every value is kept, else from the sketch; null for no values. */
  stats(): SinkStats | null {
    if (this.values) return summarize(this.values, this.what);
    const n = this.all.n;
    const s = this.sketch;
    const std = Math.sqrt(this.all.variance);
    const half = studentTQuantile(0.975, n - 1) * (std / Math.sqrt(n));
    const j = medianIntervalRank(n);
    return {
      n,
      mean: this.all.mean,
      std,
      min: s.min,
      p50: s.quantile(0.5),
      p90: s.quantile(0.9),
      p95: s.quantile(0.95),
      p99: s.quantile(0.99),
      max: s.max,
      ci95_mean: [this.all.mean - half, this.all.mean + half],
      ci95_median: j === 0 ? null : [s.valueAtRank(j - 1), s.valueAtRank(n - j)],
      relative_error: s.relativeError,
    };
  }

  /** The spread of the positive values: noiseOf while every value is kept, else from running moments. */
  noise(): Noise | null {
    if (this.values) return noiseOf(this.values);
    return noiseFromMoments(this.positive.n, this.positive.mean, this.positive.variance, this.logs.variance);
  }
}
