/**
 * Comparing two runs: configs matched by hash (or paired by name), and per metric the medians,
 * the relative change (Hodges-Lehmann estimate of the ratio, with its distribution-free 95%
 * interval), a rank test's p-value and a verdict against a threshold. A regression is a
 * significant change (p < 0.05) whose estimate lies past the threshold in the bad direction: the
 * rule chosen by simulation (bench/verdict-power.ts, docs/results.md) for at least 80% power at
 * +10%, n = 20, sigma 0.1, and at most 5% false positives. Samples paired by round (an interleaved
 * run) are compared round by round (a t-test of the per-round log ratios), so drift shared by both
 * sides cancels.
 */
import { requestMeasure } from '../results/load-summary.js';
import type { IterationMetrics } from '../results/metrics.js';
import { hasRequestRecords, requestRecords } from '../results/request-records.js';
import type { BenchmarkResult, LoadRequestRecord, RunResult } from '../results/schema.js';
import { detectableChange, finiteOrNull, hodgesLehmannShift, holmAdjusted, logSigma, mannWhitneyU, medianSorted, pairedDetectableChange, pairedTTest, roundsToDetect, samplesToDetect, sortAscending, variance } from '../results/statistics.js';
import { InputError } from '../util/errors.js';

const requestSamples = new WeakMap<BenchmarkResult, readonly IterationMetrics[]>();

/** The compared metrics of one request that succeeded with N >= 2 tokens (its token stamps are not kept: a run may have millions). */
function requestSample(r: LoadRequestRecord): IterationMetrics | null {
  const m = requestMeasure(r);
  return m && { ...m, token_ms: [] };
}

/** Reads the requests of every load run of `run`, one at a time from wherever they are, into the samples compare uses. */
export async function readRequestSamples(run: RunResult): Promise<void> {
  for (const b of run.benchmarks) {
    if (!hasRequestRecords(b) || requestSamples.has(b)) continue;
    const samples: IterationMetrics[] = [];
    for await (const r of requestRecords(b)) {
      const m = requestSample(r);
      if (m) samples.push(m);
    }
    requestSamples.set(b, samples);
  }
}

/** The samples a benchmark is compared on: its iterations, or a load run's successful requests (inline ones derived here, others read by readRequestSamples). */
function samplesOf(b: BenchmarkResult): readonly IterationMetrics[] {
  if (!hasRequestRecords(b)) return b.iterations;
  let samples = requestSamples.get(b);
  if (samples) return samples;
  if (!b.requests) throw new Error(`internal: the requests of ${b.config.name} were not read (readRequestSamples)`);
  samples = b.requests.flatMap((r) => requestSample(r) ?? []);
  requestSamples.set(b, samples);
  return samples;
}

export const COMPARED_METRICS: readonly { key: keyof IterationMetrics; label: string; lowerIsBetter: boolean }[] = [
  { key: 'ttft_ms', label: 'TTFT ms', lowerIsBetter: true },
  { key: 'itl_ms', label: 'ITL ms', lowerIsBetter: true },
  { key: 'e2e_ms', label: 'e2e ms', lowerIsBetter: true },
  { key: 'tokens_per_s', label: 'tokens/s', lowerIsBetter: false },
  { key: 'decode_tokens_per_s', label: 'decode tokens/s', lowerIsBetter: false },
];

export type Verdict = 'faster' | 'slower' | 'no significant change' | 'too noisy';

/** How two sides were compared: unpaired (Mann-Whitney U, Hodges-Lehmann) or paired by round (t-test of log ratios). */
export type ComparisonMethod = 'unpaired' | 'paired';

export interface MetricComparison {
  metric: string;
  label: string;
  method: ComparisonMethod;
  baseline_median: number;
  candidate_median: number;
  /**
   * The candidate's ratio to the baseline minus 1: unpaired, the Hodges-Lehmann shift of the logs;
   * paired, the geometric mean of the per-round ratios.
   */
  change: number;
  /** Its 95% interval (the one that inverts the method's test). */
  change_ci95: [number, number];
  p_value: number;
  /** p_value adjusted by Holm over the metrics of its pair, which are judged together; the verdict uses it. */
  p_holm: number;
  verdict: Verdict;
  /** The spread the comparison saw: the log-scale sigma of one sample (unpaired, pooled over both sides) or of one round's log ratio (paired). */
  log_sigma: number;
  /** The smallest true change these sample counts find significant 80% of the time, at that spread; null where they can find none significant. */
  detectable_change: number | null;
}

