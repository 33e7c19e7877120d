/** The offset of another clock from round trips (the store's, a browser page's), by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clockOffsetByRoundTrips } from '../../src/util/clock-offset.js';

/**
 * Twenty round trips on a clock we drive: trip i starts at 1000·i ms and lasts rtt(i); the other
 * clock is `offset` ahead and is read `at` of the way through the trip. The two fastest trips are
 * read in their middle; the slow ones late, so an estimate that used them would be off.
 */
async function estimate(offset: number): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const rtt = (i: number): number => (i === 7 ? 1 : i === 13 ? 2 : 20 + i);
  const at = (i: number): number => (i === 7 || i === 13 ? 0.5 : 0.9);
  const reads: number[] = [];
  let trip = 0;
  let half = 0;
  const ourNow = (): number => {
    const t = 1000 * trip + (half === 0 ? 0 : rtt(trip));
    reads.push(t);
    if (half === 1) trip++;
    half = 1 - half;
    return t;
  };
  const readOther = async (): Promise<number> => 1000 * trip + at(trip) * rtt(trip) + offset;
  return clockOffsetByRoundTrips(ourNow, readOther, 20);
}

test('the offset is the other clock minus ours, of the fastest tenth of the round trips, either sign; the uncertainty half the fastest', async () => {
  for (const offset of [250, -250, 0]) {
    const e = await estimate(offset);
    assert.equal(e.offsetMs, offset, `offset ${offset}`);
    assert.equal(e.uncertaintyMs, 0.5);
  }
});

test('one round trip: its own offset and half its time', async () => {
  let t = 10;
  const e = await clockOffsetByRoundTrips(() => (t += 4), async () => 100, 1);
  // ours read 14 and 18: the middle is 16, the other said 100
  assert.deepEqual(e, { offsetMs: 84, uncertaintyMs: 2 });
});
