/**
 * The parts of a load run split over processes or machines (load --shard) meet in the store before
 * their measured phase: each registers, waits until all N have, and all start at one instant on the
 * database server's clock, a lead time after the last registration. Each part measures its own
 * clock's offset to the server's by round trips, and records it with its uncertainty and how late
 * it actually started, so the skew between machines is stated, not hidden.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shard } from '../config/shard.js';
import { type ClockOffset, clockOffsetByRoundTrips } from '../util/clock-offset.js';
import type { ResultStore } from '../results/store/store.js';
import { RunError } from '../util/errors.js';

/** Where and when a part started, as recorded in its load summary. */
export interface PartStart {
  index: number;
  count: number;
  /** The agreed start, on the database server's clock. */
  start_at: string;
  /** The server's clock minus this machine's wall clock (ms). */
  clock_offset_ms: number;
  /** Half the fastest round trip to the server, plus the server clock's resolution (ms). */
  clock_uncertainty_ms: number;
  /** How long after the agreed instant (converted to this machine's clock) the measured phase began (ms). */
  start_late_ms: number;
  /** From registering to the start (ms): the wait for the other parts and the lead time. */
  waited_ms: number;
}

export interface MeetOptions {
  /** The start is this long after the last part registered (ms), time for every part to see it. */
  leadMs?: number;
  /** How long to wait for the other parts (ms) before the config fails. */
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  host: string;
}

/** This process's wall clock with sub-millisecond steps (monotonic between readings). */
const wallNow = (): number => performance.timeOrigin + performance.now();

/** The server's clock minus this machine's (ms), from the median of the fastest tenth of `trips` round trips; uncertain also by the server clock's step. */
export async function serverClockOffset(store: ResultStore, trips = 30): Promise<ClockOffset> {
  const { offsetMs, uncertaintyMs } = await clockOffsetByRoundTrips(wallNow, () => store.serverNowMs(), trips);
  return { offsetMs, uncertaintyMs: uncertaintyMs + store.clockResolutionMs };
}

/** Registers this part, waits for all of them, and returns at the agreed instant (on this machine's clock). */
export async function meetParts(store: ResultStore, group: string, configHash: string, part: Shard, options: MeetOptions): Promise<PartStart> {
  const { leadMs = 3000, timeoutMs = 600_000, pollMs = 100, signal } = options;
  const registered = performance.now();
  await store.registerLoadPart(group, configHash, part, options.host);
  // parts registered longer ago than the wait belong to an earlier run of the same group: not counted
  const sinceMs = (await store.serverNowMs()) - timeoutMs;
  let lastMs: number | null = null;
  for (;;) {
    const seen = await store.loadPartsRegistered(group, configHash, part.count, sinceMs);
    if (seen.parts >= part.count) {
      lastMs = seen.lastMs;
      break;
    }
    if (signal?.aborted) throw new RunError('interrupted', 'interrupted by the user while waiting for the other parts');
    // Stryker disable next-line EqualityOperator: > or >= on a clock that moves on between reads
    if (performance.now() - registered > timeoutMs) {
      throw new RunError('parts_missing', `${seen.parts} of ${part.count} parts of group ${group} registered within ${Math.round(timeoutMs / 1000)} s; the measured phase never started`);
    }
    await sleep(pollMs);
  }
  const startServerMs = (lastMs as number) + leadMs;
  const { offsetMs, uncertaintyMs } = await serverClockOffset(store);
  // the agreed instant on this machine's clock: sleep to 10 ms before it (a timer on a busy machine
  // wakes a few ms late), then watch the clock
  const target = startServerMs - offsetMs - performance.timeOrigin;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: without the sleep, or to 10 ms exactly, the spin below still ends at the target
  for (let left = target - performance.now(); left > 10; left = target - performance.now()) await sleep(left - 10);
  // Stryker disable next-line EqualityOperator: < or <= on a clock that moves on between reads
  while (performance.now() < target);
  const now = performance.now();
  return {
    index: part.index,
    count: part.count,
    start_at: new Date(startServerMs).toISOString(),
    clock_offset_ms: offsetMs,
    clock_uncertainty_ms: uncertaintyMs,
    start_late_ms: now - target,
    waited_ms: now - registered,
  };
}
