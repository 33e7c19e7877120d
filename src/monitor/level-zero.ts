/**
 * Intel through Level Zero Sysman (`libze_loader.so.1`) over koffi: utilisation from the ALL
 * engine group's activity counter (the delta of active time over the delta of its timestamp),
 * device memory state, and the energy counter of the package power domain.
 */
import koffi from 'koffi';
import { loadLibrary } from './load-library.js';
import type { DeviceInfo, DeviceReading, GpuSampler } from './types.js';

const ZE_RESULT_SUCCESS = 0;
const ZE_RESULT_ERROR_UNSUPPORTED_FEATURE = 0x78000003;
const ZES_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x1;
const ZES_STRUCTURE_TYPE_ENGINE_PROPERTIES = 0x5;
const ZES_STRUCTURE_TYPE_MEM_STATE = 0x1e;
const ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x3;
const ZES_ENGINE_GROUP_ALL = 0;

export function zeLibraryPath(): string {
  return process.env.TOKENBENCH_ZE_LIB ?? 'libze_loader.so.1';
}

// Layouts as in ze_api.h / zes_api.h.
const ZeDeviceProperties = koffi.struct('ze_device_properties_t', {
  stype: 'uint32',
  pNext: 'void *',
  type: 'uint32',
  vendorId: 'uint32',
  deviceId: 'uint32',
  flags: 'uint32',
  subdeviceId: 'uint32',
  coreClockRate: 'uint32',
  maxMemAllocSize: 'uint64',
  maxHardwareContexts: 'uint32',
  maxCommandQueuePriority: 'uint32',
  numThreadsPerEU: 'uint32',
  physicalEUSimdWidth: 'uint32',
  numEUsPerSubslice: 'uint32',
  numSubslicesPerSlice: 'uint32',
  numSlices: 'uint32',
  timerResolution: 'uint64',
  timestampValidBits: 'uint32',
  kernelTimestampValidBits: 'uint32',
  uuid: koffi.array('uint8', 16),
  name: koffi.array('char', 256),
});
const ZesDeviceProperties = koffi.struct('zes_device_properties_t', {
  stype: 'uint32',
  pNext: 'void *',
  core: ZeDeviceProperties,
  numSubdevices: 'uint32',
  serialNumber: koffi.array('char', 64),
  boardNumber: koffi.array('char', 64),
  brandName: koffi.array('char', 64),
  modelName: koffi.array('char', 64),
  vendorName: koffi.array('char', 64),
  driverVersion: koffi.array('char', 64),
});
const EngineProperties = koffi.struct('zes_engine_properties_t', { stype: 'uint32', pNext: 'void *', type: 'uint32', onSubdevice: 'uint8', subdeviceId: 'uint32' });
const EngineStats = koffi.struct('zes_engine_stats_t', { activeTime: 'uint64', timestamp: 'uint64' });
const MemState = koffi.struct('zes_mem_state_t', { stype: 'uint32', pNext: 'void *', health: 'uint32', free: 'uint64', size: 'uint64' });
const EnergyCounter = koffi.struct('zes_power_energy_counter_t', { energy: 'uint64', timestamp: 'uint64' });

type Fn = (...args: unknown[]) => number;

interface ZeDevice {
  engine: unknown | null;
  memories: unknown[];
  power: unknown | null;
  last: { active: bigint; stamp: bigint } | null;
  unsupported: Set<string>;
}

export class LevelZeroSampler implements GpuSampler {
  readonly backend = 'level-zero';
  readonly vendor = 'intel';
  private readonly lib: koffi.IKoffiLib;
  private readonly fn: Record<string, Fn> = {};
  private readonly devs: ZeDevice[] = [];
  private readonly infos: DeviceInfo[] = [];

