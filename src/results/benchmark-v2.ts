/**
 * Result files of the Hugging Face Transformers benchmark framework (benchmark_v2), mapped onto
 * tokenbench's metrics so both can be compared: `{config_hash: {metadata, measurements, config}}`
 * with latencies in seconds. Per-token timestamps are kept when the file has them (not summarized).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { configHash } from '../config/hash.js';
import { inferName } from '../config/naming.js';
import { type BenchmarkConfig, type EngineName, ENGINES } from '../config/fields.js';
import { metricsFromMs } from './metrics.js';
import { type BenchmarkResult, type IterationRecord, RESULT_SCHEMA, type RunResult } from './schema.js';
import { PERCENTILE_METHOD } from './statistics.js';
import { InputError } from '../util/errors.js';
import { summarizeIterations } from './summary.js';

interface V2Entry {
  metadata?: { model_id?: string; timestamp?: string; commit_id?: string; branch_name?: string; hardware_info?: Record<string, unknown> };
  measurements?: { e2e_latency?: number[]; time_to_first_token?: number[]; inter_token_latency?: number[]; timestamps?: number[][][] | null; shape_and_decoded_outputs?: string[] };
  config?: Record<string, unknown>;
}

/**
 * The rows of benchmark_v2's Hub layout (a `benchmark_run_<timestamp>.jsonl` file, one JSON row per
 * config with `benchmark_config_hash`) keyed by that hash as its result files are; null when `text`
 * is not that.
 */
export function benchmarkV2Rows(text: string): Record<string, V2Entry> | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  const keyed: Record<string, V2Entry> = {};
  for (const line of lines) {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      return null;
    }
    if (row === null || typeof row !== 'object' || typeof (row as { benchmark_config_hash?: unknown }).benchmark_config_hash !== 'string') return null;
    const { benchmark_config_hash: hash, ...entry } = row as { benchmark_config_hash: string } & V2Entry;
    keyed[hash] = entry;
  }
  return isBenchmarkV2(keyed) ? keyed : null;
}

/** Whether parsed JSON looks like a benchmark_v2 result file. */
export function isBenchmarkV2(raw: unknown): raw is Record<string, V2Entry> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const entries = Object.values(raw as Record<string, unknown>);
  return entries.length > 0 && entries.every((e) => e !== null && typeof e === 'object' && 'measurements' in (e as object) && 'config' in (e as object));
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** A list of latencies in seconds, checked: every value a finite number >= 0, else bad input naming the file, config and index. */
function secondsList(values: unknown, file: string, key: string, field: string): number[] | undefined {
  if (values === undefined || values === null) return undefined;
  const where = `${file}: config ${key}: measurements.${field}`;
  if (!Array.isArray(values)) throw new InputError('result_file', `${where} must be a list of seconds, got ${JSON.stringify(values).slice(0, 40)}`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError('result_file', `${where}[${i}] must be a number of seconds >= 0, got ${JSON.stringify(v)}`);
  });
  return values as number[];
}

