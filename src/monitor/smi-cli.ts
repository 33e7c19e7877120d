/**
 * Fallbacks when a vendor library cannot be loaded: the vendors' command-line tools.
 * nvidia-smi streams CSV (`-lms`), xpu-smi streams `dump` rows, amd-smi is polled as JSON (once
 * per second at most: each call starts a Python process). Readings are the latest values seen.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DeviceInfo, DeviceReading, GpuSampler, Vendor } from './types.js';

const MIB = 1024 * 1024;

/** A number from CLI output; N/A and friends are absent. */
export function cliNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (raw !== null && typeof raw === 'object' && 'value' in raw) return cliNumber((raw as { value: unknown }).value);
  if (typeof raw !== 'string') return undefined;
  const n = Number.parseFloat(raw.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Bytes from a value in the unit given ('MiB', 'MB', 'GiB', 'GB', 'KiB', 'B'); AMD's and Intel's MB are MiB. */
export function toBytes(value: number | undefined, unit: string): number | undefined {
  if (value === undefined) return undefined;
  const u = unit.trim().toLowerCase();
  const scale = u.startsWith('g') ? 1024 * MIB : u.startsWith('m') ? MIB : u.startsWith('k') ? 1024 : 1;
  return value * scale;
}

function unitOf(raw: unknown, fallback: string): string {
  return raw !== null && typeof raw === 'object' && 'unit' in raw && typeof (raw as { unit: unknown }).unit === 'string' ? (raw as { unit: string }).unit : fallback;
}

function prune(r: DeviceReading): DeviceReading {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as DeviceReading;
}

// ---------------------------------------------------------------- nvidia-smi

export const NVIDIA_SMI_FIELDS = ['index', 'utilization.gpu', 'memory.used', 'memory.total', 'power.draw', 'temperature.gpu', 'clocks.sm'];

/** One `--format=csv,noheader,nounits` line of NVIDIA_SMI_FIELDS. */
export function parseNvidiaSmiLine(line: string): { index: number; reading: DeviceReading } | undefined {
  const f = line.split(',').map((s) => s.trim());
  if (f.length < NVIDIA_SMI_FIELDS.length) return undefined;
  const index = cliNumber(f[0]);
  if (index === undefined) return undefined;
  return {
    index,
    reading: prune({
      util_pct: cliNumber(f[1]),
      mem_used_bytes: toBytes(cliNumber(f[2]), 'MiB'),
      mem_total_bytes: toBytes(cliNumber(f[3]), 'MiB'),
      power_w: cliNumber(f[4]),
      temp_c: cliNumber(f[5]),
      sm_clock_mhz: cliNumber(f[6]),
    }),
  };
}

// ---------------------------------------------------------------- amd-smi

/** `amd-smi metric --json` in either form: a list of GPUs or `{"gpu_data": [...]}`. */
export function parseAmdSmiMetricJson(text: string): Map<number, DeviceReading> {
  const parsed = JSON.parse(text) as unknown;
  const list = Array.isArray(parsed) ? parsed : ((parsed as { gpu_data?: unknown[] })?.gpu_data ?? []);
  const out = new Map<number, DeviceReading>();
  for (const raw of list as Record<string, Record<string, unknown> | number>[]) {
    const gpu = cliNumber(raw.gpu);
    if (gpu === undefined) continue;
    const g = (section: string): Record<string, unknown> => (raw[section] as Record<string, unknown> | undefined) ?? {};
    const usage = g('usage');
    const power = g('power');
    const temp = g('temperature');
    const mem = g('mem_usage');
    const clock = g('clock');
    const energy = g('energy');
    const gfxClock = (clock.gfx_0 as Record<string, unknown> | undefined)?.clk;
    const energyRaw = energy.total_energy_consumption;
    const energyValue = cliNumber(energyRaw);
    const energyUnit = unitOf(energyRaw, 'J').toLowerCase();
    out.set(
      gpu,
      prune({
        util_pct: cliNumber(usage.gfx_activity),
        power_w: cliNumber(power.socket_power) ?? cliNumber(power.average_socket_power),
        temp_c: cliNumber(temp.edge) ?? cliNumber(temp.hotspot),
        mem_used_bytes: toBytes(cliNumber(mem.used_vram), unitOf(mem.used_vram, 'MB')),
        mem_total_bytes: toBytes(cliNumber(mem.total_vram), unitOf(mem.total_vram, 'MB')),
        sm_clock_mhz: cliNumber(gfxClock),
        energy_j: energyValue === undefined ? undefined : energyUnit === 'uj' ? energyValue / 1e6 : energyUnit === 'mj' ? energyValue / 1e3 : energyValue,
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------- xpu-smi

type XpuColumn = keyof DeviceReading | 'device';

/** Maps `xpu-smi dump` headers to reading keys by name, whichever naming style the version uses. */
export function xpuColumns(header: string): { key: XpuColumn | null; unit: string }[] {
  return header.split(',').map((raw) => {
    const unit = /\(([^)]*)\)/.exec(raw)?.[1] ?? '';
    const name = raw.replace(/\([^)]*\)/g, '').toLowerCase().replace(/[^a-z]/g, '');
    let key: XpuColumn | null = null;
    if (name === 'deviceid' || name === 'device') key = 'device';
    else if (name.includes('memory') && name.includes('used')) key = 'mem_used_bytes';
    else if (name.includes('utilization') && !name.includes('memory') && !name.includes('engine')) key = 'util_pct';
    else if (name.includes('energy')) key = 'energy_j';
    else if (name.includes('power')) key = 'power_w';
    else if (name.includes('frequency') && !name.includes('memory') && !name.includes('media')) key = 'sm_clock_mhz';
    else if (name.includes('temperature') && !name.includes('memory')) key = 'temp_c';
    return { key, unit };
  });
}

/** One `xpu-smi dump` data row under the given columns. */
export function parseXpuSmiRow(columns: ReturnType<typeof xpuColumns>, line: string): { index: number; reading: DeviceReading } | undefined {
  const cells = line.split(',').map((s) => s.trim());
  let index: number | undefined;
  const r: DeviceReading = {};
  columns.forEach(({ key, unit }, i) => {
    const v = cliNumber(cells[i]);
    if (key === null || v === undefined) return;
    if (key === 'device') index = v;
    else if (key === 'mem_used_bytes') r.mem_used_bytes = toBytes(v, unit || 'MiB');
    else if (key === 'energy_j') r.energy_j = unit.toLowerCase() === 'mj' ? v / 1000 : v;
    else r[key] = v;
  });
  return index === undefined ? undefined : { index, reading: r };
}

// ---------------------------------------------------------------- samplers

/** Latest readings per device, fed by a CLI process. */
abstract class CliSampler implements GpuSampler {
  abstract readonly backend: string;
  abstract readonly vendor: Vendor;
  protected readonly latest = new Map<number, DeviceReading>();
  protected infos: DeviceInfo[] = [];
  protected child: ChildProcess | undefined;
  protected error: string | undefined;

  devices(): DeviceInfo[] {
    return this.infos;
  }

  read(physicalIndex: number): DeviceReading {
    if (this.error) throw new Error(this.error);
    return { ...(this.latest.get(physicalIndex) ?? {}) };
  }

  /** Starts a long-running CLI and hands each stdout line to `onLine`. */
  protected stream(command: string, args: string[], onLine: (line: string) => void): void {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', onLine);
    child.on('error', (err) => (this.error = `${command}: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.error = `${command} exited (${signal ?? code})`;
    });
  }

  close(): void {
    const c = this.child;
    this.child = undefined;
    c?.kill();
  }
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 15000 });
}

export class NvidiaSmiSampler extends CliSampler {
  readonly backend = 'nvidia-smi';
  readonly vendor = 'nvidia';

  constructor(intervalMs: number) {
    super();
    const out = run('nvidia-smi', ['--query-gpu=index,uuid,name,memory.total,driver_version', '--format=csv,noheader,nounits']);
    this.infos = out
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((line) => {
        const [index, uuid, name, total, driver] = line.split(',').map((s) => s.trim());
        const i = Number(index);
        return { id: `nvidia:${i}`, vendor: 'nvidia', index: i, physical_index: i, name: name ?? null, uuid: uuid ?? null, memory_total_bytes: toBytes(cliNumber(total), 'MiB') ?? null, driver_version: driver ?? null, backend: this.backend };
      });
    this.stream('nvidia-smi', [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits', `-lms`, String(Math.max(1, Math.round(intervalMs)))], (line) => {
      const parsed = parseNvidiaSmiLine(line);
      if (parsed) this.latest.set(parsed.index, parsed.reading);
    });
  }
}

export class AmdSmiCliSampler extends CliSampler {
  readonly backend = 'amd-smi';
  readonly vendor = 'amd';
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(intervalMs: number) {
    super();
    const first = parseAmdSmiMetricJson(run('amd-smi', ['metric', '--json']));
    for (const [gpu, reading] of first) {
      this.latest.set(gpu, reading);
      this.infos.push({ id: `amd:${gpu}`, vendor: 'amd', index: gpu, physical_index: gpu, name: null, uuid: null, memory_total_bytes: reading.mem_total_bytes ?? null, driver_version: null, backend: this.backend });
    }
    this.timer = setInterval(() => this.poll(), Math.max(1000, intervalMs));
    this.timer.unref();
  }

  private poll(): void {
    if (this.busy) return;
    this.busy = true;
    const child = spawn('amd-smi', ['metric', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (err) => {
      this.error = `amd-smi: ${err.message}`;
      this.busy = false;
    });
    child.on('close', () => {
      this.busy = false;
      try {
        for (const [gpu, reading] of parseAmdSmiMetricJson(text)) this.latest.set(gpu, reading);
      } catch {
        // a torn or empty answer: keep the last readings
      }
    });
  }

  override close(): void {
    if (this.timer) clearInterval(this.timer);
    super.close();
  }
}

export class XpuSmiSampler extends CliSampler {
  readonly backend = 'xpu-smi';
  readonly vendor = 'intel';

  constructor(intervalMs: number) {
    super();
    const discovery = JSON.parse(run('xpu-smi', ['discovery', '-j'])) as { device_list?: { device_id: number; device_name?: string; uuid?: string }[] };
    this.infos = (discovery.device_list ?? []).map((d) => ({
      id: `intel:${d.device_id}`,
      vendor: 'intel' as const,
      index: d.device_id,
      physical_index: d.device_id,
      name: d.device_name ?? null,
      uuid: d.uuid ?? null,
      memory_total_bytes: null,
      driver_version: null,
      backend: this.backend,
    }));
    let columns: ReturnType<typeof xpuColumns> | undefined;
    const ids = this.infos.map((d) => d.physical_index).join(',') || '0';
    const seconds = String(Math.max(1, Math.round(intervalMs / 1000)));
    this.stream('xpu-smi', ['dump', '-d', ids, '-m', '0,1,2,3,18', '-i', seconds], (line) => {
      if (!columns) {
        if (/device/i.test(line)) columns = xpuColumns(line);
        return;
      }
      const parsed = parseXpuSmiRow(columns, line);
      if (parsed) this.latest.set(parsed.index, { ...this.latest.get(parsed.index), ...parsed.reading });
    });
  }
}
