/**
 * load --find-max-rate / --find-max-concurrency: the most load a server holds within an SLO. A layer
 * over the load runner: every probe is one whole load value (warmup, measured requests, records,
 * saved as it ends), judged on the chosen percentile of latencies counted from when each request
 * was due, with the percentile's 95% interval, so that the answer says how certain it is.
 */
import { type LoadRequestRecord, type BenchmarkResult, type Capacity, type CapacityCheck, type CapacityPoint, type LoadSettings, type RunResult } from '../results/schema.js';
import type { Slo } from '../results/metrics.js';
import { RunRecorder } from '../results/recorder.js';
import { finiteOrNull, quantileWithOver, sortAscending } from '../results/statistics.js';
import { type Bracket, narrowed, type NextProbe, nextConcurrency, nextRate } from './capacity-search.js';
import { type LoadOptions, runLoadBenchmark } from './load-benchmark.js';
import { type LoadConfig, loadValueConfig, roundSignificant } from './load-config.js';

export interface CapacitySearchSettings {
  search: 'rate' | 'concurrency';
  /** The percentile (0, 100) of each SLO metric that must stay within its limit. */
  percentile: number;
  /** Rate search: done when the bracket is within this fraction of the rate held. */
  precision: number;
  /** Requests in flight in the saturating run, and the highest concurrency a concurrency search tries. */
  saturationConcurrency: number;
  /** --warmup-requests, or null for each probe's default (its concurrency; 8 for an open loop). */
  warmupRequests: number | null;
  /** When neither --requests nor --duration was given: a rate probe sends at least this many seconds of requests. */
  minProbeS: number | null;
  /** Measured requests of a concurrency probe, by its concurrency (default: the base's --requests). */
  requestsAt?: (concurrency: number) => number;
}

/** A rate probe's least length by default: a queue that builds over time needs time to show. */
export const MIN_PROBE_S = 10;

/** Under this a probe is too short to show a queue building, and the result says so. */
const SHORT_PROBE_S = 2;

/** The default rate precision (5% of the rate) and saturating concurrency. */
export const DEFAULT_PRECISION = 0.05;
export const DEFAULT_SATURATION_CONCURRENCY = 64;

/** More probes than any search takes (rate: about log2(1 / precision) + 8, as names round rates to 3 digits; concurrency: 2 log2(limit) + 2). */
export const MAX_PROBES = 64;

/**
 * Measured requests per probe when neither --requests nor --duration is given: enough that about
 * ten requests lie beyond the percentile (1000 for p99, 200 for p95), and at least 100.
 */
export function probeRequests(percentile: number): number {
  // 10 / (1 - P / 100), written so that P = 90 gives 100 exactly
  return Math.max(100, Math.ceil(1000 / (100 - percentile) - 1e-9));
}

const METRICS = [
  ['ttft', 'ttft_ms', 'TTFT'],
  ['tpot', 'tpot_ms', 'TPOT'],
  ['e2e', 'e2e_ms', 'e2e'],
] as const;

/** The limits an SLO sets, in a fixed order. */
function limitsOf(slo: Slo): { metric: CapacityCheck['metric']; label: string; limit: number }[] {
  return METRICS.flatMap(([metric, key, label]) => (slo[key] === null ? [] : [{ metric, label, limit: slo[key] as number }]));
}

/** One probe's latencies as its requests end, kept until it is judged (a probe is thousands of requests, not millions). */
export class ProbeLatencies {
  readonly fromDue: Record<CapacityCheck['metric'], number[]> = { ttft: [], tpot: [], e2e: [] };
  readonly ttftSent: number[] = [];
  readonly e2eSent: number[] = [];
  readonly dispatch: number[] = [];
  readonly perUser: number[] = [];
  records = 0;
  failed = 0;
  good = 0;

  constructor(private readonly slo: Slo) {}

  add(r: LoadRequestRecord): void {
    this.records++;
    if (r.dispatch_delay_ms !== null) this.dispatch.push(r.dispatch_delay_ms);
    if (!r.ok || r.ttft_from_schedule_ms === null || r.e2e_from_schedule_ms === null) {
      this.failed++;
      return;
    }
    this.fromDue.ttft.push(r.ttft_from_schedule_ms);
    this.fromDue.e2e.push(r.e2e_from_schedule_ms);
    if (r.itl_ms !== null) this.fromDue.tpot.push(r.itl_ms);
    if (r.ttft_ms !== null) this.ttftSent.push(r.ttft_ms);
    if (r.e2e_ms !== null) {
      this.e2eSent.push(r.e2e_ms);
      if (r.e2e_ms > 0) this.perUser.push((r.output_tokens * 1000) / r.e2e_ms);
    }
    const within = (value: number | null, limit: number | null): boolean => limit === null || value === null || value <= limit;
    if (within(r.ttft_from_schedule_ms, this.slo.ttft_ms) && within(r.itl_ms, this.slo.tpot_ms) && within(r.e2e_from_schedule_ms, this.slo.e2e_ms)) this.good++;
  }
}

