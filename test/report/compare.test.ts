/**
 * compareRuns and its tables on hand-made runs: which configs meet, which metrics are compared and
 * in which direction, what is refused, and the text and markdown a user reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrowserFacts } from '../../src/engines/engine.js';
import { COMPARED_METRICS, compareRuns, compareSamples, formatComparisonMarkdown, formatComparisonText, type MetricComparison, verdictOf } from '../../src/report/compare.js';
import { roundsToDetect, samplesToDetect } from '../../src/results/statistics.js';
import type { BenchmarkResult, LoadRequestRecord, RunResult } from '../../src/results/schema.js';
import { InputError } from '../../src/util/errors.js';

/** An iteration whose latencies scale with `scale` and whose rates scale with 1 / scale. */
const iteration = (scale: number, decodeRate = 50 / scale): Record<string, unknown> => ({
  e2e_ms: 100 * scale,
  ttft_ms: 10 * scale,
  itl_ms: 2 * scale,
  token_ms: [],
  tokens_per_s: 80 / scale,
  decode_tokens_per_s: decodeRate,
});

/** 20 scales around 1 with a spread of a few percent, no two alike. */
const SPREAD = Array.from({ length: 20 }, (_, i) => 1 + ((i * 7) % 20) / 400);

function benchmark(name: string, hash: string, scales: readonly number[], extra: Record<string, unknown> = {}): BenchmarkResult {
  return { config: { name, hash }, status: 'ok', iterations: scales.map((s) => iteration(s)), ...extra } as unknown as BenchmarkResult;
}

function runOf(runId: string, ...benchmarks: BenchmarkResult[]): RunResult {
  return { run_id: runId, benchmarks } as unknown as RunResult;
}

const slower = SPREAD.map((s) => s * 1.2);

test('configs meet by hash; every metric is judged in its own direction; one-sided and thin configs are listed or left out', () => {
  const baseline = runOf('aaaaaaaa-1', benchmark('same', 'h1', SPREAD), benchmark('only-baseline', 'h2', SPREAD), benchmark('thin', 'h3', [1]));
  const candidate = runOf('bbbbbbbb-2', benchmark('same', 'h1', slower), benchmark('only-candidate', 'h4', SPREAD), benchmark('thin', 'h3', [1, 1.1]));
  const c = compareRuns(baseline, candidate, { threshold: 0.05 });
  assert.equal(c.baseline_run, 'aaaaaaaa-1');
  assert.equal(c.candidate_run, 'bbbbbbbb-2');
  assert.equal(c.threshold, 0.05);
  assert.equal(c.alpha, 0.05);
  assert.equal(c.pairs.length, 1);
  const [pair] = c.pairs;
  assert.deepEqual([pair?.baseline, pair?.candidate, pair?.hash_match, pair?.n_baseline, pair?.n_candidate], ['same', 'same', true, 20, 20]);
  // latencies up 20% and rates down by 1/1.2: all five are regressions
  assert.deepEqual(pair?.metrics.map((m) => [m.metric, m.verdict, m.method]), [
    ['ttft_ms', 'slower', 'unpaired'],
    ['itl_ms', 'slower', 'unpaired'],
    ['e2e_ms', 'slower', 'unpaired'],
    ['tokens_per_s', 'slower', 'unpaired'],
    ['decode_tokens_per_s', 'slower', 'unpaired'],
  ]);
  for (const m of pair?.metrics ?? []) {
    const expected = m.metric.endsWith('per_s') ? 1 / 1.2 - 1 : 0.2;
    assert.ok(Math.abs(m.change - expected) < 1e-9, `${m.metric}: ${m.change}`);
  }
  const e2e = pair?.metrics.find((m) => m.metric === 'e2e_ms');
  const sorted = [...SPREAD].sort((x, y) => x - y);
  const median = (100 * ((sorted[9] as number) + (sorted[10] as number))) / 2;
  assert.ok(Math.abs((e2e?.baseline_median as number) - median) < 1e-9 && Math.abs((e2e?.candidate_median as number) - 1.2 * median) < 1e-9);
  assert.equal(c.regressions, 5);
  // 'thin' has one iteration on the baseline side: not compared, and said so, not called one-sided
  assert.deepEqual(c.unmatched, { baseline: ['only-baseline'], candidate: ['only-candidate'], too_few_samples: ['thin'] });

  // the same runs the other way round are five improvements and no regression
  const back = compareRuns(candidate, baseline, { threshold: 0.05 });
  assert.deepEqual(back.pairs[0]?.metrics.map((m) => m.verdict), Array(5).fill('faster'));
  assert.equal(back.regressions, 0);
});

test('the baseline median is the median of the samples, not the estimate', () => {
  const c = compareRuns(runOf('a', benchmark('x', 'h', [1, 3, 2])), runOf('b', benchmark('x', 'h', [2, 2, 5, 4])), { threshold: 0.05 });
  const e2e = c.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.equal(e2e?.baseline_median, 200);
  assert.equal(e2e?.candidate_median, 300);
  // Hodges-Lehmann: the median of the 12 log ratios b / a, the mean of the 6th and 7th
  const ratios = [2, 2, 5, 4].flatMap((b) => [1, 3, 2].map((a) => Math.log(b / a))).sort((x, y) => x - y);
  const expected = Math.exp(((ratios[5] as number) + (ratios[6] as number)) / 2) - 1;
  assert.ok(Math.abs((e2e?.change as number) - expected) < 1e-12);
});

