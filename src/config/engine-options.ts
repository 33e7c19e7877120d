/** The engine options each engine accepts (`--engine-option k=v`, `engine_options` in files). */
import type { EngineName } from './fields.js';

export type OptionKind =
  | { type: 'int'; min: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'int-or'; min: number; words: readonly string[] };

export const ENGINE_OPTIONS: Readonly<Record<EngineName, Readonly<Record<string, { kind: OptionKind; help: string }>>>> = {
  'transformers-js': {
    threads: { kind: { type: 'int', min: 1 }, help: 'onnxruntime intra-op threads (default: the runtime\'s choice)' },
    inter_op_threads: { kind: { type: 'int', min: 1 }, help: 'onnxruntime inter-op threads' },
    graph_optimization: {
      kind: { type: 'enum', values: ['disabled', 'basic', 'extended', 'all'] },
      help: 'onnxruntime graph optimization level',
    },
  },
  'llama-cpp': {
    threads: { kind: { type: 'int', min: 1 }, help: "threads of the context and the library's pool (default: available parallelism - 1, at least 1)" },
    gpu_layers: { kind: { type: 'int-or', min: 0, words: ['max', 'auto'] }, help: 'layers offloaded to the GPU (default: max on a GPU device, 0 on cpu)' },
    context_size: { kind: { type: 'int', min: 1 }, help: 'context size per sequence (default: prompt + new tokens, rounded up)' },
    flash_attention: { kind: { type: 'bool' }, help: 'flash attention (default: off)' },
    kv_cache_type: { kind: { type: 'enum', values: ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1'] }, help: 'KV cache type for keys and values (default f16)' },
    batch_size: { kind: { type: 'int', min: 1 }, help: 'prompt processing batch size' },
  },
};

/** Devices each engine accepts; null: any (checked by the engine's library at load). */
export const ENGINE_DEVICES: Readonly<Record<EngineName, readonly string[] | null>> = {
  'transformers-js': null,
  'llama-cpp': ['cpu', 'cuda', 'vulkan', 'metal', 'auto'],
};
