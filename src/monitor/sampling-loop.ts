/**
 * Samples every target and the host on a fixed schedule: sample k is due at start + k * interval
 * (re-armed against that absolute time, so the cost of a sample never accumulates as drift; a
 * late tick skips the samples it missed). Stamps are process.hrtime.bigint(), the token clock.
 */
import type { Target } from './backends.js';
import type { HostSampler } from './host.js';
import type { SampleRow } from './types.js';

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
    const now = process.hrtime.bigint();
    this.k++;
    let due = this.start + BigInt(this.k) * this.intervalNs;
    if (due <= now) {
      // late (a stalled process): skip to the next slot in the future, never burst
      this.k = Number((now - this.start) / this.intervalNs) + 1;
      due = this.start + BigInt(this.k) * this.intervalNs;
    }
    // Node's timers count whole milliseconds on a cached loop clock: round up, never fire early
    this.timer = setTimeout(() => this.tick(), Math.ceil(Number(due - now) / 1e6));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
