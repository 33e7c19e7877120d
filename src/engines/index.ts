/** Engine lookup by name, and the checks that run before anything is measured. */
import type { BenchmarkConfig, EngineName } from '../config/fields.js';
import type { EngineFactory } from './engine.js';
import { checkTransformersFolder, parseModelRef } from './model-source.js';
import { createTransformersJsEngine } from './transformers-js.js';

export const ENGINE_FACTORIES: Readonly<Record<EngineName, EngineFactory>> = {
  'transformers-js': createTransformersJsEngine,
};

/** Throws an InputError when a config's model cannot be what its engine loads. */
export function checkModel(config: BenchmarkConfig): void {
  const ref = parseModelRef(config.model);
  if (ref.source === 'local' && config.engine === 'transformers-js') checkTransformersFolder(ref.id, ref.path);
}

export type { Engine, EngineContext, EngineInfo, ModelInfo, TokenSink } from './engine.js';
