/**
 * The HTML report's load sections: the same totals and latency tables as the console, and the
 * latency–throughput curve of a rate or concurrency sweep or a capacity search (percentiles from
 * when requests were due against the rate achieved, the SLO limits and the capacity found marked),
 * throughput against the load offered, and the Pareto front of tokens/s per user against in total.
 */
import type { BenchmarkResult, Capacity, RunResult, StatsRecord } from '../results/schema.js';
import { type KeptPercentile, loadLatencies, loadTotals, replicaFigures, sessionLines, turnFigures } from './load-figures.js';
import { chart, escapeHtml, type Series, table } from './svg.js';

/** Totals and latency statistics of every load value, as the console prints them. */
export function loadTablesHtml(run: RunResult, percentiles: readonly KeptPercentile[]): string {
  if (!run.benchmarks.some((b) => b.config.load)) return '';
  const totals = loadTotals(run);
  const latencies = loadLatencies(run, percentiles);
  const replicas = replicaFigures(run);
  const turns = turnFigures(run);
  const sessions = sessionLines(run);
  return `<h2>Load</h2>${table(totals.header, totals.rows)}<h3>Latency (ms, successful requests; TPOT = ITL per request, ITL = every gap)</h3>${table(latencies.header, latencies.rows)}${
    replicas.rows.length > 0 ? `<h3>Replicas</h3>${table(replicas.header, replicas.rows)}` : ''
  }${turns.rows.length > 0 ? `<h3>Turns</h3>${table(turns.header, turns.rows)}${sessions.map((line) => `<p class="note">${escapeHtml(line)}</p>`).join('')}` : ''}`;
}

/** One load value on the curve: where it sits and what it achieved. */
interface CurvePoint {
  /** Requests sent per second (closed loop and saturation: completed per second). */
  achieved: number;
  /** The rate asked (open loop) or the concurrency (closed loop). */
  offered: number;
  mode: 'open' | 'closed';
  ttft: StatsRecord | null;
  e2e: StatsRecord | null;
  tpot: StatsRecord | null;
  doneRps: number;
  outputTps: number;
  perUser: number | null;
  /** A capacity probe: whether it held, and its judged percentile of each SLO metric (ms). */
  holds: boolean | null;
  judged: Partial<Record<'ttft' | 'tpot' | 'e2e', number>>;
}

function curvePoints(run: RunResult): CurvePoint[] {
  const judged = new Map((run.capacity?.points ?? []).map((p) => [p.benchmark, p]));
  const all = run.benchmarks.flatMap((b: BenchmarkResult): CurvePoint[] => {
    const s = b.config.load;
    const l = b.load;
    if (!s || !l || l.counts.ok === 0) return [];
    return [
      {
        achieved: s.mode === 'open' ? (l.achieved_rate ?? l.request_throughput) : l.request_throughput,
        offered: s.mode === 'open' ? (s.request_rate as number) : (s.concurrency as number),
        mode: s.mode,
        ttft: l.stats.ttft_from_schedule_ms,
        e2e: l.stats.e2e_from_schedule_ms,
        tpot: b.summary?.itl_ms ?? null,
        doneRps: l.request_throughput,
        outputTps: l.output_throughput,
        perUser: b.summary?.tokens_per_s?.p50 ?? null,
        holds: judged.get(b.config.name)?.holds ?? null,
        judged: Object.fromEntries((judged.get(b.config.name)?.checks ?? []).flatMap((ch) => (ch.value_ms === null ? [] : [[ch.metric, ch.value_ms]]))),
      },
    ];
  });
  // one kind of load per curve: open-loop values when there are any (a search's saturating closed loop is drawn as a line of its own)
  const open = all.filter((p) => p.mode === 'open');
  return open.length >= 2 ? open : all;
}

/** The points no other beats on both tokens/s per user and tokens/s in total, by total. */
export function paretoFront(points: readonly [number, number][]): [number, number][] {
  const byTotal = [...points].sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  const front: [number, number][] = [];
  let best = -Infinity;
  for (const p of byTotal) {
    if (p[1] > best) {
      front.push(p);
      best = p[1];
    }
  }
  return front.sort((a, b) => a[0] - b[0]);
}

const sortedByX = (points: [number, number][]): [number, number][] => points.sort((a, b) => a[0] - b[0]);

/**
 * The curves of a run with two or more load values (a sweep or a capacity search); '' otherwise.
 * `index` keeps chart ids unique in a page.
 */
