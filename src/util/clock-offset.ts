/** How far another clock is from ours, read by round trips (a database server's, a browser page's). */
import { medianSorted, sortAscending } from '../results/statistics.js';

export interface ClockOffset {
  /** The other clock minus ours (ms). */
  offsetMs: number;
  /** Half the fastest round trip (ms): the other reading fell somewhere inside it. */
  uncertaintyMs: number;
}

/**
 * The other clock minus ours from `trips` round trips: each reads ours, the other, ours again and
 * takes the other against the middle of ours; the median of the fastest tenth is the offset.
 */
export async function clockOffsetByRoundTrips(ourNow: () => number, readOther: () => Promise<number>, trips: number): Promise<ClockOffset> {
  const samples: { rtt: number; offset: number }[] = [];
  for (let i = 0; i < trips; i++) {
    const before = ourNow();
    const other = await readOther();
    const after = ourNow();
    samples.push({ rtt: after - before, offset: other - (before + after) / 2 });
  }
  samples.sort((a, b) => a.rtt - b.rtt);
  const offsetMs = medianSorted(sortAscending(samples.slice(0, Math.max(1, Math.floor(trips / 10))).map((s) => s.offset)));
  return { offsetMs, uncertaintyMs: (samples[0] as { rtt: number }).rtt / 2 };
}
