/**
 * The benchmark loop over configs: one after another (each config loaded, measured and saved before
 * the next), or interleaved (every config loaded and warmed up, then one measured iteration of each
 * in turn per round, so that drift of the machine hits all alike); the run result is saved after
 * each finished config.
 */
import { randomUUID } from 'node:crypto';
import type { NamedConfig } from '../config/fields.js';
import type { EngineContext, EngineFactory } from '../engines/engine.js';
import type { BenchmarkResult, RunResult } from '../results/schema.js';
import { RunRecorder } from '../results/recorder.js';
import { RESULT_SCHEMA } from '../results/schema.js';
import { PERCENTILE_METHOD } from '../results/statistics.js';
import { errorMessage, InputError } from '../util/errors.js';
import { gitInfo } from '../util/git.js';
import { hostInfo } from '../util/host.js';
import { RunScope } from '../util/run-scope.js';
import { toolVersion } from '../util/version.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import type { MonitorSource } from './monitor-windows.js';
import { BenchmarkSession, emptyResult } from './session.js';
import { DeviceMonitor } from '../monitor/monitor.js';
import type { ResultStore } from '../results/store/store.js';
import { addDevices } from '../results/devices.js';

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
  /** `--interleave`: all configs loaded at once, one measured iteration of each per round. */
  interleave?: boolean;
}

/** Runs one config to a result; failures are classified and recorded, never thrown. */
export async function runBenchmark(config: NamedConfig, options: RunOptions, monitor: MonitorSource | null = null): Promise<BenchmarkResult> {
  const session = new BenchmarkSession(config, options);
  await session.prepare();
  await session.measureAll();
  return session.finish(monitor);
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

/**
 * Runs every config, in order or interleaved, saving the result after each one that finishes;
 * configs after an interrupt are skipped.
 */
export async function runBenchmarks(configs: readonly NamedConfig[], runOptions: RunOptions, run = newRunResult()): Promise<RunResult> {
  // one browser (say) for all the configs that can share it, closed when the run ends
  const scope = runOptions.runScope ?? new RunScope();
  const options: RunOptions = { ...runOptions, runScope: scope };
  const progress = options.progress ?? silentProgress;
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => progress.message(text), unsaved: options.unsaved });
  let source: MonitorSource | null = null;
  /** The interval `source` was started for. */
  let sourceInterval: number | null = null;
  /**
   * One monitor for the run; restarted when a config asks for another interval or the monitor has
   * died. One that could not start is not tried again for the same interval (nor said again).
   */
  const monitorFor = async (config: NamedConfig): Promise<MonitorSource | null> => {
    if (!config.gpu_monitoring) return source;
    if (source && sourceInterval === config.monitor_interval_ms && (source.monitor === null || source.monitor.alive)) return source;
    await source?.monitor?.stop();
    sourceInterval = config.monitor_interval_ms;
    try {
      const monitor = await DeviceMonitor.start({ intervalMs: config.monitor_interval_ms, watchedPid: process.pid, devices: options.devices });
      if (monitor.unknownChoices.length > 0) {
        // a device asked for that is not there is bad input, found before anything is measured
        await monitor.stop();
        throw new InputError('usage', `run: --devices ${monitor.unknownChoices.join(', ')} matched no device; 'tokenbench monitor --duration-ms 100' lists the devices there are`);
      }
      addDevices(run.devices, monitor.devices);
      source = { monitor, error: null };
    } catch (err) {
      if (err instanceof InputError) throw err;
      source = { monitor: null, error: errorMessage(err) };
      progress.message(`monitor: ${source.error}; benchmarks continue without it`);
    }
    return source;
  };
  const skip = (config: NamedConfig): void => {
    run.benchmarks.push(emptyResult(config, 'skipped', { kind: 'interrupted', message: 'not run: the run was interrupted' }));
  };
  progress.plan?.(configs.reduce((n, c) => n + c.warmup_iterations + c.measurement_iterations, 0));
  try {
    if (options.interleave) {
      run.interleaved = true;
      await runInterleaved(configs, options, monitorFor, recorder, skip);
    } else {
      for (const [i, config] of configs.entries()) {
        if (options.signal?.aborted) {
          skip(config);
          continue;
        }
        const monitor = await monitorFor(config);
        progress.benchmarkStart(i, configs.length, config.name);
        const result = await runBenchmark(config, options, monitor);
        progress.benchmarkEnd(result);
        await recorder.add(result);
      }
    }
  } finally {
    await (source as MonitorSource | null)?.monitor?.stop();
    if (scope !== runOptions.runScope) await scope.close();
  }
  await recorder.finish();
  return run;
}

/** Interleaved configs share one monitor (their iterations alternate within its one sampling stream): one interval for all. */
export function checkInterleavable(configs: readonly NamedConfig[]): void {
  const intervals = [...new Set(configs.filter((c) => c.gpu_monitoring).map((c) => c.monitor_interval_ms))];
  if (intervals.length > 1) {
    throw new InputError('usage', `run --interleave: the configs ask for monitor intervals of ${intervals.join(', ')} ms; interleaved configs share one monitor, so give one --monitor-interval-ms`);
  }
}

/**
 * Every config loaded, checked and warmed up first (kept loaded), then rounds: one measured
 * iteration of each config per round, the order rotated each round so that no config always runs
 * right after the same other one. A config that fails to load (out of memory, say) is recorded
 * at once and the others go on without it.
 */
async function runInterleaved(
  configs: readonly NamedConfig[],
  options: RunOptions,
  monitorFor: (config: NamedConfig) => Promise<MonitorSource | null>,
  recorder: RunRecorder,
  skip: (config: NamedConfig) => void,
): Promise<void> {
  const progress = options.progress ?? silentProgress;
  checkInterleavable(configs);
  const monitored = configs.find((c) => c.gpu_monitoring);
  const monitor = monitored ? await monitorFor(monitored) : null;
  const active: [number, BenchmarkSession][] = [];
  for (const [i, config] of configs.entries()) {
    if (options.signal?.aborted) {
      skip(config);
      continue;
    }
    progress.benchmarkStart(i, configs.length, config.name);
    const session = new BenchmarkSession(config, options);
    await session.prepare();
    if (!session.stopped) active.push([i, session]);
    else {
      const result = await session.finish(monitor);
      progress.benchmarkEnd(result);
      await recorder.add(result);
    }
  }
  const rounds = Math.max(0, ...active.map(([, s]) => s.config.measurement_iterations));
  if (active.length > 0) progress.roundsStart?.(rounds, active.length, active.reduce((n, [, s]) => n + s.config.measurement_iterations, 0));
  const start = performance.now();
  for (let round = 0; round < rounds && !options.signal?.aborted; round++) {
    for (let k = 0; k < active.length && !options.signal?.aborted; k++) await (active[(round + k) % active.length] as [number, BenchmarkSession])[1].measureOne();
  }
  if (active.length > 0) progress.phaseEnd('measure', performance.now() - start);
  for (const [i, session] of active) {
    if (options.signal?.aborted && !session.done) session.interrupt();
    const result = await session.finish(monitor);
    progress.benchmarkStart(i, configs.length, session.config.name);
    progress.benchmarkEnd(result);
    await recorder.add(result);
  }
}
