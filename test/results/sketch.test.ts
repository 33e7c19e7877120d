/** The quantile sketch and the metric sink: hand-computed buckets, the error bound, merging, and the switch from exact values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricSink, noiseOf } from '../../src/results/metric-sink.js';
import { QuantileSketch } from '../../src/results/sketch.js';
import { quantileSorted, sortAscending, summarize } from '../../src/results/statistics.js';
import { RunError } from '../../src/util/errors.js';

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** A seeded lognormal sample (median 20, sigma 0.6): latencies with a long tail. */
function lognormal(n: number, seed = 1): number[] {
  let s = seed;
  const u = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Array.from({ length: n }, () => 20 * Math.exp(0.6 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())));
}

test('buckets by hand (alpha 1%): gamma = 1.01/0.99, a value in (gamma^(k-1), gamma^k] stands as 2 gamma^k / (gamma + 1), clamped to the exact min and max', () => {
  const s = new QuantileSketch(0.01);
  for (const x of [100, 3, 0.5, 10, 1]) s.add(x);
  // keys ceil(ln x / ln gamma): 0.5 -> -34, 1 -> 0, 3 -> 55, 10 -> 116, 100 -> 231
  const ranks = [0, 1, 2, 3, 4].map((k) => s.valueAtRank(k));
  const expected = [0.5015394534033262, 0.99, 2.9742334234767016, 10.074696689511331, 100];
  ranks.forEach((v, i) => assert.ok(close(v, expected[i] as number), `rank ${i}: ${v}`));
  assert.ok(close(s.quantile(0.5), 2.9742334234767016));
  // 0.9 * 4 = 3.6: 60% of the way from rank 3 to rank 4, as numpy interpolates
  assert.ok(close(s.quantile(0.9), 10.074696689511331 + (100 - 10.074696689511331) * 0.6));
  assert.deepEqual([s.count, s.min, s.max, s.buckets], [5, 0.5, 100, 5]);
  // negatives mirror the positives, zero has its own bucket
  const signed = new QuantileSketch(0.01);
  for (const x of [2, 0, -2]) signed.add(x);
  const two = (2 * ((1.01 / 0.99) ** 35)) / (1.01 / 0.99 + 1);
  assert.ok(close(signed.valueAtRank(0), -two));
  assert.equal(signed.valueAtRank(1), 0);
  assert.ok(close(signed.valueAtRank(2), two));
  assert.throws(() => s.add(Number.NaN), RangeError);
  assert.throws(() => new QuantileSketch(0).add(1), RangeError);
  assert.throws(() => new QuantileSketch().valueAtRank(0), RangeError);
});

test('every percentile of 20,000 lognormal values is within the relative error of the exact one, in a few hundred buckets', () => {
  const values = lognormal(20_000);
  const sorted = sortAscending(values);
  const s = new QuantileSketch(0.005);
  for (const x of values) s.add(x);
  let worst = 0;
  for (let q = 0; q <= 1; q += 0.001) worst = Math.max(worst, Math.abs(s.quantile(q) - quantileSorted(sorted, q)) / quantileSorted(sorted, q));
  assert.ok(worst <= 0.005 + 1e-12, `worst relative error ${worst}`);
  assert.ok(worst > 0, 'a sketch that is exact here is not sketching');
  assert.ok(s.buckets < 1000, `${s.buckets} buckets`);
});

test('two sketches merged are exactly the sketch of both halves; sketches of another error do not merge', () => {
  const values = lognormal(5000, 7);
  const whole = new QuantileSketch();
  const a = new QuantileSketch();
  const b = new QuantileSketch();
  values.forEach((x, i) => {
    whole.add(x);
    (i % 3 === 0 ? a : b).add(x);
  });
  a.merge(b);
  for (let k = 0; k < values.length; k += 97) assert.equal(a.valueAtRank(k), whole.valueAtRank(k));
  assert.deepEqual([a.count, a.min, a.max], [whole.count, whole.min, whole.max]);
  assert.throws(() => a.merge(new QuantileSketch(0.01)), RangeError);
});

test('a metric sink is exact while its values fit: the same statistics and noise as summarize and noiseOf', () => {
  const values = lognormal(500, 3);
  const sink = new MetricSink('ttft_ms', 500);
  for (const x of values) sink.add(x);
  assert.equal(sink.exact, true);
  assert.deepEqual(sink.stats(), summarize(values));
  assert.deepEqual(sink.noise(), noiseOf(values));
  assert.equal(new MetricSink('x').stats(), null);
  assert.throws(() => sink.add(Number.POSITIVE_INFINITY), (e: unknown) => e instanceof RunError && /ttft_ms/.test(e.message));
});

