/**
 * One config's benchmark as steps a runner can order: prepare (load -> exact-length inputs -> one
 * validity run -> warmups), measured iterations (all at once, or one at a time when configs take
 * turns), finish (summary, server check, the monitor's samples). Each phase is timed; a failure is
 * classified and recorded in the result, never thrown.
 */
import type { NamedConfig } from '../config/fields.js';
import { promptReuseOf } from '../config/prompt-reuse.js';
import type { Engine, PreparedInputs } from '../engines/engine.js';
import { ENGINE_FACTORIES } from '../engines/index.js';
import type { BenchmarkResult, IterationRecord } from '../results/schema.js';
import { summarizeServerCheck } from '../results/server-check.js';
import { summarizeIterations } from '../results/summary.js';
import { classifyRunError, errorMessage, RunError } from '../util/errors.js';
import { exactLengthRows } from './inputs.js';
import { recordIteration, timedGenerate } from './iteration.js';
import { attachMonitorSamples, type MonitorSource } from './monitor-windows.js';
import { type Phase, type ProgressReporter, silentProgress } from './progress.js';
import type { RunOptions } from './runner.js';
import { TokenStamper } from './streamer.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** A result with nothing measured yet (or never: a skipped config). */
export function emptyResult(config: NamedConfig, status: BenchmarkResult['status'], error: BenchmarkResult['error']): BenchmarkResult {
  return {
    config,
    status,
    error,
    engine: null,
    model: null,
    phases_ms: { load: null, validity: null, warmup: null, measure: null },
    validity: null,
    iterations: [],
    summary: null,
    monitor: null,
  };
}

/** New tokens of an iteration, all rows. */
const tokensOf = (record: IterationRecord): number => record.new_tokens.reduce((a, b) => a + b, 0);

/** How long a config's engine may take to let go of its model, browser or server before the run goes on without waiting. */
const DISPOSE_TIMEOUT_MS = 15_000;

export class BenchmarkSession {
  readonly result: BenchmarkResult;
  private readonly engine: Engine;
  private readonly progress: ProgressReporter;
  private readonly stamper: TokenStamper;
  private inputs: PreparedInputs | null = null;
  private phase: Phase = 'load';
  /** [t0, t1] of each measured iteration, for the monitor's windows. */
  private readonly windows: [bigint, bigint][] = [];

  constructor(
    readonly config: NamedConfig,
    private readonly options: RunOptions,
  ) {
    this.progress = options.progress ?? silentProgress;
    this.result = emptyResult(config, 'ok', null);
    const create = options.engineFactory ?? ENGINE_FACTORIES[config.engine];
    this.engine = create(config, { ...options, notify: (text) => this.progress.message(text) });
    this.stamper = new TokenStamper(config.num_tokens_to_generate);
  }

  /** Failed or interrupted: nothing more is run. */
  get stopped(): boolean {
    return this.result.status !== 'ok';
  }

  /** Every measured iteration done, or stopped. */
  get done(): boolean {
    return this.stopped || this.result.iterations.length >= this.config.measurement_iterations;
  }

  /** Load, inputs, the validity run and the warmups. */
  async prepare(): Promise<void> {
    await this.guard(async () => {
      this.inputs = await this.timePhase('load', 1, async () => {
        await this.engine.load();
        const described = this.engine.describe();
        this.result.engine = described.engine;
        this.result.model = described.model;
        return this.engine.prepare(await exactLengthRows(this.engine, this.config.sequence_length, this.config.batch_size));
      });
      await this.timePhase('validity', 1, async () => {
        const [record] = await this.once(0);
        this.result.validity = { new_tokens: record.new_tokens, output_sample: record.output_sample };
        this.progress.step(tokensOf(record));
      });
      await this.timePhase('warmup', this.config.warmup_iterations, async () => {
        for (let i = 0; i < this.config.warmup_iterations; i++) {
          this.interrupted();
          const [record] = await this.once(i);
          this.progress.step(tokensOf(record));
        }
      });
    });
  }

