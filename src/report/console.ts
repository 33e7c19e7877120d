/** The console summary: one row per config with p50 and p95 of TTFT, ITL, e2e and tokens/s. */
import type { Capacity, Noise, RunResult, ServerCheck, StatsRecord } from '../results/schema.js';
import { PERCENTILE_METHOD } from '../results/statistics.js';
import { DEFAULT_PERCENTILES, type KeptPercentile, loadLatencies, loadTotals, loadValueLabel, replicaFigures, sessionLines, turnFigures } from './load-figures.js';

function pair(s: StatsRecord | null | undefined, digits: number): string {
  if (!s) return '-';
  return `${s.p50.toFixed(digits)} / ${s.p95.toFixed(digits)}`;
}

/** Spread and detectable change, in percent. */
function noise(n: Noise | null | undefined): string {
  if (!n) return '-';
  return `${(100 * n.cv).toFixed(1)}% / ${n.detectable_change === null ? 'none' : `${(100 * n.detectable_change).toFixed(1)}%`}`;
}

/** Left-aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The summary table of a run, with how percentiles were computed. */
export function formatRunSummary(run: RunResult): string {
  const header = ['config', 'status', 'TTFT ms p50/p95', 'ITL ms p50/p95', 'e2e ms p50/p95', 'tok/s p50/p95', 'e2e spread/detects'];
  const rows = run.benchmarks.map((b) => [
    b.config.name,
    b.status === 'ok' ? 'ok' : `${b.status}${b.error ? ` (${b.error.kind})` : ''}`,
    pair(b.summary?.ttft_ms, 2),
    pair(b.summary?.itl_ms, 3),
    pair(b.summary?.e2e_ms, 1),
    pair(b.summary?.tokens_per_s, 1),
    noise(b.summary?.noise?.e2e_ms),
  ]);
  const failures = run.benchmarks
    .filter((b) => b.error)
    .map((b) => `${b.config.name}: ${b.error?.kind}: ${b.error?.message}`);
  const serverNotes = run.benchmarks.flatMap((b) => serverCheckNotes(b.config.name, b.server_check));
  const browserNotes = run.benchmarks.flatMap((b) => {
    const facts = b.engine?.browser;
    if (!facts) return [];
    return [
      ...(facts.clock_note ? [`${b.config.name}: ${facts.clock_note}`] : []),
      ...(facts.external_requests.length > 0 ? [`${b.config.name}: the page asked for ${facts.external_requests.length} URLs off its own server, refused: ${facts.external_requests.slice(0, 3).join(', ')}`] : []),
      ...(facts.long_tasks && facts.long_tasks.share !== null ? [`${b.config.name}: the page's main thread was in long tasks (over 50 ms) for ${(facts.long_tasks.share * 100).toFixed(1)}% of its generate() time (${facts.long_tasks.long_tasks} tasks)`] : []),
      ...(facts.gc && facts.gc.share !== null ? [`${b.config.name}: the page's main thread was in garbage collection for ${(facts.gc.share * 100).toFixed(1)}% of its generate() time (${facts.gc.collections} collections, ${facts.gc.major_collections} major)`] : []),
      ...(facts.webgpu?.fallback ? [`${b.config.name}: WebGPU ran on a software fallback adapter (${facts.webgpu.architecture || facts.webgpu.vendor}): a path check, not a GPU's speed`] : []),
    ];
  });
  const counts = [...new Set(run.benchmarks.map((b) => b.iterations.length))].join('/');
  return [
    formatTable(header, rows),
    '',
    `n = ${counts} measured iterations per config; percentiles: ${PERCENTILE_METHOD}`,
    'spread: the coefficient of variation of e2e over the iterations; detects: the smallest e2e change a comparison with another run of as many iterations finds 80% of the time (none: too few iterations for any)',
    ...failures,
    ...serverNotes,
    ...browserNotes,
  ].join('\n');
}

/**
 * What the server check found that a reader must know: prompts counted at another length, cache
 * use against the reuse asked, retries, other model names; and the client against the server's own
 * timings, when it sent them. Engine openai and load runs alike.
 */
export function serverCheckNotes(name: string, check: ServerCheck | null | undefined): string[] {
  if (!check) return [];
  const out: string[] = [];
  const off = check.prompt_mismatch_counts;
  if (check.prompt_mismatches > 0 && off) {
    const adds = off.overhead ? ` + ${off.overhead} it adds to every prompt` : '';
    out.push(`${name}: the server counted ${off.counted.join('/')} prompt tokens in ${check.prompt_mismatches} of ${check.requests} requests, asked ${off.asked}${adds}${off.overhead === null ? ' (the server reports no count to calibrate against)' : ''}`);
  }
  if (check.cache_contradictions > 0) {
    const what = check.prompt_reuse === 'unique' ? 'served part of a unique prompt from its cache' : `reported no cache use although prompt_reuse is ${check.prompt_reuse}`;
    out.push(`${name}: the server ${what} in ${check.cache_contradictions} of ${check.cache_reported} requests (prompt tokens it processed itself: ${check.processed_prompt_fraction === null ? '-' : `${(check.processed_prompt_fraction * 100).toFixed(1)}%`})`);
  }
  if (check.retries > 0) out.push(`${name}: ${check.retries} requests were sent again after the server closed their reused connection before answering`);
  if (check.model_mismatches > 0) out.push(`${name}: ${check.model_mismatches} responses named another model: ${check.served_models.join(', ')}`);
  const t = check.ttft_client_minus_server_ms;
  const i = check.itl_client_over_server;
  // the server's timings start when a slot takes the request: under load the gap is mostly its queue
  if (t && i) out.push(`${name}: client minus server (its own timings, ${check.timed_requests} requests): TTFT p50 ${t.p50.toFixed(2)} ms (time the server did not count as prompt processing: its queue wait for a slot, which grows with load, plus the network and the client's read), ITL p50 ${((i.p50 - 1) * 100).toFixed(2)}%`);
  return out;
}

