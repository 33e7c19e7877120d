/**
 * A random-weight LLaMA-architecture model as GGUF for llama.cpp, with an embedded
 * SentencePiece-style tokenizer (`tokenizer.ggml.model = llama`: <unk>, <s>, </s>, 256 byte-fallback
 * tokens, then pieces learned from the default text and filler pieces up to the vocabulary size).
 * F32, F16 or Q8_0 weights (norms stay F32; a Q8_0 tensor whose rows are not a multiple of 32 is
 * written as F16, as llama.cpp's own quantizer does). Deterministic for a seed.
 */
import { DEFAULT_TEXT } from './default-text.js';
import { type GgmlTypeName, type GgufTensor, type MetadataValue, writeGguf } from './gguf.js';
import { toHalf } from './half.js';
import { RMS_NORM_EPS, ROPE_THETA } from './llama-onnx.js';
import { randomWeights } from './random.js';
import { headDim, type ModelShape } from './shape.js';
import { LEARNED_MERGES, learnMerges } from './tokenizer.js';

export const GGUF_DTYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type GgufDtype = (typeof GGUF_DTYPES)[number];

const WEIGHT_STD = 0.02;
const SPACE = '\u2581'; // SentencePiece's word boundary
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;
export const GGUF_BOS_ID = 1;
export const GGUF_EOS_ID = 2;

/** The vocabulary: tokens, scores and types, exactly `size` entries. */
export function buildSpmVocab(size: number): { tokens: string[]; scores: Float32Array; types: Int32Array } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
    scores.push(0);
  }
  const seen = new Set(tokens);
  const add = (piece: string, score: number): void => {
    if (tokens.length >= size || seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    types.push(TOKEN_NORMAL);
    scores.push(score);
  };
  const text = SPACE + DEFAULT_TEXT.replace(/ /g, SPACE);
  const words = text.split(/(?=\u2581)/).map((w) => Array.from(w));
  // characters first (merges start from them), then learned merges by rank, then fillers
  for (const c of [...new Set(Array.from(text))].sort()) if (c !== '\n') add(c, -1e4);
  learnMerges(words, LEARNED_MERGES).forEach(([a, b], rank) => add(a + b, -rank));
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  outer: for (const x of letters) {
    for (const y of letters) {
      for (const z of ['', ...letters]) {
        if (tokens.length >= size) break outer;
        add(`${SPACE}${x}${y}${z}`, -2e4 - tokens.length);
      }
    }
  }
  for (let i = 0; tokens.length < size; i++) add(`${SPACE}<filler${i}>`, -1e5 - i);
  return { tokens, scores: Float32Array.from(scores), types: Int32Array.from(types) };
}

