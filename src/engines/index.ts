/** Engine lookup by name, and the checks that run before anything is measured. */
import type { BenchmarkConfig, EngineName } from '../config/fields.js';
import type { LoadSettings } from '../results/schema.js';
import type { EngineFactory } from './engine.js';
import { checkGgufFile } from './gguf-file.js';
import { checkLlamaDevice, createLlamaCppEngine } from './llama-cpp.js';
import { checkShapeLimits, shapeOfConfigJson } from './model-limits.js';
import { checkTransformersFiles, checkTransformersFolder, parseModelRef } from './model-source.js';
import { checkHubModel, checkOnnxDevice, createTransformersJsEngine } from './transformers-js.js';
import { checkBrowser, checkWebGpu, createTransformersJsBrowserEngine } from './transformers-js-browser.js';
import { checkServedModel, createOpenAiEngine } from './openai.js';
import { ONNX_DTYPE_FILES } from '../synth/model-folder.js';
import { resolveShape } from '../synth/shape.js';
import { InputError } from '../util/errors.js';
import { requirePackages } from '../util/optional-package.js';

export const ENGINE_FACTORIES: Readonly<Record<EngineName, EngineFactory>> = {
  'transformers-js': createTransformersJsEngine,
  'llama-cpp': createLlamaCppEngine,
  openai: createOpenAiEngine,
  'transformers-js-browser': createTransformersJsBrowserEngine,
};

/** The optional packages each engine loads (a lean install has none of them). */
export const ENGINE_PACKAGES: Readonly<Record<EngineName, readonly string[]>> = {
  'transformers-js': ['@huggingface/transformers', 'onnxruntime-node'],
  'llama-cpp': ['node-llama-cpp'],
  openai: [],
  'transformers-js-browser': ['@huggingface/transformers', 'playwright-core'],
};

/** Throws an InputError when a config's model or device cannot be what its engine loads; returns a warning when it could not check. */
export async function checkConfig(config: BenchmarkConfig): Promise<string | null> {
  requirePackages(ENGINE_PACKAGES[config.engine], `engine ${config.engine}`);
  // a served model name is whatever the server lists; the URL and key are checked too, at every replica of a load run
  if (config.engine === 'openai') {
    const replicas = (config as BenchmarkConfig & { load?: LoadSettings }).load?.replicas?.urls.slice(1) ?? [];
    const warnings: string[] = [];
    for (const c of [config, ...replicas.map((url) => ({ ...config, engine_options: { ...config.engine_options, url } }))]) {
      const warning = await checkServedModel(c);
      if (warning !== null) warnings.push(warning);
    }
    return warnings.length > 0 ? warnings.join('; ') : null;
  }
  const ref = parseModelRef(config.model);
  if (config.engine === 'transformers-js-browser') {
    checkBrowser(config);
    await checkWebGpu(config);
    if (ref.source === 'hub') throw new InputError('model', `model ${ref.id}: the browser engine loads a local folder or synthetic:<preset>, not a hub id (its page asks nothing of the network)`);
  }
  if (config.engine === 'transformers-js') {
    checkOnnxDevice(config);
    if (ref.source === 'hub') await checkHubModel(ref.id);
  }
  if (config.engine === 'transformers-js' || config.engine === 'transformers-js-browser') {
    if (ref.source === 'local') {
      checkTransformersFolder(ref.id, ref.path);
      checkShapeLimits(config, shapeOfConfigJson(checkTransformersFiles(ref.id, ref.path, config.dtype)));
    }
    if (ref.source === 'synthetic') {
      if (!ONNX_DTYPE_FILES[config.dtype]) throw new InputError('config', `model ${config.model}: synthetic transformers.js models are built in ${Object.keys(ONNX_DTYPE_FILES).join(', ')}, got dtype '${config.dtype}'`);
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
    const key = [c.engine, c.model, c.device, c.dtype, c.batch_size, c.sequence_length, c.num_tokens_to_generate, String(c.engine_options.url), JSON.stringify((c as BenchmarkConfig & { load?: LoadSettings }).load?.replicas ?? null), String(c.engine_options.model_check), String(c.engine_options.browser), String(c.engine_options.browser_flags)].join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    const warning = await checkConfig(c);
    if (warning !== null) warnings.push(warning);
  }
  return warnings;
}

export type { Engine, EngineContext, EngineInfo, ModelInfo, TokenSink } from './engine.js';