/** The client against the server's own timings on one side (medians), where the server sent them. */
export interface ServerCheckBrief {
  ttft_client_minus_server_ms: number;
  itl_client_over_server: number;
  retries: number;
  prompt_mismatches: number;
  cache_contradictions: number;
}

export interface PairComparison {
  baseline: string;
  candidate: string;
  hash_match: boolean;
  n_baseline: number;
  n_candidate: number;
  metrics: MetricComparison[];
  /** Requests to a server: the standing check of the client against the server, each side; absent otherwise. */
  server_check?: { baseline: ServerCheckBrief | null; candidate: ServerCheckBrief | null };
  /** The engine's version and settings where the two sides differ (a change may come from them, not the code): name, baseline, candidate. */
  settings_differ: [string, string, string][];
}

/** The browser's facts that make a run what it is (engine.browser), by the names `compare` prints. */
function browserSettings(b: BenchmarkResult): Record<string, string> {
  const p = b.engine?.browser;
  if (!p) return {};
  const gpu = p.webgpu ? `${p.webgpu.vendor} ${p.webgpu.architecture}${p.webgpu.fallback ? ' (fallback)' : ''}` : 'none';
  return { browser: p.browser, wasm_build: p.wasm_build, wasm_threads: String(p.threads), cross_origin_isolated: String(p.cross_origin_isolated), webgpu_adapter: gpu };
}

/** The engine's version and recorded settings (engine.settings, and the browser's for the browser engine) in which two benchmarks differ, by name. */
export function settingsDiffer(x: BenchmarkResult, y: BenchmarkResult): [string, string, string][] {
  const of = (b: BenchmarkResult): Record<string, string> => ({
    ...(b.engine ? { engine_version: b.engine.version } : {}),
    ...Object.fromEntries(Object.entries(b.engine?.settings ?? {}).map(([k, v]) => [k, String(v)])),
    ...browserSettings(b),
  });
  const [a, b] = [of(x), of(y)];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => [k, a[k] ?? '(none)', b[k] ?? '(none)']);
}

function serverCheckBrief(b: BenchmarkResult): ServerCheckBrief | null {
  const c = b.server_check;
  if (!c?.ttft_client_minus_server_ms || !c.itl_client_over_server) return null;
  return {
    ttft_client_minus_server_ms: c.ttft_client_minus_server_ms.p50,
    itl_client_over_server: c.itl_client_over_server.p50,
    retries: c.retries,
    prompt_mismatches: c.prompt_mismatches,
    cache_contradictions: c.cache_contradictions,
  };
}

export interface Comparison {
  baseline_run: string;
  candidate_run: string;
  threshold: number;
  alpha: number;
  pairs: PairComparison[];
  /** Configs present on one side only; configs on both sides left out for fewer than 2 samples on a side. */
  unmatched: { baseline: string[]; candidate: string[]; too_few_samples: string[] };
  regressions: number;
}

/** The verdict rule: significant, and the estimated change past the threshold in the metric's bad (or good) direction. */
export function verdictOf(change: number, p: number, lowerIsBetter: boolean, threshold: number, alpha = 0.05): Verdict {
  if (!(p < alpha)) return 'no significant change';
  const slower = lowerIsBetter ? change > threshold : change < -threshold;
  const faster = lowerIsBetter ? change < -threshold : change > threshold;
  return slower ? 'slower' : faster ? 'faster' : 'no significant change';
}

/**
 * The verdict, held back where the runs are too noisy for the threshold: a significant change past
 * it, from runs that could not reliably detect a change of the threshold's size, is `too noisy`
 * unless its whole interval lies past the threshold. Few, noisy rounds make p < 0.05 by chance
 * more often than 5% (their spread is rarely normal), and such a "regression" is mostly noise.
 */
export function noiseGuardedVerdict(verdict: Verdict, ci95: readonly [number, number], detectable: number | null, threshold: number): Verdict {
  if (verdict !== 'slower' && verdict !== 'faster') return verdict;
  if (detectable !== null && detectable <= threshold) return verdict;
  const [lo, hi] = ci95;
  return lo > threshold || hi < -threshold ? verdict : 'too noisy';
}

