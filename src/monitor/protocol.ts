/** Messages between the runner and the monitor child process (Node IPC). */
import type { BackendAttempt } from './backends.js';
import type { DeviceInfo, SampleRow } from './types.js';

export interface MonitorOptions {
  intervalMs: number;
  /** Process whose CPU and RSS are sampled (the benchmark). */
  watchedPid: number;
  /** `--devices` choice; empty: every device the engine can see. */
  devices?: string[];
}

export type ChildMessage =
  | { type: 'ready'; devices: DeviceInfo[]; attempts: BackendAttempt[]; unknownChoices: string[] }
  | { type: 'samples'; id: number; rows: SampleRow[]; failures: [string, string][] }
  | { type: 'fatal'; message: string };

export type ParentMessage = { type: 'collect'; id: number; from_ns: string; to_ns: string } | { type: 'stop' };
