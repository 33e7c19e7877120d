/** What the monitor reports: devices, readings and samples on the token clock. */

export type Vendor = 'nvidia' | 'amd' | 'intel';

export interface DeviceInfo {
  /** `<vendor>:<index as the engine sees it>`, e.g. `nvidia:0`. */
  id: string;
  vendor: Vendor;
  /** Index as the engine sees it (after *_VISIBLE_DEVICES). */
  index: number;
  /** Index in the vendor library's own enumeration. */
  physical_index: number;
  name: string | null;
  uuid: string | null;
  memory_total_bytes: number | null;
  driver_version: string | null;
  /** How it is read: nvml, nvidia-smi, amdsmi, amd-smi, level-zero, xpu-smi. */
  backend: string;
}

/** One reading of one device; a missing key means the device does not report it. */
export interface DeviceReading {
  util_pct?: number;
  mem_used_bytes?: number;
  mem_total_bytes?: number;
  power_w?: number;
  /** Total energy counter, joules (from the device's counter, not integrated power). */
  energy_j?: number;
  temp_c?: number;
  sm_clock_mhz?: number;
  /** Device memory used by the benchmark process, where the driver reports it. */
  proc_mem_used_bytes?: number;
}

/** One reading of the host. */
export interface HostReading {
  /** Whole machine CPU utilisation, percent of all cores. */
  host_cpu_pct?: number;
  /** CPU of the watched process, percent of one core (200 = two cores busy). */
  proc_cpu_pct?: number;
  proc_rss_bytes?: number;
  sys_mem_used_bytes?: number;
  /** Package energy counter (RAPL) where readable, joules. */
  host_energy_j?: number;
}

/** A sample row: one device (or `host`) at one time. */
export type SampleRow = { t_ns: string; device: string } & DeviceReading & HostReading;

/** A vendor backend: enumerates devices once, then reads them on the schedule. */
export interface GpuSampler {
  readonly backend: string;
  readonly vendor: Vendor;
  /** Devices found (physical enumeration order). */
  devices(): DeviceInfo[];
  /** Reads device `physicalIndex`; throws when the device is gone. */
  read(physicalIndex: number): DeviceReading;
  close(): void;
}

export type MonitorStatus = 'success' | 'failed' | 'no_devices' | 'no_samples' | 'disabled' | 'unavailable';
