/**
 * What a `model` string names: a synthetic preset, a local folder or file, or a hub id; checked
 * before anything runs so that a bad model is one clear line (exit code 2).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSyntheticModel, SYNTHETIC_PREFIX } from '../synth/cache.js';
import { resolveShape } from '../synth/shape.js';
import { errorMessage, InputError } from '../util/errors.js';
import { checkOnnxFile } from './onnx-file.js';

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

/**
 * The files a transformers.js folder needs for a dtype, checked before loading: its ONNX file
 * (present and whole), tokenizer.json and config.json (present and JSON, each named). Returns
 * config.json.
 */
export function checkTransformersFiles(model: string, path: string, dtype: string): Record<string, unknown> {
  const file = ONNX_FILES[dtype] as string;
  if (!existsSync(join(path, 'onnx', file))) {
    const has = Object.entries(ONNX_FILES).filter(([, f]) => existsSync(join(path, 'onnx', f))).map(([d]) => d);
    throw new InputError('config', `model ${model}: dtype ${dtype} needs onnx/${file}, which the folder does not have; its dtypes: ${has.join(', ') || 'none'}`);
  }
  checkOnnxFile(model, join(path, 'onnx', file), `onnx/${file}`);
  modelJson(model, path, 'tokenizer.json');
  return modelJson(model, path, 'config.json');
}
