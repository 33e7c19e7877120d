/** `run()`: benchmark configs in this process, from code; the CLI's `run` does the same from flags and files. */
import type { NamedConfig } from '../config/fields.js';
import { expandConfigs } from '../config/sweep.js';
import { checkConfigs } from '../engines/index.js';
import { newRunResult, type RunOptions, runBenchmarks } from '../measure/runner.js';
import type { RunResult } from '../results/schema.js';
import { ResultStore } from '../results/store/store.js';
import { defaultCacheDir } from '../synth/cache.js';
import type { ConfigInput } from './types.js';

export interface RunApiOptions extends Omit<Partial<RunOptions>, 'store'> {
  /** A store to add each config to: sqlite:PATH or postgres://... (default: none). */
  store?: string;
}

/**
 * Validates and expands configs (fields as in a config file; a list is a sweep), then runs them.
 * Throws an InputError for bad input before anything runs. With `engineFactory` (an engine of your
 * own) the built-in engines' checks of model, device and limits are left to that engine's load().
 */
export async function run(configs: ConfigInput | readonly ConfigInput[], options: RunApiOptions = {}): Promise<RunResult> {
  const list = (Array.isArray(configs) ? configs : [configs]) as readonly ConfigInput[];
  const named: NamedConfig[] = expandConfigs(list.map((fields, i) => ({ fields: fields as Record<string, unknown>, where: `config ${i + 1}` })));
  const { store: storeUrl, ...rest } = options;
  if (!rest.engineFactory) {
    const warnings = await checkConfigs(named);
    for (const w of warnings) rest.progress?.message(w);
  }
  const store = storeUrl === undefined ? undefined : await ResultStore.open(storeUrl);
  try {
    return await runBenchmarks(named, { cacheDir: defaultCacheDir(), ...rest, ...(store ? { store } : {}) }, newRunResult());
  } finally {
    await store?.close();
  }
}
