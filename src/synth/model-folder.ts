/**
 * Synthetic model folders. ONNX (transformers.js loads it with `local_files_only`): config.json,
 * generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (+
 * model.onnx_data past 2 GB). GGUF (llama.cpp): model.gguf. Both with tokenbench-synth.json
 * describing how they were made.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type GgufDtype, writeLlamaGguf } from './llama-gguf.js';
import { EXTERNAL_DATA_THRESHOLD, RMS_NORM_EPS, ROPE_THETA, type WeightFormat, writeLlamaOnnx } from './llama-onnx.js';
import { headDim, type ModelShape, parameterCount } from './shape.js';
import { buildByteLevelBpe, EOS_TOKEN_ID } from './tokenizer.js';

/** Bump when the written files change, so caches of older builds are not reused. */
export const SYNTH_FORMAT_VERSION = 2;
export const MANIFEST_FILE = 'tokenbench-synth.json';

export interface SynthManifest {
  format_version: number;
  generator: 'tokenbench';
  architecture: 'llama';
  format: 'onnx' | 'gguf';
  shape: ModelShape;
  seed: number;
  parameters: number;
  /** onnx: weights in model.onnx_data */
  external_data: boolean;
  /** gguf: f32, f16 or q8_0 */
  dtype: string;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The Hugging Face config.json of a shape. */
export function llamaConfigJson(shape: ModelShape, externalData: boolean): object {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: headDim(shape),
    vocab_size: shape.vocab,
    max_position_embeddings: shape.maxPositions,
    rms_norm_eps: RMS_NORM_EPS,
    rope_theta: ROPE_THETA,
    hidden_act: 'silu',
    tie_word_embeddings: shape.tieEmbeddings,
    bos_token_id: EOS_TOKEN_ID,
    eos_token_id: EOS_TOKEN_ID,
    torch_dtype: 'float32',
    'transformers.js_config': { use_external_data_format: externalData, kv_cache_dtype: 'float32' },
  };
}

/**
 * Writes the folder at `dir`, built in a temporary sibling and renamed into place, so a reader
 * never sees half a model and two builders never mix their files. With `replace` false (the
 * cache), a complete folder another process put there first is kept.
 */
export function writeOnnxModelFolder(dir: string, shape: ModelShape, seed: number, replace = true): SynthManifest {
  return buildFolder(dir, replace, (tmp) => {
    mkdirSync(join(tmp, 'onnx'), { recursive: true });
    const { externalData } = writeLlamaOnnx(join(tmp, 'onnx', 'model.onnx'), shape, seed);
    writeJson(join(tmp, 'config.json'), llamaConfigJson(shape, externalData));
    writeJson(join(tmp, 'generation_config.json'), {
      bos_token_id: EOS_TOKEN_ID,
      eos_token_id: EOS_TOKEN_ID,
      pad_token_id: EOS_TOKEN_ID,
      do_sample: false,
    });
    const { tokenizerJson, tokenizerConfig } = buildByteLevelBpe(shape.vocab, shape.maxPositions);
    writeJson(join(tmp, 'tokenizer.json'), tokenizerJson);
    writeJson(join(tmp, 'tokenizer_config.json'), tokenizerConfig);
    return manifestOf(shape, seed, 'onnx', externalData, 'fp32');
  });
}

/** A folder with model.gguf and the manifest. */
export function writeGgufModelFolder(dir: string, shape: ModelShape, seed: number, dtype: GgufDtype, replace = false): SynthManifest {
  return buildFolder(dir, replace, (tmp) => {
    writeLlamaGguf(join(tmp, 'model.gguf'), shape, seed, dtype);
    return manifestOf(shape, seed, 'gguf', false, dtype);
  });
}

function manifestOf(shape: ModelShape, seed: number, format: 'onnx' | 'gguf', externalData: boolean, dtype: string): SynthManifest {
  return { format_version: SYNTH_FORMAT_VERSION, generator: 'tokenbench', architecture: 'llama', format, shape, seed, parameters: parameterCount(shape), external_data: externalData, dtype };
}