test('a metric with fewer than 2 positive values on a side is not compared', () => {
  const zeroDecode = (name: string): BenchmarkResult =>
    ({ config: { name, hash: 'h' }, status: 'ok', iterations: SPREAD.map((s, i) => iteration(s, i === 0 ? 5 : 0)) }) as unknown as BenchmarkResult;
  const c = compareRuns(runOf('a', zeroDecode('x')), runOf('b', benchmark('x', 'h', SPREAD)), { threshold: 0.05 });
  assert.deepEqual(c.pairs[0]?.metrics.map((m) => m.metric), ['ttft_ms', 'itl_ms', 'e2e_ms', 'tokens_per_s']);
  // with exactly 2 positive values it is compared
  const two = ({ config: { name: 'x', hash: 'h' }, status: 'ok', iterations: SPREAD.map((s, i) => iteration(s, i < 2 ? 5 : Number.NaN)) }) as unknown as BenchmarkResult;
  assert.equal(compareRuns(runOf('a', two), runOf('b', benchmark('x', 'h', SPREAD)), { threshold: 0.05 }).pairs[0]?.metrics.length, 5);
});

test('--pair NAME_A=NAME_B, names holding "=" too; refusals name what exists', () => {
  const baseline = runOf('a', benchmark('threads=1', 'h1', SPREAD), benchmark('other', 'h9', SPREAD));
  const candidate = runOf('b', benchmark('threads=2', 'h2', SPREAD));
  const c = compareRuns(baseline, candidate, { threshold: 0.05, pairs: ['threads=1=threads=2'] });
  assert.deepEqual(c.pairs.map((p) => [p.baseline, p.candidate, p.hash_match]), [['threads=1', 'threads=2', false]]);
  assert.deepEqual(c.unmatched, { baseline: ['other'], candidate: [], too_few_samples: [] });
  // the same hash under two names still says the hashes match
  const same = compareRuns(runOf('a', benchmark('p', 'h', SPREAD)), runOf('b', benchmark('q', 'h', SPREAD)), { threshold: 0.05, pairs: ['p=q'] });
  assert.equal(same.pairs[0]?.hash_match, true);
  assert.throws(
    () => compareRuns(baseline, candidate, { threshold: 0.05, pairs: ['threads=1=threads=3'] }),
    (e: unknown) => e instanceof InputError && e.message === 'compare: --pair threads=1=threads=3: no split NAME_A=NAME_B names a baseline config and a candidate config with at least 2 measured iterations (baseline: threads=1, other; candidate: threads=2)',
  );
  assert.throws(() => compareRuns(runOf('a'), runOf('b'), { threshold: 0.05, pairs: ['x=y'] }), /\(baseline: none; candidate: none\)/);
  assert.throws(
    () => compareRuns(baseline, candidate, { threshold: 0.05 }),
    (e: unknown) => e instanceof InputError && e.message === 'compare: the two sides have no config in common (by hash); pair configs by name with --pair NAME_A=NAME_B (baseline: threads=1, other)',
  );
  assert.throws(() => compareRuns(runOf('a'), candidate, { threshold: 0.05 }), /\(baseline: none\)$/);
  // the same config on both sides with too few iterations: say so, not "nothing in common"
  assert.throws(
    () => compareRuns(runOf('a', benchmark('t', 'h', [1])), runOf('b', benchmark('t', 'h', SPREAD)), { threshold: 0.05 }),
    (e: unknown) => e instanceof InputError && e.message === 'compare: t: on both sides, but a comparison needs at least 2 measured iterations (or successful requests) on each; run more --iterations',
  );
  assert.throws(() => compareRuns(runOf('a', benchmark('t', 'h', SPREAD)), runOf('b', benchmark('t', 'h', [1])), { threshold: 0.05 }), /t: on both sides/);
});

test('a load run is compared on its successful requests with 2 or more tokens', () => {
  const request = (ok: boolean, tokenMs: number[], e2e: number | null): LoadRequestRecord => ({ ok, token_ms: tokenMs, e2e_ms: e2e }) as unknown as LoadRequestRecord;
  const requests = (scale: number): LoadRequestRecord[] => [
    ...SPREAD.map((s) => request(true, [10 * s * scale, 12 * s * scale, 14 * s * scale], 20 * s * scale)),
    request(false, [5, 6], 7),
    request(true, [5], 7),
    request(true, [5, 6], null),
  ];
  const load = (scale: number): BenchmarkResult => ({ config: { name: 'load', hash: 'L' }, status: 'ok', iterations: [], requests: requests(scale) }) as unknown as BenchmarkResult;
  const c = compareRuns(runOf('a', load(1)), runOf('b', load(1.3)), { threshold: 0.05 });
  assert.deepEqual([c.pairs[0]?.n_baseline, c.pairs[0]?.n_candidate], [20, 20]);
  const ttft = c.pairs[0]?.metrics.find((m) => m.metric === 'ttft_ms');
  assert.ok(Math.abs((ttft?.change as number) - 0.3) < 1e-9);
  assert.equal(ttft?.verdict, 'slower');
});

/** A table that keeps its cells visible to the test. */
const cells = (header: string[], rows: string[][]): string => [header, ...rows].map((r) => r.join(' ; ')).join('\n');

