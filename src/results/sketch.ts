/**
 * A mergeable quantile sketch with a relative error bound (DDSketch, Masson et al., VLDB 2019):
 * every value falls in a bucket (γ^(k-1), γ^k] with γ = (1 + α) / (1 − α), and a bucket stands for
 * 2γ^k / (γ + 1), which is within α of anything in it. So every order statistic it returns is within
 * a fraction α of the exact one, whatever the distribution, in memory that grows with the log of the
 * range of the values and not with their number. Two sketches merge by adding bucket counts: the
 * merge is exactly the sketch of the union, so parts and workers merge without losing the bound.
 */

/** Values nearer zero than this count as zero (ms: far below any clock's resolution). */
const ZERO_BELOW = 1e-9;

export class QuantileSketch {
  private readonly lnGamma: number;
  private readonly gamma: number;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();
  private zeros = 0;
  private sorted: { pos: number[]; neg: number[] } | null = null;
  count = 0;
  min = Infinity;
  max = -Infinity;

  /** `relativeError` α: each quantile returned is within α·|exact| of the exact one. */
  constructor(readonly relativeError = 0.005) {
    if (!(relativeError > 0 && relativeError < 1)) throw new RangeError(`a sketch's relative error must be in (0, 1), got ${relativeError}`);
    this.gamma = (1 + relativeError) / (1 - relativeError);
    this.lnGamma = Math.log(this.gamma);
  }

  /** Adds one finite value. */
  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`a sketch takes finite values, got ${x}`);
    const magnitude = Math.abs(x);
    if (magnitude < ZERO_BELOW) this.zeros++;
    else {
      const store = x > 0 ? this.positive : this.negative;
      const key = Math.ceil(Math.log(magnitude) / this.lnGamma);
      store.set(key, (store.get(key) ?? 0) + 1);
    }
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sorted = null;
  }

  /** Adds another sketch's values (same relative error): afterwards this is the sketch of both. */
  merge(other: QuantileSketch): void {
    if (other.relativeError !== this.relativeError) throw new RangeError(`sketches of relative error ${this.relativeError} and ${other.relativeError} do not merge`);
    for (const [from, into] of [[other.positive, this.positive], [other.negative, this.negative]] as const) {
      for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n);
    }
    this.zeros += other.zeros;
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.sorted = null;
  }

  /** Buckets kept (the sketch's size). */
  get buckets(): number {
    return this.positive.size + this.negative.size + (this.zeros > 0 ? 1 : 0);
  }

  /** The order statistic of 0-based rank `k` (within α of the exact one), clamped to the exact min and max. */
  valueAtRank(k: number): number {
    if (this.count === 0) throw new RangeError('an empty sketch has no order statistics');
    const rank = Math.min(Math.max(0, Math.floor(k)), this.count - 1);
    this.sorted ??= { pos: [...this.positive.keys()].sort((a, b) => a - b), neg: [...this.negative.keys()].sort((a, b) => b - a) };
    const clamp = (v: number): number => Math.min(this.max, Math.max(this.min, v));
    const valueOf = (key: number): number => (2 * this.gamma ** key) / (this.gamma + 1);
    let seen = 0;
    // ascending order: the largest negative magnitudes first, then zeros, then positives
    for (const key of this.sorted.neg) {
      seen += this.negative.get(key) as number;
      if (rank < seen) return clamp(-valueOf(key));
    }
    seen += this.zeros;
    if (rank < seen) return clamp(0);
    for (const key of this.sorted.pos) {
      seen += this.positive.get(key) as number;
      if (rank < seen) return clamp(valueOf(key));
    }
    return this.max;
  }

  /** The q-quantile by linear interpolation between order statistics (numpy's default), as statistics.ts. */
  quantile(q: number): number {
    const h = q * (this.count - 1);
    const lo = Math.floor(h);
    const below = this.valueAtRank(lo);
    return h > lo ? below + (this.valueAtRank(lo + 1) - below) * (h - lo) : below;
  }
}