const quantileOf = (values: readonly number[], over: number, q: number): number | null => (values.length + over === 0 ? null : finiteOrNull(quantileWithOver(sortAscending(values), over, q).value));

/** A probe's benchmark and latencies as a point of the search, judged against `slo` at `percentile`. */
export function judgeProbe(probe: number, kind: CapacityPoint['kind'], result: BenchmarkResult, lat: ProbeLatencies, slo: Slo, percentile: number): CapacityPoint {
  const load = result.load;
  const settings = result.config.load;
  // scheduled requests that left no record (the run ended before them) count as failed too
  const requests = Math.max(lat.records, load?.counts.scheduled ?? 0);
  const over = lat.failed + (requests - lat.records);
  const q = percentile / 100;
  const checks: CapacityCheck[] = limitsOf(slo).map(({ metric, limit }) => {
    const values = lat.fromDue[metric];
    const { value, ci95 } = values.length + over === 0 ? { value: Infinity, ci95: [Infinity, Infinity] as [number, number] } : quantileWithOver(sortAscending(values), over, q);
    const holds = value <= limit;
    return { metric, limit_ms: limit, value_ms: finiteOrNull(value), ci95_ms: [finiteOrNull(ci95[0]), finiteOrNull(ci95[1])], holds, sure: holds ? ci95[1] <= limit : ci95[0] > limit };
  });
  const judged = kind !== 'saturation' && result.status !== 'interrupted';
  const dispatchP99 = quantileOf(lat.dispatch, 0, 0.99);
  return {
    probe,
    kind,
    benchmark: result.config.name,
    status: result.status,
    rate_rps: settings?.request_rate ?? null,
    schedule_rate_rps: load?.schedule_rate ?? null,
    concurrency: settings?.concurrency ?? null,
    achieved_rps: load?.achieved_rate ?? null,
    throughput_rps: load?.request_throughput ?? 0,
    output_tokens_per_s: load?.output_throughput ?? 0,
    tokens_per_s_per_user: quantileOf(lat.perUser, 0, 0.5),
    requests,
    failed: over,
    ttft_p50_ms: quantileOf(lat.fromDue.ttft, over, 0.5),
    ttft_p99_ms: quantileOf(lat.fromDue.ttft, over, 0.99),
    e2e_p99_ms: quantileOf(lat.fromDue.e2e, over, 0.99),
    ttft_sent_p99_ms: quantileOf(lat.ttftSent, over, 0.99),
    e2e_sent_p99_ms: quantileOf(lat.e2eSent, over, 0.99),
    dispatch_delay_p99_ms: dispatchP99,
    checks,
    goodput_fraction: requests > 0 ? lat.good / requests : 0,
    holds: judged ? checks.every((c) => c.holds) && lat.records > 0 : null,
    client_warning: clientWarning(load?.client.warning ?? null, dispatchP99, slo, load && load.window_s > 0 ? load.client.cpu_ms / (load.window_s * 1000) : null),
  };
}

/** A client busier than this share of one core may itself be what limits the load it sends. */
const BUSY_CLIENT_SHARE = 0.8;

/** Why the client itself may have moved a probe's latencies: its own lag warning, sends late by a tenth of a limit, or a core nearly used up. */
export function clientWarning(lag: string | null, dispatchP99: number | null, slo: Slo, cpuShare: number | null): string | null {
  const limit = Math.min(slo.ttft_ms ?? Infinity, slo.e2e_ms ?? Infinity);
  const late = dispatchP99 !== null && Number.isFinite(limit) && dispatchP99 > 0.1 * limit ? `the client wrote requests late (dispatch delay p99 ${dispatchP99.toFixed(1)} ms, over a tenth of the ${limit} ms limit): the latencies from when they were due include the client's own delay` : null;
  const busy = cpuShare !== null && cpuShare >= BUSY_CLIENT_SHARE ? `the client used ${(cpuShare * 100).toFixed(0)}% of a core, so it may itself have limited the load: spread it over processes (load --workers)` : null;
  return [lag, late, busy].filter((w) => w !== null).join('; ') || null;
}

