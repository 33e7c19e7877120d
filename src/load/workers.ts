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
import { ResultStore } from '../results/store/store.js';
import { errorMessage } from '../util/errors.js';
import type { LoadConfig, LoadOptions } from './load-benchmark.js';
import { mergeLoadParts } from './merge-parts.js';

/** Runs worker `index` of `count` to the end and returns its run, or why it has none. */
export type WorkerRunner = (index: number, count: number) => Promise<RunResult | { failed: string }>;

/**
 * Runs `workers` workers at once, then merges each value's parts into `run` and saves it after each
 * value. `onLost` hears at once of a worker that ended without a result (killed, out of memory), so
 * that the others need not wait for it; a value some worker did not measure fails, naming the lost
 * workers, and keeps the records of the parts that were measured.
 */
export async function runLoadWorkers(configs: readonly LoadConfig[], workers: number, runWorker: WorkerRunner, options: LoadOptions, run: RunResult, onLost?: (index: number, why: string) => void): Promise<RunResult> {
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => options.progress.message(text), unsaved: options.unsaved });
  const outcomes = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      runWorker(i, workers).then((o) => {
        if ('failed' in o) onLost?.(i, o.failed);
        return o;
      }),
    ),
  );
  const lost = outcomes.flatMap((o, i) => ('failed' in o ? [`worker ${i} (part ${i}/${workers}) was lost: ${o.failed}`] : []));
  for (const [k, config] of configs.entries()) {
    options.progress.start(k, configs.length, config.name, config.load.requests);
    const parts = outcomes.flatMap((o) => ('failed' in o ? [] : o.benchmarks.filter((b) => b.config.hash === config.hash)));
    if (parts.length === 0 && options.signal?.aborted) continue; // interrupted before this value: nothing of it was measured
    const result: BenchmarkResult = parts.length > 0 ? await mergeLoadParts(parts) : emptyOf(config);
    if (result.load) result.load.workers = parts.length;
    if (parts.length < workers) {
      const kept = parts.length > 0 ? `; the records of the ${parts.length} that did are kept` : '';
      // set on the merged result itself: a copy would lose where its records are read from
      result.status = 'failed';
      result.error = { kind: 'parts_missing', message: `${parts.length} of ${workers} workers measured this value${lost.length > 0 ? `; ${lost.join('; ')}` : ''}${kept}` };
    }
    if (parts.length > 0) {
      // the parts' records are in the workers' folder, which goes when the run ends
      const unsaved = await keepRecords(result, options.outputPath, k).catch((err: unknown) => `request records of ${config.name}: cannot keep them (${errorMessage(err)}); the value's summary is kept, its records are not`);
      if (unsaved) {
        options.progress.message(unsaved);
        options.unsaved?.push(unsaved);
        delete result.request_count;
      }
    }
    options.progress.end(result);
    await recorder.add(result);
  }
  for (const o of outcomes) if (!('failed' in o)) addDevices(run.devices, o.devices);
  await recorder.finish();
  return run;
}

/** How often the parts of lost workers are registered again, so that a wait begun long after the loss still counts them. */
const LOST_REFRESH_MS = 5000;

/**
 * The workers that ended without a result, registered in their meeting store as if they had come
 * to every value's meeting (host `lost`), again and again until the run ends: the others then start
 * each value at once instead of waiting --meet-timeout for a part that will never come.
 */
export class LostWorkers {
  private readonly lost = new Set<number>();
  private store: Promise<ResultStore> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    /** The group the workers meet as. */
    private readonly group: string,
    private readonly configs: readonly LoadConfig[],
    private readonly count: number,
    private readonly message: (text: string) => void,
  ) {}

  add(index: number, why: string): void {
    this.message(`worker ${index} (part ${index}/${this.count}) was lost: ${why}; the others go on without it`);
    this.lost.add(index);
    void this.register();
    this.timer ??= setInterval(() => void this.register(), LOST_REFRESH_MS);
  }

  private async register(): Promise<void> {
    try {
      this.store ??= ResultStore.open(this.url);
      const store = await this.store;
      for (const index of this.lost) for (const c of this.configs) await store.registerLoadPart(this.group, c.hash, { index, count: this.count }, 'lost');
    } catch (err) {
      this.message(`could not mark the lost worker in the meeting store (${errorMessage(err)}): the others wait for it up to the meet timeout`);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await (await this.store?.catch(() => null))?.close().catch(() => undefined);
  }
}

function emptyOf(config: LoadConfig): BenchmarkResult {
  return { config, status: 'failed', error: null, engine: null, model: null, phases_ms: { load: null, validity: null, warmup: null, measure: null }, validity: null, iterations: [], summary: null, monitor: null };
}
