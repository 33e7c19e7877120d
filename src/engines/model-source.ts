/**
 * What a `model` string names: a synthetic preset, a local folder or file, or a hub id; checked
 * before anything runs so that a bad model is one clear line (exit code 2).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSyntheticModel, SYNTHETIC_PREFIX } from '../synth/cache.js';
import { resolveShape } from '../synth/shape.js';
import { InputError } from '../util/errors.js';

export type ModelRef =
  | { source: 'synthetic'; id: string; spec: string }
  | { source: 'local'; id: string; path: string }
  | { source: 'hub'; id: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function looksLikePath(model: string): boolean {
  return model.startsWith('.') || model.startsWith('/') || model.startsWith('~') || /^[A-Za-z]:[\\/]/.test(model);
}

/** Classifies a model string; throws an InputError when it can be nothing. */
export function parseModelRef(model: string): ModelRef {
  if (isSyntheticModel(model)) {
    const spec = model.slice(SYNTHETIC_PREFIX.length);
    resolveShape(spec);
    return { source: 'synthetic', id: model, spec };
  }
  if (looksLikePath(model) || existsSync(model)) {
    const path = resolve(model.startsWith('~') ? model.replace('~', process.env.HOME ?? '~') : model);
    if (!existsSync(path)) throw new InputError('model', `model ${model}: no such file or folder`);
    return { source: 'local', id: model, path };
  }
  if (HUB_ID.test(model)) return { source: 'hub', id: model };
  throw new InputError(
    'model',
    `model '${model}': not synthetic:<preset>, an existing folder, or a hub id like owner/name`,
  );
}

/** Checks that a local folder is a transformers.js model: config.json and onnx/*.onnx. */
export function checkTransformersFolder(model: string, path: string): void {
  if (!statSync(path).isDirectory()) {
    throw new InputError('model', `model ${model}: transformers-js needs a model folder (config.json, onnx/*.onnx), got a file`);
  }
  const hasConfig = existsSync(join(path, 'config.json'));
  const onnxDir = join(path, 'onnx');
  const hasOnnx = existsSync(onnxDir) && readdirSync(onnxDir).some((f) => f.endsWith('.onnx'));
  if (!hasConfig || !hasOnnx) {
    const missing = [hasConfig ? null : 'config.json', hasOnnx ? null : 'onnx/*.onnx'].filter(Boolean).join(' and ');
    throw new InputError('model', `model ${model}: not a model folder (missing ${missing}); expected config.json, tokenizer.json and onnx/model*.onnx`);
  }
}
