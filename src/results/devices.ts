/** A run's list of devices: each once, by id, in the order first seen (monitors restart, parts merge). */
import type { RunResult } from './schema.js';

type Device = RunResult['devices'][number];

/** Appends to `into` the devices of `more` it does not have yet. */
export function addDevices(into: Device[], more: readonly Device[]): void {
  for (const d of more) if (!into.some((x) => x.id === d.id)) into.push(d);
}