/** Builds in a temporary sibling, writes the manifest last, then renames into place. */
function buildFolder(dir: string, replace: boolean, build: (tmp: string) => SynthManifest): SynthManifest {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const manifest = build(tmp);
    writeJson(join(tmp, MANIFEST_FILE), manifest);
    if (replace) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: use its folder.
      const theirs = readManifest(dir);
      if (!theirs) throw err;
      rmSync(tmp, { recursive: true, force: true });
      return theirs;
    }
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Everything a synthetic model folder holds at its top level. */
const MODEL_FOLDER_ENTRIES = new Set(['onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.gguf', MANIFEST_FILE]);
/**
 * The file of each dtype a synthetic folder can hold, by transformers.js's names (the fp32 one is
 * built with the folder, the others when first asked for), and the weight format it is written in.
 */
export const ONNX_DTYPE_FILES: Readonly<Record<string, { file: string; format: WeightFormat }>> = {
  fp32: { file: 'model.onnx', format: 'fp32' },
  q8: { file: 'model_quantized.onnx', format: 'uint8' },
  uint8: { file: 'model_uint8.onnx', format: 'uint8' },
  int8: { file: 'model_int8.onnx', format: 'int8' },
  q4: { file: 'model_q4.onnx', format: 'q4' },
  fp16: { file: 'model_fp16.onnx', format: 'fp16' },
  q4f16: { file: 'model_q4f16.onnx', format: 'q4f16' },
  bnb4: { file: 'model_bnb4.onnx', format: 'bnb4' },
};

/** Everything its onnx/ holds. */
const ONNX_FOLDER_ENTRIES = new Set(Object.values(ONNX_DTYPE_FILES).flatMap(({ file }) => [file, `${file}_data`]));

/**
 * Adds the file of `dtype` to a synthetic ONNX folder when it is missing: written beside it under a
 * name of this process's and renamed into place, so a reader never sees half of one. Returns
 * whether it was written.
 */
export function ensureOnnxDtypeFile(dir: string, shape: ModelShape, seed: number, dtype: string): boolean {
  const entry = ONNX_DTYPE_FILES[dtype];
  if (!entry) throw new RangeError(`no synthetic ${dtype} file`);
  const path = join(dir, 'onnx', entry.file);
  if (existsSync(path)) return false;
  // a name no one else can have used, so that on failure only what this wrote is removed
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  try {
    const { externalData } = writeLlamaOnnx(tmp, shape, seed, false, entry.format);
    // an external data file is named by the model file: large shapes keep their weights in one file
    if (externalData) throw new RangeError(`synthetic ${dtype} models past ${EXTERNAL_DATA_THRESHOLD} bytes of weights are not built`);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}_data`, { force: true });
    throw err;
  }
  return true;
}

/**
 * Whether `dir` may be written as a model folder: it does not exist, or is an empty folder, or
 * (with `force`) holds a tokenbench model and nothing else. Anything else is refused with a reason,
 * so that no file of the user's is ever deleted. Returns whether an existing folder is replaced.
 */
export function modelFolderTarget(dir: string, force: boolean): { ok: true; replace: boolean } | { ok: false; reason: string } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, reason: 'is a file, not a folder' };
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, replace: false };
    return { ok: false, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (entries.length === 0) return { ok: true, replace: true };
  // onnx/ too must hold nothing but the model's own files: --force removes the folder whole
  const onnxOnly = (): boolean => {
    const onnx = join(dir, 'onnx');
    return !existsSync(onnx) || (statSync(onnx).isDirectory() && readdirSync(onnx).every((e) => ONNX_FOLDER_ENTRIES.has(e)));
  };
  const model = entries.includes(MANIFEST_FILE) && entries.every((e) => MODEL_FOLDER_ENTRIES.has(e)) && onnxOnly();
  if (!model) return { ok: false, reason: `is a folder with other files in it (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); give a new or empty folder` };
  if (!force) return { ok: false, reason: 'already holds a tokenbench model; --force replaces it' };
  return { ok: true, replace: true };
}

/** The manifest of a synthetic folder, or undefined when `dir` is not a complete current build. */
export function readManifest(dir: string): SynthManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as SynthManifest;
    return m.format_version === SYNTH_FORMAT_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}