test('past its limit a metric sink keeps a sketch: n, mean, std, min and max exact, percentiles within the stated error', () => {
  const values = lognormal(20_000, 5);
  const sink = new MetricSink('e2e_ms', 1000);
  for (const x of values) sink.add(x);
  assert.equal(sink.exact, false);
  const got = sink.stats();
  const exact = summarize(values);
  assert.ok(got && exact);
  assert.equal(got.relative_error, 0.005);
  assert.deepEqual([got.n, got.min, got.max], [exact.n, exact.min, exact.max]);
  assert.ok(close(got.mean, exact.mean, 1e-12) && close(got.std as number, exact.std as number, 1e-9));
  assert.ok(close((got.ci95_mean as [number, number])[0], (exact.ci95_mean as [number, number])[0], 1e-9));
  for (const k of ['p50', 'p90', 'p95', 'p99'] as const) assert.ok(Math.abs(got[k] - exact[k]) <= 0.005 * exact[k], `${k}: ${got[k]} against ${exact[k]}`);
  const [lo, hi] = got.ci95_median as [number, number];
  const [elo, ehi] = exact.ci95_median as [number, number];
  assert.ok(Math.abs(lo - elo) <= 0.005 * elo && Math.abs(hi - ehi) <= 0.005 * ehi);
  const noise = sink.noise();
  const exactNoise = noiseOf(values);
  assert.ok(noise && exactNoise && close(noise.cv, exactNoise.cv, 1e-9) && close(noise.log_sigma, exactNoise.log_sigma, 1e-9));
});

test('sketches of zeros, negatives, one value, and merges with empty ones: every order statistic within the bound of the exact one', () => {
  const exactQuantile = (values: readonly number[], q: number): number => quantileSorted([...values].sort((a, b) => a - b), q);
  const within = (got: number, want: number, what: string): void => assert.ok(Math.abs(got - want) <= 0.005 * Math.abs(want) + 1e-12, `${what}: ${got} against ${want}`);
  const sketchOf = (values: readonly number[]): QuantileSketch => {
    const s = new QuantileSketch(0.005);
    for (const v of values) s.add(v);
    return s;
  };
  // a clock offset's values around zero: negatives, zeros and positives, in order
  const mixed = [-40, -3.5, -0.25, 0, 0, 0, 1e-12, 0.3, 2, 7.5, 90];
  const s = sketchOf(mixed);
  assert.equal(s.count, mixed.length);
  assert.deepEqual([s.min, s.max], [-40, 90]);
  const sorted = [...mixed].sort((a, b) => a - b);
  for (let k = 0; k < mixed.length; k++) within(s.valueAtRank(k), sorted[k] as number, `rank ${k}`);
  for (const q of [0, 0.1, 0.25, 0.5, 0.9, 0.99, 1]) within(s.quantile(q), exactQuantile(mixed, q), `q ${q}`);
  // one value: every quantile is it
  const one = sketchOf([-2.5]);
  for (const q of [0, 0.5, 1]) assert.equal(one.quantile(q), -2.5);
  // all zeros
  assert.equal(sketchOf([0, 0, 0]).quantile(0.99), 0);
  // merges with an empty sketch, either way, change nothing; an empty sketch has no order statistics
  const empty = new QuantileSketch(0.005);
  assert.throws(() => empty.quantile(0.5), RangeError);
  const left = sketchOf(mixed);
  left.merge(new QuantileSketch(0.005));
  const right = new QuantileSketch(0.005);
  right.merge(sketchOf(mixed));
  for (const merged of [left, right]) {
    assert.deepEqual([merged.count, merged.min, merged.max], [mixed.length, -40, 90]);
    for (const q of [0.1, 0.5, 0.9]) assert.equal(merged.quantile(q), s.quantile(q));
  }
  // parts whose counts differ: the merge counts every value once (a sum, not a max)
  const a = sketchOf([1, 2, 3]);
  a.merge(sketchOf([-1, -2, 4, 5, 6, 7, 8]));
  assert.equal(a.count, 10);
  within(a.quantile(0.5), exactQuantile([1, 2, 3, -1, -2, 4, 5, 6, 7, 8], 0.5), 'median of the merge');
  assert.throws(() => sketchOf([1]).add(Number.NaN), RangeError);
});

test('sketch edges by hand: the relative error in (0, 1), finite values only, the zero band, buckets counted, negatives in ascending order, and what an empty or mismatched sketch says', () => {
  for (const bad of [0, 1, -0.1, 1.5]) assert.throws(() => new QuantileSketch(bad), new RangeError(`a sketch's relative error must be in (0, 1), got ${bad}`));
  const s = new QuantileSketch(0.01);
  assert.throws(() => s.add(Number.NaN), new RangeError('a sketch takes finite values, got NaN'));
  assert.throws(() => s.valueAtRank(0), new RangeError('an empty sketch has no order statistics'));
  assert.throws(() => s.merge(new QuantileSketch(0.02)), new RangeError('sketches of relative error 0.01 and 0.02 do not merge'));
  // 1e-9 is the first magnitude kept in a bucket; below it a value counts as zero
  s.add(1e-9);
  s.add(5e-10);
  assert.equal(s.buckets, 2, 'one bucket for 1e-9, one for the zeros');
  // negatives added from the smallest magnitude up: order statistics still ascend
  for (const x of [-1, -10, -100]) s.add(x);
  assert.equal(s.buckets, 5);
  const gamma = 1.01 / 0.99;
  const stands = (x: number): number => Math.sign(x) * ((2 * gamma ** Math.ceil(Math.log(Math.abs(x)) / Math.log(gamma))) / (gamma + 1));
  // rank 0 is the exact min (clamped); ranks 1 and 2 the buckets of -10 and -1; then the zero; then 1e-9's bucket
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => s.valueAtRank(k)), [-100, stands(-10), stands(-1), 0, stands(1e-9)]);
});
