/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched) with
 * the summary table, per config the token timeline of a typical iteration, the ITL gap histogram
 * and CDF, TTFT and e2e distributions, device (or host) readings on the token time axis, sweep
 * plots when the run is a sweep, and the run metadata. Also the comparison report.
 */
import { hasRequestRecords, requestRecords } from '../results/request-records.js';
import type { BenchmarkResult, LoadRequestRecord, RunResult, StatsRecord } from '../results/schema.js';
import { itlGapsMs } from '../results/metrics.js';
import type { Comparison } from './compare.js';
import { CHART_CSS, cdf, chart, escapeHtml, histogram, type Series, table } from './svg.js';
import { DEFAULT_PERCENTILES, type KeptPercentile } from './load-figures.js';
import { loadCurvesHtml, loadTablesHtml } from './load-html.js';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CHART_CSS}</style></head>
<body>${body}</body></html>
`;
}

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : x.toFixed(d));
const pair = (s: StatsRecord | null | undefined, d: number): string => (s ? `${f(s.p50, d)} / ${f(s.p95, d)}` : '-');

/** The iteration whose e2e is the median: the "typical" one. */
function typicalIteration(b: BenchmarkResult): BenchmarkResult['iterations'][number] | undefined {
  const sorted = [...b.iterations].sort((x, y) => x.e2e_ms - y.e2e_ms);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function deviceSeries(it: BenchmarkResult['iterations'][number]): { series: Series[]; label: string } {
  const gpu = it.monitor.samples.filter((s) => s.device !== 'host');
  const series: Series[] = [];
  if (gpu.length > 0) {
    for (const device of [...new Set(gpu.map((s) => s.device))]) {
      const rows = gpu.filter((s) => s.device === device);
      for (const key of ['util_pct', 'power_w'] as const) {
        const pts = rows.filter((s) => typeof s[key] === 'number').map((s) => [s.t_ms, s[key] as number] as [number, number]);
        if (pts.length > 0) series.push({ name: `${device} ${key}`, points: pts, kind: 'line' });
      }
    }
    return { series, label: 'utilisation % / power W' };
  }
  const host = it.monitor.samples.filter((s) => s.device === 'host');
  for (const key of ['host_cpu_pct', 'proc_cpu_pct'] as const) {
    const pts = host.filter((s) => typeof s[key] === 'number').map((s) => [s.t_ms, s[key] as number] as [number, number]);
    if (pts.length > 0) series.push({ name: key, points: pts, kind: 'line' });
  }
  return { series, label: 'CPU % (no GPU)' };
}

/** A share of the page's generate time as a percentage. */
const percent = (share: number | null): string => (share === null ? '-' : `${f(share * 100, 1)}%`);

/** What the page of a browser engine ran on and what it cost itself, under the benchmark's heading; empty for other engines. */
function pageNote(b: BenchmarkResult): string {
  const p = b.engine?.browser;
  if (!p) return '';
  const parts = [
    `in the page: ${p.browser}${p.browser_reused ? ' (shared with earlier configs)' : ''}`,
    `WASM build ${p.wasm_build}, ${p.threads} thread(s), ${p.cross_origin_isolated ? 'cross-origin isolated' : 'not isolated'}`,
    ...(p.webgpu ? [`WebGPU adapter ${p.webgpu.architecture || p.webgpu.vendor}${p.webgpu.fallback ? ' (software fallback: a path check, not a GPU)' : ''}`] : []),
    ...(p.long_tasks ? [`main thread in long tasks ${percent(p.long_tasks.share)} of generate()`] : []),
    ...(p.gc ? [`in garbage collection ${percent(p.gc.share)} (${p.gc.collections} collections, ${p.gc.major_collections} major)`] : []),
    ...(p.clock_moved_ms !== null ? [`page clock moved ${f(p.clock_moved_ms, 3)} ms over the config`] : []),
  ];
  return `<p class="note">${escapeHtml(parts.join('; '))}</p>`;
}

/**
 * What each config is called in the report: the fields in which it differs from the run's other
 * configs (`batch_size=4, dtype=q8`), short enough to read; its full name where nothing differs or
 * two would read alike. The full name and every field stay in a tooltip and under each section.
 */
export function shortNames(configs: readonly BenchmarkResult['config'][]): string[] {
  const short = groupNames(configs);
  const unique = new Set(short).size === short.length && short.every((n) => n !== '');
  return configs.map((c, i) => (unique ? (short[i] as string) : c.name));
}

/** The monitor's status and reason when every monitored config has the same one that is not ok (said once for the run). */
function runMonitorProblem(run: RunResult): string | null {
  const said = run.benchmarks.filter((b) => b.monitor !== null).map((b) => `${b.monitor?.status}${b.monitor?.reason ? ` (${b.monitor.reason})` : ''}`);
  const first = said[0];
  return first !== undefined && !first.startsWith('ok') && said.every((x) => x === first) ? first : null;
}

/** Every field of a config, for the table under its section. */
function configTable(c: BenchmarkResult['config']): string {
  const { engine_options: options, ...fields } = c;
  const rows = [...Object.entries(fields).map(([k, v]) => [k, String(v)]), ...Object.entries(options).map(([k, v]) => [`engine option ${k}`, String(v)])];
  return `<details><summary>config</summary>${table(['field', 'value'], rows)}</details>`;
}

function benchmarkSection(b: BenchmarkResult, i: number, label: string, runProblem: string | null): string {
  const head = `<h2 id="b${i}" title="${escapeHtml(b.config.name)}">${escapeHtml(label)}</h2>${configTable(b.config)}<p class="note">status ${escapeHtml(b.status)}${b.error ? `: ${escapeHtml(b.error.kind)}: ${escapeHtml(b.error.message)}` : ''}; engine ${escapeHtml(b.engine ? `${b.engine.name} ${b.engine.version} ${b.engine.device} ${b.engine.dtype}` : '-')}; model ${escapeHtml(b.model?.id ?? '-')}; hash ${b.config.hash.slice(0, 12)}</p>${pageNote(b)}`;
  const server = serverCheckSection(b);
  if (hasRequestRecords(b) && (b.request_count ?? b.requests?.length ?? 0) > 0) return `${head}${server}${loadCharts(b, i)}`;
  const it = typicalIteration(b);
  if (!it) return `${head}${server}<p>No measured iterations.</p>`;
  const charts: string[] = [];
  const domain: [number, number] = [0, it.e2e_ms];
  charts.push(
    chart({
      id: `timeline-${i}`,
      title: `Token timeline, iteration ${it.index} (median e2e ${f(it.e2e_ms, 1)} ms)`,
      xLabel: 'ms after t0',
      yLabel: 'tokens generated',
      xDomain: domain,
      series: [{ name: 'token stamps', points: it.token_ms.map((t, k) => [t, k + 1] as [number, number]), kind: 'step' }],
    }),
  );
  const dev = deviceSeries(it);
  if (dev.series.length > 0) {
    charts.push(chart({ id: `devices-${i}`, title: 'Device readings on the same time axis', xLabel: 'ms after t0', yLabel: dev.label, xDomain: domain, series: dev.series }));
  }
  const gaps = b.iterations.flatMap((x) => itlGapsMs(x.token_ms));
  charts.push(chart({ id: `itl-hist-${i}`, title: `ITL gaps, all iterations (n = ${gaps.length})`, xLabel: 'ms', yLabel: 'count', bars: histogram(gaps) }));
  charts.push(chart({ id: `itl-cdf-${i}`, title: 'ITL gap CDF', xLabel: 'ms', yLabel: 'fraction', series: [{ name: 'CDF', points: cdf(gaps), kind: 'step' }] }));
  charts.push(chart({ id: `ttft-${i}`, title: 'TTFT per iteration', xLabel: 'ms', yLabel: 'count', bars: histogram(b.iterations.map((x) => x.ttft_ms), 15) }));
  charts.push(chart({ id: `e2e-${i}`, title: 'e2e per iteration', xLabel: 'ms', yLabel: 'count', bars: histogram(b.iterations.map((x) => x.e2e_ms), 15) }));
  const mon = b.monitor;
  // a problem every config shares is said once, above the configs
  const status = mon ? `${mon.status}${mon.reason ? ` (${mon.reason})` : ''}` : '';
  const monitorLine = mon && (status !== runProblem || mon.devices.length > 0)
    ? `<p class="note">monitor: ${status === runProblem ? '' : `${escapeHtml(status)}; `}${mon.devices
        .map((d) => `${escapeHtml(d.device)}: util mean ${f(d.util_pct?.mean, 1)}%, peak memory ${d.mem_used_peak_bytes === null ? '-' : `${(d.mem_used_peak_bytes / 2 ** 30).toFixed(2)} GiB`}, mean power ${f(d.power_w_mean, 1)} W, energy ${d.energy_j === null ? escapeHtml(d.energy_note ?? '-') : `${f(d.energy_j, 2)} J (${f((d.energy_per_token_j ?? 0) * 1000, 3)} mJ/token)`}`)
        .join('; ')}</p>`
    : '';
  return `${head}${monitorLine}${server}<div class="charts">${charts.join('\n')}</div>`;
}

/** Dots per chart of requests over the run at most: a longer run shows every k-th request. */
const MAX_REQUEST_DOTS = 5000;

/** What a load run's charts show, taken from its records one at a time (a run of any length). */
class LoadChartData {
  requests = 0;
  failed = 0;
  readonly okDots: [number, number][] = [];
  readonly failedDots: [number, number][] = [];
  readonly delayDots: [number, number][] = [];
  readonly ttft: number[] = [];
  readonly itl: number[] = [];
  readonly e2e: number[] = [];
  readonly gaps: number[] = [];

  constructor(readonly stride: number) {}

  add(r: LoadRequestRecord): void {
    const shown = this.requests++ % this.stride === 0;
    if (shown && r.dispatch_delay_ms !== null) this.delayDots.push([r.scheduled_ms / 1000, r.dispatch_delay_ms]);
    if (!r.ok) {
      this.failed++;
      if (shown) this.failedDots.push([r.t0_ms / 1000, 0]);
      return;
    }
    if (shown && r.ttft_ms !== null) this.okDots.push([r.t0_ms / 1000, r.ttft_ms]);
    if (r.ttft_ms !== null) this.ttft.push(r.ttft_ms);
    if (r.itl_ms !== null) this.itl.push(r.itl_ms);
    if (r.e2e_ms !== null) this.e2e.push(r.e2e_ms);
    for (const gap of itlGapsMs(r.token_ms)) this.gaps.push(gap);
  }
}

const chartData = new WeakMap<BenchmarkResult, LoadChartData>();

const strideOf = (b: BenchmarkResult): number => Math.max(1, Math.ceil((b.request_count ?? b.requests?.length ?? 0) / MAX_REQUEST_DOTS));

/** Reads the records of every load run of `run`, one at a time from wherever they are, into what its charts show. */
export async function readLoadChartData(run: RunResult): Promise<void> {
  for (const b of run.benchmarks) {
    if (!hasRequestRecords(b) || chartData.has(b)) continue;
    const data = new LoadChartData(strideOf(b));
    for await (const r of requestRecords(b)) data.add(r);
    chartData.set(b, data);
  }
}

/** A load run's charts: every request on the run's time axis, and the distributions over the successful ones. */
function loadCharts(b: BenchmarkResult, i: number): string {
  let data = chartData.get(b);
  if (!data) {
    if (!b.requests) throw new Error(`internal: the requests of ${b.config.name} were not read (readLoadChartData)`);
    data = new LoadChartData(strideOf(b));
    for (const r of b.requests) data.add(r);
  }
  const every = data.stride > 1 ? `; every ${data.stride}th shown` : '';
  const charts: string[] = [];
  const sendSeries: Series[] = [{ name: 'TTFT, successful requests', points: data.okDots, kind: 'dots' }];
  if (data.failed > 0) sendSeries.push({ name: 'failed requests (at 0)', points: data.failedDots, kind: 'dots' });
  charts.push(chart({ id: `requests-${i}`, title: `Requests over the run (n = ${data.requests}, ${data.failed} failed${every})`, xLabel: 's after the measured phase began', yLabel: 'TTFT ms', series: sendSeries }));
  charts.push(chart({ id: `dispatch-${i}`, title: `Dispatch delay: sent minus due${every}`, xLabel: 's after the measured phase began', yLabel: 'ms', series: [{ name: 'dispatch delay', points: data.delayDots, kind: 'dots' }] }));
  charts.push(chart({ id: `ttft-${i}`, title: 'TTFT per request', xLabel: 'ms', yLabel: 'requests', bars: histogram(data.ttft, 15) }));
  charts.push(chart({ id: `tpot-${i}`, title: 'TPOT (ITL per request)', xLabel: 'ms', yLabel: 'requests', bars: histogram(data.itl, 15) }));
  charts.push(chart({ id: `e2e-${i}`, title: 'e2e per request', xLabel: 'ms', yLabel: 'requests', bars: histogram(data.e2e, 15) }));
  charts.push(chart({ id: `itl-cdf-${i}`, title: `ITL gap CDF, all successful requests (n = ${data.gaps.length})`, xLabel: 'ms', yLabel: 'fraction', series: [{ name: 'CDF', points: cdf(data.gaps), kind: 'step' }] }));
  return `<div class="charts">${charts.join('\n')}</div>`;
}

/** Requests to a server: the client against the server's own account (results/server-check.ts). */
function serverCheckSection(b: BenchmarkResult): string {
  const c = b.server_check;
  if (!c) return '';
  const stat = (s: StatsRecord | null, digits: number, scale = 1, offset = 0): string => (s ? `${f((s.p50 - offset) * scale, digits)} / ${f((s.p99 - offset) * scale, digits)}` : '-');
  const rows = [
    ['requests (with the server\'s own timings)', `${c.requests} (${c.timed_requests})`],
    ['client TTFT minus server prompt time, ms p50 / p99', stat(c.ttft_client_minus_server_ms, 2)],
    ['client ITL against the server\'s, % p50 / p99', stat(c.itl_client_over_server, 2, 100, 1)],
    ['prompt tokens the server processed itself', c.processed_prompt_fraction === null ? '-' : `${f(c.processed_prompt_fraction * 100, 1)}% (prompt reuse ${c.prompt_reuse})`],
    ['cache reports against the reuse asked', `${c.cache_contradictions} of ${c.cache_reported}`],
    ['prompt mismatches, retries, other model names', `${c.prompt_mismatches}, ${c.retries}, ${c.model_mismatches}`],
  ];
  return `<h3>Client against the server</h3>${table(['', ''], rows)}`;
}

/** Throughput and ITL against the one field the run sweeps (batch size or sequence length). */
function sweepSection(run: RunResult): string {
  const ok = run.benchmarks.filter((b) => b.summary?.tokens_per_s);
  const out: string[] = [];
  for (const [field, label] of [
    ['batch_size', 'batch size'],
    ['sequence_length', 'sequence length'],
  ] as const) {
    const values = new Set(ok.map((b) => b.config[field]));
    if (values.size < 2) continue;
    // one line per combination of the other fields
    const groups = new Map<string, BenchmarkResult[]>();
    for (const b of ok) {
      const { [field]: _x, name: _n, hash: _h, ...rest } = b.config;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), b]);
    }
    const names = groupNames([...groups.values()].map((g) => (g[0] as BenchmarkResult).config));
    const series = (metric: 'tokens_per_s' | 'itl_ms'): Series[] =>
      [...groups.values()].map((g, i) => ({
        name: groups.size > 1 ? (names[i] as string) : metric,
        points: g.map((b) => [b.config[field], b.summary?.[metric]?.p50 ?? 0] as [number, number]).sort((a, c) => a[0] - c[0]),
        kind: 'line' as const,
      }));
    out.push(chart({ id: `sweep-${field}-throughput`, title: `Throughput against ${label} (p50)`, xLabel: label, yLabel: 'tokens/s', series: series('tokens_per_s'), xIntegers: true }));
    out.push(chart({ id: `sweep-${field}-itl`, title: `ITL against ${label} (p50)`, xLabel: label, yLabel: 'ms', series: series('itl_ms'), xIntegers: true }));
  }
  return out.length > 0 ? `<h2>Sweep</h2><div class="charts">${out.join('\n')}</div>` : '';
}

/** A name for each group of a sweep: the fields (and engine options) whose values differ between groups, e.g. `threads=1`. */
export function groupNames(configs: readonly BenchmarkResult['config'][]): string[] {
  const flat = configs.map((c) => {
    const { name: _n, hash: _h, engine_options: options, ...fields } = c;
    return { ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, JSON.stringify(v)])), ...Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])) } as Record<string, string>;
  });
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => new Set(flat.map((f) => f[k])).size > 1);
  return flat.map((f) => keys.map((k) => `${k}=${(f[k] ?? '-').replace(/^"|"$/g, '')}`).join(', '));
}

function metadata(run: RunResult): string {
  const rows: string[][] = [
    ['run id', run.run_id],
    ['started / finished', `${run.started_at} / ${run.finished_at ?? '-'}`],
    ['tool', `${run.tool.name} ${run.tool.version}`],
    ['git', run.git ? `${run.git.commit} ${run.git.branch ?? '(detached)'}${run.git.dirty ? ' (dirty)' : ''}` : '-'],
    ['host', `${run.host.os}; ${run.host.cpu_model} x ${run.host.cpu_count}; ${(run.host.memory_total_bytes / 2 ** 30).toFixed(1)} GiB; Node ${run.host.node_version}`],
    ['devices', run.devices.map((d) => `${d.id} ${d.name ?? ''} ${d.uuid ?? ''} ${d.memory_total_bytes ? `${(d.memory_total_bytes / 2 ** 30).toFixed(0)} GiB` : ''} driver ${d.driver_version ?? '-'} (${d.backend})`).join('; ') || 'none'],
  ];
  if (run.group !== undefined) rows.push(['group', `${run.group}${run.shard ? `, shard ${run.shard.index} of ${run.shard.count}` : ''}`]);
  return `<h2>Run metadata</h2>${table(['', ''], rows)}`;
}

export function runReportHtml(run: RunResult, percentiles: readonly KeptPercentile[] = DEFAULT_PERCENTILES): string {
  const labels = shortNames(run.benchmarks.map((b) => b.config));
  const monitorProblem = runMonitorProblem(run);
  const summary = table(
    ['config', 'status', 'TTFT ms p50/p95', 'ITL ms p50/p95', 'e2e ms p50/p95', 'tokens/s per request p50/p95', 'n'],
    run.benchmarks.map((b, i) => [{ text: labels[i] as string, title: b.config.name }, b.status, pair(b.summary?.ttft_ms, 2), pair(b.summary?.itl_ms, 3), pair(b.summary?.e2e_ms, 1), pair(b.summary?.tokens_per_s, 1), String(hasRequestRecords(b) ? (b.summary?.e2e_ms?.n ?? 0) : b.iterations.length)]),
  );
  const body = `<h1>tokenbench run ${escapeHtml(run.run_id.slice(0, 8))}</h1>
