/**
 * The token stamper: one process.hrtime.bigint() per generation step, into a preallocated array,
 * and nothing else in put() so that stamping costs as little as possible.
 */
import type { TokenSink } from '../engines/engine.js';

export class TokenStamper implements TokenSink {
  private readonly stamps: BigInt64Array;
  private n = 0;
  private ended = false;

  /** `capacity`: the steps expected; more are counted but not stamped. */
  constructor(capacity: number) {
    this.stamps = new BigInt64Array(capacity);
  }

  put(): void {
    if (this.n < this.stamps.length) this.stamps[this.n] = process.hrtime.bigint();
    this.n++;
  }

  end(): void {
    this.ended = true;
  }

  /** Steps seen (may exceed capacity). */
  get count(): number {
    return this.n;
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** The stamps taken, in order. */
  stampList(): bigint[] {
    return Array.from(this.stamps.subarray(0, Math.min(this.n, this.stamps.length)));
  }

  reset(): void {
    this.n = 0;
    this.ended = false;
  }
}
