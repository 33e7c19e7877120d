/**
 * Finds the devices: per vendor the library first, then its command-line tool; keeps what each
 * attempt said, so "no devices" always comes with a reason.
 */
import type { ProcessTree } from './process-tree.js';
import { AmdSmiCliSampler, NvidiaSmiSampler, XpuSmiSampler } from './smi-cli.js';
import type { DeviceInfo, GpuSampler, Vendor } from './types.js';
import { isInstalled, missingPackageMessage } from '../util/optional-package.js';
import { chooseDevices, visibleDevices } from './visible-devices.js';

export interface Target {
  info: DeviceInfo;
  sampler: GpuSampler;
}

export interface BackendAttempt {
  vendor: Vendor;
  backend: string;
  ok: boolean;
  detail: string;
}

export interface OpenedBackends {
  samplers: GpuSampler[];
  targets: Target[];
  attempts: BackendAttempt[];
  /** `--devices` entries that matched no device. */
  unknownChoices: string[];
  /** Every device the engine can see, before the `--devices` choice. */
  visible: DeviceInfo[];
}

/** koffi, which the library backends call through, is optional: without it they are skipped, named. */
function needKoffi(): void {
  if (!isInstalled('koffi')) throw new Error(missingPackageMessage('koffi', 'this backend'));
}

// the library backends are imported when tried, so that a lean install without koffi loads this file
const CANDIDATES: Record<Vendor, { backend: string; open: (intervalMs: number, watched: ProcessTree) => Promise<GpuSampler> | GpuSampler }[]> = {
  nvidia: [
    { backend: 'nvml', open: async (_i, watched) => {
      needKoffi();
      const { NvmlSampler } = await import('./nvml.js');
      return new NvmlSampler(watched);
    } },
    { backend: 'nvidia-smi', open: (i) => new NvidiaSmiSampler(i) },
  ],
  amd: [
    { backend: 'amdsmi', open: async () => {
      needKoffi();
      const { AmdSmiSampler } = await import('./amdsmi.js');
      return new AmdSmiSampler();
    } },
    { backend: 'amd-smi', open: (i) => new AmdSmiCliSampler(i) },
  ],
  intel: [
    { backend: 'level-zero', open: async () => {
      needKoffi();
      const { LevelZeroSampler } = await import('./level-zero.js');
      return new LevelZeroSampler();
    } },
    { backend: 'xpu-smi', open: (i) => new XpuSmiSampler(i) },
  ],
};

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}

/** Opens one backend per vendor that has devices; the engine-visible ones, narrowed by `choice`. */
export async function openBackends(intervalMs: number, watched: ProcessTree, choice?: readonly string[]): Promise<OpenedBackends> {
  const samplers: GpuSampler[] = [];
  const attempts: BackendAttempt[] = [];
  let targets: Target[] = [];
  for (const vendor of Object.keys(CANDIDATES) as Vendor[]) {
    for (const c of CANDIDATES[vendor]) {
      let sampler: GpuSampler;
      try {
        sampler = await c.open(intervalMs, watched);
      } catch (err) {
        attempts.push({ vendor, backend: c.backend, ok: false, detail: oneLine(err) });
        continue;
      }
      const found = sampler.devices();
      if (found.length === 0) {
        attempts.push({ vendor, backend: c.backend, ok: false, detail: 'no devices' });
        sampler.close();
        continue;
      }
      const visible = visibleDevices(vendor, found);
      attempts.push({ vendor, backend: c.backend, ok: true, detail: `${found.length} device(s), ${visible.length} visible to the engine` });
      samplers.push(sampler);
      targets.push(...visible.map((info) => ({ info, sampler })));
      break;
    }
  }
  const visible = targets.map((t) => t.info);
  const { chosen, unknown } = chooseDevices(visible, choice);
  targets = targets.filter((t) => chosen.includes(t.info));
  return { samplers, targets, attempts, unknownChoices: unknown, visible };
}

/** One line on why there are no devices, from the attempts. */
export function noDeviceReason(attempts: readonly BackendAttempt[]): string {
  return attempts.map((a) => `${a.backend}: ${a.detail}`).join('; ');
}
