import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePairedSamples, compareSamples, noiseGuardedVerdict, verdictOf } from '../../src/report/compare.js';
import { detectableChange, HODGES_LEHMANN_MAX_TERMS, hodgesLehmannShift, logSigma, mannWhitneyU, normalCdf, pairedDetectableChange, pairedTTest, roundsToDetect, samplesToDetect } from '../../src/results/statistics.js';

const close = (a: number, b: number, tol = 1e-4): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('normal CDF', () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1.959964), 0.975, 1e-6);
  close(normalCdf(-1), 0.158655, 1e-6);
  // far tails keep their digits (relative error), so small p-values are not rounded to 0 (scipy norm.cdf)
  for (const [z, cdf] of [[-3.92, 4.427448431207074e-5], [-6, 9.865876450377012e-10], [-10, 7.61985302416047e-24]] as const) {
    assert.ok(Math.abs(normalCdf(z) / cdf - 1) < 2e-7, `normalCdf(${z}) = ${normalCdf(z)}`);
  }
});

test('Mann-Whitney U with tie and continuity corrections, by hand', () => {
  // no ties: U = 0, mu = 4.5, sigma = sqrt(9/12 * 7) = 2.29129, z = 4 / 2.29129 = 1.74574
  const a = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(a.u, 0);
  close(a.p, 0.080856, 1e-5);
  // ties: pooled ranks 1, 3, 3 | 3, 5, 6; U = 1; sigma = sqrt(0.75 * (7 - 24/30)) = 2.15639
  const b = mannWhitneyU([1, 2, 2], [2, 3, 4]);
  assert.equal(b.u, 1);
  close(b.p, 2 * (1 - normalCdf(3 / Math.sqrt(0.75 * 6.2))), 1e-9);
  close(b.p, 0.16416, 1e-4);
  assert.equal(mannWhitneyU([5, 5], [5, 5]).p, 1);
});

