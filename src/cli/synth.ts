/** `tokenbench synth`: build a synthetic model folder (or fill the cache for synthetic:<preset>). */
import { resolve } from 'node:path';
import { defaultCacheDir, DEFAULT_SEED, ensureSyntheticShape } from '../synth/cache.js';
import { modelFolderTarget, writeOnnxModelFolder } from '../synth/model-folder.js';
import { type ModelShape, PRESETS, resolveShape, SHAPE_FLAGS, shapeKey, validateShape } from '../synth/shape.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';

const SHAPE_FLAG_SPECS: Record<string, FlagSpec> = Object.fromEntries(
  Object.keys(SHAPE_FLAGS).map((f) => [f, { arity: 'one', value: 'N', help: `override the preset's ${f}` } satisfies FlagSpec]),
);

export const SYNTH_FLAGS: Readonly<Record<string, FlagSpec>> = {
  preset: { arity: 'one', commas: false, value: 'NAME', help: `${Object.keys(PRESETS).join(', ')}, or a shape like layers=4,hidden=256 (default tiny)` },
  ...SHAPE_FLAG_SPECS,
  seed: { arity: 'one', value: 'N', help: `weight seed (default ${DEFAULT_SEED})` },
  out: { arity: 'one', value: 'DIR', help: 'model folder to write: a new or empty folder (default: the cache, as synthetic:<preset> uses it)' },
  force: { arity: 'none', help: 'with --out: replace a folder that holds a tokenbench model (never any other folder)' },
  'cache-dir': { arity: 'one', value: 'DIR', help: 'cache folder (default $XDG_CACHE_HOME/tokenbench)' },
  help: { arity: 'none', help: 'show this help' },
};

export const SYNTH_HELP = `Usage: tokenbench synth [--preset NAME] [shape flags] [--out DIR]

Writes a random-weight LLaMA-architecture model that transformers.js loads offline: ONNX with a
KV cache, config.json, generation_config.json and a byte-level BPE tokenizer. Deterministic for a
seed. Presets: ${Object.entries(PRESETS)
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
  const out = single(args, 'out', 'synth');
  const start = performance.now();
  let dir: string;
  let parameters: number;
  if (out !== undefined) {
    dir = resolve(out);
    const target = modelFolderTarget(dir, args.flags.has('force'));
    if (!target.ok) throw new InputError('usage', `synth: --out ${out} ${target.reason}`);
    parameters = writeOnnxModelFolder(dir, shape, seed, target.replace).parameters;
  } else {
    const built = ensureSyntheticShape(shape, resolve(single(args, 'cache-dir', 'synth') ?? defaultCacheDir()), seed);
    dir = built.dir;
    parameters = built.manifest.parameters;
  }
  const seconds = ((performance.now() - start) / 1000).toFixed(2);
  process.stdout.write(`${shapeKey(shape)}: ${(parameters / 1e6).toFixed(2)}M parameters, seed ${seed}, ${seconds} s\n${dir}\n`);
  return 0;
}
