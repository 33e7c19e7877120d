/**
 * NVIDIA through NVML (`libnvidia-ml.so.1`) over koffi: utilisation, memory, power, the total
 * energy counter, temperature, SM clock and this process's memory, each call skipped for good
 * once the driver says NOT_SUPPORTED.
 */
import { ProcessTree } from './process-tree.js';
import koffi from 'koffi';
import { cString, GuardedQueries } from './guarded-query.js';
import { loadLibrary } from './load-library.js';
import type { DeviceInfo, DeviceReading, GpuSampler } from './types.js';

const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;
const NVML_ERROR_INSUFFICIENT_SIZE = 7;
const NVML_TEMPERATURE_GPU = 0;
const NVML_CLOCK_SM = 1;
/** Slow fields (temperature, SM clock, process memory) are read every this many samples. */
export const SLOW_EVERY = 10;

export function nvmlLibraryPath(): string {
  return process.env.TOKENBENCH_NVML_LIB ?? 'libnvidia-ml.so.1';
}

const Utilization = koffi.struct('nvmlUtilization_t', { gpu: 'uint32', memory: 'uint32' });
const Memory = koffi.struct('nvmlMemory_t', { total: 'uint64', free: 'uint64', used: 'uint64' });
// nvmlProcessInfo_t (v2/v3): pid, usedGpuMemory, gpuInstanceId, computeInstanceId
const ProcessInfo = koffi.struct('nvmlProcessInfo_t', { pid: 'uint32', usedGpuMemory: 'uint64', gpuInstanceId: 'uint32', computeInstanceId: 'uint32' });

type Fn = (...args: unknown[]) => number;

export class NvmlSampler implements GpuSampler {
  readonly backend = 'nvml';
  readonly vendor = 'nvidia';
  private readonly lib: koffi.IKoffiLib;
  private readonly fn: Record<string, Fn> = {};
  private readonly handles: unknown[] = [];
  private readonly infos: DeviceInfo[] = [];
  private readonly queries = new GuardedQueries({ success: NVML_SUCCESS, notSupported: NVML_ERROR_NOT_SUPPORTED, ignored: [NVML_ERROR_INSUFFICIENT_SIZE] }, (code, what) => this.check(code, what));
  private readonly watched: ProcessTree;
  private readonly ticks: number[] = [];
  private readonly slowValues: DeviceReading[] = [];

  constructor(watched: ProcessTree = new ProcessTree(process.ppid)) {
    this.watched = watched;
    this.lib = loadLibrary(nvmlLibraryPath());
    const declare = (name: string, ret: string, args: (string | koffi.IKoffiCType)[]): void => {
      this.fn[name] = this.lib.func(name, ret, args) as unknown as Fn;
    };
    declare('nvmlInit_v2', 'int', []);
    declare('nvmlShutdown', 'int', []);
    declare('nvmlErrorString', 'const char *', ['int']);
    declare('nvmlDeviceGetCount_v2', 'int', ['_Out_ uint32 *']);
    declare('nvmlDeviceGetHandleByIndex_v2', 'int', ['uint32', '_Out_ void **']);
    declare('nvmlDeviceGetName', 'int', ['void *', '_Out_ uint8_t *', 'uint32']);
    declare('nvmlDeviceGetUUID', 'int', ['void *', '_Out_ uint8_t *', 'uint32']);
    declare('nvmlSystemGetDriverVersion', 'int', ['_Out_ uint8_t *', 'uint32']);
    declare('nvmlDeviceGetUtilizationRates', 'int', ['void *', koffi.out(koffi.pointer(Utilization))]);
    declare('nvmlDeviceGetMemoryInfo', 'int', ['void *', koffi.out(koffi.pointer(Memory))]);
    declare('nvmlDeviceGetPowerUsage', 'int', ['void *', '_Out_ uint32 *']);
    declare('nvmlDeviceGetTotalEnergyConsumption', 'int', ['void *', '_Out_ uint64 *']);
    declare('nvmlDeviceGetTemperature', 'int', ['void *', 'int', '_Out_ uint32 *']);
    declare('nvmlDeviceGetClockInfo', 'int', ['void *', 'int', '_Out_ uint32 *']);
    declare('nvmlDeviceGetComputeRunningProcesses_v3', 'int', ['void *', '_Inout_ uint32 *', koffi.out(koffi.pointer(ProcessInfo))]);
    this.check(this.call('nvmlInit_v2'), 'nvmlInit_v2');
    const count = [0];
    this.check(this.call('nvmlDeviceGetCount_v2', count), 'nvmlDeviceGetCount_v2');
    const driver = this.text((buf, len) => this.call('nvmlSystemGetDriverVersion', buf, len));
    for (let i = 0; i < (count[0] as number); i++) {
      const handle = [null];
      this.check(this.call('nvmlDeviceGetHandleByIndex_v2', i, handle), 'nvmlDeviceGetHandleByIndex_v2');
      this.handles.push(handle[0]);
      const mem = {} as { total: bigint | number };
      const memOk = this.call('nvmlDeviceGetMemoryInfo', handle[0], mem) === NVML_SUCCESS;
      this.infos.push({
        id: `nvidia:${i}`,
        vendor: 'nvidia',
        index: i,
        physical_index: i,
        name: this.text((buf, len) => this.call('nvmlDeviceGetName', handle[0], buf, len)),
        uuid: this.text((buf, len) => this.call('nvmlDeviceGetUUID', handle[0], buf, len)),
        memory_total_bytes: memOk ? Number(mem.total) : null,
        driver_version: driver,
        backend: this.backend,
      });
    }
  }