test('text and markdown: one row per metric, the change with its interval, p, method, verdict and the footer', () => {
  const serverCheck = { ttft_client_minus_server_ms: { p50: 1.5 }, itl_client_over_server: { p50: 1.02 }, retries: 1, prompt_mismatches: 2, cache_contradictions: 3 };
  const baseline = runOf('aaaaaaaa-1111', benchmark('a|b', 'h1', SPREAD, { server_check: serverCheck }), benchmark('gone', 'h2', SPREAD));
  const candidate = runOf('bbbbbbbb-2222', benchmark('a|b', 'h1', slower));
  const c = compareRuns(baseline, candidate, { threshold: 0.05 });
  const text = formatComparisonText(c, cells);
  const lines = text.split('\n');
  assert.equal(lines[0], 'config ; metric ; baseline p50 ; candidate p50 ; change [95% CI] ; p (Holm) ; method ; verdict');
  const e2e = c.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  assert.equal(lines[3], `a|b ; e2e ms ; ${e2e?.baseline_median.toFixed(1)} ; ${e2e?.candidate_median.toFixed(1)} ; +20.0% [${pct(e2e?.change_ci95[0] as number)}, ${pct(e2e?.change_ci95[1] as number)}] ; <0.0001 ; unpaired ; slower`);
  assert.match(lines[2] ?? '', /^a\|b ; ITL ms ; 2\.\d{3} ; 2\.\d{3} ; /);
  assert.match(lines[5] ?? '', /^a\|b ; decode tokens\/s ; \d{2}\.\d{3} ; \d{2}\.\d{3} ; -16\.7% \[-\d+\.\d%, -\d+\.\d%\] ; <0\.0001 ; unpaired ; slower$/);
  assert.equal(lines[6], '');
  assert.equal(lines[7], '5 significant regression(s) past 5.0%');
  assert.match(lines[8] ?? '', /^unpaired: change is the Hodges-Lehmann ratio/);
  assert.equal(lines[9], 'baseline only: gone');
  assert.equal(lines[10], 'a|b: client minus server p50: TTFT 1.50 ms, ITL +2.0% -> no server timings; baseline: 2 prompt mismatches; baseline: 3 cache reports against the prompt reuse asked; baseline: 1 retries');

  const md = formatComparisonMarkdown(c).split('\n');
  assert.equal(md[0], '### tokenbench: bbbbbbbb vs aaaaaaaa');
  assert.equal(md[1], '');
  assert.equal(md[9], '');
  assert.equal(md[2], '| config | metric | baseline p50 | candidate p50 | change [95% CI] | p (Holm) | method | verdict |');
  assert.equal(md[3], '|---|---|---|---|---|---|---|---|');
  assert.match(md[4] ?? '', /^\| a\\\|b \| TTFT ms \| /);
  assert.equal(md[10], '5 significant regression(s) past 5.0%  ');

  // no regression; a p-value shown to 4 places; names that differ are shown as a -> b; small and large medians
  const quiet = compareRuns(runOf('a', benchmark('x', 'h1', SPREAD)), runOf('b', benchmark('y', 'h2', [...SPREAD].reverse())), { threshold: 0.1, pairs: ['x=y'] });
  const quietLines = formatComparisonText(quiet, cells).split('\n');
  assert.match(quietLines[1] ?? '', /^x -> y ; TTFT ms ; 10\.\d{3} ; 10\.\d{3} ; \+0\.0% \[-\d\.\d%, \+\d\.\d%\] ; 1\.0000 ; unpaired ; no significant change$/);
  assert.equal(quietLines[7], 'no significant regression past 10.0%');
  assert.equal(quietLines.length, 9);
});

test('a p-value between 0.0001 and 1 is printed to 4 places, a small median to 4 decimals', () => {
  const a = [0.5, 0.52, 0.51, 0.53, 0.5, 0.54, 0.49, 0.5];
  const b = a.map((x, i) => x * (i % 2 === 0 ? 1.06 : 1.01));
  const r = compareSamples(a, b, true, 0.05);
  assert.ok(r.p_value > 0.0001 && r.p_value < 1);
  const c = compareRuns(
    runOf('a', { config: { name: 'x', hash: 'h' }, status: 'ok', iterations: a.map((x) => ({ ...iteration(1), ttft_ms: x })) } as unknown as BenchmarkResult),
    runOf('b', { config: { name: 'x', hash: 'h' }, status: 'ok', iterations: b.map((x) => ({ ...iteration(1), ttft_ms: x })) } as unknown as BenchmarkResult),
    { threshold: 0.05 },
  );
  const row = formatComparisonText(c, cells).split('\n')[1] ?? '';
  assert.equal(row.split(' ; ')[2], '0.5050');
  // the table shows p adjusted over the pair's metrics (Holm); the raw p stays in the comparison
  const ttft = c.pairs[0]?.metrics[0];
  assert.equal(ttft?.p_value, r.p_value);
  assert.ok((ttft?.p_holm as number) >= r.p_value);
  assert.equal(row.split(' ; ')[5], ttft?.p_holm.toFixed(4));
});

test('runs too noisy for the threshold: said per pair, naming the metrics, what they detect and the iterations that would do', () => {
  // TTFT varies by about 30% (log scale) per iteration, the rest by about 1%
  const noisy = (name: string, shift: number): BenchmarkResult =>
    ({
      config: { name, hash: 'h' },
      status: 'ok',
      iterations: SPREAD.map((s, i) => ({ ...iteration(s), ttft_ms: 10 * shift * Math.exp(0.3 * Math.sin(i * 2.1)) })),
    }) as unknown as BenchmarkResult;
  const c = compareRuns(runOf('a', noisy('cfg', 1)), runOf('b', noisy('cfg', 1)), { threshold: 0.05 });
  const ttft = c.pairs[0]?.metrics.find((m) => m.metric === 'ttft_ms');
  assert.ok((ttft?.detectable_change as number) > 0.05);
  for (const m of c.pairs[0]?.metrics ?? []) if (m.metric !== 'ttft_ms') assert.ok(m.detectable_change !== null && m.detectable_change < 0.05, `${m.metric} ${m.detectable_change}`);
  const lines = formatComparisonText(c, cells).split('\n');
  const needed = samplesToDetect(ttft?.log_sigma as number, 0.05);
  assert.ok(needed > 20);
  assert.equal(
    lines.find((l) => l.startsWith('too noisy')),
    `too noisy for the 5.0% threshold: cfg, 20 iterations a side: TTFT ms (log sigma ${ttft?.log_sigma.toFixed(3)}) detects ${(100 * (ttft?.detectable_change as number)).toFixed(1)}% or more 80% of the time; ${needed} a side would detect 5.0%`,
  );
  // a wider threshold the runs can support: no such line
  assert.equal(formatComparisonText(compareRuns(runOf('a', noisy('cfg', 1)), runOf('b', noisy('cfg', 1)), { threshold: 0.5 }), cells).includes('too noisy'), false);
});