  /** Every measured iteration, one after another: the measure phase. */
  async measureAll(): Promise<void> {
    if (this.stopped) return;
    await this.guard(() =>
      this.timePhase('measure', this.config.measurement_iterations, async () => {
        while (this.result.iterations.length < this.config.measurement_iterations) await this.measureNext();
      }),
    );
  }

  /** One measured iteration (a round of an interleaved run); its time adds to the measure phase. */
  async measureOne(): Promise<void> {
    if (this.done) return;
    await this.guard(async () => {
      this.phase = 'measure';
      const start = performance.now();
      await this.measureNext();
      this.result.phases_ms.measure = (this.result.phases_ms.measure ?? 0) + (performance.now() - start);
    });
  }

  /** The summary, the client-against-server check, the engine disposed, the monitor's samples attached. */
  async finish(monitor: MonitorSource | null): Promise<BenchmarkResult> {
    const result = this.result;
    if (result.iterations.length > 0) result.summary = summarizeIterations(result.iterations);
    // requests to a server: the client against the server's own account
    const http = result.iterations.flatMap((it) => it.http ?? []);
    if (http.length > 0) result.server_check = summarizeServerCheck(http, promptReuseOf(this.config), this.config.model);
    // an engine whose browser or server went away must not hold the run (and its saving) forever
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.engine.dispose().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, DISPOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    // an engine may learn facts as it ends (a browser page's clock after the config)
    if (result.engine) result.engine = this.engine.describe().engine;
    await attachMonitorSamples(result, this.config, this.windows, monitor);
    return result;
  }

  /** Stops the session as interrupted (an interleaved run's other configs when the user stops it). */
  interrupt(): void {
    if (!this.stopped) this.fail(new RunError('interrupted', 'interrupted by the user'));
  }

  private async measureNext(): Promise<void> {
    this.interrupted();
    const [record, window] = await this.once(this.result.iterations.length);
    this.result.iterations.push(record);
    this.windows.push(window);
    this.progress.step(tokensOf(record));
  }

  /** One generation: its record and its [t0, t1] window. */
  private async once(index: number): Promise<[IterationRecord, [bigint, bigint]]> {
    const n = this.config.num_tokens_to_generate;
    const run = await timedGenerate(this.engine, this.inputs as PreparedInputs, n, this.stamper);
    const steps = run.output.timing ? run.stamps.length : this.stamper.count;
    const record = recordIteration(index, run, steps, n, this.config.batch_size, (ids) => this.engine.decode(ids));
    await this.engine.flush();
    gc?.();
    return [record, [run.t0, run.t1]];
  }

  private interrupted(): void {
    if (this.options.signal?.aborted) throw new RunError('interrupted', 'interrupted by the user');
  }

  private async timePhase<T>(name: Phase, steps: number, body: () => Promise<T>): Promise<T> {
    this.phase = name;
    this.progress.phaseStart(name, steps);
    const start = performance.now();
    const value = await body();
    const ms = performance.now() - start;
    this.result.phases_ms[name] = ms;
    this.progress.phaseEnd(name, ms);
    return value;
  }

  private async guard(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    // what fails once the user has interrupted (a browser closed by the same Ctrl-C, a request cut)
    // failed because of the interrupt: the config is interrupted, with the iterations it finished
    const byInterrupt = this.options.signal?.aborted && !(err instanceof RunError && err.kind === 'interrupted');
    const error = byInterrupt ? new RunError('interrupted', `interrupted by the user (then ${errorMessage(err)})`) : classifyRunError(err, this.phase === 'load' ? 'load' : 'generate');
    this.result.status = error.kind === 'interrupted' ? 'interrupted' : 'failed';
    this.result.error = { kind: error.kind, message: `${this.phase}: ${errorMessage(error)}` };
  }
}