  private call(name: string, ...args: unknown[]): number {
    return (this.fn[name] as Fn)(...args);
  }

  private check(code: number, what: string): void {
    if (code !== NVML_SUCCESS) throw new Error(`${what}: ${this.call('nvmlErrorString', code) as unknown as string} (${code})`);
  }

  private text(get: (buf: Uint8Array, len: number) => number): string | null {
    const buf = new Uint8Array(96);
    return get(buf, buf.length) === NVML_SUCCESS ? cString(buf) : null;
  }

  devices(): DeviceInfo[] {
    return this.infos;
  }


  read(physicalIndex: number): DeviceReading {
    const h = this.handles[physicalIndex];
    const r: DeviceReading = {};
    // temperature, clock and per-process memory change slowly and cost the most: read them every
    // SLOW_EVERY-th sample and repeat the last values in between
    const tick = (this.ticks[physicalIndex] = (this.ticks[physicalIndex] ?? -1) + 1);
    const slow = tick % SLOW_EVERY === 0;
    const util = {} as { gpu: number };
    this.queries.run(physicalIndex, 'util', () => this.call('nvmlDeviceGetUtilizationRates', h, util), () => (r.util_pct = util.gpu));
    const mem = {} as { used: number | bigint; total: number | bigint };
    this.queries.run(physicalIndex, 'memory', () => this.call('nvmlDeviceGetMemoryInfo', h, mem), () => {
      r.mem_used_bytes = Number(mem.used);
      r.mem_total_bytes = Number(mem.total);
    });
    const mw = [0];
    this.queries.run(physicalIndex, 'power', () => this.call('nvmlDeviceGetPowerUsage', h, mw), () => (r.power_w = (mw[0] as number) / 1000));
    const mj = [0n];
    this.queries.run(physicalIndex, 'energy', () => this.call('nvmlDeviceGetTotalEnergyConsumption', h, mj), () => (r.energy_j = Number(mj[0]) / 1000));
    if (slow) {
      const s: DeviceReading = {};
      const temp = [0];
      this.queries.run(physicalIndex, 'temperature', () => this.call('nvmlDeviceGetTemperature', h, NVML_TEMPERATURE_GPU, temp), () => (s.temp_c = temp[0] as number));
      const clock = [0];
      this.queries.run(physicalIndex, 'clock', () => this.call('nvmlDeviceGetClockInfo', h, NVML_CLOCK_SM, clock), () => (s.sm_clock_mhz = clock[0] as number));
      const used = this.processMemory(physicalIndex, h);
      if (used !== undefined) s.proc_mem_used_bytes = used;
      this.slowValues[physicalIndex] = s;
    }
    return Object.assign(r, this.slowValues[physicalIndex]);
  }

  /** Memory the watched process tree uses on the device, summed (absent when the driver does not say). */
  private processMemory(device: number, handle: unknown): number | undefined {
    const count = [16];
    const infos = Array.from({ length: 16 }, () => ({ pid: 0, usedGpuMemory: 0n, gpuInstanceId: 0, computeInstanceId: 0 }));
    const tree = this.watched.pids();
    let result: number | undefined;
    this.queries.run(device, 'processes', () => this.call('nvmlDeviceGetComputeRunningProcesses_v3', handle, count, infos), () => {
      for (const p of infos.slice(0, count[0])) {
        // NVML_VALUE_NOT_AVAILABLE (all ones) means the driver does not know, e.g. under MIG or in a container
        if (tree.includes(p.pid) && BigInt(p.usedGpuMemory) !== 0xffffffffffffffffn) result = (result ?? 0) + Number(p.usedGpuMemory);
      }
    });
    return result;
  }

  close(): void {
    this.call('nvmlShutdown');
    this.lib.unload();
  }
}

