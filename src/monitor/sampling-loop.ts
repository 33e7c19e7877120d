/**
 * Samples every target and the host on a fixed schedule: sample k is due at start + k * interval
 * (re-armed against that absolute time, so the cost of a sample never accumulates as drift; a
 * late tick skips the samples it missed). Stamps are process.hrtime.bigint(), the token clock.
 */
import type { Target } from './backends.js';
import type { HostSampler } from './host.js';
import type { SampleRow } from './types.js';

/**
 * The slot of the sample after sample `k` and when it is due (ns), given the time now: slot k + 1
 * at start + (k + 1) * interval, or, when that has passed (a stalled process), the first slot still
 * in the future, so missed samples are skipped and never taken in a burst.
 */
export function nextSampleSlot(start: bigint, k: number, intervalNs: bigint, now: bigint): { k: number; due: bigint } {
  let next = k + 1;
  let due = start + BigInt(next) * intervalNs;
  if (due <= now) {
    next = Number((now - start) / intervalNs) + 1;
    due = start + BigInt(next) * intervalNs;
  }
  return { k: next, due };
}

export class SamplingLoop {
  private timer: NodeJS.Timeout | undefined;
  private start = 0n;
  private k = 0;
  private readonly intervalNs: bigint;
  /** Devices that failed mid-run (lost), with why; they are no longer read. */
  readonly failures = new Map<string, string>();

  constructor(
    private readonly targets: readonly Target[],
    private readonly host: HostSampler | null,
    readonly intervalMs: number,
    private readonly onRows: (rows: SampleRow[]) => void,
  ) {
    this.intervalNs = BigInt(Math.round(intervalMs * 1e6));
  }

  /** When the schedule began (ns): slot k is due at this + k * interval. */
  get startedNs(): bigint {
    return this.start;
  }

  begin(): void {
    this.start = process.hrtime.bigint();
    this.k = 0;
    this.tick();
  }

  /** Takes one sample of everything now. */
  sampleNow(): SampleRow[] {
    const t = process.hrtime.bigint().toString();
    const rows: SampleRow[] = [];
    for (const target of this.targets) {
      const id = target.info.id;
      if (this.failures.has(id)) continue;
      try {
        rows.push({ t_ns: t, device: id, ...target.sampler.read(target.info.physical_index) });
      } catch (err) {
        this.failures.set(id, err instanceof Error ? err.message : String(err));
      }
    }
    if (this.host) rows.push({ t_ns: t, device: 'host', ...this.host.read() });
    return rows;
  }

  private tick(): void {
    this.onRows(this.sampleNow());
    const next = nextSampleSlot(this.start, this.k, this.intervalNs, process.hrtime.bigint());
    this.k = next.k;
    this.armFor(next.due);
  }

  /**
   * Ticks at `due` (ns), never before. Node's timers count whole milliseconds from the loop's
   * cached clock, which lags real time by whatever ran since the loop turned (a sample's own read
   * time, for one): a timer can fire early, so an early one re-arms for the rest.
   */
  private armFor(due: bigint): void {
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    this.timer = setTimeout(() => (process.hrtime.bigint() >= due ? this.tick() : this.armFor(due)), Math.max(1, Math.ceil(wait)));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