const ratio = (logShift: number): number => Math.exp(logShift) - 1;

/**
 * The metrics of one pair judged together: a pair is called slower when any metric is, so each
 * metric's p is adjusted by Holm over the pair's metrics and the verdict taken from that (five
 * metrics at 5% each would call a change by chance far more often than 5%).
 */
function judgedTogether(metrics: MetricComparison[], threshold: number, alpha = 0.05): MetricComparison[] {
  const adjusted = holmAdjusted(metrics.map((m) => m.p_value));
  return metrics.map((m, i) => {
    const p = adjusted[i] as number;
    const lowerIsBetter = COMPARED_METRICS.find((c) => c.key === m.metric)?.lowerIsBetter ?? true;
    return { ...m, p_holm: p, verdict: noiseGuardedVerdict(verdictOf(m.change, p, lowerIsBetter, threshold, alpha), m.change_ci95, m.detectable_change, threshold) };
  });
}

/** One metric's comparison of two independent samples (positive values). */
export function compareSamples(a: readonly number[], b: readonly number[], lowerIsBetter: boolean, threshold: number, alpha = 0.05): Omit<MetricComparison, 'metric' | 'label'> {
  const hl = hodgesLehmannShift(a.map(Math.log), b.map(Math.log));
  const change = ratio(hl.estimate);
  const { p } = mannWhitneyU(a, b);
  // pooled: each side's own spread, weighted by its degrees of freedom
  const sigma = Math.sqrt(((a.length - 1) * logSigma(a) ** 2 + (b.length - 1) * logSigma(b) ** 2) / (a.length + b.length - 2));
  const ci95: [number, number] = [ratio(hl.ci95[0]), ratio(hl.ci95[1])];
  const detectable = finiteOrNull(detectableChange(sigma, a.length, b.length));
  return {
    method: 'unpaired',
    baseline_median: medianSorted(sortAscending(a)),
    candidate_median: medianSorted(sortAscending(b)),
    change,
    change_ci95: ci95,
    p_value: p,
    p_holm: p,
    verdict: noiseGuardedVerdict(verdictOf(change, p, lowerIsBetter, threshold, alpha), ci95, detectable, threshold),
    log_sigma: sigma,
    detectable_change: detectable,
  };
}

/** One metric's comparison of samples paired by round (a[i] and b[i] measured in the same round). */
export function comparePairedSamples(a: readonly number[], b: readonly number[], lowerIsBetter: boolean, threshold: number, alpha = 0.05): Omit<MetricComparison, 'metric' | 'label'> {
  const logRatios = a.map((x, i) => Math.log((b[i] as number) / x));
  const t = pairedTTest(logRatios);
  const sigma = Math.sqrt(variance(logRatios));
  const change = ratio(t.estimate);
  const ci95: [number, number] = [ratio(t.ci95[0]), ratio(t.ci95[1])];
  const detectable = finiteOrNull(pairedDetectableChange(sigma, logRatios.length));
  return {
    method: 'paired',
    baseline_median: medianSorted(sortAscending(a)),
    candidate_median: medianSorted(sortAscending(b)),
    change,
    change_ci95: ci95,
    p_value: t.p,
    p_holm: t.p,
    verdict: noiseGuardedVerdict(verdictOf(change, t.p, lowerIsBetter, threshold, alpha), ci95, detectable, threshold),
    log_sigma: sigma,
    detectable_change: detectable,
  };
}

/**
 * Runs made in rounds (examples/ci/gate.sh: base and head take turns, one run each per round), as
 * one run whose iteration i holds round i's median of each metric, so that compareRuns with
 * `byRound` pairs the sides round by round and load that changes between rounds hits both alike.
 * The configs are those every round has (by hash).
 */
export function runOfRounds(rounds: readonly RunResult[]): RunResult {
  const first = rounds[0];
  if (!first) throw new RangeError('no round');
  const benchmarks = first.benchmarks.flatMap((b) => {
    const perRound = rounds.map((r) => r.benchmarks.find((x) => x.config.hash === b.config.hash && x.status === 'ok'));
    if (perRound.some((x) => x === undefined || samplesOf(x).length === 0)) return [];
    const iterations = (perRound as BenchmarkResult[]).map((x, round) => {
      const samples = samplesOf(x);
      const median = (key: keyof IterationMetrics): number => medianSorted(sortAscending(samples.map((it) => it[key] as number)));
      const metrics = Object.fromEntries(COMPARED_METRICS.map((m) => [m.key, median(m.key)]));
      return { ...(b.iterations[0] as BenchmarkResult['iterations'][number]), ...metrics, index: round, token_ms: [] };
    });
    const merged: BenchmarkResult = { ...b, iterations };
    delete merged.requests;
    delete merged.request_count;
    delete merged.requests_file;
    return [merged];
  });
  return { ...first, benchmarks, interleaved: true };
}