test('three iterations a side can find no change significant, and the footer says so', () => {
  const few = (name: string): BenchmarkResult => ({ config: { name, hash: 'h' }, status: 'ok', iterations: SPREAD.slice(0, 3).map(iteration) }) as unknown as BenchmarkResult;
  const c = compareRuns(runOf('a', few('cfg')), runOf('b', few('cfg')), { threshold: 0.05 });
  const e2e = c.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.equal(e2e?.detectable_change, null);
  const line = formatComparisonText(c, cells).split('\n').find((l) => l.startsWith('too noisy'));
  assert.match(line ?? '', new RegExp(`^too noisy for the 5\\.0% threshold: cfg, 3 iterations a side: .*e2e ms \\(log sigma ${e2e?.log_sigma.toFixed(3)}\\) can find no change significant; ${samplesToDetect(e2e?.log_sigma as number, 0.05)} a side would detect 5\\.0%`));
});

test('two configs of one interleaved run are compared paired by round: a drift both share does not hide a 10% change', () => {
  // round r: the machine runs at speed drift[r] (up to 2x apart), b is 10% slower than a in every round, plus 1% noise
  const drift = Array.from({ length: 12 }, (_, r) => 1 + ((r * 5) % 12) / 12);
  const noise = (r: number, side: number): number => 1 + 0.01 * Math.sin(r * 1.7 + side);
  const withIndex = (scales: number[]): BenchmarkResult['iterations'] => scales.map((s, index) => ({ ...iteration(s), index })) as unknown as BenchmarkResult['iterations'];
  const a = { config: { name: 'a', hash: 'ha' }, status: 'ok', iterations: withIndex(drift.map((d, r) => d * noise(r, 0))) } as unknown as BenchmarkResult;
  const b = { config: { name: 'b', hash: 'hb' }, status: 'ok', iterations: withIndex(drift.map((d, r) => 1.1 * d * noise(r, 1))) } as unknown as BenchmarkResult;
  const interleaved = { ...runOf('cccccccc-3', a, b), interleaved: true } as RunResult;
  const paired = compareRuns(interleaved, interleaved, { threshold: 0.05, pairs: ['a=b'] });
  const e2e = paired.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.equal(e2e?.method, 'paired');
  assert.equal(e2e?.verdict, 'slower');
  // the geometric mean of the per-round ratios, by hand
  const ratios = drift.map((_, r) => (1.1 * noise(r, 1)) / noise(r, 0));
  assert.ok(Math.abs((e2e?.change as number) - (Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length) - 1)) < 1e-12);
  assert.ok(paired.pairs[0]?.metrics.every((m) => m.method === 'paired' && m.verdict === 'slower'));
  assert.match(formatComparisonText(paired, cells), /\bpaired\b/);
  // one run against itself: both configs are in the pair, neither is 'baseline only' or 'candidate only'
  assert.deepEqual(paired.unmatched, { baseline: [], candidate: [], too_few_samples: [] });
  // noisier rounds: the noise line counts rounds and says how many would do
  const noisyB = { ...b, iterations: withIndex(drift.map((d, r) => 1.1 * d * (1 + 0.3 * Math.sin(r * 2.3)))) } as BenchmarkResult;
  const noisyRun = { ...interleaved, benchmarks: [a, noisyB] } as RunResult;
  const noisy = compareRuns(noisyRun, noisyRun, { threshold: 0.05, pairs: ['a=b'] });
  const noisyE2e = noisy.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.match(formatComparisonText(noisy, cells), new RegExp(`^too noisy for the 5\\.0% threshold: a -> b, 12 rounds: .*e2e ms \\(log sigma ${noisyE2e?.log_sigma.toFixed(3)}\\) detects [\\d.]+% or more 80% of the time; ${roundsToDetect(noisyE2e?.log_sigma as number, 0.05)} rounds would detect 5\\.0%`, 'm'));

  // the same samples from a run that was not interleaved: unpaired, and the drift hides the change
  const sequential = runOf('dddddddd-4', a, b);
  const unpaired = compareRuns(sequential, sequential, { threshold: 0.05, pairs: ['a=b'] }).pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.equal(unpaired?.method, 'unpaired');
  assert.equal(unpaired?.verdict, 'no significant change');

  // a round one side lacks (it was interrupted, say) is left out of the pairs
  const short = { ...b, iterations: b.iterations.filter((it) => it.index !== 3) } as BenchmarkResult;
  const partial = compareRuns({ ...interleaved, benchmarks: [a, short] } as RunResult, { ...interleaved, benchmarks: [a, short] } as RunResult, { threshold: 0.05, pairs: ['a=b'] });
  const kept = drift.map((_, r) => r).filter((r) => r !== 3);
  const partialRatios = kept.map((r) => (1.1 * noise(r, 1)) / noise(r, 0));
  const e2ePartial = partial.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.ok(Math.abs((e2ePartial?.change as number) - (Math.exp(partialRatios.reduce((s, x) => s + Math.log(x), 0) / partialRatios.length) - 1)) < 1e-12);
});

test('the verdict at the threshold, in both directions: strictly past it, on the bad or the good side', () => {
  const cases: [number, boolean, string][] = [
    // lower is better (latencies)
    [0.0501, true, 'slower'],
    [0.05, true, 'no significant change'],
    [-0.05, true, 'no significant change'],
    [-0.0501, true, 'faster'],
    [0.01, true, 'no significant change'],
    // higher is better (rates)
    [-0.0501, false, 'slower'],
    [-0.05, false, 'no significant change'],
    [0.05, false, 'no significant change'],
    [0.0501, false, 'faster'],
    [0.01, false, 'no significant change'],
    [-0.01, false, 'no significant change'],
  ];
  for (const [change, lowerIsBetter, verdict] of cases) assert.equal(verdictOf(change, 0.001, lowerIsBetter, 0.05), verdict, `${change} ${lowerIsBetter}`);
  assert.deepEqual(
    COMPARED_METRICS.map((m) => [m.key, m.label, m.lowerIsBetter]),
    [
      ['ttft_ms', 'TTFT ms', true],
      ['itl_ms', 'ITL ms', true],
      ['e2e_ms', 'e2e ms', true],
      ['tokens_per_s', 'tokens/s', false],
      ['decode_tokens_per_s', 'decode tokens/s', false],
    ],
  );
});

