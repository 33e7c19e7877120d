/** `synthetic:<preset>` model ids: built on first use into a cache folder and reused after. */
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GgufDtype } from './llama-gguf.js';
import { ensureOnnxDtypeFile, ONNX_DTYPE_FILES, readManifest, type SynthManifest, writeGgufModelFolder, writeOnnxModelFolder } from './model-folder.js';
import { type ModelShape, resolveShape, shapeKey } from './shape.js';

export const SYNTHETIC_PREFIX = 'synthetic:';
export const DEFAULT_SEED = 0;

/** `$XDG_CACHE_HOME/tokenbench`, else `~/.cache/tokenbench`; `TOKENBENCH_CACHE_DIR` overrides. */
export function defaultCacheDir(): string {
  if (process.env.TOKENBENCH_CACHE_DIR) return process.env.TOKENBENCH_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'tokenbench');
}

export function isSyntheticModel(model: string): boolean {
  return model.startsWith(SYNTHETIC_PREFIX);
}

export interface SyntheticModel {
  dir: string;
  manifest: SynthManifest;
  /** Whether this call built it (false: reused from the cache). */
  built: boolean;
}

/**
 * Resolves `synthetic:<preset or shape>` to a folder, building it on first use, with the file of
 * `dtype` (fp32, q8, uint8, int8, q4) added when missing.
 */
export function ensureSyntheticOnnx(model: string, cacheDir: string, seed = DEFAULT_SEED, onBuild?: (dir: string) => void, dtype = 'fp32'): SyntheticModel {
  const shape = resolveShape(model.slice(SYNTHETIC_PREFIX.length));
  const synth = ensureSyntheticShape(shape, cacheDir, seed, onBuild);
  if (dtype === 'fp32') return synth;
  const onnx = ONNX_DTYPE_FILES[dtype];
  if (onnx && existsSync(join(synth.dir, 'onnx', onnx.file))) return synth;
  if (!synth.built) onBuild?.(synth.dir);
  return { ...synth, built: ensureOnnxDtypeFile(synth.dir, shape, seed, dtype) || synth.built };
}

/** The cached ONNX folder of a shape and seed, built when missing (`onBuild` is told first: a large shape takes a while). */
export function ensureSyntheticShape(shape: ModelShape, cacheDir: string, seed = DEFAULT_SEED, onBuild?: (dir: string) => void): SyntheticModel {
  const dir = join(cacheDir, 'synthetic', 'onnx', `${shapeKey(shape)}-seed${seed}`);
  const existing = readManifest(dir);
  if (existing) return { dir, manifest: existing, built: false };
  onBuild?.(dir);
  // A leftover folder without a current manifest is stale: clear it, then build.
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return { dir, manifest: writeOnnxModelFolder(dir, shape, seed, false), built: true };
}

/** The cached GGUF file of `synthetic:<preset>` for llama.cpp, built when missing. */
export function ensureSyntheticGguf(model: string, dtype: GgufDtype, cacheDir: string, seed = DEFAULT_SEED, onBuild?: (dir: string) => void): SyntheticModel & { file: string } {
  return ensureSyntheticGgufShape(resolveShape(model.slice(SYNTHETIC_PREFIX.length)), dtype, cacheDir, seed, onBuild);
}

/** The cached GGUF file of a shape, built when missing. */
export function ensureSyntheticGgufShape(shape: ModelShape, dtype: GgufDtype, cacheDir: string, seed = DEFAULT_SEED, onBuild?: (dir: string) => void): SyntheticModel & { file: string } {
  const dir = join(cacheDir, 'synthetic', 'gguf', `${shapeKey(shape)}-${dtype}-seed${seed}`);
  const file = join(dir, 'model.gguf');
  const existing = readManifest(dir);
  if (existing) return { dir, file, manifest: existing, built: false };
  onBuild?.(dir);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return { dir, file, manifest: writeGgufModelFolder(dir, shape, seed, dtype), built: true };
}
