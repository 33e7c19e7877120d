import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertFinite,
  binomialHalfPmf,
  compensatedSum,
  ci95Mean,
  ci95MedianSorted,
  logGamma,
  mean,
  medianSorted,
  PERCENTILE_METHOD,
  quantileSorted,
  studentTCdf,
  studentTQuantile,
  summarize,
  variance,
} from '../../src/results/statistics.js';
import { RunError } from '../../src/util/errors.js';

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

test('numerics: sums are compensated, the variance is corrected two-pass; by hand', () => {
  // ten 0.1s: a plain sum gives 0.9999999999999999 and a non-zero spread
  const tenths = summarize(Array(10).fill(0.1));
  assert.equal(tenths?.mean, 0.1);
  assert.equal(tenths?.std, 0);
  assert.deepEqual(tenths?.ci95_mean, [0.1, 0.1]);
  assert.equal(compensatedSum([1, 1e100, 1, -1e100]), 2);
  // the exact sum of these four doubles (Python's math.fsum); a plain sum gives 1.1102230246251565e-16
  assert.equal(compensatedSum([0.1, 0.2, 0.3, -0.6]), 2.7755575615628914e-17);
  // a large offset: 1e9 + 0.1 * k, k = 0..7 -> mean 1e9 + 0.35, deviations ±0.05, ±0.15, ±0.25, ±0.35,
  // sum of squares 2 * (0.0025 + 0.0225 + 0.0625 + 0.1225) = 0.42, variance 0.42 / 7 = 0.06
  const offset = Array.from({ length: 8 }, (_, k) => 1e9 + 0.1 * k);
  close(mean(offset) - 1e9, 0.35, 1e-6);
  close(variance(offset), 0.06, 1e-6);
  // 1e15 + 0..7: mean 1e15 + 3.5, variance 42 / 7 = 6, exactly
  const big = Array.from({ length: 8 }, (_, k) => 1e15 + k);
  assert.equal(mean(big), 1e15 + 3.5);
  assert.equal(variance(big), 6);
  assert.equal(variance([5, 5]), 0);
});

test('numerics: NaN and infinities are refused with the sample named, never sorted into a summary', () => {
  const refused = (samples: number[], what?: string): string => {
    try {
      summarize(samples, what);
    } catch (err) {
      return err instanceof RunError ? `${err.kind}: ${err.message}` : 'other';
    }
    return 'none';
  };
  assert.equal(refused([1, NaN, 3]), 'internal: statistics of samples: sample 2 of 3 is NaN; only finite numbers can be summarised');
  assert.equal(refused([1, 2, Infinity], 'tokens_per_s'), 'internal: statistics of tokens_per_s: sample 3 of 3 is Infinity; only finite numbers can be summarised');
  assert.equal(refused([-Infinity]), 'internal: statistics of samples: sample 1 of 1 is -Infinity; only finite numbers can be summarised');
  assert.equal(refused([1, 2, 3]), 'none');
  assert.doesNotThrow(() => assertFinite([0, -0, Number.MAX_VALUE, Number.MIN_VALUE]));
});

test('golden and edge values: the percentile method every result names, medians, log gamma below 1/2, the t distribution at 0 and infinity', () => {
  // written into every result file and matched on by readers: a change must be deliberate
  assert.equal(PERCENTILE_METHOD, 'linear interpolation between order statistics (numpy default)');
  assert.equal(medianSorted([1, 2, 3, 4]), 2.5);
  assert.equal(medianSorted([1, 2, 7]), 2);
  // scipy.special.gammaln: the reflection formula below 1/2
  assert.ok(Math.abs(logGamma(0.25) - 1.2880225246980774) < 1e-12);
  assert.ok(Math.abs(logGamma(0.1) - 2.252712651734206) < 1e-12);
  assert.equal(studentTCdf(0, 5), 0.5);
  assert.equal(studentTCdf(Infinity, 5), 1);
  assert.equal(studentTCdf(-Infinity, 5), 0);
});

test('95% interval of any quantile from binomial order statistics', async () => {
  const { binomialPmf, quantileIntervalRanks, quantileWithOver } = await import('../../src/results/statistics.js');
  close(binomialPmf(2, 5, 0.3), 10 * 0.09 * 0.343, 1e-12);
  // q = 1/2 is the median's interval: the same ranks as ci95MedianSorted
  assert.deepEqual(quantileIntervalRanks(20, 0.5), [6, 15]);
  assert.deepEqual(quantileIntervalRanks(10, 0.5), [2, 9]);
  // n = 100, q = 0.9: P(B <= 83) = 0.0206 <= 0.025 < P(B <= 84) = 0.0399, so l = 84; P(B >= 96) = 0.0237, P(B >= 95) = 0.0576, so u = 96
  assert.deepEqual(quantileIntervalRanks(100, 0.9), [84, 96]);
  // a p99 of 100 samples cannot be bounded above: P(B = 100) = 0.366
  assert.equal(quantileIntervalRanks(100, 0.99)[1], 101);
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  const p90 = quantileWithOver(s, 0, 0.9);
  close(p90.value, 90.1, 1e-12); // numpy: position 89.1
  assert.deepEqual(p90.ci95, [84, 96]);
  assert.equal(quantileWithOver(s, 0, 0.99).ci95[1], Infinity);
  // 2 of 100 failed: they lie above every value, so the p99 (position 98.01) reaches them
  const failed = quantileWithOver(s.slice(0, 98), 2, 0.99);
  assert.equal(failed.value, Infinity);
  // ... and the p90 does not: the 98 values with 2 above are the same order statistics up to rank 98
  close(quantileWithOver(s.slice(0, 98), 2, 0.9).value, 90.1, 1e-12);
  // a position exactly on a rank takes that value: n = 101, q = 0.5, position 50, rank 51
  assert.equal(quantileWithOver(s, 1, 0.5).value, 51);
  assert.throws(() => quantileIntervalRanks(10, 1), RangeError);
});

test('Holm: p-values sorted, the k-th smallest times (m - k + 1), never below the one before, at most 1; in the order given', async () => {
  const { holmAdjusted } = await import('../../src/results/statistics.js');
  // 0.01 x 5 = 0.05; 0.03 x 4 = 0.12; 0.04 x 3 = 0.12 (not below 0.12); 0.2 x 2 = 0.4; 0.5 x 1 = 0.5
  assert.deepEqual(holmAdjusted([0.5, 0.04, 0.01, 0.2, 0.03]).map((p) => Number(p.toFixed(12))), [0.5, 0.12, 0.05, 0.4, 0.12]);
  assert.deepEqual(holmAdjusted([0.3, 0.6]), [0.6, 0.6]);
  assert.deepEqual(holmAdjusted([0.04]), [0.04]);
  assert.deepEqual(holmAdjusted([]), []);
});
