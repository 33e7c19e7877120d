/** The console summary: one row per config with p50 and p95 of TTFT, ITL, e2e and tokens/s. */
import type { RunResult, StatsRecord } from '../results/schema.js';
import { PERCENTILE_METHOD } from '../results/statistics.js';

function pair(s: StatsRecord | null | undefined, digits: number): string {
  if (!s) return '-';
  return `${s.p50.toFixed(digits)} / ${s.p95.toFixed(digits)}`;
}

/** Left-aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The summary table of a run, with how percentiles were computed. */
export function formatRunSummary(run: RunResult): string {
  const header = ['config', 'status', 'TTFT ms p50/p95', 'ITL ms p50/p95', 'e2e ms p50/p95', 'tok/s p50/p95'];
  const rows = run.benchmarks.map((b) => [
    b.config.name,
    b.status === 'ok' ? 'ok' : `${b.status}${b.error ? ` (${b.error.kind})` : ''}`,
    pair(b.summary?.ttft_ms, 2),
    pair(b.summary?.itl_ms, 3),
    pair(b.summary?.e2e_ms, 1),
    pair(b.summary?.tokens_per_s, 1),
  ]);
  const failures = run.benchmarks
    .filter((b) => b.error)
    .map((b) => `${b.config.name}: ${b.error?.kind}: ${b.error?.message}`);
  const counts = [...new Set(run.benchmarks.map((b) => b.iterations.length))].join('/');
  return [
    formatTable(header, rows),
    '',
    `n = ${counts} measured iterations per config; percentiles: ${PERCENTILE_METHOD}`,
    ...failures,
  ].join('\n');
}
