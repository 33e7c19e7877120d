/**
 * The interface every engine implements (transformers.js now; llama.cpp and OpenAI-compatible
 * servers behind the same shape). The runner knows engines only through this file.
 */
import type { BenchmarkConfig } from '../config/fields.js';
import type { HttpRequestRecord } from '../results/schema.js';
import type { RunScope } from '../util/run-scope.js';

/** Receives one call per generation step; the engine never calls it for the prompt echo. */
export interface TokenSink {
  put(): void;
  end(): void;
}

export interface EngineInfo {
  name: string;
  /** Version of the library that runs the model. */
  version: string;
  device: string;
  dtype: string;
  /** Engines that run in a browser page: what the page ran on, and its clock against this process's. */
  browser?: BrowserFacts;
  /** What it takes to run this again: the engine's build and every setting in effect, defaults included (llama-cpp). */
  settings?: Record<string, string | number | boolean | null>;
}

export interface BrowserFacts {
  /** The browser and its version. */
  browser: string;
  /** The page had cross-origin isolation (WASM threads, 5 us performance.now()). */
  cross_origin_isolated: boolean;
  /** WASM threads onnxruntime-web used. */
  threads: number;
  hardware_concurrency: number;
  /** onnxruntime-web's WASM build (engine option wasm_build). */
  wasm_build: string;
  /** device webgpu: the adapter, and whether it is a software fallback (SwiftShader). */
  webgpu: { vendor: string; architecture: string; description: string; fallback: boolean } | null;
  /** The page's performance.now() minus this process's monotonic clock (ms), before the config. */
  clock_offset_ms: number;
  clock_uncertainty_ms: number;
  /** The same after the config, and how far it moved; null when it could not be measured. */
  clock_offset_after_ms: number | null;
  clock_moved_ms: number | null;
  /** Said when the offset moved more than 0.5 ms. */
  clock_note: string | null;
  /** Requests the page made to anywhere but its own loopback server: refused, and listed here. */
  external_requests: string[];
  /**
   * The main thread's long tasks (over 50 ms, the browser's PerformanceObserver) inside the page's
   * generate() calls of the config: their count, time and share of the generate time; null where
   * the browser reports none (or the page went away first).
   */
  long_tasks: { generate_ms: number; long_task_ms: number; long_tasks: number; share: number | null } | null;
  /**
   * V8's garbage collections on the page's main thread inside the same generate() calls, from the
   * browser's trace: their count (major ones apart), time and share of the generate time; null where
   * the browser could not trace, its trace overflowed, or its clock is not this process's.
   */
  gc?: { generate_ms: number; gc_ms: number; collections: number; major_collections: number; share: number | null } | null;
  /** The browser was started by an earlier config of the run and shared (one browser per run; each config gets a fresh context and page). */
  browser_reused?: boolean;
}

export type ModelSource = 'synthetic' | 'local' | 'hub' | 'server';

export interface ModelInfo {
  id: string;
  source: ModelSource;
  /** Weight count when known (synthetic models), else null. */
  parameters: number | null;
  /** Folder or file the weights were loaded from, when local. */
  path: string | null;
  /** Time spent building a synthetic model on first use (0 when reused from the cache). */
  build_ms: number;
}

/** Token ids of one generate() call, already in the engine's own input form. */
export interface PreparedInputs {
  readonly rows: readonly (readonly number[])[];
}

export interface GenerateResult {
  /** New tokens each row received (ended at an EOS if one slipped through). */
  newTokens: number[];
  /** New token ids of the first row, for the output sample. */
  firstRowIds: number[];
  /** Engines that stamp each row separately: every row's stamps (ns), kept in the result. */
  rowStamps?: bigint[][];
  /**
   * Engines that take their own clock readings (over HTTP, t0 is just before the first request is
   * written and steps are stamped from the reads): used instead of the runner's t0, t1 and sink stamps.
   */
  timing?: { t0: bigint; t1: bigint; stepStamps: bigint[] };
  /** Output text of the first row, for engines without a local detokenizer. */
  firstRowText?: string;
  /** HTTP engines: one record per request, t0_ms after timing.t0. */
  http?: HttpRequestRecord[];
}

export interface Engine {
  /** Loads the model; fills in what describe() returns. */
  load(): Promise<void>;
  describe(): { engine: EngineInfo; model: ModelInfo };
  /** Token ids of a text, without special tokens. */
  tokenize(text: string): Promise<number[]>;
  decode(ids: readonly number[]): string;
  /** Builds the engine's input form once, outside any timed window. */
  prepare(rows: number[][]): Promise<PreparedInputs>;
  /** Greedy generation of exactly `newTokens` tokens per row (EOS suppressed), one sink call per step. */
  generate(inputs: PreparedInputs, newTokens: number, sink: TokenSink): Promise<GenerateResult>;
  /** Drops state between iterations (caches, buffers). */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

export interface EngineContext {
  /** Where synthetic models are built and kept. */
  cacheDir: string;
  /** Told of slow work outside the timed windows (a synthetic model built on first use). */
  notify?: (text: string) => void;
  /** What the run keeps for all its configs (the browser engine's browser); without one, each config starts and closes its own. */
  runScope?: RunScope;
}

export type EngineFactory = (config: BenchmarkConfig, context: EngineContext) => Engine;