test('what is compared: exactly 2 samples a side, values a ratio cannot use left out, --pair picks by name, an empty --pair list matches by hash', () => {
  // 2 iterations a side are enough
  const two = compareRuns(runOf('a', benchmark('x', 'h', [1, 1.1])), runOf('b', benchmark('x', 'h', [1.05, 1.2])), { threshold: 0.05 });
  assert.deepEqual([two.pairs.length, two.pairs[0]?.metrics.length], [1, 5]);
  // a rate over no time (Infinity) or none (0) on the candidate side is left out of that metric only
  const gaps = { config: { name: 'x', hash: 'h' }, status: 'ok', iterations: SPREAD.map((s, i) => iteration(s, i < 3 ? [Infinity, 0, Number.NaN][i] : 50 / s)) } as unknown as BenchmarkResult;
  const c = compareRuns(runOf('a', benchmark('x', 'h', SPREAD)), runOf('b', gaps), { threshold: 0.05 });
  const decode = c.pairs[0]?.metrics.find((m) => m.metric === 'decode_tokens_per_s');
  const expected = compareSamples(
    SPREAD.map((s) => 50 / s),
    SPREAD.slice(3).map((s) => 50 / s),
    false,
    0.05,
  );
  // the same statistics; only the Holm p and the verdict from it are the pair's
  const own = { metric: undefined, label: undefined, p_holm: undefined, verdict: undefined };
  assert.deepEqual(decode && { ...decode, ...own }, { ...expected, ...own });
  // one usable value on a side: that metric is not compared
  const one = { config: { name: 'x', hash: 'h' }, status: 'ok', iterations: SPREAD.map((s, i) => iteration(s, i === 0 ? 50 : 0)) } as unknown as BenchmarkResult;
  assert.equal(compareRuns(runOf('a', benchmark('x', 'h', SPREAD)), runOf('b', one), { threshold: 0.05 }).pairs[0]?.metrics.some((m) => m.metric === 'decode_tokens_per_s'), false);
  // --pair picks the config by its name, not the first one
  const baseline = runOf('a', benchmark('first', 'h1', SPREAD), benchmark('second', 'h2', slower));
  const paired = compareRuns(baseline, runOf('b', benchmark('other', 'h3', slower)), { threshold: 0.05, pairs: ['second=other'] });
  assert.deepEqual(paired.pairs.map((p) => [p.baseline, p.candidate]), [['second', 'other']]);
  assert.equal(paired.regressions, 0, 'second and other are the same samples');
  // an empty --pair list is no pairing: configs meet by hash
  assert.deepEqual(compareRuns(baseline, runOf('b', benchmark('renamed', 'h1', SPREAD)), { threshold: 0.05, pairs: [] }).pairs.map((p) => [p.baseline, p.candidate]), [['first', 'renamed']]);
  // paired by name, a config whose hash the other side has but no pair names is one-sided
  const byName = compareRuns(baseline, runOf('b', benchmark('other', 'h3', slower), benchmark('copy', 'h1', SPREAD)), { threshold: 0.05, pairs: ['second=other'] });
  assert.deepEqual(byName.unmatched, { baseline: ['first'], candidate: ['copy'], too_few_samples: [] });
  // two runs: a baseline config is unmatched even when the candidate's paired config has its name
  const sameName = compareRuns(runOf('a', benchmark('a', 'h1', SPREAD), benchmark('b', 'h2', SPREAD)), runOf('b', benchmark('b', 'h3', SPREAD)), { threshold: 0.05, pairs: ['a=b'] });
  assert.deepEqual(sameName.unmatched, { baseline: ['b'], candidate: [], too_few_samples: [] });
  // an empty --pair list matches by hash, so a thin config on both sides is called thin, not one-sided
  const thinBoth = compareRuns(runOf('a', benchmark('x', 'h1', SPREAD), benchmark('t', 'h9', [1])), runOf('b', benchmark('x', 'h1', SPREAD), benchmark('t', 'h9', [1])), { threshold: 0.05, pairs: [] });
  assert.deepEqual(thinBoth.unmatched, { baseline: [], candidate: [], too_few_samples: ['t'] });
});

test('refusals: configs with too few samples on both sides, by hash, and with --pair', () => {
  const thin = runOf('a', benchmark('t', 'h', [1]), benchmark('u', 'h2', [1]), benchmark('w', 'h4', [1]));
  const other = runOf('b', benchmark('t', 'h', [1]), benchmark('v', 'h3', SPREAD), benchmark('w', 'h4', SPREAD));
  assert.throws(
    () => compareRuns(thin, other, { threshold: 0.05 }),
    (e: unknown) => e instanceof InputError && e.kind === 'usage' && e.message === 'compare: t, w: on both sides, but a comparison needs at least 2 measured iterations (or successful requests) on each; run more --iterations',
  );
  assert.throws(() => compareRuns(runOf('a', benchmark('x', 'h1', SPREAD)), runOf('b', benchmark('y', 'h2', SPREAD)), { threshold: 0.05, pairs: [] }), (e: unknown) => e instanceof InputError && e.kind === 'usage' && /no config in common/.test(e.message));
  // named pairs that find nothing are refused for the names, not for the thin configs
  assert.throws(
    () => compareRuns(thin, other, { threshold: 0.05, pairs: ['t=t'] }),
    (e: unknown) => e instanceof InputError && e.kind === 'usage' && e.message === 'compare: --pair t=t: no split NAME_A=NAME_B names a baseline config and a candidate config with at least 2 measured iterations (baseline: none; candidate: v, w)',
  );
});