/** Q8_0: blocks of 32 values as an f16 scale (max |x| / 127) and 32 rounded int8. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  const scale = new Float32Array(1);
  const half = new Uint16Array(1);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(values[b * 32 + i] as number));
    const d = amax / 127;
    const inv = d === 0 ? 0 : 1 / d;
    scale[0] = d;
    toHalf(scale, half);
    view.setUint16(b * 34, half[0] as number, true);
    for (let i = 0; i < 32; i++) view.setInt8(b * 34 + 2 + i, Math.round((values[b * 32 + i] as number) * inv));
  }
  return out;
}

/**
 * Q4_0, as ggml's reference quantizer writes it: blocks of 32 values as an f16 scale d (the value of
 * largest magnitude over -8) and 16 bytes of 4-bit codes round(x/d) + 8, clamped to 15; byte j holds
 * value j in its low nibble and value j+16 in its high one.
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 18);
  const view = new DataView(out.buffer);
  const scale = new Float32Array(1);
  const half = new Uint16Array(1);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    let max = 0;
    for (let i = 0; i < 32; i++) {
      const v = values[b * 32 + i] as number;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = max / -8;
    const inv = d === 0 ? 0 : 1 / d;
    scale[0] = d;
    toHalf(scale, half);
    view.setUint16(b * 18, half[0] as number, true);
    // ggml truncates x/d + 8.5 toward zero (an int8 cast); the sum is at least 0.5 here, so floor is the same
    const code = (x: number): number => Math.min(15, Math.floor(x * inv + 8.5));
    for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = code(values[b * 32 + j] as number) | (code(values[b * 32 + 16 + j] as number) << 4);
  }
  return out;
}

function encode(values: Float32Array, type: GgmlTypeName): Uint8Array {
  if (type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (type === 'F16') {
    const h = toHalf(values);
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }
  return type === 'Q4_0' ? quantizeQ4_0(values) : quantizeQ8_0(values);
}

/** GGUF metadata and tensors of a shape (weights made lazily). */
export function llamaGgufParts(shape: ModelShape, seed: number, dtype: GgufDtype): { metadata: Record<string, MetadataValue>; tensors: GgufTensor[] } {
  const D = headDim(shape);
  const H = shape.hidden;
  const weightType: GgmlTypeName = dtype === 'f32' ? 'F32' : dtype === 'f16' ? 'F16' : dtype === 'q4_0' ? 'Q4_0' : 'Q8_0';
  const tensors: GgufTensor[] = [];
  const matrix = (name: string, dims: [number, number]): void => {
    // the block types need rows of whole 32-value blocks
    const type: GgmlTypeName = (weightType === 'Q8_0' || weightType === 'Q4_0') && dims[0] % 32 !== 0 ? 'F16' : weightType;
    tensors.push({ name, dims, type, produce: () => encode(randomWeights(seed, name, dims[0] * dims[1], WEIGHT_STD), type) });
  };
  const norm = (name: string): void => {
    tensors.push({ name, dims: [H], type: 'F32', produce: () => encode(new Float32Array(H).fill(1), 'F32') });
  };
  matrix('token_embd.weight', [H, shape.vocab]);
  for (let l = 0; l < shape.layers; l++) {
    const p = `blk.${l}`;
    norm(`${p}.attn_norm.weight`);
    matrix(`${p}.attn_q.weight`, [H, shape.heads * D]);
    matrix(`${p}.attn_k.weight`, [H, shape.kvHeads * D]);
    matrix(`${p}.attn_v.weight`, [H, shape.kvHeads * D]);
    matrix(`${p}.attn_output.weight`, [shape.heads * D, H]);
    norm(`${p}.ffn_norm.weight`);
    matrix(`${p}.ffn_gate.weight`, [H, shape.intermediate]);
    matrix(`${p}.ffn_up.weight`, [H, shape.intermediate]);
    matrix(`${p}.ffn_down.weight`, [shape.intermediate, H]);
  }
  norm('output_norm.weight');
  // tied embeddings: llama.cpp uses token_embd when output.weight is absent
  if (!shape.tieEmbeddings) matrix('output.weight', [H, shape.vocab]);

  const vocab = buildSpmVocab(shape.vocab);
  const metadata: Record<string, MetadataValue> = {
    'general.architecture': { type: 'string', value: 'llama' },
    'general.name': { type: 'string', value: 'tokenbench synthetic llama' },
    'general.alignment': { type: 'u32', value: 32 },
    // LLAMA_FTYPE: 0 all F32, 1 mostly F16, 2 mostly Q4_0, 7 mostly Q8_0
    'general.file_type': { type: 'u32', value: { f32: 0, f16: 1, q4_0: 2, q8_0: 7 }[dtype] },
    'llama.context_length': { type: 'u32', value: shape.maxPositions },
    'llama.embedding_length': { type: 'u32', value: H },
    'llama.block_count': { type: 'u32', value: shape.layers },
    'llama.feed_forward_length': { type: 'u32', value: shape.intermediate },
    'llama.attention.head_count': { type: 'u32', value: shape.heads },
    'llama.attention.head_count_kv': { type: 'u32', value: shape.kvHeads },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: RMS_NORM_EPS },
    'llama.rope.freq_base': { type: 'f32', value: ROPE_THETA },
    'llama.rope.dimension_count': { type: 'u32', value: D },
    'llama.vocab_size': { type: 'u32', value: shape.vocab },
    'tokenizer.ggml.model': { type: 'string', value: 'llama' },
    'tokenizer.ggml.tokens': { type: 'string[]', value: vocab.tokens },
    'tokenizer.ggml.scores': { type: 'f32[]', value: vocab.scores },
    'tokenizer.ggml.token_type': { type: 'i32[]', value: vocab.types },
    'tokenizer.ggml.unknown_token_id': { type: 'u32', value: 0 },
    'tokenizer.ggml.bos_token_id': { type: 'u32', value: GGUF_BOS_ID },
    'tokenizer.ggml.eos_token_id': { type: 'u32', value: GGUF_EOS_ID },
    'tokenizer.ggml.add_bos_token': { type: 'bool', value: false },
    'tokenizer.ggml.add_eos_token': { type: 'bool', value: false },
  };
  return { metadata, tensors };
}

/** Writes the model to `path`; returns the file size. */
export function writeLlamaGguf(path: string, shape: ModelShape, seed: number, dtype: GgufDtype): number {
  const { metadata, tensors } = llamaGgufParts(shape, seed, dtype);
  return writeGguf(path, metadata, tensors);
}
