/** The statistics a benchmark has, each with its metric name and unit, in the order exports list them. */
import type { BenchmarkResult } from '../results/schema.js';

type Stats = NonNullable<NonNullable<BenchmarkResult['summary']>['e2e_ms']>;

export interface ExportedMetric {
  metric: string;
  unit: 'ms' | 'tokens/s';
  stats: Stats;
}

const SUMMARY: readonly [keyof NonNullable<BenchmarkResult['summary']>, ExportedMetric['unit']][] = [
  ['ttft_ms', 'ms'],
  ['itl_ms', 'ms'],
  ['itl_gap_ms', 'ms'],
  ['e2e_ms', 'ms'],
  ['tokens_per_s', 'tokens/s'],
  ['decode_tokens_per_s', 'tokens/s'],
];

const LOAD: readonly (keyof NonNullable<BenchmarkResult['load']>['stats'])[] = ['ttfb_ms', 'ttfo_ms', 'dispatch_delay_ms', 'ttft_from_schedule_ms', 'e2e_from_schedule_ms'];

/** Every statistic of `b` that has values: the summary's, then a load run's own. */
export function exportedMetrics(b: BenchmarkResult): ExportedMetric[] {
  const out: ExportedMetric[] = [];
  for (const [key, unit] of SUMMARY) {
    const stats = b.summary?.[key];
    if (stats && typeof stats === 'object' && 'n' in stats) out.push({ metric: key, unit, stats });
  }
  for (const key of LOAD) {
    const stats = b.load?.stats[key];
    if (stats) out.push({ metric: key, unit: 'ms', stats });
  }
  return out;
}