export function loadCurvesHtml(run: RunResult): string {
  const points = curvePoints(run);
  if (points.length < 2) return '';
  const c: Capacity | undefined = run.capacity;
  const slo = c?.slo ?? run.benchmarks.find((b) => b.config.load)?.config.load?.slo;
  const capacityLine = c && c.search === 'rate' && c.max_rate_rps !== null && c.max_rate_rps > 0 ? [{ x: c.max_rate_rps, label: `max rate ${c.max_rate_rps} req/s` }] : [];
  const latency = (id: string, title: string, metric: 'ttft' | 'tpot' | 'e2e', pick: (p: CurvePoint) => StatsRecord | null, limit: number | null | undefined): string => {
    const series: Series[] = [
      { name: 'p50', points: sortedByX(points.flatMap((p) => (pick(p) ? [[p.achieved, (pick(p) as StatsRecord).p50] as [number, number]] : []))), kind: 'line' },
      { name: 'p99', points: sortedByX(points.flatMap((p) => (pick(p) ? [[p.achieved, (pick(p) as StatsRecord).p99] as [number, number]] : []))), kind: 'line' },
    ];
    if (c && limit) {
      // the search's own verdicts, at the percentile it judged (failed requests counted as over every limit)
      const at = (holds: boolean): [number, number][] => points.flatMap((p) => (p.holds === holds && p.judged[metric] !== undefined ? [[p.achieved, p.judged[metric] as number] as [number, number]] : []));
      series.push({ name: `p${c.percentile} held`, points: at(true), kind: 'dots' });
      series.push({ name: `p${c.percentile} failed`, points: at(false), kind: 'dots' });
    }
    return chart({ id, title, xLabel: 'requests/s achieved', yLabel: 'ms', series, hLines: limit ? [{ y: limit, label: `SLO ${limit} ms` }] : [], vLines: capacityLine });
  };
  const open = points.filter((p) => p.mode === 'open');
  const charts = [
    latency('curve-ttft', 'TTFT (from when due) against rate achieved', 'ttft', (p) => p.ttft, slo?.ttft_ms),
    latency('curve-tpot', 'TPOT against rate achieved', 'tpot', (p) => p.tpot, slo?.tpot_ms),
    latency('curve-e2e', 'e2e (from when due) against rate achieved', 'e2e', (p) => p.e2e, slo?.e2e_ms),
  ];
  if (open.length >= 2) {
    const offered = sortedByX(open.map((p) => [p.offered, p.doneRps]));
    charts.push(
      chart({
        id: 'curve-throughput',
        title: 'Throughput against rate offered (open loop)',
        xLabel: 'requests/s offered',
        yLabel: 'requests/s completed',
        series: [
          { name: 'completed', points: offered, kind: 'line' },
          { name: 'offered (y = x)', points: offered.map(([x]) => [x, x] as [number, number]), kind: 'line' },
        ],
        hLines: c?.saturation_rps ? [{ y: c.saturation_rps, label: `saturated ${c.saturation_rps.toFixed(1)} req/s` }] : [],
        vLines: capacityLine,
      }),
    );
  }
  const closed = points.filter((p) => p.mode === 'closed');
  if (closed.length >= 2) {
    charts.push(chart({ id: 'curve-concurrency', title: 'Throughput against concurrency (closed loop)', xLabel: 'requests in flight', yLabel: 'requests/s completed', xIntegers: true, series: [{ name: 'completed', points: sortedByX(closed.map((p) => [p.offered, p.doneRps])), kind: 'line' }] }));
  }
  const users = points.flatMap((p) => (p.perUser === null ? [] : [[p.outputTps, p.perUser] as [number, number]]));
  charts.push(
    chart({
      id: 'curve-pareto',
      title: 'Tokens/s per user against tokens/s in total',
      xLabel: 'output tokens/s, all requests',
      yLabel: 'output tokens/s, median request',
      series: [
        { name: 'values', points: users, kind: 'dots' },
        { name: 'Pareto front', points: paretoFront(users), kind: 'line' },
      ],
    }),
  );
  const note = c ? `<p class="note">${escapeHtml(c.answer)}.${c.limit ? ` What limits it: ${escapeHtml(c.limit)}.` : ''}${c.notes.map((n) => ` Note: ${escapeHtml(n)}.`).join('')} Lines: p50 and p99 over the successful requests; dots: the p${c.percentile} the search judged, counting failed requests as over every limit.</p>` : '';
  return `<h2>${c ? 'Capacity' : 'Latency against throughput'}</h2>${note}<div class="charts">${charts.join('\n')}</div>`;
}
