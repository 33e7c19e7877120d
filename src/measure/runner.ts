/**
 * The benchmark loop, per config: load -> exact-length inputs -> one validity run -> warmups ->
 * measured iterations, each phase timed; and over configs: the run result, saved after each one.
 */
import { randomUUID } from 'node:crypto';
import type { NamedConfig } from '../config/fields.js';
import { promptReuseOf } from '../config/prompt-reuse.js';
import { summarizeServerCheck } from '../results/server-check.js';
import type { Engine, EngineContext, EngineFactory } from '../engines/engine.js';
import { ENGINE_FACTORIES } from '../engines/index.js';
import type { BenchmarkResult, IterationRecord, RunResult } from '../results/schema.js';
import { RunRecorder } from '../results/recorder.js';
import { RESULT_SCHEMA } from '../results/schema.js';
import { PERCENTILE_METHOD } from '../results/statistics.js';
import { summarizeIterations } from '../results/summary.js';
import { classifyRunError, errorMessage, InputError, RunError } from '../util/errors.js';
import { gitInfo } from '../util/git.js';
import { hostInfo } from '../util/host.js';
import { toolVersion } from '../util/version.js';
import { exactLengthRows } from './inputs.js';
import { recordIteration, timedGenerate } from './iteration.js';
import { type Phase, type ProgressReporter, silentProgress } from './progress.js';
import { TokenStamper } from './streamer.js';
import { attachMonitorSamples, type MonitorSource } from './monitor-windows.js';
import { DeviceMonitor } from '../monitor/monitor.js';
import type { ResultStore } from '../results/store/store.js';

export interface RunOptions extends EngineContext {
  /** Results store: each finished benchmark is also written there, in one transaction. */
  store?: ResultStore;
  /** `--devices`: which devices the monitor samples (default: all the engine can see). */
  devices?: string[];
  /** Result file, rewritten atomically after every config. */
  outputPath?: string;
  progress?: ProgressReporter;
  /** Each failure to save the result file or the store is appended here. */
  unsaved?: string[];
  /** Aborting stops after the current iteration; that config is recorded as interrupted. */
  signal?: AbortSignal;
  /** Library use: an engine of your own, measured like the built-in ones (default: `config.engine`'s). */
  engineFactory?: EngineFactory;
}

const gc = (globalThis as { gc?: () => void }).gc;

function interrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RunError('interrupted', 'interrupted by the user');
}

