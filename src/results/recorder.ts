/**
 * Keeps a run's results safe as they come: after every benchmark the result file is rewritten
 * (atomically) and the benchmark goes to the store. Neither failing stops the run: each failure
 * is reported once (a full disk, a store that went away), the other keeps what it can, and every
 * failure is listed in `unsaved` so the command can say so and exit with its own code. A store
 * that fails once is not tried again. Shared by `run` and `load`.
 */
import { errorMessage } from '../util/errors.js';
import type { BenchmarkResult, RunResult } from './schema.js';
import type { ResultStore } from './store/store.js';
import { writeRunResult } from './writer.js';

export interface RecorderTargets {
  outputPath?: string | undefined;
  store?: ResultStore | undefined;
  /** Told of each failure to save, once per target. */
  message: (text: string) => void;
  /** Each failure to save is appended here (what was not saved, and why). */
  unsaved?: string[] | undefined;
}

export class RunRecorder {
  private storeOk = true;
  private fileOk = true;

  constructor(
    readonly run: RunResult,
    private readonly targets: RecorderTargets,
  ) {}

  /** Adds a finished benchmark, then saves the file and the store. */
  async add(result: BenchmarkResult): Promise<void> {
    this.run.benchmarks.push(result);
    this.save();
    await this.toStore((store) => store.saveBenchmark(this.run, this.run.benchmarks.length - 1));
  }

  /** Stamps the run finished and saves the file and the store's run row once more. */
  async finish(): Promise<void> {
    this.run.finished_at = new Date().toISOString();
    this.save();
    await this.toStore((store) => store.finishRun(this.run));
  }

  private fail(what: string): void {
    this.targets.message(what);
    this.targets.unsaved?.push(what);
  }

  private async toStore(write: (store: ResultStore) => Promise<void>): Promise<void> {
    const store = this.targets.store;
    if (!this.storeOk || !store) return;
    try {
      await write(store);
    } catch (err) {
      this.storeOk = false;
      this.fail(`store: ${errorMessage(err)}; ${this.fileOk && this.targets.outputPath ? 'the result file keeps everything' : 'later benchmarks are not stored'}`);
    }
  }

  private save(): void {
    if (!this.targets.outputPath || !this.fileOk) return;
    try {
      writeRunResult(this.targets.outputPath, this.run);
    } catch (err) {
      this.fileOk = false;
      const code = (err as NodeJS.ErrnoException).code;
      this.fail(`result file ${this.targets.outputPath}: cannot write it (${code ?? errorMessage(err)}); ${this.targets.store && this.storeOk ? 'the store keeps what follows' : 'the summary below is all that is kept'}`);
    }
  }
}
