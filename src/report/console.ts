/** The console summary: one row per config with p50 and p95 of TTFT, ITL, e2e and tokens/s. */
import { promptMismatch } from '../results/metrics.js';
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
  // engine openai: prompts the server counted at another length than asked are flagged, never hidden
  const mismatches = run.benchmarks.flatMap((b) => {
    const requests = b.iterations.flatMap((it) => it.http ?? []);
    const off = requests.filter(promptMismatch);
    if (off.length === 0) return [];
    const counted = [...new Set(off.map((r) => r.prompt_tokens))].join('/');
    return [`${b.config.name}: the server counted ${counted} prompt tokens in ${off.length} of ${requests.length} requests, asked ${off[0]?.input_tokens} (chat templates add tokens; without a /tokenize endpoint lengths are approximate)`];
  });
  const counts = [...new Set(run.benchmarks.map((b) => b.iterations.length))].join('/');
  return [
    formatTable(header, rows),
    '',
    `n = ${counts} measured iterations per config; percentiles: ${PERCENTILE_METHOD}`,
    ...failures,
    ...mismatches,
  ].join('\n');
}

const num = (v: number | null | undefined, digits: number): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** The summary table of a load run: one row per swept value. */
export function formatLoadSummary(run: RunResult): string {
  const header = ['value', 'status', 'ok/sent', 'rate achieved/target', 'req/s', 'out tok/s', 'TTFT ms p50/p99', 'TPOT ms p50/p99', 'e2e ms p50/p99', 'goodput', 'late', 'loop lag p99'];
  const p5099 = (s: StatsRecord | null | undefined, digits: number): string => (s ? `${s.p50.toFixed(digits)} / ${s.p99.toFixed(digits)}` : '-');
  const rows = run.benchmarks.map((b) => {
    const l = b.load;
    const s = b.config.load;
    const value = s ? (s.mode === 'closed' ? `concurrency ${s.concurrency}` : `rate ${s.request_rate}/s ${s.arrival}`) : b.config.name;
    return [
      value,
      b.status === 'ok' ? 'ok' : `${b.status}${b.error ? ` (${b.error.kind})` : ''}`,
      l ? `${l.counts.ok}/${l.counts.sent}` : '-',
      l ? `${num(l.achieved_rate, 2)} / ${l.target_rate === null ? '-' : num(l.target_rate, 2)}` : '-',
      num(l?.request_throughput, 2),
      num(l?.output_throughput, 1),
      p5099(b.summary?.ttft_ms, 1),
      p5099(b.summary?.itl_ms, 2),
      p5099(b.summary?.e2e_ms, 0),
      l?.goodput ? `${(l.goodput.fraction * 100).toFixed(1)}%` : '-',
      l ? String(l.counts.late) : '-',
      l ? `${l.client.event_loop_lag_ms.p99.toFixed(2)} ms` : '-',
    ];
  });
  const notes = run.benchmarks.flatMap((b) => {
    const l = b.load;
    const out: string[] = [];
    if (b.error) out.push(`${b.config.name}: ${b.error.kind}: ${b.error.message}`);
    if (!l) return out;
    const failures = Object.entries(l.failures).map(([k, n]) => `${n} ${k}`);
    if (failures.length > 0) out.push(`${b.config.name}: failed requests: ${failures.join(', ')}`);
    if (l.counts.dropped > 0) out.push(`${b.config.name}: ${l.counts.dropped} scheduled requests were never sent`);
    if (l.counts.short_outputs > 0) out.push(`${b.config.name}: ${l.counts.short_outputs} requests got fewer or more tokens than asked (does the server honour ignore_eos?)`);
    if (l.counts.prompt_mismatches > 0) out.push(`${b.config.name}: ${l.counts.prompt_mismatches} prompts were counted at another length by the server`);
    if (l.client.warning) out.push(`${b.config.name}: ${l.client.warning}`);
    return out;
  });
  return [
    formatTable(header, rows),
    '',
    `TPOT = ITL per request, (last token - first token) / (N - 1); goodput counts failed requests as not good; percentiles: ${PERCENTILE_METHOD}`,
    ...notes,
  ].join('\n');
}