/** The probe's value: its rate, or its concurrency. */
const valueOf = (p: CapacityPoint, search: CapacitySearchSettings['search']): number => (search === 'rate' ? (p.rate_rps ?? 0) : (p.concurrency ?? 0));

/** The highest value whose every interval lies within its limit, and the lowest whose interval for some metric lies past its limit. */
export function noiseInterval(points: readonly CapacityPoint[], search: CapacitySearchSettings['search']): [number, number | null] {
  const judged = points.filter((p) => p.holds !== null);
  const surelyHolds = judged.filter((p) => p.checks.every((c) => c.holds && c.sure)).map((p) => valueOf(p, search));
  const surelyFails = judged.filter((p) => p.checks.some((c) => !c.holds && c.sure)).map((p) => valueOf(p, search));
  return [surelyHolds.length > 0 ? Math.max(...surelyHolds) : 0, surelyFails.length > 0 ? Math.min(...surelyFails) : null];
}

const ms = (v: number | null): string => (v === null ? 'past the failed requests' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 100 ? 1 : 0)} ms`);
const limitMs = (v: number): string => (v >= 1000 && v % 100 === 0 ? `${v / 1000} s` : `${v} ms`);

/** "TTFT <= 200 ms and e2e <= 10 s for 99% of requests". */
export function sloWords(slo: Slo, percentile: number): string {
  return `${limitsOf(slo).map((l) => `${l.label} <= ${limitMs(l.limit)}`).join(' and ')} for ${percentile}% of requests (from when each was due)`;
}

/** A probe as one line for the console. */
export function formatPoint(p: CapacityPoint, percentile: number): string {
  const value = p.kind === 'rate' ? `rate ${p.rate_rps} req/s (drawn ${p.schedule_rate_rps?.toFixed(2) ?? '-'}, sent ${p.achieved_rps?.toFixed(2) ?? '-'})` : `concurrency ${p.concurrency}`;
  const head = `probe ${p.probe}${p.kind === 'saturation' ? ' (saturation)' : ''}: ${value}, ${p.throughput_rps.toFixed(2)} req/s done, ${p.output_tokens_per_s.toFixed(0)} out tok/s`;
  if (p.holds === null) return `${head}${p.status !== 'ok' ? `, ${p.status}` : ''}`;
  const label = (m: CapacityCheck['metric']): string => METRICS.find(([k]) => k === m)?.[2] ?? m;
  const checks = p.checks.map((c) => `${label(c.metric)} p${percentile} ${ms(c.value_ms)} [${c.ci95_ms[0] === null ? '-' : ms(c.ci95_ms[0])}, ${c.ci95_ms[1] === null ? '-' : ms(c.ci95_ms[1])}] ${c.holds ? '<=' : '>'} ${limitMs(c.limit_ms)}`);
  return `${head}, ${checks.join(', ')}, goodput ${(p.goodput_fraction * 100).toFixed(1)}%${p.failed > 0 ? `, ${p.failed} of ${p.requests} failed` : ''}: ${p.holds ? 'holds' : 'fails'}`;
}

/** The answer in plain words and what limits it, from where the search stands. */
export function describeCapacity(c: Capacity, requestsPerProbe: string): { answer: string; limit: string | null } {
  const unit = c.search === 'rate' ? 'req/s' : 'users at once';
  const slo = sloWords(c.slo, c.percentile);
  const judged = c.points.filter((p) => p.holds !== null);
  const find = (v: number | null): CapacityPoint | undefined => (v === null ? undefined : judged.find((p) => valueOf(p, c.search) === v));
  const held = find(c.bracket.holds);
  const failed = find(c.bracket.fails);
  const value = c.search === 'rate' ? c.max_rate_rps : c.max_concurrency;
  const how = c.search === 'rate' ? (c.arrival === 'trace' ? " (the trace's own arrivals, replayed faster or slower)" : ` (${c.arrival === 'poisson' ? 'Poisson' : c.arrival} arrivals)`) : ' (closed loop)';
  let answer: string;
  if (c.status === 'failed') answer = `no answer: the saturating run (${c.saturation_concurrency} in flight) completed no request; see its error above`;
  else if (c.status === 'interrupted') answer = `interrupted: ${c.bracket.holds === null ? 'no value had held yet' : `${c.bracket.holds} ${unit} held`}${c.bracket.fails === null ? '' : `, ${c.bracket.fails} ${unit} failed`}`;
  else if (c.status === 'none_holds') answer = `no load holds ${slo}: it failed even at ${c.bracket.fails} ${unit}`;
  else if (c.status === 'holds_at_limit') answer = `capacity: at least ${value} ${unit}${how} with ${slo}; it held at the most the search tries (${c.search === 'rate' ? 'the saturated throughput' : '--saturation-concurrency'})`;
  else answer = `capacity: ${value} ${unit}${how} with ${slo}`;
  if (c.interval && (c.status === 'found' || c.status === 'holds_at_limit')) {
    const [lo, hi] = c.interval;
    answer += `; the noise of p${c.percentile} over ${requestsPerProbe} per probe puts it between ${lo} and ${hi === null ? 'beyond the values probed' : `${hi} ${unit}`}`;
    if (value !== null && lo < value) answer += ` (more requests per probe, --requests, narrow this)`;
  }
  if (!failed) return { answer, limit: c.status === 'holds_at_limit' && c.search === 'rate' ? 'throughput, not latency: the SLO held at the rate the server completes when saturated' : null };
  const label = (m: CapacityCheck['metric']): string => METRICS.find(([k]) => k === m)?.[2] ?? m;
  const broken = failed.checks.filter((ch) => !ch.holds).map((ch) => {
    const before = held?.checks.find((h) => h.metric === ch.metric);
    return `${label(ch.metric)} p${c.percentile} ${ms(ch.value_ms)} > ${limitMs(ch.limit_ms)}${before ? ` (${ms(before.value_ms)} at ${valueOf(held as CapacityPoint, c.search)})` : ''}`;
  });
  const parts = [`at ${valueOf(failed, c.search)} ${unit}: ${broken.join(', ')}`];
  if (failed.failed > 0) parts.push(`${failed.failed} of ${failed.requests} requests failed or were never sent`);
  if (held && held.ttft_p50_ms !== null && failed.ttft_p50_ms !== null && failed.ttft_p50_ms > 1.5 * held.ttft_p50_ms) {
    parts.push(`the median TTFT rises from ${ms(held.ttft_p50_ms)} to ${ms(failed.ttft_p50_ms)}: requests wait in the server's queue before their prefill`);
  }
  if (c.search === 'concurrency' && held && failed.throughput_rps < 1.15 * held.throughput_rps) {
    parts.push(`throughput stops growing past ${valueOf(held, c.search)} in flight (${held.throughput_rps.toFixed(2)} req/s there, ${failed.throughput_rps.toFixed(2)} at ${valueOf(failed, c.search)}): more users only queue`);
  }
  if (c.search === 'rate' && c.saturation_rps !== null && c.saturation_rps > 0) {
    parts.push(`the server completes at most ${c.saturation_rps.toFixed(2)} req/s when saturated (concurrency ${c.saturation_concurrency}); ${valueOf(failed, c.search)} req/s is ${((valueOf(failed, c.search) / c.saturation_rps) * 100).toFixed(0)}% of it`);
  }
  if (failed.client_warning) parts.push(`but the client may have moved this probe: ${failed.client_warning}`);
  return { answer, limit: parts.join('; ') };
}

