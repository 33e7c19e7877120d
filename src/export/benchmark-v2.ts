/**
 * benchmark_v2's Hub layout: what Transformers' benchmark runner pushes to a Hub dataset
 * (`benchmark_run_<timestamp>.jsonl`), one row per config: `benchmark_config_hash`, `config`,
 * `measurements` (per-iteration latencies in seconds, and each iteration's per-row token times in
 * seconds from its start) and `metadata`. A dashboard that reads those files reads these; tokenbench's
 * own fields (`engine`, `device`, `dtype`, `engine_options`, `tool`) ride along as extra keys, and
 * `tokenbench import` reads the file back. Load runs have requests, not iterations: they are not in
 * this layout.
 */
import type { BenchmarkResult, IterationRecord, RunResult } from '../results/schema.js';
import { InputError } from '../util/errors.js';
import type { Exporter } from './exporter.js';

const seconds = (ms: number): number => ms / 1000;

/** Each row's token times in seconds after the iteration's start (rows that share a step share its stamp). */
function rowTimes(it: IterationRecord, batch: number): number[][] {
  const rows = it.token_ms_by_row ?? Array.from({ length: batch }, () => it.token_ms);
  return rows.map((row) => row.map(seconds));
}

function row(run: RunResult, b: BenchmarkResult): Record<string, unknown> {
  const c = b.config;
  const its = b.iterations;
  const gpu = run.devices[0];
  return {
    benchmark_config_hash: c.hash,
    config: {
      name: c.name,
      warmup_iterations: c.warmup_iterations,
      measurement_iterations: c.measurement_iterations,
      gpu_monitoring: c.gpu_monitoring,
      continuous_batching: false,
      batch_size: c.batch_size,
      sequence_length: c.sequence_length,
      num_tokens_to_generate: c.num_tokens_to_generate,
      attn_implementation: null,
      compile_mode: null,
      compile_options: {},
      kernelize: false,
      engine: c.engine,
      device: c.device,
      dtype: c.dtype,
      engine_options: c.engine_options,
    },
    measurements: {
      e2e_latency: its.map((it) => seconds(it.e2e_ms)),
      time_to_first_token: its.map((it) => seconds(it.ttft_ms)),
      inter_token_latency: its.map((it) => seconds(it.itl_ms)),
      shape_and_decoded_outputs: its.map((it) => `(${c.batch_size}, ${c.sequence_length + c.num_tokens_to_generate}) | ${it.output_sample}`),
      gpu_metrics: null,
      timestamps: its.map((it) => rowTimes(it, c.batch_size)),
    },
    metadata: {
      model_id: c.model,
      timestamp: run.started_at,
      branch_name: run.git?.branch ?? '',
      commit_id: run.git?.commit ?? '',
      commit_message: '',
      hardware_info: {
        gpu_name: gpu?.name ?? null,
        gpu_memory_total_gb: gpu?.memory_total_bytes ? gpu.memory_total_bytes / 1024 ** 3 : null,
        python_version: null,
        torch_version: null,
        cpu_name: run.host.cpu_model,
        cpu_count: run.host.cpu_count,
        memory_total_mb: Math.round(run.host.memory_total_bytes / 1024 ** 2),
      },
      success: true,
      tool: `${run.tool.name} ${run.tool.version}`,
    },
  };
}

export const benchmarkV2Exporter: Exporter = {
  description: "Transformers benchmark_v2's Hub layout (JSON Lines, one row per config; tokenbench import reads it back)",
  async export(run: RunResult, write: (text: string) => void): Promise<void> {
    // benchmark_v2 keeps the configs that ran: failed ones and load values have no iterations to give
    const measured = run.benchmarks.filter((b) => b.status === 'ok' && b.iterations.length > 0);
    if (measured.length === 0) {
      throw new InputError('usage', `export: --format benchmark-v2 holds measured iterations, and run ${run.run_id.slice(0, 8)} has none (a load run's requests go to --format jsonl)`);
    }
    for (const b of measured) write(`${JSON.stringify(row(run, b))}\n`);
  },
};
