/**
 * Which physical devices the engine uses, and the index it knows each by: CUDA_VISIBLE_DEVICES
 * (indices or UUID prefixes; the list ends at the first entry that matches nothing, as in CUDA),
 * ROCR_VISIBLE_DEVICES then HIP_VISIBLE_DEVICES (HIP indexes into what ROCR left),
 * ZE_AFFINITY_MASK (`device` or `device.subdevice`), and the user's own `--devices` choice.
 */
import type { DeviceInfo, Vendor } from './types.js';

/** Applies one visibility list: entries are indices into `devices` or UUID prefixes. */
function applyList(devices: DeviceInfo[], list: string | undefined): DeviceInfo[] {
  if (list === undefined) return devices;
  const out: DeviceInfo[] = [];
  for (const raw of list.split(',').map((s) => s.trim())) {
    if (raw === '') break;
    const byIndex = /^\d+$/.test(raw) ? devices[Number(raw)] : undefined;
    const byUuid = byIndex ? undefined : devices.find((d) => d.uuid !== null && d.uuid.toLowerCase().startsWith(raw.toLowerCase()));
    const d = byIndex ?? byUuid;
    if (!d) break;
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

/** ZE_AFFINITY_MASK: `0,1` or `0.0,1.1`; subdevices count as their device. */
function applyZeMask(devices: DeviceInfo[], mask: string | undefined): DeviceInfo[] {
  if (mask === undefined) return devices;
  const picked = new Set(mask.split(',').map((s) => Number(s.trim().split('.')[0])));
  return devices.filter((_, i) => picked.has(i));
}

/** The devices of one vendor the engine can see, re-indexed as the engine sees them. */
export function visibleDevices(vendor: Vendor, devices: DeviceInfo[], env: NodeJS.ProcessEnv = process.env): DeviceInfo[] {
  let visible: DeviceInfo[];
  if (vendor === 'nvidia') visible = applyList(devices, env.CUDA_VISIBLE_DEVICES);
  else if (vendor === 'amd') visible = applyList(applyList(devices, env.ROCR_VISIBLE_DEVICES), env.HIP_VISIBLE_DEVICES);
  else visible = applyZeMask(devices, env.ZE_AFFINITY_MASK);
  return visible.map((d, i) => ({ ...d, index: i, id: `${vendor}:${i}` }));
}

/**
 * The user's `--devices` choice among visible devices: entries `nvidia:0`, `amd:1`, `intel:0`,
 * a bare index (any vendor), or `all`. Returns the chosen devices and the entries that matched none.
 */
export function chooseDevices(devices: DeviceInfo[], choice: readonly string[] | undefined): { chosen: DeviceInfo[]; unknown: string[] } {
  if (!choice || choice.length === 0 || choice.includes('all')) return { chosen: devices, unknown: [] };
  const unknown: string[] = [];
  const chosen: DeviceInfo[] = [];
  for (const entry of choice) {
    const matches = devices.filter((d) => d.id === entry || String(d.index) === entry);
    if (matches.length === 0) unknown.push(entry);
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return { chosen, unknown };
}
