/** The run's console summary on a hand-made run: one row per config, its spread and what it could detect. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRunSummary } from '../../src/report/console.js';
import { metricsFromMs } from '../../src/results/metrics.js';
import type { BenchmarkResult, RunResult } from '../../src/results/schema.js';
import { summarizeIterations } from '../../src/results/summary.js';

test('run summary: p50/p95 per metric, and the e2e spread with the change a like run could detect', () => {
  const iterations = [100, 110, 90, 105, 95].map((e2e) => metricsFromMs(e2e, [10, 12, 14], 1));
  const ok = { config: { name: 'cfg' }, status: 'ok', error: null, iterations, summary: summarizeIterations(iterations) } as unknown as BenchmarkResult;
  const failed = { config: { name: 'bad' }, status: 'failed', error: { kind: 'oom', message: 'out of memory' }, iterations: [], summary: null } as unknown as BenchmarkResult;
  const text = formatRunSummary({ benchmarks: [ok, failed] } as unknown as RunResult);
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^config\s+status\s+TTFT ms p50\/p95\s+ITL ms p50\/p95\s+e2e ms p50\/p95\s+tok\/s p50\/p95\s+e2e spread\/detects$/);
  const noise = ok.summary?.noise?.e2e_ms;
  const expected = `${(100 * (noise?.cv as number)).toFixed(1)}% / ${(100 * (noise?.detectable_change as number)).toFixed(1)}%`;
  // numpy and scipy: cv 0.0791, log sigma 0.0793, exp((t_0.975 + t_0.8, 8 df) * 0.0793 * sqrt(2 / 5) / sqrt(3 / pi) * (1 + 0.75 / 5)) - 1 = 0.2076
  assert.equal(expected, '7.9% / 20.8%');
  assert.ok(lines[2]?.startsWith('cfg') && lines[2].endsWith(expected), lines[2]);
  assert.match(lines[3] ?? '', /^bad\s+failed \(oom\)\s+-\s+-\s+-\s+-\s+-$/);
  assert.ok(text.includes('n = 5/0 measured iterations per config'));
  assert.ok(text.includes('bad: oom: out of memory'));
});

test('run summary: three iterations can detect no change, and the column says so', () => {
  const iterations = [100, 110, 90].map((e2e) => metricsFromMs(e2e, [10, 12, 14], 1));
  const ok = { config: { name: 'cfg' }, status: 'ok', error: null, iterations, summary: summarizeIterations(iterations) } as unknown as BenchmarkResult;
  const row = formatRunSummary({ benchmarks: [ok] } as unknown as RunResult).split('\n')[2] ?? '';
  assert.match(row, /\s10\.0% \/ none$/);
});
