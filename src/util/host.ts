/** What machine a run is on. */
import { cpus, platform, release, totalmem } from 'node:os';

export interface HostInfo {
  os: string;
  cpu_model: string;
  cpu_count: number;
  memory_total_bytes: number;
  node_version: string;
}

export function hostInfo(): HostInfo {
  const list = cpus();
  return {
    os: `${platform()} ${release()}`,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    cpu_count: list.length,
    memory_total_bytes: totalmem(),
    node_version: process.version,
  };
}