/** A run id that is the same for the same file content, so importing a file twice keeps one run. */
function contentRunId(raw: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(raw)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One run per file (its id from the file's content); one benchmark per config hash; bad values are bad input. */
export function fromBenchmarkV2(raw: Record<string, V2Entry>, file: string): RunResult {
  for (const [key, e] of Object.entries(raw)) {
    const m = e.measurements ?? {};
    secondsList(m.e2e_latency, file, key, 'e2e_latency');
    secondsList(m.time_to_first_token, file, key, 'time_to_first_token');
    secondsList(m.inter_token_latency, file, key, 'inter_token_latency');
  }
  const entries = Object.values(raw);
  const first = entries[0]?.metadata;
  const hw = first?.hardware_info ?? {};
  const modelFromFile = basename(file).replace(/_benchmark_\d{8}_\d{6}\.json$/, '').replace(/\.json$/, '');
  const benchmarks: BenchmarkResult[] = entries.map((e) => {
    const c = e.config ?? {};
    const config: BenchmarkConfig = {
      warmup_iterations: num(c.warmup_iterations, 0),
      measurement_iterations: num(c.measurement_iterations, e.measurements?.e2e_latency?.length ?? 1),
      gpu_monitoring: c.gpu_monitoring === true,
      monitor_interval_ms: 50,
      batch_size: num(c.batch_size, 1),
      sequence_length: num(c.sequence_length, 0) || 1,
      num_tokens_to_generate: num(c.num_tokens_to_generate, 2),
      // a file tokenbench exported names its engine; benchmark_v2's own are PyTorch transformers
      engine: (ENGINES.includes(c.engine as EngineName) ? c.engine : 'transformers-py') as EngineName,
      model: String(c.model_id ?? e.metadata?.model_id ?? modelFromFile),
      device: String(c.device ?? 'cuda'),
      dtype: String(c.dtype ?? 'unknown'),
      engine_options:
        c.engine_options !== null && typeof c.engine_options === 'object'
          ? (c.engine_options as BenchmarkConfig['engine_options'])
          : Object.fromEntries(['attn_implementation', 'compile_mode', 'sdpa_backend', 'kernelize'].filter((k) => c[k] !== undefined && c[k] !== null).map((k) => [k, String(c[k])])),
    };
    const m = e.measurements ?? {};
    const n = config.num_tokens_to_generate;
    const iterations: IterationRecord[] = (m.e2e_latency ?? []).map((e2eS, i) => {
      const stamps = m.timestamps?.[i];
      // per-row stamps (seconds from the start): the step stamp is the latest row's
      const tokenMs = stamps && stamps.length > 0 ? (stamps[0] as number[]).map((_, k) => Math.max(...stamps.map((row) => (row[k] as number) * 1000))) : undefined;
      const ttft = num(m.time_to_first_token?.[i], 0) * 1000;
      const itl = num(m.inter_token_latency?.[i], 0) * 1000;
      const synthetic = Array.from({ length: n }, (_, k) => ttft + k * itl);
      const metrics = metricsFromMs(e2eS * 1000, tokenMs ?? synthetic, config.batch_size);
      return {
        index: i,
        t0_ns: '0',
        ...metrics,
        new_tokens: Array(config.batch_size).fill(n),
        output_sample: String(m.shape_and_decoded_outputs?.[i] ?? '').slice(0, 200),
        monitor: { status: 'unavailable', reason: 'imported from benchmark_v2', samples: [] },
      };
    });
    const named = { ...config, name: String(c.name ?? inferName(config)), hash: configHash(config) };
    return {
      config: named,
      status: iterations.length > 0 ? 'ok' : 'failed',
      error: iterations.length > 0 ? null : { kind: 'internal', message: 'no measurements in the benchmark_v2 file' },
      engine: { name: config.engine, version: 'unknown', device: config.device, dtype: config.dtype },
      model: { id: config.model, source: 'hub', parameters: null, path: null, build_ms: 0 },
      phases_ms: { load: null, validity: null, warmup: null, measure: null },
      validity: null,
      iterations,
      summary: iterations.length > 0 ? summarizeIterations(iterations) : null,
      monitor: null,
    };
  });
  const started = first?.timestamp ? new Date(`${first.timestamp.replace(/Z?$/, 'Z')}`) : new Date();
  return {
    schema: RESULT_SCHEMA,
    run_id: contentRunId(raw),
    started_at: Number.isNaN(started.getTime()) ? new Date().toISOString() : started.toISOString(),
    finished_at: null,
    tool: { name: 'tokenbench', version: 'benchmark_v2 import' },
    git: first?.commit_id ? { commit: first.commit_id, branch: first.branch_name || null, dirty: false } : null,
    host: {
      os: String(hw.system ?? hw.platform ?? 'unknown'),
      cpu_model: String(hw.cpu_name ?? hw.cpu_model ?? 'unknown'),
      cpu_count: num(hw.cpu_count, 1) || 1,
      memory_total_bytes: Math.round(num(hw.cpu_ram_mb, 0) * 1024 * 1024) || 1,
      node_version: 'n/a',
    },
    devices: [],
    percentile_method: PERCENTILE_METHOD,
    benchmarks,
  };
}