const num = (v: number | null | undefined, digits: number): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** The summary of a load run: one row per swept value, then its totals and latencies as the HTML report shows them, and a capacity search's answer. */
export function formatLoadSummary(run: RunResult, percentiles: readonly KeptPercentile[] = DEFAULT_PERCENTILES): string {
  const header = ['value', 'status', 'ok/sent', 'req/s sent/drawn/asked', 'req/s', 'out tok/s', 'TTFT ms p50/p99', 'TPOT ms p50/p99', 'e2e ms p50/p99', 'goodput', 'late', 'loop lag p99'];
  const p5099 = (s: StatsRecord | null | undefined, digits: number): string => (s ? `${s.p50.toFixed(digits)} / ${s.p99.toFixed(digits)}` : '-');
  const rows = run.benchmarks.map((b) => {
    const l = b.load;
    return [
      loadValueLabel(b),
      b.status === 'ok' ? 'ok' : `${b.status}${b.error ? ` (${b.error.kind})` : ''}`,
      l ? `${l.counts.ok}/${l.counts.sent}` : '-',
      // the drawn schedule's own rate: a Poisson draw of a few hundred requests is off the rate asked by chance, not by the client
      l ? `${num(l.achieved_rate, 2)} / ${l.schedule_rate === null ? '-' : num(l.schedule_rate, 2)} / ${l.target_rate === null ? '-' : num(l.target_rate, 2)}` : '-',
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
  const totals = loadTotals(run);
  const latencies = loadLatencies(run, percentiles);
  const notes = run.benchmarks.flatMap((b) => {
    const l = b.load;
    const out: string[] = [];
    if (b.error) out.push(`${b.config.name}: ${b.error.kind}: ${b.error.message}`);
    if (!l) return out;
    const c = l.counts;
    const byKind = (counts: Record<string, number> | undefined): string => Object.entries(counts ?? {}).map(([k, n]) => `${n} ${k}`).join(', ');
    const interrupted = c.interrupted ?? 0;
    if (c.failed > 0 || c.dropped > 0 || interrupted > 0) {
      const cut = interrupted > 0 ? ` + ${interrupted} interrupted` : '';
      out.push(`${b.config.name}: ${c.scheduled} scheduled = ${c.sent} sent + ${c.dropped} never sent${c.dropped > 0 ? ` (${byKind(l.not_sent)})` : ''}; ${c.sent} sent = ${c.ok} ok + ${c.failed} failed${c.failed > 0 ? ` (${byKind(l.failures)})` : ''}${cut}`);
    }
    if (b.records_missing) out.push(`${b.config.name}: its records file holds ${b.request_count ?? 0} of the ${(b.request_count ?? 0) + b.records_missing} requests the summary counts (writing it stopped)`);
    if (c.short_outputs > 0) out.push(`${b.config.name}: ${c.short_outputs} requests got fewer or more tokens than asked (does the server honour ignore_eos?)`);
    out.push(...serverCheckNotes(b.config.name, b.server_check));
    if (l.client.warning) out.push(`${b.config.name}: ${l.client.warning}`);
    const sketched = Object.entries({ ...b.summary, ...l.stats }).filter(([, v]) => v !== null && typeof v === 'object' && 'relative_error' in v && v.relative_error !== undefined);
    if (sketched.length > 0) out.push(`${b.config.name}: percentiles of ${sketched.map(([k]) => k).join(', ')} are from a quantile sketch (too many values to keep): each within ${((sketched[0]?.[1] as { relative_error: number }).relative_error * 100).toFixed(1)}% of the exact value`);
    return out;
  });
  return [
    formatTable(header, rows),
    '',
    `TPOT = ITL per request, (last token - first token) / (N - 1); goodput counts failed requests as not good; percentiles: ${PERCENTILE_METHOD}`,
    ...notes,
    '',
    formatTable(totals.header, totals.rows),
    '',
    formatTable(latencies.header, latencies.rows),
    ...optionalTable(replicaFigures(run)),
    ...optionalTable(turnFigures(run)),
    ...sessionLines(run),
    ...(run.capacity ? ['', ...capacityLines(run.capacity)] : []),
  ].join('\n');
}

/** A table after a blank line, or nothing when it has no rows. */
const optionalTable = (t: { header: string[]; rows: string[][] }): string[] => (t.rows.length === 0 ? [] : ['', formatTable(t.header, t.rows)]);

/** A capacity search's answer, last: the probes are printed as they end. */
function capacityLines(c: Capacity): string[] {
  return [`${c.answer[0]?.toUpperCase() ?? ''}${c.answer.slice(1)}.`, ...(c.limit ? [`What limits it: ${c.limit}.`] : []), ...c.notes.map((n) => `Note: ${n}.`)];
}
