/**
 * Tidy CSV: one row per config and metric, with n, mean, sd, p50, p90, p95, p99 and the unit, for
 * spreadsheets and data frames (pandas, R). Fields are quoted as RFC 4180 says: config names hold
 * commas and '=' (engine options, scripted models).
 */
import type { BenchmarkResult, RunResult } from '../results/schema.js';
import type { Exporter } from './exporter.js';
import { exportedMetrics } from './metrics.js';

/** A CSV field: quoted when it holds a comma, a quote or a line break, quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const HEADER = ['config', 'status', 'metric', 'unit', 'n', 'mean', 'sd', 'p50', 'p90', 'p95', 'p99'];

export const csvExporter: Exporter = {
  description: 'tidy CSV, one row per config and metric: n, mean, sd, p50, p90, p95, p99 and unit',
  async export(run: RunResult, write: (text: string) => void): Promise<void> {
    write(`${HEADER.join(',')}\n`);
    for (const b of run.benchmarks as BenchmarkResult[]) {
      for (const m of exportedMetrics(b)) {
        const s = m.stats;
        write(`${[b.config.name, b.status, m.metric, m.unit, s.n, s.mean, s.std, s.p50, s.p90, s.p95, s.p99].map(csvField).join(',')}\n`);
      }
    }
  },
};