/**
 * Runs the search from `base` (its arrivals, lengths, prompts, requests or duration per probe),
 * each probe a benchmark of `run` saved as it ends with `run.capacity` as it stands.
 */
export async function findCapacity(base: LoadConfig, settings: CapacitySearchSettings, options: LoadOptions, run: RunResult): Promise<Capacity> {
  const s = base.load;
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => options.progress.message(text), unsaved: options.unsaved });
  const capacity: Capacity = {
    search: settings.search,
    status: 'interrupted',
    percentile: settings.percentile,
    slo: s.slo,
    precision: settings.precision,
    arrival: settings.search === 'rate' ? s.arrival : null,
    max_rate_rps: null,
    max_concurrency: null,
    interval: null,
    saturation_rps: null,
    saturation_concurrency: settings.saturationConcurrency,
    bracket: { holds: null, fails: null },
    answer: 'the search has not ended',
    limit: null,
    notes: [],
    points: [],
  };
  run.capacity = capacity;
  let bracket: Bracket = { holds: null, fails: null };

  const probe = async (kind: CapacityPoint['kind'], load: LoadSettings): Promise<CapacityPoint> => {
    const config = loadValueConfig(base, load);
    const position = run.benchmarks.length;
    options.progress.start(position, 0, config.name, load.requests);
    const lat = new ProbeLatencies(s.slo);
    const result = await runLoadBenchmark(config, { ...options, observe: (r) => lat.add(r) }, position);
    options.progress.end(result);
    const point = judgeProbe(position + 1, kind, result, lat, s.slo, settings.percentile);
    capacity.points.push(point);
    if (point.holds !== null) bracket = narrowed(bracket, valueOf(point, settings.search), point.holds);
    capacity.bracket = { ...bracket };
    await recorder.add(result);
    options.progress.message(formatPoint(point, settings.percentile));
    return point;
  };
  const closed = (concurrency: number): LoadSettings => ({ ...s, mode: 'closed', concurrency, request_rate: null, max_concurrency: null, warmup_requests: settings.warmupRequests ?? concurrency, ...(settings.requestsAt ? { requests: settings.requestsAt(concurrency) } : {}) });
  // a probe offers the rate it names: a count-bounded draw is scaled to it (a Poisson draw of 150
  // requests is otherwise 10% off by chance, the same way at every rate of one seed)
  const open = (rate: number): LoadSettings =>
    s.trace
      ? // a trace is replayed whole at each rate, its shape kept: faster or slower by its speed
        { ...s, request_rate: rate, trace: { ...s.trace, speed: roundSignificant((s.trace.speed * rate) / (s.request_rate ?? rate), 4) }, warmup_requests: settings.warmupRequests ?? 0 }
      : {
          ...s,
          mode: 'open',
          request_rate: rate,
          concurrency: null,
          requests: settings.minProbeS !== null && s.requests !== null ? Math.max(s.requests, Math.ceil(rate * settings.minProbeS)) : s.requests,
          warmup_requests: settings.warmupRequests ?? 8,
          ...(s.duration_s === null ? { exact_rate: true } : {}),
        };

  let outcome: NextProbe = { value: 0 };
  if (settings.search === 'rate') {
    // what it completed when saturated counts even if some requests failed there (timeouts at 64 in flight, say)
    const saturation = await probe('saturation', closed(settings.saturationConcurrency));
    capacity.saturation_rps = saturation.status !== 'interrupted' && saturation.throughput_rps > 0 ? saturation.throughput_rps : null;
  }
  const probed = new Set<number>();
  while (!options.signal?.aborted && !(capacity.saturation_rps === null && settings.search === 'rate')) {
    outcome = settings.search === 'rate' ? nextRate(bracket, capacity.saturation_rps as number, settings.precision) : nextConcurrency(bracket, settings.saturationConcurrency);
    if ('done' in outcome) break;
    const value = settings.search === 'rate' ? roundSignificant(outcome.value) : outcome.value;
    // a rate rounded onto one already probed: the bracket is as narrow as names can tell
    if (probed.has(value)) {
      outcome = { done: 'found' };
      break;
    }
    probed.add(value);
    await probe(settings.search, settings.search === 'rate' ? open(value) : closed(value));
  }
  if (options.signal?.aborted) capacity.status = 'interrupted';
  else if (settings.search === 'rate' && capacity.saturation_rps === null) capacity.status = 'failed';
  else capacity.status = 'done' in outcome ? outcome.done : 'interrupted';
  const best = capacity.status === 'none_holds' ? 0 : bracket.holds;
  if (settings.search === 'rate') capacity.max_rate_rps = best;
  else capacity.max_concurrency = best;
  capacity.interval = capacity.points.some((p) => p.holds !== null) ? noiseInterval(capacity.points, settings.search) : null;
  // what the probes really measured (the requests of each, by value, can differ)
  const counts = capacity.points.filter((p) => p.holds !== null).map((p) => p.requests);
  const [fewest, most] = [Math.min(...counts), Math.max(...counts)];
  const perProbe = counts.length === 0 ? 'the requests' : fewest === most ? `${fewest} requests` : `${fewest} to ${most} requests`;
  Object.assign(capacity, describeCapacity(capacity, perProbe));
  const short = run.benchmarks.filter((b) => b.config.load?.mode === 'open' && b.load && b.load.window_s < SHORT_PROBE_S).map((b) => b.config.load?.request_rate);
  if (short.length > 0) capacity.notes.push(`the probes at ${short.join(', ')} req/s lasted under ${SHORT_PROBE_S} s: a queue that builds over time had no time to show, so they may hold where a longer run would not; give more --requests or a --duration`);
  await recorder.finish();
  return capacity;
}
