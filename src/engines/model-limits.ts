/**
 * What a model's shape rules out before it is loaded: a prompt and output past its positions, and
 * a batch whose KV cache and logits cannot fit in the machine's memory (a floor, in fp32).
 */
import { totalmem } from 'node:os';
import type { BenchmarkConfig } from '../config/fields.js';
import { batchMemoryBytes } from '../synth/shape.js';
import { InputError } from '../util/errors.js';

export type ShapeLimits = (Parameters<typeof batchMemoryBytes>[0] & { maxPositions: number | null }) | null;

/** The shape fields a config.json gives (LLaMA-style names), or null when some are missing. */
export function shapeOfConfigJson(c: Record<string, unknown>): ShapeLimits {
  const n = (k: string): number | null => (typeof c[k] === 'number' ? (c[k] as number) : null);
  const [layers, hidden, heads, vocab] = [n('num_hidden_layers'), n('hidden_size'), n('num_attention_heads'), n('vocab_size')];
  if (layers === null || hidden === null || heads === null || vocab === null) return null;
  return { layers, hidden, heads, kvHeads: n('num_key_value_heads') ?? heads, vocab, maxPositions: n('max_position_embeddings') };
}

/** What the model's shape rules out before loading: a prompt and output past its positions, a batch past the machine's memory. */
export function checkShapeLimits(config: BenchmarkConfig, shape: ShapeLimits): void {
  if (!shape) return;
  const needed = config.sequence_length + config.num_tokens_to_generate;
  if (shape.maxPositions !== null && needed > shape.maxPositions) {
    throw new InputError('config', `model ${config.model}: sequence_length + num_tokens_to_generate = ${needed} exceeds the model's ${shape.maxPositions} positions`);
  }
  const bytes = batchMemoryBytes(shape, config.batch_size, config.sequence_length, config.num_tokens_to_generate);
  if (bytes > totalmem()) {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
    throw new InputError('config', `model ${config.model}: batch_size ${config.batch_size} needs at least ${gib(bytes)} GiB for its KV cache and logits; this machine has ${gib(totalmem())} GiB`);
  }
}
