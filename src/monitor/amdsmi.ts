/**
 * AMD through AMD SMI (`libamd_smi.so`) over koffi: gfx activity, VRAM used/total (the library
 * reports MB: converted to bytes here), power, temperature and the energy counter.
 *
 * `amdsmi_power_info_t` changed with ROCm 6.2 (library 24.x): it gained a leading uint64
 * socket_power and widened the voltages. The layout is chosen from amdsmi_get_lib_version;
 * TOKENBENCH_AMDSMI_POWER_LAYOUT=u32|u64 overrides it.
 */
import koffi from 'koffi';
import { cString, GuardedQueries } from './guarded-query.js';
import { loadLibrary } from './load-library.js';
import type { DeviceInfo, DeviceReading, GpuSampler } from './types.js';

const AMDSMI_STATUS_SUCCESS = 0;
const AMDSMI_STATUS_NOT_SUPPORTED = 2;
const AMDSMI_INIT_AMD_GPUS = 2n;
const AMDSMI_TEMPERATURE_TYPE_EDGE = 0;
const AMDSMI_TEMP_CURRENT = 0;
const MB = 1024 * 1024;

export function amdsmiLibraryPath(): string {
  return process.env.TOKENBENCH_AMDSMI_LIB ?? 'libamd_smi.so';
}

const EngineUsage = koffi.struct('amdsmi_engine_usage_t', { gfx_activity: 'uint32', umc_activity: 'uint32', mm_activity: 'uint32', reserved: koffi.array('uint32', 13) });
const VramUsage = koffi.struct('amdsmi_vram_usage_t', { vram_total: 'uint32', vram_used: 'uint32', reserved: koffi.array('uint32', 2) });
/** ROCm <= 6.1 */
const PowerInfoU32 = koffi.struct('amdsmi_power_info_u32_t', {
  current_socket_power: 'uint32',
  average_socket_power: 'uint32',
  gfx_voltage: 'uint32',
  soc_voltage: 'uint32',
  mem_voltage: 'uint32',
  power_limit: 'uint32',
  reserved: koffi.array('uint32', 11),
});
/** ROCm >= 6.2 */
const PowerInfoU64 = koffi.struct('amdsmi_power_info_u64_t', {
  socket_power: 'uint64',
  current_socket_power: 'uint32',
  average_socket_power: 'uint32',
  gfx_voltage: 'uint64',
  soc_voltage: 'uint64',
  mem_voltage: 'uint64',
  power_limit: 'uint32',
  reserved: koffi.array('uint64', 18),
});

export type PowerLayout = 'u32' | 'u64';

/**
 * The power_info layout for a library version read as its first two uint32 fields: libraries
 * from ROCm 6.2 on report major >= 24 first; older ones report a two-digit year then a small major.
 */
export function powerLayoutFor(first: number, second: number): PowerLayout {
  const override = process.env.TOKENBENCH_AMDSMI_POWER_LAYOUT;
  if (override === 'u32' || override === 'u64') return override;
  return first >= 24 && second < 24 ? 'u64' : 'u32';
}

type Fn = (...args: unknown[]) => number;

export class AmdSmiSampler implements GpuSampler {
  readonly backend = 'amdsmi';
  readonly vendor = 'amd';
  readonly powerLayout: PowerLayout;
  private readonly lib: koffi.IKoffiLib;
  private readonly fn: Record<string, Fn> = {};
  private readonly handles: unknown[] = [];
  private readonly infos: DeviceInfo[] = [];
  private readonly queries = new GuardedQueries({ success: AMDSMI_STATUS_SUCCESS, notSupported: AMDSMI_STATUS_NOT_SUPPORTED }, (code, what) => this.check(code, what));

