/**
 * The one clock: process.hrtime.bigint() is CLOCK_MONOTONIC in nanoseconds, system-wide on Linux,
 * so stamps from another process share the timeline. Never Date.now() for durations.
 */
export const now: () => bigint = process.hrtime.bigint;

/** Milliseconds elapsed since `start` (ns). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