<p class="note">${escapeHtml(run.started_at)}; percentiles: ${escapeHtml(run.percentile_method)}</p>
<h2>Summary</h2>${summary}
${monitorProblem ? `<p class="note">monitor, in every config: ${escapeHtml(monitorProblem)}</p>` : ''}
${loadTablesHtml(run, percentiles)}
${loadCurvesHtml(run)}
${sweepSection(run)}
${run.benchmarks.map((b, i) => benchmarkSection(b, i, labels[i] as string, monitorProblem)).join('\n')}
${metadata(run)}`;
  return page(`tokenbench run ${run.run_id.slice(0, 8)}`, body);
}

export function comparisonReportHtml(c: Comparison, baseline: RunResult, candidate: RunResult): string {
  const rows = c.pairs.flatMap((p) =>
    p.metrics.map(
      (m) =>
        `<tr><td>${escapeHtml(p.baseline === p.candidate ? p.baseline : `${p.baseline} -> ${p.candidate}`)}</td><td>${escapeHtml(m.label)}</td><td>${f(m.baseline_median, 3)}</td><td>${f(m.candidate_median, 3)}</td><td>${(m.change * 100).toFixed(1)}% [${(m.change_ci95[0] * 100).toFixed(1)}%, ${(m.change_ci95[1] * 100).toFixed(1)}%]</td><td>${m.p_holm.toFixed(4)}</td><td>${m.method}</td><td class="${m.verdict === 'slower' ? 'slower' : m.verdict === 'faster' ? 'faster' : m.verdict === 'too noisy' ? 'noisy' : ''}">${escapeHtml(m.verdict)}</td></tr>`,
    ),
  );
  const charts = c.pairs.map((p, i) => {
    const a = baseline.benchmarks.find((b) => b.config.name === p.baseline);
    const b = candidate.benchmarks.find((x) => x.config.name === p.candidate);
    const dots = (r: BenchmarkResult | undefined, y: number): [number, number][] => (r?.iterations ?? []).map((it) => [it.itl_ms, y]);
    return chart({
      id: `compare-itl-${i}`,
      title: `ITL per iteration: ${p.baseline}`,
      xLabel: 'ms',
      yLabel: '1 baseline, 2 candidate',
      series: [
        { name: 'baseline', points: dots(a, 1), kind: 'dots' },
        { name: 'candidate', points: dots(b, 2), kind: 'dots' },
      ],
    });
  });
  const body = `<h1>tokenbench comparison</h1>
<p class="note">baseline ${escapeHtml(c.baseline_run)} (${escapeHtml(baseline.started_at)}), candidate ${escapeHtml(c.candidate_run)} (${escapeHtml(candidate.started_at)}); threshold ${(c.threshold * 100).toFixed(1)}%; a regression is p &lt; ${c.alpha} with the estimated change (Hodges-Lehmann) past the threshold; method per row: unpaired (Mann-Whitney U) or paired by round (t-test of the per-round log ratios; the change is their geometric mean).</p>
<table><tr><th>config</th><th>metric</th><th>baseline p50</th><th>candidate p50</th><th>change [95% CI]</th><th>p (Holm)</th><th>method</th><th>verdict</th></tr>${rows.join('')}</table>
<p><strong>${c.regressions > 0 ? `${c.regressions} significant regression(s)` : 'no significant regression'}</strong></p>
<div class="charts">${charts.join('\n')}</div>
${metadata(candidate)}`;
  return page('tokenbench comparison', body);
}
