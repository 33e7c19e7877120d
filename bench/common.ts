/** Helpers shared by the bench scripts: medians, flags, and a loaded tiny-model engine. */
import { expandConfigs } from '../src/config/sweep.js';
import type { NamedConfig } from '../src/config/fields.js';
import { defaultCacheDir } from '../src/synth/cache.js';
import { medianSorted, sortAscending } from '../src/results/statistics.js';

export function median(xs: readonly number[]): number {
  return medianSorted(sortAscending(xs));
}

/** `--name value` from argv, else the default. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] as string) : fallback;
}

export function benchConfig(fields: Record<string, unknown>): NamedConfig {
  const [c] = expandConfigs([{ fields, where: 'bench' }]);
  if (!c) throw new Error('no config');
  return c;
}

export const cacheDir = defaultCacheDir();
