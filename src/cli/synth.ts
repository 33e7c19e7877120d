/** `tokenbench synth`: build a synthetic model folder (or fill the cache for synthetic:<preset>). */
import { join, resolve } from 'node:path';
import { defaultCacheDir, DEFAULT_SEED, ensureSyntheticGgufShape, ensureSyntheticShape } from '../synth/cache.js';
import { GGUF_DTYPES, type GgufDtype } from '../synth/llama-gguf.js';
import { modelFolderTarget, writeGgufModelFolder, writeOnnxModelFolder } from '../synth/model-folder.js';
import { type ModelShape, PRESETS, resolveShape, SHAPE_FLAGS, shapeKey, validateShape } from '../synth/shape.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';

const SHAPE_FLAG_SPECS: Record<string, FlagSpec> = Object.fromEntries(
  Object.keys(SHAPE_FLAGS).map((f) => [f, { arity: 'one', value: 'N', help: `override the preset's ${f}` } satisfies FlagSpec]),
);

export const SYNTH_FLAGS: Readonly<Record<string, FlagSpec>> = {
  preset: { arity: 'one', commas: false, value: 'NAME', help: `${Object.keys(PRESETS).join(', ')}, or a shape like layers=4,hidden=256 (default tiny)` },
  ...SHAPE_FLAG_SPECS,
  format: { arity: 'one', value: 'FMT', help: 'onnx (a transformers.js folder; default) or gguf (a folder with one model.gguf, for llama.cpp: llama-server, llama-bench, the llama-cpp engine)' },
  dtype: { arity: 'one', value: 'TYPE', help: `gguf weights: ${GGUF_DTYPES.join(', ')} (default f16; a matrix whose rows are not whole 32-value blocks stays f16)` },
  seed: { arity: 'one', value: 'N', help: `weight seed (default ${DEFAULT_SEED})` },
  out: { arity: 'one', value: 'DIR', help: 'model folder to write: a new or empty folder (default: the cache, as synthetic:<preset> uses it)' },
  force: { arity: 'none', help: 'with --out: replace a folder that holds a tokenbench model (never any other folder)' },
  'cache-dir': { arity: 'one', value: 'DIR', help: 'cache folder (default $XDG_CACHE_HOME/tokenbench)' },
  help: { arity: 'none', help: 'show this help' },
};

export const SYNTH_HELP = `Usage: tokenbench synth [--preset NAME] [shape flags] [--format onnx|gguf [--dtype TYPE]] [--out DIR]

Writes a random-weight LLaMA-architecture model that loads offline: for transformers.js (ONNX with a
KV cache, config.json, generation_config.json and a byte-level BPE tokenizer), or with --format gguf
for llama.cpp (GGUF v3 with a SentencePiece vocabulary, in f32, f16, q8_0 or q4_0: the model the
llama-cpp engine builds for synthetic:<preset>). Deterministic for a seed; the last line printed is
the folder (onnx) or the model.gguf file (gguf). Presets: ${Object.entries(PRESETS)
  .map(([k, s]) => `${k} (${shapeKey(s)})`)
  .join(', ')}.

${formatFlags(SYNTH_FLAGS)}`;

function intFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InputError('usage', `synth: --${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

export async function synthCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SYNTH_FLAGS, 'synth');
  if (args.flags.has('help')) {
    process.stdout.write(`${SYNTH_HELP}\n`);
    return 0;
  }
  const preset = single(args, 'preset', 'synth') ?? 'tiny';
  const shape: ModelShape = resolveShape(preset);
  for (const [flag, key] of Object.entries(SHAPE_FLAGS)) {
    const v = single(args, flag, 'synth');
    if (v === undefined) continue;
    (shape as unknown as Record<string, number>)[key] = intFlag(v, flag);
  }
  validateShape(shape, 'synth');
  const seedText = single(args, 'seed', 'synth');
  const seed = seedText === undefined ? DEFAULT_SEED : intFlag(seedText, 'seed');
  const format = single(args, 'format', 'synth') ?? 'onnx';
  if (format !== 'onnx' && format !== 'gguf') throw new InputError('usage', `synth: --format must be onnx or gguf, got '${format}'`);
  const dtypeText = single(args, 'dtype', 'synth');
  if (dtypeText !== undefined && format !== 'gguf') throw new InputError('usage', "synth: --dtype applies to --format gguf; an ONNX folder gets each dtype's file when a run first asks for it (run --dtype q8 ...)");
  const dtype = (dtypeText ?? 'f16') as GgufDtype;
  if (!(GGUF_DTYPES as readonly string[]).includes(dtype)) throw new InputError('usage', `synth: --dtype must be one of ${GGUF_DTYPES.join(', ')}, got '${dtypeText}'`);
  const out = single(args, 'out', 'synth');
  const start = performance.now();
  let path: string;
  let parameters: number;
  if (out !== undefined) {
    const dir = resolve(out);
    const target = modelFolderTarget(dir, args.flags.has('force'));
    if (!target.ok) throw new InputError('usage', `synth: --out ${out} ${target.reason}`);
    parameters = (format === 'gguf' ? writeGgufModelFolder(dir, shape, seed, dtype, target.replace) : writeOnnxModelFolder(dir, shape, seed, target.replace)).parameters;
    path = format === 'gguf' ? join(dir, 'model.gguf') : dir;
  } else {
    const cacheDir = resolve(single(args, 'cache-dir', 'synth') ?? defaultCacheDir());
    const built = format === 'gguf' ? ensureSyntheticGgufShape(shape, dtype, cacheDir, seed) : { ...ensureSyntheticShape(shape, cacheDir, seed), file: null };
    path = built.file ?? built.dir;
    parameters = built.manifest.parameters;
  }
  const seconds = ((performance.now() - start) / 1000).toFixed(2);
  process.stdout.write(`${shapeKey(shape)}: ${(parameters / 1e6).toFixed(2)}M parameters, ${format === 'gguf' ? `${dtype} GGUF, ` : ''}seed ${seed}, ${seconds} s\n${path}\n`);
  return 0;
}