test('interleaved: paired only for two configs of the same run that says it was interleaved; exactly 2 common rounds are enough', () => {
  const withIndex = (name: string, hash: string, scales: number[], indexes = scales.map((_, i) => i)): BenchmarkResult =>
    ({ config: { name, hash }, status: 'ok', iterations: scales.map((s, i) => ({ ...iteration(s), index: indexes[i] })) }) as unknown as BenchmarkResult;
  const a = withIndex('a', 'ha', SPREAD);
  const b = withIndex('b', 'hb', slower);
  const methods = (x: RunResult, y: RunResult): string[] => [...new Set(compareRuns(x, y, { threshold: 0.05, pairs: ['a=b'] }).pairs[0]?.metrics.map((m) => m.method))];
  const run = (id: string, interleaved: boolean | undefined): RunResult => ({ ...runOf(id, a, b), ...(interleaved === undefined ? {} : { interleaved }) }) as RunResult;
  assert.deepEqual(methods(run('r1', true), run('r1', true)), ['paired']);
  // two different interleaved runs: their rounds have nothing to do with each other
  assert.deepEqual(methods(run('r1', true), run('r2', true)), ['unpaired']);
  // one side read without the flag (an older file): not paired
  assert.deepEqual(methods(run('r1', true), run('r1', undefined)), ['unpaired']);
  assert.deepEqual(methods(run('r1', undefined), run('r1', true)), ['unpaired']);
  assert.deepEqual(methods(run('r1', false), run('r1', false)), ['unpaired']);
  // rounds 0 and 5 in common: 2 pairs, compared; only round 0: nothing compared
  const sparse = (indexes: number[]): RunResult => ({ ...runOf('r3', withIndex('a', 'ha', [1, 1.02, 1.01], [0, 5, 7]), withIndex('b', 'hb', [1.1, 1.2], indexes)), interleaved: true }) as RunResult;
  const twoRounds = compareRuns(sparse([0, 5]), sparse([0, 5]), { threshold: 0.05, pairs: ['a=b'] }).pairs[0]?.metrics ?? [];
  assert.deepEqual([twoRounds.length, twoRounds[0]?.method], [5, 'paired']);
  assert.ok(Math.abs((twoRounds.find((m) => m.metric === 'e2e_ms')?.change as number) - (Math.sqrt((1.1 / 1) * (1.2 / 1.02)) - 1)) < 1e-12);
  assert.equal(compareRuns(sparse([0, 6]), sparse([0, 6]), { threshold: 0.05, pairs: ['a=b'] }).pairs[0]?.metrics.length, 0);
  // a round whose value a ratio cannot use, on either side, is left out of that metric's pairs
  const gap = ({ ...runOf('r4', withIndex('a', 'ha', [1, 1.02, 1.01, 1.03]), { ...withIndex('b', 'hb', [1.1, 1.2, 1.15, 1.12]) }), interleaved: true }) as RunResult;
  (gap.benchmarks[0]?.iterations[1] as { decode_tokens_per_s: number }).decode_tokens_per_s = Infinity;
  (gap.benchmarks[1]?.iterations[2] as { decode_tokens_per_s: number }).decode_tokens_per_s = 0;
  const decode = compareRuns(gap, gap, { threshold: 0.05, pairs: ['a=b'] }).pairs[0]?.metrics.find((m) => m.metric === 'decode_tokens_per_s');
  // rounds 0 and 3: rates 50 / s, so the ratio is a's scale over b's
  assert.ok(Math.abs((decode?.change as number) - (Math.sqrt((1 / 1.1) * (1.03 / 1.12)) - 1)) < 1e-12, `${decode?.change}`);
  // one run against itself with a third config no pair names: listed, once a side
  const three = { ...runOf('r5', a, b, withIndex('c', 'hc', SPREAD)), interleaved: true } as RunResult;
  assert.deepEqual(compareRuns(three, three, { threshold: 0.05, pairs: ['a=b'] }).unmatched, { baseline: ['c'], candidate: ['c'], too_few_samples: [] });
});

test('the footer: configs one side only and too thin to compare, server checks of either side, no noise line at threshold 0', () => {
  const serverCheck = (retries: number, mismatches: number, contradictions: number): Record<string, unknown> => ({ ttft_client_minus_server_ms: { p50: 0.5 }, itl_client_over_server: { p50: 0.99 }, retries, prompt_mismatches: mismatches, cache_contradictions: contradictions });
  const baseline = runOf('a', benchmark('s', 'h1', SPREAD, { server_check: serverCheck(0, 0, 0) }), benchmark('thin', 'h3', [1]));
  const candidate = runOf('b', benchmark('s', 'h1', SPREAD, { server_check: serverCheck(2, 1, 4) }), benchmark('new', 'h2', SPREAD), benchmark('thin', 'h3', [1, 1.1]));
  const lines = formatComparisonText(compareRuns(baseline, candidate, { threshold: 0.05 }), cells).split('\n');
  assert.ok(lines.includes('candidate only: new'), lines.join('\n'));
  assert.ok(lines.includes('not compared, fewer than 2 samples on a side: thin'), lines.join('\n'));
  assert.ok(lines.includes('s: client minus server p50: TTFT 0.50 ms, ITL -1.0% -> TTFT 0.50 ms, ITL -1.0%; candidate: 1 prompt mismatches; candidate: 4 cache reports against the prompt reuse asked; candidate: 2 retries'), lines.join('\n'));
  // nothing to report: the line has no issues part
  const clean = formatComparisonText(compareRuns(runOf('a', benchmark('s', 'h1', SPREAD, { server_check: serverCheck(0, 0, 0) })), runOf('b', benchmark('s', 'h1', SPREAD)), { threshold: 0.05 }), cells);
  assert.ok(clean.split('\n').includes('s: client minus server p50: TTFT 0.50 ms, ITL -1.0% -> no server timings'), clean);
  // a threshold of 0 asks for no noise line (every change is past it): the footer ends with the methods
  const noisy = runOf('a', { config: { name: 'n', hash: 'h' }, status: 'ok', iterations: SPREAD.map((s, i) => ({ ...iteration(s), ttft_ms: 10 * Math.exp(0.3 * Math.sin(i * 2.1)) })) } as unknown as BenchmarkResult);
  assert.match(formatComparisonText(compareRuns(noisy, noisy, { threshold: 0 }), cells).split('\n').at(-1) ?? '', /^unpaired: change is the Hodges-Lehmann ratio/);
  // a server check of a pair of two names is named by both
  const named = compareRuns(runOf('a', benchmark('x', 'h1', SPREAD, { server_check: serverCheck(0, 0, 0) })), runOf('b', benchmark('y', 'h2', SPREAD)), { threshold: 0.05, pairs: ['x=y'] });
  assert.ok(formatComparisonText(named, cells).split('\n').includes('x -> y: client minus server p50: TTFT 0.50 ms, ITL -1.0% -> no server timings'));
  assert.ok(formatComparisonText(compareRuns(noisy, noisy, { threshold: 0.05 }), cells).includes('too noisy'));
});

