/** Engine lookup by name, and the checks that run before anything is measured. */
import type { BenchmarkConfig, EngineName } from '../config/fields.js';
import type { EngineFactory } from './engine.js';
import { checkGgufFile } from './gguf-file.js';
import { checkOnnxFile } from './onnx-file.js';
import { checkLlamaDevice, createLlamaCppEngine } from './llama-cpp.js';
import { checkTransformersFolder, parseModelRef } from './model-source.js';
import { createTransformersJsEngine } from './transformers-js.js';
import { checkServedModel, createOpenAiEngine } from './openai.js';
import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { batchMemoryBytes, resolveShape } from '../synth/shape.js';
import { errorMessage, InputError } from '../util/errors.js';

export const ENGINE_FACTORIES: Readonly<Record<EngineName, EngineFactory>> = {
  'transformers-js': createTransformersJsEngine,
  'llama-cpp': createLlamaCppEngine,
  openai: createOpenAiEngine,
};

/** transformers.js's file for each dtype, in a model folder's onnx/. */
const ONNX_FILES: Readonly<Record<string, string>> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  bnb4: 'model_bnb4.onnx',
};

/** A JSON file of a model folder, parsed; bad input naming the file when it is missing or not JSON. */
function modelJson(model: string, path: string, file: string): Record<string, unknown> {
  const full = join(path, file);
  if (!existsSync(full)) throw new InputError('model', `model ${model}: ${file} is missing; a transformers.js model folder has config.json, tokenizer.json and onnx/model*.onnx`);
  try {
    const value = JSON.parse(readFileSync(full, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new InputError('model', `model ${model}: ${file} is not valid JSON (${errorMessage(err)}); the file may be truncated`);
  }
}

/** The shape fields a config.json gives (LLaMA-style names), or null when some are missing. */
function shapeOfConfigJson(c: Record<string, unknown>): (Parameters<typeof batchMemoryBytes>[0] & { maxPositions: number | null }) | null {
  const n = (k: string): number | null => (typeof c[k] === 'number' ? (c[k] as number) : null);
  const [layers, hidden, heads, vocab] = [n('num_hidden_layers'), n('hidden_size'), n('num_attention_heads'), n('vocab_size')];
  if (layers === null || hidden === null || heads === null || vocab === null) return null;
  return { layers, hidden, heads, kvHeads: n('num_key_value_heads') ?? heads, vocab, maxPositions: n('max_position_embeddings') };
}

/** What the model's shape rules out before loading: a prompt and output past its positions, a batch past the machine's memory. */
function checkShapeLimits(config: BenchmarkConfig, shape: ReturnType<typeof shapeOfConfigJson>): void {
  if (!shape) return;
  const needed = config.sequence_length + config.num_tokens_to_generate;
  if (shape.maxPositions !== null && needed > shape.maxPositions) {
    throw new InputError('config', `model ${config.model}: sequence_length + num_tokens_to_generate = ${needed} exceeds the model's ${shape.maxPositions} positions`);
  }
  const bytes = batchMemoryBytes(shape, config.batch_size, config.sequence_length, config.num_tokens_to_generate);
  if (bytes > totalmem()) {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
    throw new InputError('config', `model ${config.model}: batch_size ${config.batch_size} needs at least ${gib(bytes)} GiB for its KV cache and logits; this machine has ${gib(totalmem())} GiB`);
  }
}

/** Throws an InputError when a config's model or device cannot be what its engine loads; returns a warning when it could not check. */
export async function checkConfig(config: BenchmarkConfig): Promise<string | null> {
  // a served model name is whatever the server lists; the URL and key are checked too
  if (config.engine === 'openai') return checkServedModel(config);
  const ref = parseModelRef(config.model);
  if (config.engine === 'transformers-js') {
    if (ref.source === 'local') {
      checkTransformersFolder(ref.id, ref.path);
      const file = ONNX_FILES[config.dtype] as string;
      if (!existsSync(join(ref.path, 'onnx', file))) {
        const has = Object.entries(ONNX_FILES).filter(([, f]) => existsSync(join(ref.path, 'onnx', f))).map(([d]) => d);
        throw new InputError('config', `model ${ref.id}: dtype ${config.dtype} needs onnx/${file}, which the folder does not have; its dtypes: ${has.join(', ') || 'none'}`);
      }
      checkOnnxFile(ref.id, join(ref.path, 'onnx', file), `onnx/${file}`);
      modelJson(ref.id, ref.path, 'tokenizer.json');
      checkShapeLimits(config, shapeOfConfigJson(modelJson(ref.id, ref.path, 'config.json')));
    }
    if (ref.source === 'synthetic') {
      if (config.dtype !== 'fp32') throw new InputError('config', `model ${config.model}: synthetic transformers.js models are built in fp32 only, got dtype '${config.dtype}'; allowed: fp32`);
      checkShapeLimits(config, resolveShape(ref.spec));
    }
    return null;
  }
  if (ref.source === 'hub') throw new InputError('model', `model ${ref.id}: llama-cpp loads a local .gguf file or synthetic:<preset>, not a hub id`);
  if (ref.source === 'local') await checkGgufFile(ref.id, ref.path);
  if (ref.source === 'synthetic') checkShapeLimits(config, resolveShape(ref.spec));
  await checkLlamaDevice(config);
  return null;
}

/** Checks every config once per distinct engine, model, device and server; returns the warnings of checks that could not be made. */
export async function checkConfigs(configs: readonly BenchmarkConfig[]): Promise<string[]> {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const c of configs) {
    // shape limits depend on the lengths and the batch too
    const key = [c.engine, c.model, c.device, c.dtype, c.batch_size, c.sequence_length, c.num_tokens_to_generate, String(c.engine_options.url), String(c.engine_options.model_check)].join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    const warning = await checkConfig(c);
    if (warning !== null) warnings.push(warning);
  }
  return warnings;
}

export type { Engine, EngineContext, EngineInfo, ModelInfo, TokenSink } from './engine.js';