/** A value a change can be a ratio of. */
const usable = (v: number): boolean => Number.isFinite(v) && v > 0;

/** One metric of two configs of an interleaved run, round by round: the rounds where both have a usable value. */
function roundPairs(x: BenchmarkResult, y: BenchmarkResult, key: keyof IterationMetrics): [number[], number[]] {
  const candidate = new Map(y.iterations.map((it) => [it.index, it[key] as number]));
  const a: number[] = [];
  const b: number[] = [];
  for (const it of x.iterations) {
    const other = candidate.get(it.index);
    if (other !== undefined && usable(it[key] as number) && usable(other)) {
      a.push(it[key] as number);
      b.push(other);
    }
  }
  return [a, b];
}

/**
 * Matches configs by hash, then explicit `NAME_A=NAME_B` pairs; throws when nothing matches. Two
 * configs of one interleaved run (`run --interleave`) are compared paired by round, others unpaired.
 */
export function compareRuns(baseline: RunResult, candidate: RunResult, options: { threshold: number; pairs?: string[]; byRound?: boolean }): Comparison {
  const ok = (r: RunResult): BenchmarkResult[] => r.benchmarks.filter((b) => samplesOf(b).length >= 2);
  const base = ok(baseline);
  const cand = ok(candidate);
  const matched: [BenchmarkResult, BenchmarkResult, boolean][] = [];
  if (options.pairs && options.pairs.length > 0) {
    for (const p of options.pairs) {
      // names may hold '=' themselves (engine options, custom shapes): split where both halves name a config
      let found: [BenchmarkResult, BenchmarkResult] | undefined;
      for (let i = p.indexOf('='); i > 0 && !found; i = p.indexOf('=', i + 1)) {
        const x = base.find((r) => r.config.name === p.slice(0, i));
        const y = cand.find((r) => r.config.name === p.slice(i + 1));
        if (x && y) found = [x, y];
      }
      if (!found) {
        const names = (side: BenchmarkResult[]): string => side.map((b) => b.config.name).join(', ') || 'none';
        throw new InputError('usage', `compare: --pair ${p}: no split NAME_A=NAME_B names a baseline config and a candidate config with at least 2 measured iterations (baseline: ${names(base)}; candidate: ${names(cand)})`);
      }
      matched.push([found[0], found[1], found[0].config.hash === found[1].config.hash]);
    }
  } else {
    for (const x of base) {
      const y = cand.find((r) => r.config.hash === x.config.hash);
      if (y) matched.push([x, y, true]);
    }
  }
  if (matched.length === 0) {
    // (named pairs either all matched or threw above.) The same configs on both sides, but too few
    // samples to compare, since none matched: say that, not "nothing in common"
    const thin = baseline.benchmarks.filter((x) => candidate.benchmarks.some((y) => y.config.hash === x.config.hash));
    if (thin.length > 0) {
      throw new InputError('usage', `compare: ${thin.map((b) => b.config.name).join(', ')}: on both sides, but a comparison needs at least 2 measured iterations (or successful requests) on each; run more --iterations`);
    }
    throw new InputError(
      'usage',
      `compare: the two sides have no config in common (by hash); pair configs by name with --pair NAME_A=NAME_B (baseline: ${base.map((b) => b.config.name).join(', ') || 'none'})`,
    );
  }
  // two configs of one interleaved run, or sides run in turns (runOfRounds): iteration i of each was measured in round i, side by side
  const byRound = options.byRound === true || (baseline.run_id === candidate.run_id && baseline.interleaved === true && candidate.interleaved === true);
  const pairs = matched.map(([x, y, hashMatch]) => ({
    baseline: x.config.name,
    candidate: y.config.name,
    hash_match: hashMatch,
    n_baseline: samplesOf(x).length,
    n_candidate: samplesOf(y).length,
    // a metric with fewer than 2 positive finite values on a side (a rate over no time) is not
    // compared: changes are ratios
    metrics: judgedTogether(COMPARED_METRICS.flatMap((m) => {
      if (byRound && !hasRequestRecords(x) && !hasRequestRecords(y)) {
        const [a, b] = roundPairs(x, y, m.key);
        return a.length >= 2 ? [{ metric: m.key, label: m.label, ...comparePairedSamples(a, b, m.lowerIsBetter, options.threshold) }] : [];
      }
      const a = samplesOf(x).map((it) => it[m.key] as number).filter(usable);
      const b = samplesOf(y).map((it) => it[m.key] as number).filter(usable);
      return a.length >= 2 && b.length >= 2 ? [{ metric: m.key, label: m.label, ...compareSamples(a, b, m.lowerIsBetter, options.threshold) }] : [];
    }), options.threshold),
    ...(x.server_check || y.server_check ? { server_check: { baseline: serverCheckBrief(x), candidate: serverCheckBrief(y) } } : {}),
    settings_differ: settingsDiffer(x, y),
  }));
  // one run against itself (configs paired inside it): a config is unmatched only if no pair uses it
  const sameRun = baseline.run_id === candidate.run_id;
  const usedNames = new Set(matched.flatMap(([x, y]) => [x.config.name, y.config.name]));
  const usedA = new Set(sameRun ? base.filter((b) => usedNames.has(b.config.name)) : matched.map(([x]) => x));
  const usedB = new Set(sameRun ? cand.filter((b) => usedNames.has(b.config.name)) : matched.map(([, y]) => y));
  // by hash, a config the other side has but could not compare (too few samples) is not "one side only"
  const pairedByName = options.pairs !== undefined && options.pairs.length > 0;
  const onOtherSide = (b: BenchmarkResult, other: RunResult): boolean => !pairedByName && other.benchmarks.some((o) => o.config.hash === b.config.hash);
  const tooFew = [...baseline.benchmarks, ...candidate.benchmarks].filter((b) => !usedA.has(b) && !usedB.has(b) && onOtherSide(b, baseline.benchmarks.includes(b) ? candidate : baseline));
  return {
    baseline_run: baseline.run_id,
    candidate_run: candidate.run_id,
    threshold: options.threshold,
    alpha: 0.05,
    pairs,
    unmatched: {
      baseline: base.filter((b) => !usedA.has(b) && !onOtherSide(b, candidate)).map((b) => b.config.name),
      candidate: cand.filter((b) => !usedB.has(b) && !onOtherSide(b, baseline)).map((b) => b.config.name),
      too_few_samples: [...new Set(tooFew.map((b) => b.config.name))],
    },
    regressions: pairs.reduce((n, p) => n + p.metrics.filter((m) => m.verdict === 'slower').length, 0),
  };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4));

