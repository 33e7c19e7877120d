/**
 * An engine of the test's own for the runner tests (the library's `engineFactory`): every step and
 * token count is the script's, so a run that comes up short, an interrupt or a failing load can be
 * made exactly.
 */
import type { NamedConfig } from '../../src/config/fields.js';
import { expandConfigs } from '../../src/config/sweep.js';
import type { Engine, EngineFactory, GenerateResult, PreparedInputs, TokenSink } from '../../src/engines/engine.js';
import { runBenchmark } from '../../src/measure/runner.js';
import type { BenchmarkResult } from '../../src/results/schema.js';
import { busyWait } from '../helpers.js';

/** What the test's engine does; every field is the honest behaviour unless set. */
export interface Script {
  /** New tokens each row reports (default: as asked). */
  rowTokens?: (asked: number, batch: number, call: number) => number[];
  /** Sink calls per generate (default: as asked). */
  steps?: (asked: number, call: number) => number;
  /** ms to wait between steps. */
  stepMs?: number;
  loadError?: Error;
  /** generate() call (0-based, the validity run included) that throws this. */
  generateError?: { call: number; error: Error };
}

export interface Log {
  calls: string[];
  generateCalls: number;
  prompts: (readonly (readonly number[])[])[];
}

/** Tokens are the words' lengths; decode spells ids as words. */
export function scriptedEngine(script: Script, log: Log): EngineFactory {
  return (config) => {
    const engine: Engine = {
      async load() {
        log.calls.push('load');
        if (script.loadError) throw script.loadError;
      },
      describe: () => ({
        engine: { name: 'scripted', version: '1', device: 'cpu', dtype: 'fp32' },
        model: { id: config.model, source: 'local', parameters: 42, path: null, build_ms: 0 },
      }),
      async tokenize(text) {
        return text.split(/\s+/).filter(Boolean).map((w) => w.length);
      },
      decode: (ids) => ids.map((id) => `w${id}`).join(' '),
      async prepare(rows) {
        log.calls.push('prepare');
        log.prompts.push(rows);
        return { rows };
      },
      async generate(inputs: PreparedInputs, newTokens: number, sink: TokenSink): Promise<GenerateResult> {
        const call = log.generateCalls++;
        log.calls.push('generate');
        if (script.generateError?.call === call) throw script.generateError.error;
        const steps = script.steps?.(newTokens, call) ?? newTokens;
        for (let i = 0; i < steps; i++) {
          if (script.stepMs) busyWait(script.stepMs);
          sink.put();
        }
        sink.end();
        const rows = script.rowTokens?.(newTokens, inputs.rows.length, call) ?? inputs.rows.map(() => newTokens);
        return { newTokens: rows, firstRowIds: Array.from({ length: rows[0] ?? 0 }, (_, i) => i + 1) };
      },
      async flush() {
        log.calls.push('flush');
      },
      async dispose() {
        log.calls.push('dispose');
      },
    };
    return engine;
  };
}

export const config = (fields: Record<string, unknown> = {}): NamedConfig =>
  expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 2, measurement_iterations: 3, sequence_length: 5, num_tokens_to_generate: 4, gpu_monitoring: false, ...fields }, where: 'test' }])[0] as NamedConfig;

export async function run(script: Script, fields: Record<string, unknown> = {}, signal?: AbortSignal): Promise<{ result: BenchmarkResult; log: Log }> {
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const result = await runBenchmark(config(fields), { cacheDir: '/nonexistent', engineFactory: scriptedEngine(script, log), signal });
  return { result, log };
}

/** The scripted engine, each generate call also noted as its config's batch size (the configs' tag here). */
export function taggedEngine(script: Script, log: Log, order: number[], onGenerate?: (count: number) => void): EngineFactory {
  const inner = scriptedEngine(script, log);
  return (config, context) => {
    const engine = inner(config, context);
    return {
      ...engine,
      async load() {
        order.push(-config.batch_size);
        return engine.load();
      },
      async generate(inputs, newTokens, sink) {
        order.push(config.batch_size);
        onGenerate?.(order.filter((x) => x > 0).length);
        return engine.generate(inputs, newTokens, sink);
      },
    };
  };
}

export const interleavedConfigs = (fields: Record<string, unknown> = {}): NamedConfig[] => [
  ...expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 1, measurement_iterations: 3, sequence_length: 3, num_tokens_to_generate: 2, gpu_monitoring: false, batch_size: [1, 2], ...fields }, where: 'test' }]),
  ...expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 1, measurement_iterations: 2, sequence_length: 3, num_tokens_to_generate: 2, gpu_monitoring: false, batch_size: 3, ...fields }, where: 'test' }]),
];