function emptyResult(config: NamedConfig, status: BenchmarkResult['status'], error: BenchmarkResult['error']): BenchmarkResult {
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

/** Runs one config to a result; failures are classified and recorded, never thrown. */
export async function runBenchmark(config: NamedConfig, options: RunOptions, monitor: MonitorSource | null = null): Promise<BenchmarkResult> {
  const progress = options.progress ?? silentProgress;
  const result = emptyResult(config, 'ok', null);
  const create = options.engineFactory ?? ENGINE_FACTORIES[config.engine];
  const engine: Engine = create(config, { ...options, notify: (text) => progress.message(text) });
  let phase: Phase = 'load';
  /** [t0, t1] of each measured iteration, for the monitor's windows. */
  const windows: [bigint, bigint][] = [];

  const timePhase = async <T>(name: Phase, steps: number, body: () => Promise<T>): Promise<T> => {
    phase = name;
    progress.phaseStart(name, steps);
    const start = performance.now();
    const value = await body();
    const ms = performance.now() - start;
    result.phases_ms[name] = ms;
    progress.phaseEnd(name, ms);
    return value;
  };

  try {
    const inputs = await timePhase('load', 1, async () => {
      await engine.load();
      const described = engine.describe();
      result.engine = described.engine;
      result.model = described.model;
      return engine.prepare(await exactLengthRows(engine, config.sequence_length, config.batch_size));
    });
    const n = config.num_tokens_to_generate;
    const stamper = new TokenStamper(n);
    const decode = (ids: readonly number[]): string => engine.decode(ids);
    /** One iteration: its record and its [t0, t1] window. */
    const once = async (index: number): Promise<[IterationRecord, [bigint, bigint]]> => {
      const run = await timedGenerate(engine, inputs, n, stamper);
      const steps = run.output.timing ? run.stamps.length : stamper.count;
      const record = recordIteration(index, run, steps, n, config.batch_size, decode);
      await engine.flush();
      gc?.();
      return [record, [run.t0, run.t1]];
    };

    await timePhase('validity', 1, async () => {
      const [record] = await once(0);
      result.validity = { new_tokens: record.new_tokens, output_sample: record.output_sample };
      progress.step(tokensOf(record));
    });
    await timePhase('warmup', config.warmup_iterations, async () => {
      for (let i = 0; i < config.warmup_iterations; i++) {
        interrupted(options.signal);
        const [record] = await once(i);
        progress.step(tokensOf(record));
      }
    });
    await timePhase('measure', config.measurement_iterations, async () => {
      for (let i = 0; i < config.measurement_iterations; i++) {
        interrupted(options.signal);
        const [record, window] = await once(i);
        result.iterations.push(record);
        windows.push(window);
        progress.step(tokensOf(record));
      }
    });
    result.summary = summarizeIterations(result.iterations);
  } catch (err) {
    const error = classifyRunError(err, phase === 'load' ? 'load' : 'generate');
    result.status = error.kind === 'interrupted' ? 'interrupted' : 'failed';
    result.error = { kind: error.kind, message: `${phase}: ${errorMessage(error)}` };
    if (result.iterations.length > 0) result.summary = summarizeIterations(result.iterations);
  } finally {
    // requests to a server: the client against the server's own account
    const http = result.iterations.flatMap((it) => it.http ?? []);
    if (http.length > 0) result.server_check = summarizeServerCheck(http, promptReuseOf(config), config.model);
    await engine.dispose().catch(() => undefined);
  }
  await attachMonitorSamples(result, config, windows, monitor);
  return result;
}

/** The run header: ids, times, tool, git and host. */
export function newRunResult(startedAt = new Date()): RunResult {
  return {
    schema: RESULT_SCHEMA,
    run_id: randomUUID(),
    started_at: startedAt.toISOString(),
    finished_at: null,
    tool: { name: 'tokenbench', version: toolVersion() },
    git: gitInfo(),
    host: hostInfo(),
    devices: [],
    percentile_method: PERCENTILE_METHOD,
    benchmarks: [],
  };
}

/** Runs every config in order, saving the result after each; configs after an interrupt are skipped. */
export async function runBenchmarks(configs: readonly NamedConfig[], options: RunOptions, run = newRunResult()): Promise<RunResult> {
  const progress = options.progress ?? silentProgress;
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => progress.message(text), unsaved: options.unsaved });
  let source: MonitorSource | null = null;
  /** One monitor for the run; restarted only when a config asks for another interval. */
  const monitorFor = async (config: NamedConfig): Promise<MonitorSource | null> => {
    if (!config.gpu_monitoring) return source;
    if (source?.monitor && source.monitor.alive && source.monitor.intervalMs === config.monitor_interval_ms) return source;
    await source?.monitor?.stop();
    try {
      const monitor = await DeviceMonitor.start({ intervalMs: config.monitor_interval_ms, watchedPid: process.pid, devices: options.devices });
      if (monitor.unknownChoices.length > 0) {
        // a device asked for that is not there is bad input, found before anything is measured
        await monitor.stop();
        throw new InputError('usage', `run: --devices ${monitor.unknownChoices.join(', ')} matched no device; 'tokenbench monitor --duration-ms 100' lists the devices there are`);
      }
      for (const d of monitor.devices) if (!run.devices.some((x) => x.id === d.id)) run.devices.push(d);
      source = { monitor, error: null };
    } catch (err) {
      if (err instanceof InputError) throw err;
      source = { monitor: null, error: errorMessage(err) };
      progress.message(`monitor: ${source.error}; benchmarks continue without it`);
    }
    return source;
  };
  try {
    for (const [i, config] of configs.entries()) {
      if (options.signal?.aborted) {
        run.benchmarks.push(emptyResult(config, 'skipped', { kind: 'interrupted', message: 'not run: the run was interrupted' }));
        continue;
      }
      const monitor = await monitorFor(config);
      progress.benchmarkStart(i, configs.length, config.name);
      const result = await runBenchmark(config, options, monitor);
      progress.benchmarkEnd(result);
      await recorder.add(result);
    }
  } finally {
    await (source as MonitorSource | null)?.monitor?.stop();
  }
  await recorder.finish();
  return run;
}
