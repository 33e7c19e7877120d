/**
 * The page's own costs inside its generate() calls: how much of those windows the main thread
 * spent in long tasks, or in garbage collection. One formula for both: the time the windows share
 * with the union of the cost's intervals (nested or overlapping intervals count once).
 */

/** [start, end] in ms on one clock. */
export type Interval = readonly [number, number];

/** How much of some windows a cost took. */
export interface CostInWindows {
  /** The windows' total length (ms). */
  window_ms: number;
  /** The time inside the windows covered by at least one of the cost's intervals (ms). */
  cost_ms: number;
  /** Intervals that overlap some window. */
  count: number;
  /** cost_ms / window_ms; null when the windows are empty. */
  share: number | null;
}

/** The union of intervals: sorted, with overlapping or touching ones merged. */
export function intervalUnion(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The time the windows (disjoint) share with the union of `intervals`, and how many intervals reach into a window. */
export function costInWindows(windows: readonly Interval[], intervals: readonly Interval[]): CostInWindows {
  const union = intervalUnion(intervals);
  let windowMs = 0;
  let costMs = 0;
  for (const [a, b] of windows) {
    windowMs += b - a;
    for (const [s, e] of union) costMs += Math.max(0, Math.min(b, e) - Math.max(a, s));
  }
  const count = intervals.filter(([s, e]) => windows.some(([a, b]) => Math.min(b, e) > Math.max(a, s))).length;
  return { window_ms: windowMs, cost_ms: costMs, count, share: windowMs > 0 ? costMs / windowMs : null };
}
