import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binomialHalfPmf,
  ci95Mean,
  ci95MedianSorted,
  mean,
  quantileSorted,
  studentTQuantile,
  summarize,
  variance,
} from '../../src/results/statistics.js';

const close = (a: number, b: number, tol = 1e-4): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const ONE_TO_TEN = [7, 3, 10, 1, 5, 2, 9, 4, 8, 6];

test('mean and sample variance of 1..10', () => {
  assert.equal(mean(ONE_TO_TEN), 5.5);
  close(variance(ONE_TO_TEN), 82.5 / 9, 1e-12);
});

test('percentiles interpolate linearly between order statistics (numpy default)', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(quantileSorted(sorted, 0.5), 5.5);
  close(quantileSorted(sorted, 0.9), 9.1, 1e-12); // position 8.1
  close(quantileSorted(sorted, 0.95), 9.55, 1e-12); // position 8.55
  close(quantileSorted(sorted, 0.99), 9.91, 1e-12); // position 8.91
  assert.equal(quantileSorted([4], 0.99), 4);
  close(quantileSorted([10, 20], 0.25), 12.5, 1e-12);
});

test("Student's t quantiles match tables", () => {
  close(studentTQuantile(0.975, 1), 12.7062);
  close(studentTQuantile(0.975, 9), 2.2622);
  close(studentTQuantile(0.975, 30), 2.0423);
  close(studentTQuantile(0.975, 1000), 1.9623);
});

test('95% CI of the mean: mean ± t(0.975, n-1)·s/√n', () => {
  const [lo, hi] = ci95Mean(ONE_TO_TEN) ?? [NaN, NaN];
  // s = 3.02765, s/√10 = 0.957427, t = 2.262157 -> half width 2.16585
  close(lo, 5.5 - 2.16585);
  close(hi, 5.5 + 2.16585);
  assert.equal(ci95Mean([1]), null);
});

test('95% CI of the median uses binomial order statistics', () => {
  close(binomialHalfPmf(1, 10), 10 / 1024, 1e-12);
  const s = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(ci95MedianSorted(s(10)), [2, 9]); // P(B<=1) = 11/1024 <= 0.025 < P(B<=2)
  assert.deepEqual(ci95MedianSorted(s(20)), [6, 15]); // P(B<=5) = 0.0207
  assert.deepEqual(ci95MedianSorted(s(6)), [1, 6]); // 1/64 <= 0.025
  assert.equal(ci95MedianSorted(s(5)), null); // even [min, max] covers only 93.75%
});

test('summarize gives every field of the schema', () => {
  const st = summarize(ONE_TO_TEN);
  assert.ok(st);
  assert.equal(st.n, 10);
  assert.equal(st.min, 1);
  assert.equal(st.max, 10);
  assert.equal(st.p50, 5.5);
  close(st.std ?? NaN, Math.sqrt(82.5 / 9), 1e-12);
  assert.equal(summarize([]), null);
  const one = summarize([3]);
  assert.equal(one?.std, null);
  assert.equal(one?.ci95_mean, null);
  assert.equal(one?.p99, 3);
});