  constructor() {
    this.lib = loadLibrary(zeLibraryPath());
    const declare = (name: string, args: (string | koffi.IKoffiCType)[]): void => {
      this.fn[name] = this.lib.func(name, 'uint32', args) as unknown as Fn;
    };
    declare('zesInit', ['uint32']);
    declare('zesDriverGet', ['_Inout_ uint32 *', '_Out_ void **']);
    declare('zesDeviceGet', ['void *', '_Inout_ uint32 *', '_Out_ void **']);
    declare('zesDeviceGetProperties', ['void *', koffi.inout(koffi.pointer(ZesDeviceProperties))]);
    declare('zesDeviceEnumEngineGroups', ['void *', '_Inout_ uint32 *', '_Out_ void **']);
    declare('zesEngineGetProperties', ['void *', koffi.inout(koffi.pointer(EngineProperties))]);
    declare('zesEngineGetActivity', ['void *', koffi.out(koffi.pointer(EngineStats))]);
    declare('zesDeviceEnumMemoryModules', ['void *', '_Inout_ uint32 *', '_Out_ void **']);
    declare('zesMemoryGetState', ['void *', koffi.inout(koffi.pointer(MemState))]);
    declare('zesDeviceEnumPowerDomains', ['void *', '_Inout_ uint32 *', '_Out_ void **']);
    declare('zesPowerGetEnergyCounter', ['void *', koffi.out(koffi.pointer(EnergyCounter))]);

    this.check(this.call('zesInit', 0), 'zesInit');
    const drivers = this.list((n, out) => this.call('zesDriverGet', n, out), 'zesDriverGet');
    const handles = drivers.flatMap((d) => this.list((n, out) => this.call('zesDeviceGet', d, n, out), 'zesDeviceGet'));
    handles.forEach((h, i) => {
      const props = { stype: ZES_STRUCTURE_TYPE_DEVICE_PROPERTIES, pNext: null, core: { stype: ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES, pNext: null } } as unknown as {
        core: { name: string; uuid: number[] };
        driverVersion: string;
      };
      const propsOk = this.call('zesDeviceGetProperties', h, props) === ZE_RESULT_SUCCESS;
      const engines = this.list((n, out) => this.call('zesDeviceEnumEngineGroups', h, n, out), 'zesDeviceEnumEngineGroups', true);
      const engine =
        engines.find((e) => {
          const p = { stype: ZES_STRUCTURE_TYPE_ENGINE_PROPERTIES, pNext: null } as { type?: number; onSubdevice?: number };
          return this.call('zesEngineGetProperties', e, p) === ZE_RESULT_SUCCESS && p.type === ZES_ENGINE_GROUP_ALL && !p.onSubdevice;
        }) ?? null;
      const memories = this.list((n, out) => this.call('zesDeviceEnumMemoryModules', h, n, out), 'zesDeviceEnumMemoryModules', true);
      const powers = this.list((n, out) => this.call('zesDeviceEnumPowerDomains', h, n, out), 'zesDeviceEnumPowerDomains', true);
      this.devs.push({ engine, memories, power: powers[0] ?? null, last: null, unsupported: new Set() });
      const mem = this.memory(i);
      this.infos.push({
        id: `intel:${i}`,
        vendor: 'intel',
        index: i,
        physical_index: i,
        name: propsOk ? props.core.name : null,
        uuid: propsOk ? Buffer.from(props.core.uuid).toString('hex') : null,
        memory_total_bytes: mem?.total ?? null,
        driver_version: propsOk ? props.driverVersion || null : null,
        backend: this.backend,
      });
    });
  }

  private call(name: string, ...args: unknown[]): number {
    return (this.fn[name] as Fn)(...args);
  }

  private check(code: number, what: string): void {
    if (code !== ZE_RESULT_SUCCESS) throw new Error(`${what}: ze_result 0x${code.toString(16)}`);
  }

  /** The two-call count-then-fill pattern of Level Zero enumerations. */
  private list(get: (count: number[], out: unknown[] | null) => number, what: string, optional = false): unknown[] {
    const n = [0];
    const first = get(n, null);
    if (optional && first === ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) return [];
    this.check(first, what);
    const out: unknown[] = Array(n[0]).fill(null);
    if (out.length > 0) this.check(get(n, out), what);
    return out.slice(0, n[0]);
  }

  private memory(i: number): { used: number; total: number } | undefined {
    const dev = this.devs[i] as ZeDevice;
    if (dev.memories.length === 0 || dev.unsupported.has('memory')) return undefined;
    let total = 0;
    let free = 0;
    for (const m of dev.memories) {
      const state = { stype: ZES_STRUCTURE_TYPE_MEM_STATE, pNext: null } as { free?: bigint | number; size?: bigint | number };
      const code = this.call('zesMemoryGetState', m, state);
      if (code === ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) {
        dev.unsupported.add('memory');
        return undefined;
      }
      this.check(code, 'zesMemoryGetState');
      total += Number(state.size);
      free += Number(state.free);
    }
    return { used: total - free, total };
  }

  devices(): DeviceInfo[] {
    return this.infos;
  }

  read(physicalIndex: number): DeviceReading {
    const dev = this.devs[physicalIndex] as ZeDevice;
    const r: DeviceReading = {};
    if (dev.engine && !dev.unsupported.has('activity')) {
      const stats = {} as { activeTime: bigint | number; timestamp: bigint | number };
      const code = this.call('zesEngineGetActivity', dev.engine, stats);
      if (code === ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) dev.unsupported.add('activity');
      else {
        this.check(code, 'zesEngineGetActivity');
        const now = { active: BigInt(stats.activeTime), stamp: BigInt(stats.timestamp) };
        if (dev.last && now.stamp > dev.last.stamp) {
          r.util_pct = Math.min(100, (100 * Number(now.active - dev.last.active)) / Number(now.stamp - dev.last.stamp));
        }
        dev.last = now;
      }
    }
    const mem = this.memory(physicalIndex);
    if (mem) {
      r.mem_used_bytes = mem.used;
      r.mem_total_bytes = mem.total;
    }
    if (dev.power && !dev.unsupported.has('energy')) {
      const e = {} as { energy: bigint | number };
      const code = this.call('zesPowerGetEnergyCounter', dev.power, e);
      if (code === ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) dev.unsupported.add('energy');
      else {
        this.check(code, 'zesPowerGetEnergyCounter');
        r.energy_j = Number(e.energy) / 1e6; // microjoules
      }
    }
    return r;
  }

  close(): void {
    this.lib.unload();
  }
}
