/**
 * Monitor samples in results: each iteration's window (rows between t0 and t1, times relative to
 * t0), and the per-benchmark device and host summary. Energy comes from the devices' counters:
 * each counter is interpolated linearly at every iteration's t0 and t1 and the deltas are summed,
 * never from integrating power.
 */
import type { SampleRow } from '../monitor/types.js';
import { mean, medianSorted, sortAscending } from './statistics.js';

/** A sample as stored in an iteration: t_ms after the iteration's t0. */
export type WindowSample = { t_ms: number; device: string } & Record<string, number | string>;

export interface Spread {
  mean: number;
  p50: number;
  max: number;
}

export interface DeviceSummary {
  device: string;
  util_pct: Spread | null;
  mem_used_peak_bytes: number | null;
  proc_mem_used_peak_bytes: number | null;
  power_w_mean: number | null;
  temp_c_max: number | null;
  energy_j: number | null;
  energy_per_token_j: number | null;
  /** Why energy is null (no counter on this device), or null. */
  energy_note: string | null;
  /** Set when the device failed during the benchmark. */
  failure: string | null;
}

export interface HostSummary {
  cpu_pct: Spread | null;
  proc_cpu_pct: Spread | null;
  proc_rss_peak_bytes: number | null;
  sys_mem_used_peak_bytes: number | null;
  energy_j: number | null;
  energy_per_token_j: number | null;
  energy_note: string | null;
}

/** Mean, median and max; null for no values. */
export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { mean: mean(values), p50: medianSorted(sortAscending(values)), max: Math.max(...values) };
}

/** The rows of one window, times relative to t0 (ms); rows outside [t0, t1] are left out. */
export function windowSamples(rows: readonly SampleRow[], t0: bigint, t1: bigint): WindowSample[] {
  const out: WindowSample[] = [];
  for (const row of rows) {
    const t = BigInt(row.t_ns);
    if (t < t0 || t > t1) continue;
    const { t_ns: _t, device, ...values } = row;
    out.push({ t_ms: Number(t - t0) / 1e6, device, ...(values as Record<string, number>) });
  }
  return out;
}

/** A counter's value at time t, interpolated between the rows around it; undefined outside them. */
export function counterAt(rows: readonly SampleRow[], key: 'energy_j' | 'host_energy_j', t: bigint): number | undefined {
  let before: SampleRow | undefined;
  for (const row of rows) {
    const v = row[key];
    if (v === undefined) continue;
    const rt = BigInt(row.t_ns);
    if (rt <= t) before = row;
    else if (before) {
      const bt = BigInt(before.t_ns);
      const bv = before[key] as number;
      return bv + ((v - bv) * Number(t - bt)) / Number(rt - bt);
    } else return undefined;
  }
  return before && BigInt(before.t_ns) === t ? (before[key] as number) : undefined;
}

/** Σ over windows of counter(t1) - counter(t0); undefined when any window cannot be bracketed. */
export function counterEnergy(rows: readonly SampleRow[], key: 'energy_j' | 'host_energy_j', windows: readonly [bigint, bigint][]): number | undefined {
  let total = 0;
  for (const [t0, t1] of windows) {
    const a = counterAt(rows, key, t0);
    const b = counterAt(rows, key, t1);
    if (a === undefined || b === undefined) return undefined;
    total += b - a;
  }
  return total;
}

function values(rows: readonly SampleRow[], key: keyof SampleRow): number[] {
  return rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
}

function peak(rows: readonly SampleRow[], key: keyof SampleRow): number | null {
  const v = values(rows, key);
  return v.length > 0 ? Math.max(...v) : null;
}

/** Rows of the given device whose time falls in any window. */
function inWindows(rows: readonly SampleRow[], windows: readonly [bigint, bigint][]): SampleRow[] {
  return rows.filter((r) => {
    const t = BigInt(r.t_ns);
    return windows.some(([a, b]) => t >= a && t <= b);
  });
}

/** Summary of one GPU over the measured windows; `tokens` = generated tokens in those windows. */
export function summarizeDevice(device: string, allRows: readonly SampleRow[], windows: readonly [bigint, bigint][], tokens: number, failure: string | null): DeviceSummary {
  const rows = allRows.filter((r) => r.device === device);
  const inside = inWindows(rows, windows);
  const hasCounter = rows.some((r) => r.energy_j !== undefined);
  const energy = hasCounter ? counterEnergy(rows, 'energy_j', windows) : undefined;
  const power = values(inside, 'power_w');
  const note = !hasCounter ? 'unavailable: the device reports no energy counter' : energy === undefined ? 'unavailable: no samples around some iteration' : null;
  return {
    device,
    util_pct: spread(values(inside, 'util_pct')),
    mem_used_peak_bytes: peak(inside, 'mem_used_bytes'),
    proc_mem_used_peak_bytes: peak(inside, 'proc_mem_used_bytes'),
    power_w_mean: power.length > 0 ? mean(power) : null,
    temp_c_max: peak(inside, 'temp_c'),
    energy_j: energy ?? null,
    energy_per_token_j: energy === undefined || tokens === 0 ? null : energy / tokens,
    energy_note: note,
    failure,
  };
}

/** Summary of the host over the measured windows. */
export function summarizeHost(allRows: readonly SampleRow[], windows: readonly [bigint, bigint][], tokens: number): HostSummary {
  const rows = allRows.filter((r) => r.device === 'host');
  const inside = inWindows(rows, windows);
  const hasCounter = rows.some((r) => r.host_energy_j !== undefined);
  const energy = hasCounter ? counterEnergy(rows, 'host_energy_j', windows) : undefined;
  return {
    cpu_pct: spread(values(inside, 'host_cpu_pct')),
    proc_cpu_pct: spread(values(inside, 'proc_cpu_pct')),
    proc_rss_peak_bytes: peak(inside, 'proc_rss_bytes'),
    sys_mem_used_peak_bytes: peak(inside, 'sys_mem_used_bytes'),
    energy_j: energy ?? null,
    energy_per_token_j: energy === undefined || tokens === 0 ? null : energy / tokens,
    energy_note: !hasCounter ? 'unavailable: no readable RAPL energy counter' : energy === undefined ? 'unavailable: no samples around some iteration' : null,
  };
}
