/**
 * tokenbench as a library: the four things the CLI does, from code, with the types they take and
 * return. The CLI is a layer of flag parsing over the same functions.
 *
 *   import { run, load, compare, report } from 'tokenbench';
 *   const result = await run({ batch_size: [1, 4], num_tokens_to_generate: 64 });
 *   const served = await load({ url: 'http://localhost:8000/v1', model: 'm', concurrency: [1, 8] });
 *   const diff = await compare('main.json', result);   // diff.regressions > 0: a regression
 *   const html = await report(served);
 *
 * Bad input throws an InputError (kind and one-line message, as the CLI prints it) before anything
 * runs; a config or value that fails while running is recorded in the result, not thrown.
 */
export { run, type RunApiOptions } from './api/run.js';
export { load, type LoadApiOptions } from './api/load.js';
export { compare, type CompareApiOptions } from './api/compare.js';
export { report, type ReportApiOptions } from './api/report.js';
export type { ConfigInput } from './api/types.js';
export type { LoadSpec } from './load/load-spec.js';
export type { LoadProgress } from './load/load-benchmark.js';
export type { Comparison, PairComparison, MetricComparison, Verdict } from './report/compare.js';

export type { BenchmarkConfig, NamedConfig, EngineName } from './config/fields.js';
export type { RunResult, BenchmarkResult, IterationRecord, LoadRequestRecord, LoadSettings, Summary, StatsRecord, Capacity } from './results/schema.js';
export type { Engine, EngineContext, EngineFactory, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engines/engine.js';
export type { Phase, ProgressReporter } from './measure/progress.js';
export { RunResultSchema, RESULT_SCHEMA } from './results/schema.js';
export { summarize, PERCENTILE_METHOD } from './results/statistics.js';
export { requestRecords } from './results/request-records.js';
export { readResultFile } from './results/store/store.js';
export { expandConfigs } from './config/sweep.js';
export { configHash } from './config/hash.js';
export { inferName } from './config/naming.js';
export { InputError, RunError, TokenbenchError, type ErrorKind, type InputErrorKind, type RunErrorKind } from './util/errors.js';
export { LogProgress, TtyProgress } from './measure/progress.js';
export { runBenchmarks } from './measure/runner.js';
/** Share one browser (say) across several run() calls: pass it as `runScope` and close it yourself. */
export { RunScope } from './util/run-scope.js';

/** The former name of `run`, kept for programs written against it. */
export { run as runConfigs } from './api/run.js';