function rows(c: Comparison): string[][] {
  return c.pairs.flatMap((p) =>
    p.metrics.map((m) => [
      p.baseline === p.candidate ? p.baseline : `${p.baseline} -> ${p.candidate}`,
      m.label,
      num(m.baseline_median),
      num(m.candidate_median),
      `${pct(m.change)} [${pct(m.change_ci95[0])}, ${pct(m.change_ci95[1])}]`,
      m.p_holm < 0.0001 ? '<0.0001' : m.p_holm.toFixed(4),
      m.method,
      m.verdict,
    ]),
  );
}

const HEADER = ['config', 'metric', 'baseline p50', 'candidate p50', 'change [95% CI]', 'p (Holm)', 'method', 'verdict'];

/** What the method column means, under every table. */
const METHODS = 'unpaired: change is the Hodges-Lehmann ratio with its 95% interval, p from Mann-Whitney U; paired (by round): change is the geometric mean of per-round ratios, p from a t-test of their logs; p is adjusted by Holm over the metrics of a pair, which are judged together';

/** One line per pair with a server check: client minus server on each side, and what to look at. */
function serverCheckLines(c: Comparison): string[] {
  const side = (s: ServerCheckBrief | null): string => (s ? `TTFT ${s.ttft_client_minus_server_ms.toFixed(2)} ms, ITL ${pct(s.itl_client_over_server - 1)}` : 'no server timings');
  return c.pairs.flatMap((p) => {
    if (!p.server_check) return [];
    const { baseline, candidate } = p.server_check;
    const issues = [baseline, candidate].flatMap((s, i) => {
      if (!s) return [];
      const which = i === 0 ? 'baseline' : 'candidate';
      return [
        ...(s.prompt_mismatches > 0 ? [`${which}: ${s.prompt_mismatches} prompt mismatches`] : []),
        ...(s.cache_contradictions > 0 ? [`${which}: ${s.cache_contradictions} cache reports against the prompt reuse asked`] : []),
        ...(s.retries > 0 ? [`${which}: ${s.retries} retries`] : []),
      ];
    });
    const name = p.baseline === p.candidate ? p.baseline : `${p.baseline} -> ${p.candidate}`;
    return [`${name}: client minus server p50: ${side(baseline)} -> ${side(candidate)}${issues.length > 0 ? `; ${issues.join('; ')}` : ''}`];
  });
}