  constructor() {
    this.lib = loadLibrary(amdsmiLibraryPath());
    const declare = (name: string, ret: string, args: (string | koffi.IKoffiCType)[]): void => {
      this.fn[name] = this.lib.func(name, ret, args) as unknown as Fn;
    };
    declare('amdsmi_init', 'int', ['uint64']);
    declare('amdsmi_shut_down', 'int', []);
    declare('amdsmi_status_code_to_string', 'int', ['int', '_Out_ const char **']);
    declare('amdsmi_get_lib_version', 'int', ['_Out_ uint8_t *']);
    declare('amdsmi_get_socket_handles', 'int', ['_Inout_ uint32 *', '_Out_ void **']);
    declare('amdsmi_get_processor_handles', 'int', ['void *', '_Inout_ uint32 *', '_Out_ void **']);
    declare('amdsmi_get_gpu_asic_info', 'int', ['void *', '_Out_ uint8_t *']);
    declare('amdsmi_get_gpu_device_uuid', 'int', ['void *', '_Inout_ uint32 *', '_Out_ uint8_t *']);
    declare('amdsmi_get_gpu_driver_info', 'int', ['void *', '_Out_ uint8_t *']);
    declare('amdsmi_get_gpu_activity', 'int', ['void *', koffi.out(koffi.pointer(EngineUsage))]);
    declare('amdsmi_get_gpu_vram_usage', 'int', ['void *', koffi.out(koffi.pointer(VramUsage))]);
    declare('amdsmi_get_temp_metric', 'int', ['void *', 'int', 'int', '_Out_ int64 *']);
    declare('amdsmi_get_energy_count', 'int', ['void *', '_Out_ uint64 *', '_Out_ float *', '_Out_ uint64 *']);
    // the same symbol, declared once per struct layout
    this.fn.amdsmi_get_power_info_u32 = this.lib.func('amdsmi_get_power_info', 'int', ['void *', koffi.out(koffi.pointer(PowerInfoU32))]) as unknown as Fn;
    this.fn.amdsmi_get_power_info_u64 = this.lib.func('amdsmi_get_power_info', 'int', ['void *', koffi.out(koffi.pointer(PowerInfoU64))]) as unknown as Fn;

    this.check(this.call('amdsmi_init', AMDSMI_INIT_AMD_GPUS), 'amdsmi_init');
    const version = new Uint8Array(64);
    this.call('amdsmi_get_lib_version', version);
    const v = new DataView(version.buffer);
    this.powerLayout = powerLayoutFor(v.getUint32(0, true), v.getUint32(4, true));

    const socketCount = [0];
    this.check(this.call('amdsmi_get_socket_handles', socketCount, null), 'amdsmi_get_socket_handles');
    const sockets: unknown[] = Array(socketCount[0]).fill(null);
    this.check(this.call('amdsmi_get_socket_handles', socketCount, sockets), 'amdsmi_get_socket_handles');
    for (const socket of sockets) {
      const n = [0];
      this.check(this.call('amdsmi_get_processor_handles', socket, n, null), 'amdsmi_get_processor_handles');
      const procs: unknown[] = Array(n[0]).fill(null);
      this.check(this.call('amdsmi_get_processor_handles', socket, n, procs), 'amdsmi_get_processor_handles');
      this.handles.push(...procs);
    }
    this.handles.forEach((h, i) => {
      const vram = {} as { vram_total: number };
      const vramOk = this.call('amdsmi_get_gpu_vram_usage', h, vram) === AMDSMI_STATUS_SUCCESS;
      this.infos.push({
        id: `amd:${i}`,
        vendor: 'amd',
        index: i,
        physical_index: i,
        // market_name is the first field of amdsmi_asic_info_t in every version
        name: this.text(4096, (buf) => this.call('amdsmi_get_gpu_asic_info', h, buf)),
        uuid: this.text(64, (buf) => this.call('amdsmi_get_gpu_device_uuid', h, [64], buf)),
        memory_total_bytes: vramOk ? vram.vram_total * MB : null,
        driver_version: this.text(4096, (buf) => this.call('amdsmi_get_gpu_driver_info', h, buf)),
        backend: this.backend,
      });
    });
  }

  private call(name: string, ...args: unknown[]): number {
    return (this.fn[name] as Fn)(...args);
  }

  private check(code: number, what: string): void {
    if (code === AMDSMI_STATUS_SUCCESS) return;
    const text: (string | null)[] = [null];
    this.call('amdsmi_status_code_to_string', code, text);
    throw new Error(`${what}: ${text[0] ?? 'error'} (${code})`);
  }

  private text(size: number, get: (buf: Uint8Array) => number): string | null {
    const buf = new Uint8Array(size);
    return get(buf) === AMDSMI_STATUS_SUCCESS ? cString(buf) : null;
  }

  devices(): DeviceInfo[] {
    return this.infos;
  }


  read(physicalIndex: number): DeviceReading {
    const h = this.handles[physicalIndex];
    const r: DeviceReading = {};
    const usage = {} as { gfx_activity: number };
    this.queries.run(physicalIndex, 'activity', () => this.call('amdsmi_get_gpu_activity', h, usage), () => (r.util_pct = usage.gfx_activity));
    const vram = {} as { vram_total: number; vram_used: number };
    this.queries.run(physicalIndex, 'vram', () => this.call('amdsmi_get_gpu_vram_usage', h, vram), () => {
      r.mem_used_bytes = vram.vram_used * MB;
      r.mem_total_bytes = vram.vram_total * MB;
    });
    const power = {} as { current_socket_power: number; average_socket_power: number };
    this.queries.run(physicalIndex, 'power', () => this.call(`amdsmi_get_power_info_${this.powerLayout}`, h, power), () => {
      // MI300+ report current power, older cards only the average; unsupported fields are UINT32_MAX
      const valid = (w: number): boolean => w > 0 && w !== 0xffffffff;
      const watts = valid(power.current_socket_power) ? power.current_socket_power : power.average_socket_power;
      if (valid(watts)) r.power_w = watts;
    });
    const temp = [0n];
    this.queries.run(physicalIndex, 'temperature', () => this.call('amdsmi_get_temp_metric', h, AMDSMI_TEMPERATURE_TYPE_EDGE, AMDSMI_TEMP_CURRENT, temp), () => (r.temp_c = Number(temp[0])));
    const acc = [0n];
    const resolution = [0];
    const stamp = [0n];
    this.queries.run(physicalIndex, 'energy', () => this.call('amdsmi_get_energy_count', h, acc, resolution, stamp), () => {
      // accumulator * resolution is in microjoules
      r.energy_j = (Number(acc[0]) * (resolution[0] as number)) / 1e6;
    });
    return r;
  }

  close(): void {
    this.call('amdsmi_shut_down');
    this.lib.unload();
  }
}
