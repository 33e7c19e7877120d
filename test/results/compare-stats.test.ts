import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSamples } from '../../src/report/compare.js';
import { bootstrapMedianChangeCi, mannWhitneyU, normalCdf } from '../../src/results/statistics.js';

const close = (a: number, b: number, tol = 1e-4): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('normal CDF', () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1.959964), 0.975, 1e-6);
  close(normalCdf(-1), 0.158655, 1e-6);
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

test('bootstrap CI of the median change is deterministic and covers the shift', () => {
  const base = Array.from({ length: 30 }, (_, i) => 10 + ((i * 7) % 11) / 10);
  const shifted = base.map((x) => x * 1.2);
  const ci = bootstrapMedianChangeCi(base, shifted);
  assert.deepEqual(ci, bootstrapMedianChangeCi(base, shifted));
  assert.ok(ci[0] <= 0.2 && ci[1] >= 0.2 && ci[0] > 0.1, `[${ci}]`);
});

test('verdicts: a real regression, an improvement, noise, and a change within the threshold', () => {
  const base = Array.from({ length: 20 }, (_, i) => 10 + ((i * 7) % 13) / 20);
  assert.equal(compareSamples(base, base.map((x) => x * 1.2), true, 0.05).verdict, 'slower');
  assert.equal(compareSamples(base, base.map((x) => x * 0.8), true, 0.05).verdict, 'faster');
  assert.equal(compareSamples(base, base.map((x) => x * 1.2), false, 0.05).verdict, 'faster'); // throughput up
  assert.equal(compareSamples(base, [...base].reverse(), true, 0.05).verdict, 'no significant change');
  // 3% slower is real (p small) but inside a 5% threshold
  const r = compareSamples(base, base.map((x) => x * 1.03), true, 0.05);
  assert.ok(r.p_value < 0.05);
  assert.equal(r.verdict, 'no significant change');
  close(r.change, 0.03, 1e-9);
  // the median is 10% slower and significant, but the interval reaches down to +3%: not past a
  // 5% threshold as a whole, so no verdict (a rule on the median change alone would say slower)
  const noisyBase = Array.from({ length: 20 }, (_, i) => 10 + ((i * 7) % 13) / 5);
  const noisy = compareSamples(noisyBase, noisyBase.map((x, i) => x * 1.08 + ((i * 5) % 7) / 10), true, 0.05);
  assert.ok(noisy.p_value < 0.001 && noisy.change > 0.1 && noisy.change_ci95[0] < 0.05, JSON.stringify(noisy));
  assert.equal(noisy.verdict, 'no significant change');
  // and for a throughput metric, the same in the other direction
  const rate = (x: number): number => 100 / x;
  const fewer = compareSamples(noisyBase.map(rate), noisyBase.map((x, i) => rate(x * 1.08 + ((i * 5) % 7) / 10)), false, 0.05);
  assert.ok(fewer.p_value < 0.001 && fewer.change < -0.09 && fewer.change_ci95[1] > -0.05, JSON.stringify(fewer));
  assert.equal(fewer.verdict, 'no significant change');
});
