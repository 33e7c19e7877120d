/**
 * The benchmark config: its fields, their defaults and what each allows. This table is the one
 * source for validation, `--help`, naming and docs.
 */

export const ENGINES = ['transformers-js', 'transformers-js-browser', 'llama-cpp', 'openai'] as const;
export type EngineName = (typeof ENGINES)[number];

export type EngineOptionValue = string | number | boolean;

/** One fully resolved benchmark config (no list values left). */
export interface BenchmarkConfig {
  warmup_iterations: number;
  measurement_iterations: number;
  gpu_monitoring: boolean;
  monitor_interval_ms: number;
  batch_size: number;
  sequence_length: number;
  num_tokens_to_generate: number;
  engine: EngineName;
  model: string;
  device: string;
  dtype: string;
  engine_options: Record<string, EngineOptionValue>;
}

/** A config with its inferred (or given) name and its hash. */
export interface NamedConfig extends BenchmarkConfig {
  name: string;
  hash: string;
}

export type FieldKind =
  | { type: 'int'; min: number }
  | { type: 'number'; min: number; exclusiveMin?: boolean }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string' }
  | { type: 'options' };

export interface FieldSpec {
  kind: FieldKind;
  /** Default; `undefined` means per engine (see ENGINE_DEFAULTS). */
  default: unknown;
  help: string;
}

export const FIELDS: Readonly<Record<keyof BenchmarkConfig, FieldSpec>> = {
  warmup_iterations: { kind: { type: 'int', min: 0 }, default: 5, help: 'iterations run and discarded before measuring' },
  measurement_iterations: { kind: { type: 'int', min: 1 }, default: 20, help: 'measured iterations' },
  gpu_monitoring: { kind: { type: 'bool' }, default: true, help: 'sample GPU and host metrics during iterations' },
  monitor_interval_ms: { kind: { type: 'number', min: 0, exclusiveMin: true }, default: 50, help: 'monitor sampling period' },
  batch_size: { kind: { type: 'int', min: 1 }, default: 1, help: 'sequences generated together' },
  sequence_length: { kind: { type: 'int', min: 1 }, default: 128, help: 'prompt length in tokens, exact' },
  num_tokens_to_generate: { kind: { type: 'int', min: 2 }, default: 128, help: 'new tokens per sequence, exact (EOS suppressed)' },
  engine: { kind: { type: 'enum', values: ENGINES }, default: 'transformers-js', help: 'inference engine' },
  model: { kind: { type: 'string' }, default: 'synthetic:tiny', help: 'synthetic:<preset>, a local model folder, a hub id, or (openai) the served model name' },
  device: { kind: { type: 'string' }, default: undefined, help: 'engine device (transformers-js: cpu, cuda, webgpu, ...; transformers-js-browser: wasm, webgpu; llama-cpp: cpu, cuda, vulkan, metal, auto)' },
  dtype: { kind: { type: 'string' }, default: undefined, help: 'weights (transformers-js: fp32, fp16, q8, q4, ...; llama-cpp synthetic: f32, f16, q8_0, q4_0)' },
  engine_options: { kind: { type: 'options' }, default: {}, help: 'engine-specific options, key=value' },
};

export const FIELD_NAMES = Object.keys(FIELDS) as (keyof BenchmarkConfig)[];

/** Per-engine defaults of `device` and `dtype`. */
export const ENGINE_DEFAULTS: Readonly<Record<EngineName, { device: string; dtype: string }>> = {
  'transformers-js': { device: 'cpu', dtype: 'fp32' },
  'llama-cpp': { device: 'cpu', dtype: 'f16' },
  'transformers-js-browser': { device: 'wasm', dtype: 'fp32' },
  // a server chooses its own device and weights
  openai: { device: 'server', dtype: 'server' },
};
