/**
 * The host, always sampled (also with no GPU): machine CPU utilisation from /proc/stat, the
 * watched process's CPU (percent of one core) and RSS from /proc/<pid>, system memory in use from
 * /proc/meminfo, and the RAPL package energy counter where it is readable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { HostReading } from './types.js';

const RAPL = '/sys/class/powercap/intel-rapl:0';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
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

/** utime + stime (ticks) from /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcPidStat(text: string): number | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** A `Key: N kB` field of /proc files, in bytes. */
export function kbField(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

export class HostSampler {
  private readonly ticksPerSecond = clockTicks();
  private lastMachine: { busy: number; total: number } | undefined;
  private lastProc: { ticks: number; t: bigint } | undefined;
  private readonly raplMax = Number(read(`${RAPL}/max_energy_range_uj`)) || undefined;
  private rapl: { last: number; wraps: number } | undefined;

  constructor(private readonly pid: number) {}

  read(): HostReading {
    const r: HostReading = {};
    const now = process.hrtime.bigint();
    const stat = parseProcStat(read('/proc/stat') ?? '');
    if (stat) {
      if (this.lastMachine && stat.total > this.lastMachine.total) {
        r.host_cpu_pct = (100 * (stat.busy - this.lastMachine.busy)) / (stat.total - this.lastMachine.total);
      }
      this.lastMachine = stat;
    }
    const ticks = parseProcPidStat(read(`/proc/${this.pid}/stat`) ?? '');
    if (ticks !== undefined) {
      if (this.lastProc && now > this.lastProc.t) {
        const seconds = Number(now - this.lastProc.t) / 1e9;
        r.proc_cpu_pct = (100 * (ticks - this.lastProc.ticks)) / this.ticksPerSecond / seconds;
      }
      this.lastProc = { ticks, t: now };
    }
    const status = read(`/proc/${this.pid}/status`);
    if (status) r.proc_rss_bytes = kbField(status, 'VmRSS');
    const meminfo = read('/proc/meminfo');
    if (meminfo) {
      const total = kbField(meminfo, 'MemTotal');
      const available = kbField(meminfo, 'MemAvailable');
      if (total !== undefined && available !== undefined) r.sys_mem_used_bytes = total - available;
    }
    const uj = Number(read(`${RAPL}/energy_uj`));
    if (Number.isFinite(uj) && read(`${RAPL}/energy_uj`) !== undefined) {
      // the counter wraps at max_energy_range_uj
      if (this.rapl && uj < this.rapl.last) this.rapl.wraps++;
      this.rapl = { last: uj, wraps: this.rapl?.wraps ?? 0 };
      r.host_energy_j = (uj + this.rapl.wraps * (this.raplMax ?? 0)) / 1e6;
    }
    for (const k of Object.keys(r) as (keyof HostReading)[]) if (r[k] === undefined) delete r[k];
    return r;
  }
}
