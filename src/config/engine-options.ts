/** The engine options each engine accepts (`--engine-option k=v`, `engine_options` in files). */
import type { EngineName } from './fields.js';

export type OptionKind =
  | { type: 'int'; min: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'string' }
  | { type: 'url' }
  | { type: 'number-positive' }
  | { type: 'int-or'; min: number; words: readonly string[] }
  | { type: 'prompt-reuse' };

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
  'transformers-js-browser': {
    threads: { kind: { type: 'int', min: 1 }, help: "WASM threads of onnxruntime-web in the page (default 1; the page's own default would be half the cores)" },
    wasm_build: { kind: { type: 'enum', values: ['plain', 'asyncify', 'jsep', 'jspi'] }, help: "onnxruntime-web's WASM build (default plain for wasm, asyncify for webgpu)" },
    browser: { kind: { type: 'string' }, help: 'the Chromium executable (default $TOKENBENCH_BROWSER, else /usr/bin/chromium)' },
    browser_flags: { kind: { type: 'string' }, help: 'more browser flags, space-separated' },
    gc_trace: { kind: { type: 'bool' }, help: "trace the browser's garbage collections, for engine.browser.gc (default true; false: no trace, gc null)" },
  },
  openai: {
    url: { kind: { type: 'url' }, help: 'the server\'s base URL, e.g. http://localhost:8000/v1 (required; also --url)' },
    api: { kind: { type: 'enum', values: ['completions', 'chat'] }, help: 'completions (token-id prompts, exact length) or chat (default completions; also --api)' },
    api_key_env: { kind: { type: 'string' }, help: 'environment variable holding the API key (also --api-key-env)' },
    ignore_eos: { kind: { type: 'bool' }, help: 'send ignore_eos and min_tokens so the server makes exactly N tokens (default true)' },
    logprobs: { kind: { type: 'bool' }, help: 'ask for logprobs, the exact token count per chunk (default true)' },
    usage: { kind: { type: 'bool' }, help: 'ask for usage on every chunk, stream_options (default true)' },
    timeout_s: { kind: { type: 'number-positive' }, help: 'a request with no byte for this long fails as a timeout (default 60)' },
    busy_poll: { kind: { type: 'bool' }, help: 'keep the client polling while requests are in flight: the OS wake-up delay stays out of the stamps, at the cost of one CPU core (default false; also --busy-poll)' },
    prompt_reuse: { kind: { type: 'prompt-reuse' }, help: "unique (default: every request's prompt differs from all earlier ones from its first token, so no server cache serves it), repeat (the same prompt every time), or prefix=N (the first N tokens shared); also --prompt-reuse" },
    model_check: { kind: { type: 'bool' }, help: "check the model against the server's GET /v1/models before running (default true; also --no-model-check)" },
  },
};

/** Devices each engine accepts; null: any (checked by the engine's library at load). */
export const ENGINE_DEVICES: Readonly<Record<EngineName, readonly string[] | null>> = {
  // onnxruntime-node's execution providers, as transformers.js names them
  'transformers-js': ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'],
  'llama-cpp': ['cpu', 'cuda', 'vulkan', 'metal', 'auto'],
  openai: ['server'],
  // where the page runs the model: onnxruntime-web's WASM, or the browser's WebGPU
  'transformers-js-browser': ['wasm', 'webgpu'],
};

/**
 * Dtypes each engine accepts: transformers.js's names (the model folder must have that file; a
 * synthetic model is fp32), llama.cpp's synthetic GGUF types and their transformers.js aliases
 * (a local GGUF file has its own type, recorded as read).
 */
export const ENGINE_DTYPES: Readonly<Record<EngineName, readonly string[]>> = {
  'transformers-js': ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'],
  'llama-cpp': ['f32', 'f16', 'q8_0', 'q4_0', 'fp32', 'fp16', 'q8', 'q4'],
  openai: ['server'],
  'transformers-js-browser': ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'],
};
