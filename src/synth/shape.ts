/** The shape of a synthetic LLaMA-architecture decoder, and the presets. */
import { InputError } from '../util/errors.js';

export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  tieEmbeddings: boolean;
}

/** Named shapes. `small` is SmolLM2-135M's; `1b` is a 1.1B-parameter LLaMA shape. */
export const PRESETS: Readonly<Record<string, ModelShape>> = {
  tiny: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 172, vocab: 1024, maxPositions: 2048, tieEmbeddings: true },
  small: { layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152, maxPositions: 8192, tieEmbeddings: true },
  '1b': { layers: 16, hidden: 2048, heads: 32, kvHeads: 8, intermediate: 8192, vocab: 32000, maxPositions: 4096, tieEmbeddings: false },
};

export const SHAPE_FLAGS: Readonly<Record<string, keyof ModelShape>> = {
  layers: 'layers',
  hidden: 'hidden',
  heads: 'heads',
  'kv-heads': 'kvHeads',
  intermediate: 'intermediate',
  vocab: 'vocab',
  'max-positions': 'maxPositions',
};

/** Head dimension. */
export function headDim(shape: ModelShape): number {
  return shape.hidden / shape.heads;
}

/** Number of weights of the model. */
export function parameterCount(shape: ModelShape): number {
  const d = headDim(shape);
  const attn = shape.hidden * shape.heads * d * 2 + shape.hidden * shape.kvHeads * d * 2;
  const mlp = 3 * shape.hidden * shape.intermediate;
  const perLayer = attn + mlp + 2 * shape.hidden;
  const embed = shape.vocab * shape.hidden * (shape.tieEmbeddings ? 1 : 2);
  return shape.layers * perLayer + embed + shape.hidden;
}

/**
 * A floor on the memory one generate() call of a batch needs beyond the weights, in bytes: the
 * fp32 KV cache for prompt and new tokens, and the prompt's fp32 logits (transformers.js computes
 * them for every prompt position). Used to refuse a batch that cannot fit before anything runs.
 */
export function batchMemoryBytes(shape: Pick<ModelShape, 'layers' | 'hidden' | 'heads' | 'kvHeads' | 'vocab'>, batch: number, promptTokens: number, newTokens: number): number {
  const kv = 2 * shape.layers * shape.kvHeads * (shape.hidden / shape.heads) * (promptTokens + newTokens) * 4;
  const logits = promptTokens * shape.vocab * 4;
  return batch * (kv + logits);
}

/** Checks a shape; throws an InputError naming the first bad field. */
export function validateShape(shape: ModelShape, where: string): ModelShape {
  for (const [key, value] of Object.entries(shape)) {
    if (key === 'tieEmbeddings') continue;
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new InputError('config', `${where}: ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (shape.hidden % shape.heads !== 0) {
    throw new InputError('config', `${where}: hidden (${shape.hidden}) must be a multiple of heads (${shape.heads})`);
  }
  if (headDim(shape) % 2 !== 0) {
    throw new InputError('config', `${where}: head size hidden/heads (${headDim(shape)}) must be even for RoPE`);
  }
  if (shape.heads % shape.kvHeads !== 0) {
    throw new InputError('config', `${where}: heads (${shape.heads}) must be a multiple of kv-heads (${shape.kvHeads})`);
  }
  if (shape.vocab < 300) {
    throw new InputError('config', `${where}: vocab must be at least 300 (256 byte tokens, specials and merges), got ${shape.vocab}`);
  }
  return shape;
}

/**
 * Resolves a preset name, or a custom spec such as `layers=4,hidden=256,heads=8,kv-heads=2`
 * (unset fields taken from `tiny`), into a shape.
 */
export function resolveShape(spec: string): ModelShape {
  const preset = PRESETS[spec];
  if (preset) return { ...preset };
  if (!spec.includes('=')) {
    throw new InputError(
      'config',
      `unknown synthetic preset '${spec}': allowed are ${Object.keys(PRESETS).join(', ')}, or a custom shape like layers=4,hidden=256,heads=8,kv-heads=2`,
    );
  }
  const shape: ModelShape = { ...(PRESETS.tiny as ModelShape) };
  for (const part of spec.split(',')) {
    const [rawKey, rawValue] = part.split('=');
    const key = SHAPE_FLAGS[(rawKey ?? '').trim()];
    if (!key || key === 'tieEmbeddings') {
      throw new InputError('config', `synthetic shape '${spec}': unknown field '${rawKey}', allowed: ${Object.keys(SHAPE_FLAGS).join(', ')}`);
    }
    const value = Number(rawValue);
    (shape as unknown as Record<string, number>)[key] = value;
  }
  return validateShape(shape, `synthetic shape '${spec}'`);
}

/** A canonical spec string for a shape (used in cache folder names). */
export function shapeKey(shape: ModelShape): string {
  return `l${shape.layers}_h${shape.hidden}_a${shape.heads}_kv${shape.kvHeads}_i${shape.intermediate}_v${shape.vocab}_p${shape.maxPositions}${shape.tieEmbeddings ? '_tied' : ''}`;
}
