/**
 * A load run's figures as table rows, one source for the console and the HTML report, so both
 * show the same numbers: the totals of each value and the latency statistics (mean, sd and the
 * chosen percentiles of TTFT, TPOT, ITL and e2e). A figure that does not exist reads "no data".
 */
import type { BenchmarkResult, RunResult, StatsRecord } from '../results/schema.js';
import { InputError } from '../util/errors.js';

/** The percentiles a result keeps for every metric, and so the ones a table can show. */
export const KEPT_PERCENTILES = [50, 90, 95, 99] as const;
export type KeptPercentile = (typeof KEPT_PERCENTILES)[number];
export const DEFAULT_PERCENTILES: readonly KeptPercentile[] = KEPT_PERCENTILES;

/** --percentiles 50,99: each one of those kept; an InputError otherwise. */
export function parsePercentiles(command: string, values: readonly string[] | undefined): readonly KeptPercentile[] {
  if (!values) return DEFAULT_PERCENTILES;
  return values.map((v) => {
    const p = Number(v.replace(/^p/, ''));
    if (!(KEPT_PERCENTILES as readonly number[]).includes(p)) throw new InputError('usage', `${command}: --percentiles takes ${KEPT_PERCENTILES.join(', ')} (the percentiles a result keeps), got '${v}'`);
    return p as KeptPercentile;
  });
}

export const NO_DATA = 'no data';

const num = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? NO_DATA : v.toFixed(digits));

/** What a load value is, in words: `concurrency 8`, `rate 5/s poisson`. */
export function loadValueLabel(b: BenchmarkResult): string {
  const s = b.config.load;
  return s ? (s.mode === 'closed' ? `concurrency ${s.concurrency}` : s.trace ? `trace at ${s.trace.speed}x (${s.request_rate}/s)` : s.sessions ? `sessions ${s.request_rate}/s` : `rate ${s.request_rate}/s ${s.arrival}`) : b.config.name;
}

const loadValues = (run: RunResult): BenchmarkResult[] => run.benchmarks.filter((b) => b.config.load);

/** Per value: requests, failed, tokens in and out, the window, and the rates over it. */
export function loadTotals(run: RunResult): { header: string[]; rows: string[][] } {
  const header = ['value', 'requests', 'failed', 'input tokens', 'output tokens', 'duration s', 'req/s', 'output tok/s', 'total tok/s'];
  const rows = loadValues(run).map((b) => {
    const l = b.load;
    const c = l?.counts;
    return [loadValueLabel(b), c ? String(c.scheduled) : NO_DATA, c ? String(c.failed + c.dropped) : NO_DATA, l?.tokens ? String(l.tokens.input) : NO_DATA, l?.tokens ? String(l.tokens.output) : NO_DATA, num(l?.window_s, 2), num(l?.request_throughput, 2), num(l?.output_throughput, 1), num(l?.total_throughput, 1)];
  });
  return { header, rows };
}

const LATENCIES = [
  ['TTFT', 'ttft_ms'],
  ['TPOT', 'itl_ms'],
  ['ITL', 'itl_gap_ms'],
  ['e2e', 'e2e_ms'],
] as const;

/** Per value and metric: n, mean, sd and the chosen percentiles (ms, over the successful requests). */
export function loadLatencies(run: RunResult, percentiles: readonly KeptPercentile[] = DEFAULT_PERCENTILES): { header: string[]; rows: string[][] } {
  const header = ['value', 'metric (ms)', 'n', 'mean', 'sd', ...percentiles.map((p) => `p${p}`)];
  const rows = loadValues(run).flatMap((b) =>
    LATENCIES.map(([label, key]) => {
      const s: StatsRecord | null | undefined = b.summary?.[key];
      const digits = key === 'e2e_ms' ? 1 : 2;
      return [loadValueLabel(b), label, s ? String(s.n) : '0', num(s?.mean, digits), num(s?.std, digits), ...percentiles.map((p) => num(s?.[`p${p}`], digits))];
    }),
  );
  return { header, rows };
}

const p5099 = (x: { p50: number; p99: number } | null, digits: number): string => (x ? `${x.p50.toFixed(digits)} / ${x.p99.toFixed(digits)}` : '-');

/** Several --url values: each replica's own figures, per value. */
export function replicaFigures(run: RunResult): { header: string[]; rows: string[][] } {
  const rows = loadValues(run).flatMap((b) =>
    (b.load?.replicas ?? []).map((r) => [loadValueLabel(b), r.url, `${r.ok}/${r.sent}`, r.request_throughput.toFixed(2), r.output_throughput.toFixed(1), p5099(r.ttft_ms, 1), p5099(r.e2e_ms, 0)]),
  );
  return { header: ['value', 'replica', 'ok/sent', 'req/s', 'out tok/s', 'TTFT ms p50/p99', 'e2e ms p50/p99'], rows };
}

/** --multi-turn: each turn's figures (a prefix cache shows as TTFT falling turn by turn), per value. */
export function turnFigures(run: RunResult): { header: string[]; rows: string[][] } {
  const rows = loadValues(run).flatMap((b) => (b.load?.turns ?? []).map((t) => [loadValueLabel(b), String(t.turn + 1), `${t.ok}/${t.sent}`, p5099(t.ttft_ms, 1), p5099(t.e2e_ms, 0)]));
  return { header: ['value', 'turn', 'ok/sent', 'TTFT ms p50/p99', 'e2e ms p50/p99'], rows };
}

/** --multi-turn: the sessions of each value in one line. */
export function sessionLines(run: RunResult): string[] {
  return loadValues(run).flatMap((b) => {
    const x = b.load?.sessions;
    return x ? [`${loadValueLabel(b)}: ${x.count} sessions, ${x.completed} with every turn ok${x.duration_s ? `, each lasting ${x.duration_s.p50.toFixed(2)} s (p50) / ${x.duration_s.p99.toFixed(2)} s (p99)` : ''}`] : [];
  });
}