test('Hodges-Lehmann estimates and their rank intervals, by hand', () => {
  // b - a over all pairs: -1, 0, 1, 1, 2, 3, 3, 4, 5 -> median 2; k = 4.5 - 1.96 * sqrt(9 * 7 / 12) < 1:
  // the interval is the whole range
  assert.deepEqual(hodgesLehmannShift([1, 2, 3], [2, 4, 6]), { estimate: 2, ci95: [-1, 5] });
  // 10 and 11 samples (numpy: the median of the 110 differences of logs, ranks 27 and 84 for the interval)
  const shift = hodgesLehmannShift([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(Math.log), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(Math.log));
  close(shift.estimate, 0.23722898979755824, 1e-12);
  close(shift.ci95[0], -0.2876820724517808, 1e-12);
  close(shift.ci95[1], 0.8754687373539001, 1e-12);
});

test('paired t-test of per-round differences, against scipy', () => {
  // scipy.stats.ttest_1samp(d, 0): mean 0.183, p 0.037772829606894466, CI [0.0128763559638429, 0.3531236440361571]
  const t = pairedTTest([0.1, -0.2, 0.3, 0.4, 0.05, 0.6, 0.2, -0.1, 0.15, 0.33]);
  close(t.estimate, 0.183, 1e-12);
  close(t.p, 0.037772829606894466, 1e-9);
  close(t.ci95[0], 0.0128763559638429, 1e-9);
  close(t.ci95[1], 0.3531236440361571, 1e-9);
  close(pairedTTest([0.01, 0.02, 0.015, 0.03, 0]).p, 0.03994196807171883, 1e-9);
  // no spread: certain when the differences are not 0, nothing to see when they are
  assert.deepEqual(pairedTTest([0.25, 0.25, 0.25]), { estimate: 0.25, ci95: [0.25, 0.25], p: 0 });
  assert.equal(pairedTTest([0, 0]).p, 1);
  assert.throws(() => pairedTTest([1]), /2 or more/);
  assert.throws(() => pairedTTest([1, Number.NaN]), /sample 2 of 2 is NaN/);
});

test('verdicts: significant and the estimate past the threshold; in the metric\'s own direction', () => {
  const base = Array.from({ length: 20 }, (_, i) => 10 + ((i * 7) % 13) / 20);
  assert.equal(compareSamples(base, base.map((x) => x * 1.2), true, 0.05).verdict, 'slower');
  assert.equal(compareSamples(base, base.map((x) => x * 0.8), true, 0.05).verdict, 'faster');
  assert.equal(compareSamples(base, base.map((x) => x * 1.2), false, 0.05).verdict, 'faster'); // throughput up
  assert.equal(compareSamples(base, base.map((x) => x * 0.8), false, 0.05).verdict, 'slower'); // throughput down
  assert.equal(compareSamples(base, [...base].reverse(), true, 0.05).verdict, 'no significant change');
  // 3% slower is real (p small) but inside a 5% threshold
  const r = compareSamples(base, base.map((x) => x * 1.03), true, 0.05);
  assert.ok(r.p_value < 0.05);
  assert.equal(r.method, 'unpaired');
  assert.equal(r.verdict, 'no significant change');
  close(r.change, 0.03, 1e-9);
  // the rule, case by case (verdictOf is what compareSamples applies)
  assert.equal(verdictOf(0.07, 0.01, true, 0.05), 'slower', 'estimate past the threshold, significant: whatever the interval');
  assert.equal(verdictOf(0.07, 0.05, true, 0.05), 'no significant change', 'p must be below alpha');
  assert.equal(verdictOf(0.05, 0.001, true, 0.05), 'no significant change', 'strictly past the threshold');
  assert.equal(verdictOf(-0.07, 0.01, true, 0.05), 'faster');
  assert.equal(verdictOf(-0.07, 0.01, false, 0.05), 'slower');
  assert.equal(verdictOf(0.07, 0.01, false, 0.05), 'faster');
  assert.equal(verdictOf(0.07, NaN, true, 0.05), 'no significant change');
  // about 7% slower with noise that 20 samples cannot resolve to 5%: the interval reaches below 5%,
  // so the estimate past it is not called a regression but too noisy
  const noisyBase = Array.from({ length: 20 }, (_, i) => 10 + ((i * 7) % 13) / 5);
  const noisy = compareSamples(noisyBase, noisyBase.map((x, i) => x * 1.05 + ((i * 5) % 7) / 10), true, 0.05);
  assert.ok(noisy.p_value < 0.05 && noisy.change > 0.05 && noisy.change_ci95[0] < 0.05, JSON.stringify(noisy));
  assert.ok((noisy.detectable_change as number) > 0.05, JSON.stringify(noisy));
  assert.equal(noisy.verdict, 'too noisy');
  // the guard, case by case: powered runs keep their verdict; unpowered ones keep it only when the whole interval is past the threshold
  assert.equal(noiseGuardedVerdict('slower', [0.01, 0.2], 0.04, 0.05), 'slower', 'detects 4%: the verdict stands');
  assert.equal(noiseGuardedVerdict('slower', [0.01, 0.2], 0.06, 0.05), 'too noisy');
  assert.equal(noiseGuardedVerdict('slower', [0.01, 0.2], null, 0.05), 'too noisy', 'can detect nothing');
  assert.equal(noiseGuardedVerdict('slower', [0.051, 3], 0.5, 0.05), 'slower', 'the whole interval past the threshold');
  assert.equal(noiseGuardedVerdict('faster', [-0.4, -0.06], 0.5, 0.05), 'faster');
  assert.equal(noiseGuardedVerdict('faster', [-0.4, -0.04], 0.5, 0.05), 'too noisy');
  assert.equal(noiseGuardedVerdict('no significant change', [-0.4, 0.4], 0.5, 0.05), 'no significant change');
});

test('paired by round: drift shared by both sides cancels, where the unpaired comparison sees only noise', () => {
  // every round drifts by up to +-30%, both sides alike; the candidate is 10% slower in every round, +-1%
  const drift = Array.from({ length: 20 }, (_, i) => 1 + 0.3 * Math.sin(i * 1.7));
  const a = drift.map((d) => 10 * d);
  const b = drift.map((d, i) => 10 * d * 1.1 * (1 + 0.01 * Math.cos(i * 2.3)));
  const paired = comparePairedSamples(a, b, true, 0.05);
  assert.equal(paired.method, 'paired');
  assert.equal(paired.verdict, 'slower');
  close(paired.change, 0.1, 0.01);
  assert.ok(paired.change_ci95[0] > 0.09 && paired.change_ci95[1] < 0.11, JSON.stringify(paired.change_ci95));
  assert.equal(compareSamples(a, b, true, 0.05).verdict, 'no significant change');
});

test('the smallest detectable change and the samples a threshold needs, by hand (scipy quantiles)', () => {
  // log 1, 2, 4: 0, ln 2, 2 ln 2 -> sd ln 2
  close(logSigma([1, 2, 4]), Math.LN2, 1e-15);
  // sigma 0.1, 20 a side: exp((t_0.975 + t_0.8, 38 df) * 0.1 * sqrt(1/20 + 1/20) / sqrt(3 / pi) * (1 + 0.75 / 20)) - 1
  close(detectableChange(0.1, 20, 20), 0.10135855768989306, 1e-6);
  // 10 against 30: 38 df, h = 15
  close(detectableChange(0.1, 10, 30), 0.11943386929204343, 1e-6);
  close(detectableChange(0.05, 4, 4), 0.15493165411624898, 1e-6);
  // 3 against 3 cannot reach p < 0.05 even when every sample of one side is above the other's
  assert.equal(detectableChange(0.05, 3, 3), Infinity);
  assert.equal(detectableChange(0.05, 2, 2), Infinity);
  // the same by scipy, searching n upwards: 72 and 624 a side; 4 is the fewest that can be significant
  assert.equal(samplesToDetect(0.1, 0.05), 72);
  assert.equal(samplesToDetect(0.3, 0.05), 624);
  assert.equal(samplesToDetect(0.001, 0.05), 4);
  assert.ok(detectableChange(0.1, 72, 72) <= 0.05 && detectableChange(0.1, 71, 71) > 0.05);
  // paired: (t_0.975 + t_0.8, 19 df) * 0.15 / sqrt(20)
  close(pairedDetectableChange(0.15, 20), 0.10415387790009391, 1e-6);
  assert.equal(roundsToDetect(0.15, 0.05), 77);
  assert.equal(roundsToDetect(0, 0.05), 2);
  assert.throws(() => samplesToDetect(0.1, 0), /must be > 0/);
  assert.throws(() => roundsToDetect(0.1, 0), /must be > 0/);
});

test('compare says how noisy each side was and what it could detect', () => {
  // unpaired: pooled log sigma of the two sides
  const a = [1, 2, 4, 1, 2, 4];
  const b = [2, 4, 8, 2, 4, 8];
  const r = compareSamples(a, b, true, 0.05);
  close(r.log_sigma, logSigma(a), 1e-12);
  close(r.detectable_change ?? NaN, detectableChange(logSigma(a), 6, 6), 1e-12);
  // paired: the spread of the per-round log ratios, not of either side
  const drift = [1, 3, 0.5, 2, 1.5, 0.8, 1.2, 2.5];
  const p = comparePairedSamples(drift, drift.map((x, i) => x * (i % 2 === 0 ? 1.1 : 1.2)), true, 0.05);
  const logRatios = drift.map((_, i) => Math.log(i % 2 === 0 ? 1.1 : 1.2));
  const sd = Math.sqrt(logRatios.reduce((s, x) => s + (x - logRatios.reduce((t, y) => t + y, 0) / 8) ** 2, 0) / 7);
  close(p.log_sigma, sd, 1e-12);
  close(p.detectable_change ?? NaN, pairedDetectableChange(sd, 8), 1e-12);
});

test('Hodges-Lehmann above its term limit: a seeded sample of the pairwise terms, the same every time, close to the exact estimate', () => {
  // 600 x 600 = 360,000 pairs, more than the limit: b is a shifted by exactly 1
  const a = Array.from({ length: 600 }, (_, i) => Math.sin(i * 12.9898) * 3);
  const b = a.map((x) => x + 1);
  assert.ok(a.length * b.length > HODGES_LEHMANN_MAX_TERMS);
  const first = hodgesLehmannShift(a, b);
  assert.deepEqual(hodgesLehmannShift(a, b), first, 'seeded: the same sample every time');
  // the pairwise differences b_j - a_i = 1 + (a_j - a_i) are symmetric about 1
  assert.ok(Math.abs(first.estimate - 1) < 0.02, `${first.estimate}`);
  assert.ok(first.ci95[0] < 1 && first.ci95[1] > 1 && first.ci95[1] - first.ci95[0] < 1, `${first.ci95}`);
});

test('the paired t-test refuses fewer than 2 differences and non-finite ones, saying which', () => {
  assert.throws(() => pairedTTest([0.1]), { kind: 'internal', message: 'a paired t-test needs 2 or more differences, got 1' } as never);
  assert.throws(() => pairedTTest([0.1, Number.NaN]), { message: 'statistics of paired differences: sample 2 of 2 is NaN; only finite numbers can be summarised' });
});
