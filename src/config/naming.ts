/** Inferred config names, e.g. `w5_i20-monitored-b1_s128_n128-transformers-js-cpu-fp32-synthetic-tiny`. */
import { basename } from 'node:path';
import type { BenchmarkConfig } from './fields.js';

/** A short, filesystem-safe label for a model id or path. */
export function modelSlug(model: string): string {
  const base = model.startsWith('synthetic:') || !/[\\/]/.test(model) ? model : basename(model.replace(/[\\/]+$/, ''));
  return base.replace(/[^A-Za-z0-9._=-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/** The name benchmark_v2 would give, plus the model and any engine options. */
export function inferName(c: BenchmarkConfig): string {
  const parts = [
    `w${c.warmup_iterations}_i${c.measurement_iterations}`,
    c.gpu_monitoring ? 'monitored' : 'unmonitored',
    `b${c.batch_size}_s${c.sequence_length}_n${c.num_tokens_to_generate}`,
    c.engine,
    // a server chooses its own device and weights: nothing to say
    ...(c.device === 'server' ? [] : [c.device]),
    ...(c.dtype === 'server' ? [] : [c.dtype]),
    modelSlug(c.model),
  ];
  const options = Object.keys(c.engine_options)
    .sort()
    // URLs and paths in option values become filesystem-safe like model names
    .map((k) => `${k}=${String(c.engine_options[k]).replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._=-]+/g, '-')}`);
  return [...parts, ...options].join('-');
}
