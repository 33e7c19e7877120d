/**
 * load --workers N: one load run in N processes on one machine (one per core), for a token rate
 * beyond one client process's event loop. Each worker runs part i of N of every value (the same
 * sharding as --shard, meeting in a store of their own), and the parts are merged into one run,
 * saved as if one process had measured it.
 */
import type { BenchmarkResult, RunResult } from '../results/schema.js';
import { addDevices } from '../results/devices.js';
import { RunRecorder } from '../results/recorder.js';
import { keepRecords } from '../results/request-records.js';
import { errorMessage } from '../util/errors.js';
import type { LoadConfig, LoadOptions } from './load-benchmark.js';
import { mergeLoadParts } from './merge-parts.js';

/** Runs worker `index` of `count` to the end and returns its run, or why it has none. */
export type WorkerRunner = (index: number, count: number) => Promise<RunResult | { failed: string }>;

/** Runs `workers` workers at once, then merges each value's parts into `run` and saves it after each value. */
export async function runLoadWorkers(configs: readonly LoadConfig[], workers: number, runWorker: WorkerRunner, options: LoadOptions, run: RunResult): Promise<RunResult> {
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => options.progress.message(text), unsaved: options.unsaved });
  const outcomes = await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(i, workers)));
  const failed = outcomes.flatMap((o, i) => ('failed' in o ? [`worker ${i}: ${o.failed}`] : []));
  for (const [k, config] of configs.entries()) {
    options.progress.start(k, configs.length, config.name, config.load.requests);
    const parts = outcomes.flatMap((o) => ('failed' in o ? [] : o.benchmarks.filter((b) => b.config.hash === config.hash)));
    let result: BenchmarkResult;
    if (parts.length === workers) {
      result = await mergeLoadParts(parts);
      if (result.load) result.load.workers = workers;
      // the parts' records are in the workers' folder, which goes when the run ends
      const unsaved = await keepRecords(result, options.outputPath, k).catch((err: unknown) => `request records of ${config.name}: cannot keep them (${errorMessage(err)}); the value's summary is kept, its records are not`);
      if (unsaved) {
        options.progress.message(unsaved);
        options.unsaved?.push(unsaved);
        delete result.request_count;
      }
    } else if (parts.length === 0 && options.signal?.aborted) {
      continue; // interrupted before this value: nothing of it was measured
    } else {
      result = { ...(parts[0] ?? emptyOf(config)), status: 'failed', error: { kind: 'internal', message: `${parts.length} of ${workers} workers measured this value${failed.length > 0 ? `; ${failed.join('; ')}` : ''}` } };
    }
    options.progress.end(result);
    await recorder.add(result);
  }
  for (const o of outcomes) if (!('failed' in o)) addDevices(run.devices, o.devices);
  await recorder.finish();
  return run;
}

function emptyOf(config: LoadConfig): BenchmarkResult {
  return { config, status: 'failed', error: null, engine: null, model: null, phases_ms: { load: null, validity: null, warmup: null, measure: null }, validity: null, iterations: [], summary: null, monitor: null };
}