test('the noise line: several metrics joined, unequal counts, rounds counted as the fewer side has', () => {
  const shaky = (name: string, n: number): BenchmarkResult =>
    ({ config: { name, hash: 'h' }, status: 'ok', iterations: SPREAD.slice(0, n).map((s, i) => ({ ...iteration(s), ttft_ms: 10 * Math.exp(0.3 * Math.sin(i * 2.1)), itl_ms: 2 * Math.exp(0.3 * Math.cos(i * 1.3)) })) }) as unknown as BenchmarkResult;
  const line = formatComparisonText(compareRuns(runOf('a', shaky('x', 20)), runOf('b', shaky('x', 19)), { threshold: 0.05 }), cells)
    .split('\n')
    .find((l) => l.startsWith('too noisy'));
  assert.match(line ?? '', /^too noisy for the 5\.0% threshold: x, 20 and 19 iterations: TTFT ms \(log sigma [\d.]+\) detects [\d.]+% or more 80% of the time; \d+ a side would detect 5\.0%; ITL ms \(log sigma [\d.]+\) detects /);
  const withIndex = (name: string, hash: string, n: number, phase: number): BenchmarkResult =>
    ({ config: { name, hash }, status: 'ok', iterations: SPREAD.slice(0, n).map((s, i) => ({ ...iteration(s), ttft_ms: 10 * Math.exp(0.3 * Math.sin(i * 2.1 + phase)), index: i })) }) as unknown as BenchmarkResult;
  const run = { ...runOf('r', withIndex('a', 'ha', 12, 0), withIndex('b', 'hb', 11, 1)), interleaved: true } as RunResult;
  const pairedLine = formatComparisonText(compareRuns(run, run, { threshold: 0.05, pairs: ['a=b'] }), cells).split('\n').find((l) => l.startsWith('too noisy'));
  assert.match(pairedLine ?? '', /^too noisy for the 5\.0% threshold: a -> b, 11 rounds: /);
});

test('medians print with 1 decimal from 100, 3 from 1, 4 below', () => {
  const flat = (name: string, e2e: number, itl: number): BenchmarkResult =>
    ({ config: { name, hash: 'h' }, status: 'ok', iterations: [0, 1, 2].map((i) => ({ ...iteration(1), e2e_ms: e2e * (1 + (i - 1) * 1e-9), itl_ms: itl * (1 + (i - 1) * 1e-9) })) }) as unknown as BenchmarkResult;
  const rowsOf = (c: ReturnType<typeof compareRuns>): string[][] => formatComparisonText(c, cells).split('\n').slice(1, 6).map((r) => r.split(' ; '));
  const r = rowsOf(compareRuns(runOf('a', flat('x', 100, 1)), runOf('b', flat('x', 99.99, 0.99999)), { threshold: 0.05 }));
  assert.deepEqual(r.find((x) => x[1] === 'e2e ms')?.slice(2, 4), ['100.0', '99.990']);
  assert.deepEqual(r.find((x) => x[1] === 'ITL ms')?.slice(2, 4), ['1.000', '1.0000']);
});

test('the metrics of a pair are judged together: one metric at p = 0.04 among five is not a regression (Holm), one at p < 0.01 is', () => {
  // only TTFT moves, 8% up with a spread of +-15%; the other metrics are the same samples on both sides
  const withTtft = (f: (i: number) => number): BenchmarkResult =>
    ({ config: { name: 'x', hash: 'h' }, status: 'ok', iterations: SPREAD.map((sc, i) => ({ ...iteration(sc), ttft_ms: 10 * sc * f(i) })) }) as unknown as BenchmarkResult;
  const wobble = (k: number) => (i: number) => 1 + (0.15 * (((i * k) % 10) - 4.5)) / 4.5;
  const c = compareRuns(runOf('a', withTtft(wobble(13))), runOf('b', withTtft((i) => 1.08 * wobble(7)(i))), { threshold: 0.05 });
  const ttft = c.pairs[0]?.metrics.find((m) => m.metric === 'ttft_ms') as MetricComparison;
  assert.ok(ttft.p_value > 0.01 && ttft.p_value < 0.05, `p ${ttft.p_value}: the case this test is about`);
  assert.equal(verdictOf(ttft.change, ttft.p_value, true, 0.05), 'slower', 'alone it would be called slower');
  // by hand: the others' p are about 1, so Holm multiplies the smallest, TTFT's, by 5
  assert.ok(Math.abs(ttft.p_holm - 5 * ttft.p_value) < 1e-12, `${ttft.p_holm} against 5 x ${ttft.p_value}`);
  assert.equal(ttft.verdict, 'no significant change');
  // 20% up throughout: p far below 0.01, still slower after the adjustment
  const clear = compareRuns(runOf('a', withTtft(() => 1)), runOf('b', withTtft(() => 1.2)), { threshold: 0.05 });
  assert.equal(clear.pairs[0]?.metrics.find((m) => m.metric === 'ttft_ms')?.verdict, 'slower');
});

