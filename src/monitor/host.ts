/**
 * The host, always sampled (also with no GPU): machine CPU utilisation from /proc/stat, the
 * watched process tree's CPU (percent of one core) and RSS from /proc/<pid> of each of its
 * processes (process-tree.ts), system memory in use from /proc/meminfo, and the RAPL package energy
 * counter where it is readable.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { type ProcessTree, statFieldsAfterName } from './process-tree.js';
import type { HostReading } from './types.js';

const RAPL = '/sys/class/powercap/intel-rapl:0';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A /proc or /sys file kept open and re-read from offset 0 each time (no open/close per sample). */
class KeptFile {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(16384);
  constructor(path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch {
      this.fd = undefined;
    }
  }
  read(): string | undefined {
    if (this.fd === undefined) return undefined;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      return this.buf.toString('latin1', 0, n);
    } catch {
      return undefined;
    }
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Busy and total jiffies of the machine from /proc/stat's first line. */
export function parseProcStat(text: string): { busy: number; total: number } | undefined {
  const line = text.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // without guest columns, already in user/nice
  return { busy: total - idle, total };
}

/** utime + stime (ticks) from /proc/<pid>/stat. */
export function parseProcPidStat(text: string): number | undefined {
  const rest = statFieldsAfterName(text);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** A `Key: N kB` field of /proc files, in bytes. */
export function kbField(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** A process's /proc files, kept open while it is in the tree. */
interface ProcFiles {
  stat: KeptFile;
  status: KeptFile;
}

export class HostSampler {
  private readonly ticksPerSecond = clockTicks();
  private lastMachine: { busy: number; total: number } | undefined;
  /** Each process's CPU ticks at the last sample, and when that was. */
  private lastProc: { ticks: Map<number, number>; t: bigint } | undefined;
  private readonly raplMax = Number(read(`${RAPL}/max_energy_range_uj`)) || undefined;
  private rapl: { last: number; wraps: number } | undefined;

  private readonly files: Record<'stat' | 'meminfo' | 'rapl', KeptFile>;
  private readonly procFiles = new Map<number, ProcFiles>();

  constructor(private readonly watched: ProcessTree) {
    this.files = {
      stat: new KeptFile('/proc/stat'),
      meminfo: new KeptFile('/proc/meminfo'),
      rapl: new KeptFile(`${RAPL}/energy_uj`),
    };
  }

  close(): void {
    for (const f of Object.values(this.files)) f.close();
    for (const f of this.procFiles.values()) for (const k of Object.values(f)) k.close();
    this.procFiles.clear();
  }

  /** The tree's processes' files: opened for the ones new to it, closed for the ones gone. */
  private filesOfTree(): [number, ProcFiles][] {
    const pids = this.watched.pids();
    for (const [pid, f] of this.procFiles) {
      if (pids.includes(pid)) continue;
      f.stat.close();
      f.status.close();
      this.procFiles.delete(pid);
    }
    for (const pid of pids) if (!this.procFiles.has(pid)) this.procFiles.set(pid, { stat: new KeptFile(`/proc/${pid}/stat`), status: new KeptFile(`/proc/${pid}/status`) });
    return [...this.procFiles];
  }

  read(): HostReading {
    const r: HostReading = {};
    const now = process.hrtime.bigint();
    const stat = parseProcStat(this.files.stat.read() ?? '');
    if (stat) {
      if (this.lastMachine && stat.total > this.lastMachine.total) {
        r.host_cpu_pct = (100 * (stat.busy - this.lastMachine.busy)) / (stat.total - this.lastMachine.total);
      }
      this.lastMachine = stat;
    }
    // the tree's CPU: each process's ticks since the last sample (one new to the tree counts from its first)
    const ticks = new Map<number, number>();
    let spent = 0;
    let rss: number | undefined;
    for (const [pid, f] of this.filesOfTree()) {
      const t = parseProcPidStat(f.stat.read() ?? '');
      if (t === undefined) continue;
      ticks.set(pid, t);
      const before = this.lastProc?.ticks.get(pid);
      if (before !== undefined) spent += t - before;
      const status = f.status.read();
      const bytes = status ? kbField(status, 'VmRSS') : undefined;
      if (bytes !== undefined) rss = (rss ?? 0) + bytes;
    }
    if (ticks.size > 0) {
      if (this.lastProc && now > this.lastProc.t) r.proc_cpu_pct = (100 * spent) / this.ticksPerSecond / (Number(now - this.lastProc.t) / 1e9);
      this.lastProc = { ticks, t: now };
    }
    // summed over the tree's processes: pages they share count once in each
    if (rss !== undefined) r.proc_rss_bytes = rss;
    const meminfo = this.files.meminfo.read();
    if (meminfo) {
      const total = kbField(meminfo, 'MemTotal');
      const available = kbField(meminfo, 'MemAvailable');
      if (total !== undefined && available !== undefined) r.sys_mem_used_bytes = total - available;
    }
    const raplText = this.files.rapl.read();
    const uj = Number(raplText);
    if (raplText !== undefined && raplText.trim() !== '' && Number.isFinite(uj)) {
      // the counter wraps at max_energy_range_uj
      if (this.rapl && uj < this.rapl.last) this.rapl.wraps++;
      this.rapl = { last: uj, wraps: this.rapl?.wraps ?? 0 };
      r.host_energy_j = (uj + this.rapl.wraps * (this.raplMax ?? 0)) / 1e6;
    }
    for (const k of Object.keys(r) as (keyof HostReading)[]) if (r[k] === undefined) delete r[k];
    return r;
  }
}
