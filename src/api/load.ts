/** `load()`: a load run against an OpenAI-compatible server, from code; the CLI's `load` does the same from flags. */
import { checkConfigs } from '../engines/index.js';
import { findCapacity, MAX_PROBES, probeRequests } from '../load/capacity.js';
import { type LoadProgress, runLoadBenchmarks } from '../load/load-benchmark.js';
import { capacitySearchOfSpec, loadConfigsOf, type LoadSpec } from '../load/load-spec.js';
import { datasetPrompts } from '../load/prompts.js';
import { newRunResult } from '../measure/runner.js';
import { checkRecordsPaths } from '../results/request-records.js';
import type { RunResult } from '../results/schema.js';
import { ResultStore } from '../results/store/store.js';

export interface LoadApiOptions {
  /** The result file, rewritten atomically after every value; request records go beside it (without one they are kept in the result). */
  outputPath?: string;
  /** A store to add each value to: sqlite:PATH or postgres://... (default: none). */
  store?: string;
  /** Told when each value starts and ends and as requests finish (default: nothing said). */
  progress?: LoadProgress;
  /** Aborting stops sending and lets the requests in flight finish; the value is recorded as interrupted. */
  signal?: AbortSignal;
  /** Each failure to save the result file or the store is appended here (the result returned has everything). */
  unsaved?: string[];
}

const SILENT: LoadProgress = { start() {}, request() {}, end() {}, message() {} };

/**
 * Runs the load `spec` describes (a sweep of concurrencies or rates, or a capacity search) and
 * returns the result. Bad input throws an InputError before anything is sent; a value that fails
 * is recorded in the result, not thrown.
 */
export async function load(spec: LoadSpec, options: LoadApiOptions = {}): Promise<RunResult> {
  const search = capacitySearchOfSpec(spec);
  const configs = loadConfigsOf(spec, search ? probeRequests(search.percentile) : 100);
  const dataset = configs[0]?.load.dataset;
  if (dataset) datasetPrompts(dataset, 1);
  const progress = options.progress ?? SILENT;
  for (const warning of await checkConfigs(configs)) progress.message(warning);
  if (options.outputPath) checkRecordsPaths(options.outputPath, search ? MAX_PROBES : configs.length);
  const store = options.store === undefined ? undefined : await ResultStore.open(options.store);
  const run = newRunResult();
  try {
    const runOptions = {
      progress,
      unsaved: options.unsaved ?? [],
      ...(options.outputPath ? { outputPath: options.outputPath } : {}),
      ...(store ? { store } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    if (search) await findCapacity(configs[0] as (typeof configs)[0], search, runOptions, run);
    else await runLoadBenchmarks(configs, runOptions, run);
  } finally {
    await store?.close();
  }
  return run;
}
