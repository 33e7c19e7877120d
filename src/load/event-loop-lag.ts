/**
 * The client's own event-loop lag during a load run. Chunk stamps are taken when the loop gets to
 * a socket's data, so a busy loop delays them; this says by how much it could have.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * How often the lag is sampled. Each sample wakes the loop: at 2 ms the 500 wake-ups a second were
 * most of an idle client's CPU (bench/client-cpu.ts). A sample is the delay at a moment unrelated
 * to the traffic, so 20 a second still give the share of time the loop was late, as the stamps
 * would see it; only a run of a few seconds has too few for its p99.
 */
const RESOLUTION_MS = 50;
/**
 * Above this p99 lag, stamps may be off by more than the accuracy tokenbench aims for. libuv's
 * timers run on a millisecond clock, so an idle loop already reads up to about 1 ms here.
 */
const WARN_P99_MS = 2;

export interface LoopLag {
  p50: number;
  p99: number;
  max: number;
}

export class EventLoopLag {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  start(): void {
    this.histogram.reset();
    this.histogram.enable();
  }

  /** Stops and reports the lag in ms (the timer's delay beyond its own period). */
  stop(): LoopLag {
    this.histogram.disable();
    if (this.histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
    const lag = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return { p50: lag(this.histogram.percentile(50)), p99: lag(this.histogram.percentile(99)), max: lag(this.histogram.max) };
  }
}

/** Below this share of one core, a lagging client was not busy itself: other processes held the CPU. */
const BUSY_SHARE = 0.5;

/**
 * A warning when the lag could have distorted the stamps, else null: what it did to them, and what
 * would help, from whether the client itself was busy (`cpuShare`: its CPU time over the measured
 * time, in cores) or was kept waiting by other processes.
 */
export function lagWarning(lag: LoopLag, cpuShare: number | null = null): string | null {
  if (lag.p99 <= WARN_P99_MS) return null;
  const what = `the client's event loop lagged ${lag.p99.toFixed(2)} ms at p99 (max ${lag.max.toFixed(1)} ms), so a chunk could be stamped (and a request sent) up to that much late, which TTFT, ITL and the dispatch delay then include`;
  if (cpuShare === null) return `${what}; use fewer streams per process (--workers) or a quieter machine`;
  if (cpuShare >= BUSY_SHARE) return `${what}; the client was busy itself (${(cpuShare * 100).toFixed(0)}% of a core): spread the streams over processes with --workers N`;
  return `${what}; the client was not busy itself (${(cpuShare * 100).toFixed(0)}% of a core), so other processes on this machine held the CPU: run on a quieter machine, or give the client a core of its own (taskset)`;
}