test('runs made in rounds: each round\'s median per metric, paired by round; load that changes between rounds cancels, a change every round shares does not', async () => {
  const { runOfRounds } = await import('../../src/report/compare.js');
  // the machine's load multiplies everything in a round by 1, 2.3, 1.2, 2.6, 1.5, 1.9: base and head see the same load in each round
  const load = [1, 2.3, 1.2, 2.6, 1.5, 1.9];
  const side = (id: string, factor: number): RunResult[] => load.map((l, r) => runOf(`${id}-${r}`, benchmark('c', 'h1', SPREAD.slice(0, 5).map((s, i) => l * factor * (s + ((r * 3 + i) % 5) / 500)))));
  const base = side('base', 1);
  // the medians per round, by hand: round 0 of base has scales SPREAD[0..4] + (0, 1, 2, 3, 4)/500, median e2e 100 * its middle value
  const asRun = runOfRounds(base);
  assert.equal(asRun.interleaved, true);
  const scales0 = SPREAD.slice(0, 5).map((s, i) => s + (i % 5) / 500).sort((x, y) => x - y);
  assert.ok(Math.abs((asRun.benchmarks[0]?.iterations[0]?.e2e_ms as number) - 100 * (scales0[2] as number)) < 1e-9);
  assert.deepEqual(asRun.benchmarks[0]?.iterations.map((it) => it.index), [0, 1, 2, 3, 4, 5]);
  // the same code: no change
  const same = compareRuns(asRun, runOfRounds(side('head', 1)), { threshold: 0.05, byRound: true });
  assert.equal(same.regressions, 0);
  assert.ok(same.pairs[0]?.metrics.every((m) => m.method === 'paired' && m.verdict !== 'slower'));
  // 10% slower in every round: found, though the load moves the medians by up to 2.6x
  const worse = compareRuns(asRun, runOfRounds(side('head', 1.1)), { threshold: 0.05, byRound: true });
  const e2e = worse.pairs[0]?.metrics.find((m) => m.metric === 'e2e_ms');
  assert.equal(e2e?.verdict, 'slower');
  assert.ok(Math.abs((e2e?.change as number) - 0.1) < 0.01, `${e2e?.change}`);
  // a config missing from a round, or failed in one, is left out
  const gap = side('gap', 1);
  (gap[2] as RunResult).benchmarks[0] = { ...(gap[2]?.benchmarks[0] as BenchmarkResult), status: 'failed' };
  assert.equal(runOfRounds(gap).benchmarks.length, 0);
});

test('compare names the engine version and settings two sides differ in, beside the table', async () => {
  const { settingsDiffer } = await import('../../src/report/compare.js');
  const withEngine = (scales: readonly number[], version: string, settings: Record<string, string | number | boolean | null>): BenchmarkResult => benchmark('x', 'h', scales, { engine: { name: 'llama-cpp', version, device: 'cpu', dtype: 'f16', settings } });
  const a = withEngine(SPREAD, 'node-llama-cpp 3.21.1', { n_batch: 512, flash_attn: 'false', mmap: true, model_sha256: 'aa' });
  const b = withEngine(SPREAD, 'node-llama-cpp 3.21.1', { n_batch: 2048, flash_attn: 'false', mmap: true, type_k: 'F16', model_sha256: 'aa' });
  assert.deepEqual(settingsDiffer(a, b), [
    ['n_batch', '512', '2048'],
    ['type_k', '(none)', 'F16'],
  ]);
  assert.deepEqual(settingsDiffer(a, a), []);
  const c = compareRuns(runOf('a', a), runOf('b', withEngine(SPREAD, 'node-llama-cpp 3.22.0', { n_batch: 512, flash_attn: 'false', mmap: true, model_sha256: 'aa' })), { threshold: 0.05 });
  assert.deepEqual(c.pairs[0]?.settings_differ, [['engine_version', 'node-llama-cpp 3.21.1', 'node-llama-cpp 3.22.0']]);
  assert.ok(formatComparisonText(c, cells).split('\n').includes('settings differ: x: engine_version node-llama-cpp 3.21.1 -> node-llama-cpp 3.22.0'));
});

test('compare names the browser facts two browser runs differ in: browser, WASM build and threads, isolation, WebGPU adapter', async () => {
  const { settingsDiffer } = await import('../../src/report/compare.js');
  const facts: BrowserFacts = {
    browser: 'chromium 142.0.7444.175',
    browser_reused: false,
    cross_origin_isolated: true,
    threads: 2,
    hardware_concurrency: 2,
    wasm_build: 'plain',
    webgpu: null,
    clock_offset_ms: 0.2,
    clock_uncertainty_ms: 0.05,
    clock_offset_after_ms: null,
    clock_moved_ms: null,
    clock_note: null,
    external_requests: [],
    long_tasks: null,
    gc: null,
  };
  const settings = { onnxruntime_web: '1.22.0', execution_provider: 'wasm', file_bytes: 100, model_sha256: 'aa' };
  const inBrowser = (browser: BrowserFacts, s: Record<string, string | number | boolean | null> = settings): BenchmarkResult =>
    benchmark('x', 'h', SPREAD, { engine: { name: 'transformers-js-browser', version: '3.7.0', device: 'wasm', dtype: 'fp32', settings: s, browser } });
  const a = inBrowser(facts);
  // the clock and the browser's reuse change from run to run of the same settings: not named
  assert.deepEqual(settingsDiffer(a, inBrowser({ ...facts, clock_offset_ms: 3, browser_reused: true })), []);
  const b = inBrowser(
    { ...facts, browser: 'chromium 143.0.7499.40', threads: 1, cross_origin_isolated: false, wasm_build: 'asyncify', webgpu: { vendor: 'nvidia', architecture: 'hopper', description: '', fallback: false } },
    { ...settings, onnxruntime_web: '1.23.0' },
  );
  assert.deepEqual(settingsDiffer(a, b), [
    ['onnxruntime_web', '1.22.0', '1.23.0'],
    ['browser', 'chromium 142.0.7444.175', 'chromium 143.0.7499.40'],
    ['wasm_build', 'plain', 'asyncify'],
    ['wasm_threads', '2', '1'],
    ['cross_origin_isolated', 'true', 'false'],
    ['webgpu_adapter', 'none', 'nvidia hopper'],
  ]);
});
