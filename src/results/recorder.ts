/**
 * Keeps a run's results safe as they come: after every benchmark the result file is rewritten
 * (atomically) and the benchmark goes to the store. A store that fails once is not tried again;
 * the result file keeps everything. Shared by `run` and `load`.
 */
import { errorMessage } from '../util/errors.js';
import type { BenchmarkResult, RunResult } from './schema.js';
import type { ResultStore } from './store/store.js';
import { writeRunResult } from './writer.js';

export class RunRecorder {
  private storeOk = true;

  constructor(
    readonly run: RunResult,
    private readonly outputPath: string | undefined,
    private readonly store: ResultStore | undefined,
    /** Told when the store fails. */
    private readonly message: (text: string) => void,
  ) {}

  /** Adds a finished benchmark, then saves the file and the store. */
  async add(result: BenchmarkResult): Promise<void> {
    this.run.benchmarks.push(result);
    this.save();
    if (!this.storeOk || !this.store) return;
    try {
      await this.store.saveBenchmark(this.run, this.run.benchmarks.length - 1);
    } catch (err) {
      this.storeOk = false;
      this.message(`store: ${errorMessage(err)}; the result file keeps everything`);
    }
  }

  /** Stamps the run finished and saves the file once more. */
  finish(): void {
    this.run.finished_at = new Date().toISOString();
    this.save();
  }

  private save(): void {
    if (this.outputPath) writeRunResult(this.outputPath, this.run);
  }
}
