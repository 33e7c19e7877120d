/**
 * Where a capacity search probes next (pure: no I/O). A rate search first probes the saturated
 * throughput, then bisects between the highest rate that held and the lowest that failed until
 * they are within the precision of the rate held. A concurrency search doubles from 1 until a
 * value fails (or the limit holds), then bisects the integers between. Latency grows with load, so
 * each probe's verdict moves one side of the bracket; the answer is always a value that was
 * measured and held.
 */

/** The highest value that held and the lowest that failed, so far. */
export interface Bracket {
  holds: number | null;
  fails: number | null;
}

/** A search's next value, or why it is done. */
export type NextProbe = { value: number } | { done: 'found' | 'none_holds' | 'holds_at_limit' };

/** A rate search gives up below this share of the saturated throughput: nothing there held. */
export const RATE_FLOOR_SHARE = 1 / 64;

/** The bracket after a probe of `value` that held or not. */
export function narrowed(b: Bracket, value: number, holds: boolean): Bracket {
  if (holds) return { ...b, holds: b.holds === null ? value : Math.max(b.holds, value) };
  return { ...b, fails: b.fails === null ? value : Math.min(b.fails, value) };
}

/**
 * The next rate to probe, for a server whose saturated throughput is `saturation` requests/s:
 * that throughput first, then bisection until `fails - holds <= precision * holds`.
 */
export function nextRate(b: Bracket, saturation: number, precision: number): NextProbe {
  if (b.holds === null && b.fails === null) return { value: saturation };
  if (b.fails === null) return { done: 'holds_at_limit' };
  const lo = b.holds ?? 0;
  if (lo === 0 && b.fails <= saturation * RATE_FLOOR_SHARE) return { done: 'none_holds' };
  if (lo > 0 && b.fails - lo <= precision * lo) return { done: 'found' };
  return { value: (lo + b.fails) / 2 };
}

/** The next concurrency to probe, up to `limit`: 1, then doubling until one fails, then bisection of the integers. */
export function nextConcurrency(b: Bracket, limit: number): NextProbe {
  if (b.holds === null && b.fails === null) return { value: 1 };
  if (b.holds === null) return { done: 'none_holds' };
  if (b.fails === null) return b.holds >= limit ? { done: 'holds_at_limit' } : { value: Math.min(limit, b.holds * 2) };
  if (b.fails - b.holds <= 1) return { done: 'found' };
  return { value: Math.floor((b.holds + b.fails) / 2) };
}
