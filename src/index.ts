/**
 * tokenbench as a library: expand configs, run them, get the result object.
 *
 *   import { runConfigs } from 'tokenbench';
 *   const result = await runConfigs([{ batch_size: [1, 4], num_tokens_to_generate: 64 }]);
 */
import { expandConfigs } from './config/sweep.js';
import type { NamedConfig } from './config/fields.js';
import { checkConfigs } from './engines/index.js';
import { newRunResult, type RunOptions, runBenchmarks } from './measure/runner.js';
import type { RunResult } from './results/schema.js';
import { defaultCacheDir } from './synth/cache.js';

export type { BenchmarkConfig, NamedConfig, EngineName } from './config/fields.js';
export type { RunResult, BenchmarkResult, IterationRecord, Summary, StatsRecord } from './results/schema.js';
export type { Engine, EngineContext, EngineFactory, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engines/engine.js';
export type { ProgressReporter } from './measure/progress.js';
export { RunResultSchema, RESULT_SCHEMA } from './results/schema.js';
export { summarize, PERCENTILE_METHOD } from './results/statistics.js';
export { expandConfigs } from './config/sweep.js';
export { configHash } from './config/hash.js';
export { inferName } from './config/naming.js';
export { InputError, RunError, TokenbenchError } from './util/errors.js';
export { LogProgress, TtyProgress } from './measure/progress.js';
export { runBenchmarks } from './measure/runner.js';
/** Share one browser (say) across several runBenchmarks calls: pass it as `runScope` and close it yourself. */
export { RunScope } from './util/run-scope.js';

/**
 * Validates and expands configs (fields as in a config file; lists are sweeps), then runs them.
 * Throws an InputError for bad input before anything runs. With `engineFactory` (an engine of your
 * own) the built-in engines' checks of model, device and limits are left to that engine's load().
 */
export async function runConfigs(
  configs: readonly Record<string, unknown>[],
  options: Partial<RunOptions> = {},
): Promise<RunResult> {
  const named: NamedConfig[] = expandConfigs(configs.map((fields, i) => ({ fields, where: `config ${i + 1}` })));
  if (!options.engineFactory) await checkConfigs(named);
  return runBenchmarks(named, { cacheDir: defaultCacheDir(), ...options }, newRunResult());
}
