/**
 * Summary statistics over samples. Small pure functions; those named `...Sorted` take samples
 * sorted ascending. Percentiles interpolate linearly between order statistics (numpy's default,
 * `method='linear'`); confidence intervals are 95%: Student's t for the mean, the distribution-free
 * binomial order-statistic interval for the median. Sums are compensated (Neumaier) and the
 * variance is the corrected two-pass one, so many equal samples give their value and a zero spread,
 * and large offsets do not swamp small spreads. NaN and infinities are refused, never summarised.
 */
import { RunError } from '../util/errors.js';

/** The statistics object of the result schema. */
export interface Stats {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for fewer than two samples. */
  std: number | null;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** 95% confidence interval of the mean; null for fewer than two samples. */
  ci95_mean: [number, number] | null;
  /** 95% confidence interval of the median; null when n is too small for 95% coverage (n < 6). */
  ci95_median: [number, number] | null;
}

/** How percentiles are computed, stated in every output that shows them. */
export const PERCENTILE_METHOD = 'linear interpolation between order statistics (numpy default)';

/** Copy of the samples sorted ascending. */
export function sortAscending(samples: readonly number[]): number[] {
  return Array.from(samples).sort((a, b) => a - b);
}

/** Throws a RunError naming the first sample that is NaN or infinite. */
export function assertFinite(samples: ArrayLike<number>, what = 'samples'): void {
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    if (!Number.isFinite(x)) throw new RunError('internal', `statistics of ${what}: sample ${i + 1} of ${samples.length} is ${x}; only finite numbers can be summarised`);
  }
}

/** Σ of the terms with Neumaier's compensation: the rounding error of every addition is kept and added back. */
export function compensatedSum(terms: Iterable<number>): number {
  let sum = 0;
  let lost = 0;
  for (const x of terms) {
    const t = sum + x;
    lost += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + lost;
}

/** Arithmetic mean (compensated sum). */
export function mean(samples: readonly number[]): number {
  return compensatedSum(samples) / samples.length;
}

/**
 * Sample variance (divisor n - 1), corrected two-pass: Σ(x - m)² - (Σ(x - m))² / n, whose second
 * term removes what the rounding of m leaves (Chan, Golub and LeVeque).
 */
export function variance(samples: readonly number[]): number {
  const m = mean(samples);
  const deviations = samples.map((x) => x - m);
  const squares = compensatedSum(deviations.map((d) => d * d));
  const drift = compensatedSum(deviations);
  return Math.max(0, squares - (drift * drift) / samples.length) / (samples.length - 1);
}

/** The q-quantile (0..1) of sorted samples, linear interpolation: numpy's default. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Median of sorted samples. */
export function medianSorted(sorted: ArrayLike<number>): number {
  return quantileSorted(sorted, 0.5);
}

/** log Γ(x), Lanczos approximation (g = 7, n = 9). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b), by its continued fraction (Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let numerator: number;
    if (i === 0) numerator = 1;
    else if (i % 2 === 0) numerator = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else numerator = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-14) break;
  }
  return front * (f - 1);
}

/** CDF of Student's t distribution with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t distribution (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X = k) for X ~ Binomial(n, 1/2). */
export function binomialHalfPmf(k: number, n: number): number {
  return Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) - n * Math.LN2);
}

/** 95% CI of the mean: mean ± t(0.975, n-1) · s / √n. */
export function ci95Mean(samples: readonly number[]): [number, number] | null {
  const n = samples.length;
  if (n < 2) return null;
  const m = mean(samples);
  const half = studentTQuantile(0.975, n - 1) * Math.sqrt(variance(samples) / n);
  return [m - half, m + half];
}

/**
 * 95% CI of the median from order statistics: [x(j), x(n+1-j)] with the largest j for which
 * P(Binomial(n, 1/2) <= j - 1) <= 0.025; null when even [min, max] covers less than 95% (n < 6).
 */
export function ci95MedianSorted(sorted: ArrayLike<number>): [number, number] | null {
  const n = sorted.length;
  // cdf accumulates P(B <= j) term by term; j ends as the number of ranks cut from each side
  let j = 0;
  let cdf = binomialHalfPmf(0, n);
  while (cdf <= 0.025) {
    j++;
    cdf += binomialHalfPmf(j, n);
  }
  if (j === 0) return null;
  return [sorted[j - 1] as number, sorted[n - j] as number];
}

/** All statistics of the result schema; null for no samples; a RunError for NaN or an infinity. */
export function summarize(samples: readonly number[], what?: string): Stats | null {
  if (samples.length === 0) return null;
  assertFinite(samples, what);
  const sorted = sortAscending(samples);
  const n = sorted.length;
  return {
    n,
    mean: mean(sorted),
    std: n > 1 ? Math.sqrt(variance(sorted)) : null,
    min: sorted[0] as number,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[n - 1] as number,
    ci95_mean: ci95Mean(sorted),
    ci95_median: ci95MedianSorted(sorted),
  };
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 erf; error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Ranks 1..n of the pooled samples, ties given their average rank; also Σ(t³ - t) over tie groups. */
function pooledRanks(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = avg;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { ranks, tieTerm };
}

/** Mann-Whitney U test, two-sided: U of `a`, and the p-value from the normal approximation with tie and continuity corrections. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): { u: number; p: number } {
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const { ranks, tieTerm } = pooledRanks([...a, ...b]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i] as number;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))) };
}

/**
 * 95% bootstrap confidence interval of median(b) / median(a) - 1 (percentile method), from
 * `resamples` resamples of each side drawn with a seeded generator, so the same data give the same interval.
 */
export function bootstrapMedianChangeCi(a: readonly number[], b: readonly number[], resamples = 2000, seed = 1): [number, number] {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: deterministic, ample for resampling indices
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const resampleMedian = (xs: readonly number[]): number => {
    const copy = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) copy[i] = xs[Math.floor(next() * xs.length)] as number;
    copy.sort();
    return quantileSorted(copy, 0.5);
  };
  const changes = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) changes[i] = resampleMedian(b) / resampleMedian(a) - 1;
  changes.sort();
  return [quantileSorted(changes, 0.025), quantileSorted(changes, 0.975)];
}
