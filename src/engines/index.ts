/** Engine lookup by name, and the checks that run before anything is measured. */
import type { BenchmarkConfig, EngineName } from '../config/fields.js';
import type { EngineFactory } from './engine.js';
import { checkGgufFile } from './gguf-file.js';
import { checkLlamaDevice, createLlamaCppEngine } from './llama-cpp.js';
import { checkTransformersFolder, parseModelRef } from './model-source.js';
import { createTransformersJsEngine } from './transformers-js.js';
import { createOpenAiEngine, openAiTarget } from './openai.js';
import { InputError } from '../util/errors.js';

export const ENGINE_FACTORIES: Readonly<Record<EngineName, EngineFactory>> = {
  'transformers-js': createTransformersJsEngine,
  'llama-cpp': createLlamaCppEngine,
  openai: createOpenAiEngine,
};

/** Throws an InputError when a config's model or device cannot be what its engine loads. */
export async function checkConfig(config: BenchmarkConfig): Promise<void> {
  if (config.engine === 'openai') {
    // a served model name is whatever the server calls it; the URL and key are checked here
    openAiTarget(config);
    return;
  }
  const ref = parseModelRef(config.model);
  if (config.engine === 'transformers-js') {
    if (ref.source === 'local') checkTransformersFolder(ref.id, ref.path);
    return;
  }
  if (ref.source === 'hub') throw new InputError('model', `model ${ref.id}: llama-cpp loads a local .gguf file or synthetic:<preset>, not a hub id`);
  if (ref.source === 'local') await checkGgufFile(ref.id, ref.path);
  await checkLlamaDevice(config);
}

/** Checks every config once per distinct engine, model and device. */
export async function checkConfigs(configs: readonly BenchmarkConfig[]): Promise<void> {
  const seen = new Set<string>();
  for (const c of configs) {
    const key = `${c.engine}\u0000${c.model}\u0000${c.device}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await checkConfig(c);
  }
}

export type { Engine, EngineContext, EngineInfo, ModelInfo, TokenSink } from './engine.js';