/**
 * Per pair, the metrics whose runs could not detect a change of the threshold's size 80% of the
 * time, and how many iterations a side (or rounds) would.
 */
function noiseLines(c: Comparison): string[] {
  if (!(c.threshold > 0)) return [];
  return c.pairs.flatMap((p) => {
    const noisy = p.metrics.filter((m) => m.detectable_change === null || m.detectable_change > c.threshold);
    if (noisy.length === 0) return [];
    const name = p.baseline === p.candidate ? p.baseline : `${p.baseline} -> ${p.candidate}`;
    const rounds = noisy.some((m) => m.method === 'paired');
    const counts = rounds ? `${Math.min(p.n_baseline, p.n_candidate)} rounds` : p.n_baseline === p.n_candidate ? `${p.n_baseline} iterations a side` : `${p.n_baseline} and ${p.n_candidate} iterations`;
    const each = noisy.map((m) => {
      const needed = m.method === 'paired' ? `${roundsToDetect(m.log_sigma, c.threshold)} rounds` : `${samplesToDetect(m.log_sigma, c.threshold)} a side`;
      const detects = m.detectable_change === null ? 'can find no change significant' : `detects ${pct(m.detectable_change).slice(1)} or more 80% of the time`;
      return `${m.label} (log sigma ${m.log_sigma.toFixed(3)}) ${detects}; ${needed} would detect ${(100 * c.threshold).toFixed(1)}%`;
    });
    return [`too noisy for the ${(100 * c.threshold).toFixed(1)}% threshold: ${name}, ${counts}: ${each.join('; ')}`];
  });
}

/** One line per pair whose engine version or settings differ: what else changed beside the code. */
function settingsLines(c: Comparison): string[] {
  return c.pairs.flatMap((p) => {
    if (p.settings_differ.length === 0) return [];
    const name = p.baseline === p.candidate ? p.baseline : `${p.baseline} -> ${p.candidate}`;
    // a long value (system_info) is cut: the line says it differs; --format json has it whole
    const short = (v: string): string => (v.length > 40 ? `${v.slice(0, 37)}...` : v);
    return [`settings differ: ${name}: ${p.settings_differ.map(([k, a, b]) => `${k} ${short(a)} -> ${short(b)}`).join('; ')}`];
  });
}

function footer(c: Comparison): string {
  const verdict = c.regressions > 0 ? `${c.regressions} significant regression(s) past ${(c.threshold * 100).toFixed(1)}%` : `no significant regression past ${(c.threshold * 100).toFixed(1)}%`;
  const unmatched = [
    ...c.unmatched.baseline.map((n) => `baseline only: ${n}`),
    ...c.unmatched.candidate.map((n) => `candidate only: ${n}`),
    ...c.unmatched.too_few_samples.map((n) => `not compared, fewer than 2 samples on a side: ${n}`),
  ];
  return [verdict, METHODS, ...noiseLines(c), ...settingsLines(c), ...unmatched, ...serverCheckLines(c)].join('\n');
}

export function formatComparisonText(c: Comparison, table: (h: string[], r: string[][]) => string): string {
  return `${table(HEADER, rows(c))}\n\n${footer(c)}`;
}

export function formatComparisonMarkdown(c: Comparison): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`, ...rows(c).map((r) => `| ${r.map(esc).join(' | ')} |`)];
  return [`### tokenbench: ${c.candidate_run.slice(0, 8)} vs ${c.baseline_run.slice(0, 8)}`, '', ...lines, '', footer(c).split('\n').join('  \n')].join('\n');
}
