/**
 * A random-weight LLaMA-architecture decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU MLP)
 * as an ONNX graph with a real KV cache, in the input/output naming transformers.js expects:
 * input_ids, attention_mask, position_ids, past_key_values.N.key/value -> logits, present.N.key/value.
 */
import { OnnxGraph } from './onnx.js';
import { toHalf } from './half.js';
import { quantize4, quantize8, quantizeNf4 } from './quantize.js';
import { randomWeights } from './random.js';
import { headDim, type ModelShape } from './shape.js';

export const RMS_NORM_EPS = 1e-5;
export const ROPE_THETA = 10000;
const WEIGHT_STD = 0.02;
/** Past this many weight bytes the model uses ONNX external data (protobuf's limit is 2 GiB). */
export const EXTERNAL_DATA_THRESHOLD = 1.8 * 1024 ** 3;

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * How the projections' weights are stored: fp32 MatMul; 8-bit per column with dynamic
 * quantization of the activations (DynamicQuantizeLinear + MatMulInteger, as onnxruntime's
 * quantize_dynamic writes them; uint8 or int8 weights); 4-bit blocks of 32 for com.microsoft's
 * MatMulNBits; or bitsandbytes' NF4 in blocks of 64 for com.microsoft's MatMulBnb4 (bnb4, as
 * onnxruntime's MatMulBnb4Quantizer writes it by default). Embeddings, norms and a tied head stay in the float type. fp16 and q4f16 make the
 * whole graph float16 (weights, activations, the KV cache and the logits), as fp16 exports are,
 * with the RoPE tables computed in float32 and cast, as they are too.
 */
export type WeightFormat = 'fp32' | 'uint8' | 'int8' | 'q4' | 'fp16' | 'q4f16' | 'bnb4';

/** The block size of MatMulNBits weights. */
const Q4_BLOCK = 32;

/** The block size of MatMulBnb4 weights, and its quant_type for NF4. */
const BNB4_BLOCK = 64;
const BNB4_NF4 = 1;

/** Builds the graph; weights are made lazily when it is written. */
export function buildLlamaGraph(shape: ModelShape, seed: number, format: WeightFormat = 'fp32'): OnnxGraph {
  const g = new OnnxGraph();
  const D = headDim(shape);
  const H = shape.hidden;
  const KVH = shape.kvHeads;
  const R = shape.heads / shape.kvHeads;

  const isHalf = format === 'fp16' || format === 'q4f16';
  /** The graph's float type, and ONNX's number of it for Cast. */
  const E = isHalf ? 'float16' : 'float';
  const castToE = { to: isHalf ? 10 : 1 };
  const floats = (values: Float32Array): Uint8Array => (isHalf ? new Uint8Array(toHalf(values).buffer) : bytesOf(values));
  const weight = (name: string, dims: number[]): string => g.initializer(name, E, dims, () => floats(randomWeights(seed, name, dims.reduce((a, b) => a * b, 1), WEIGHT_STD)));
  const ones = (name: string, n: number): string => g.initializer(name, E, [n], () => floats(new Float32Array(n).fill(1)));
  // a projection's quantized weights feed several initializers written one after another: made once for them
  let last: { name: string; value: unknown } | null = null;
  const once = <T>(name: string, make: () => T): (() => T) => () => {
    if (last?.name !== name) last = { name, value: make() };
    return last.value as T;
  };
  /** x [.., K] times the weight `name` [K, N], in the model's weight format. */
  const linear = (x: string, name: string, K: number, N: number): string => {
    if (format === 'fp32' || format === 'fp16') return g.op('MatMul', [x, weight(name, [K, N])]);
    const w = (): Float32Array => randomWeights(seed, name, K * N, WEIGHT_STD);
    if (format === 'q4' || format === 'q4f16') {
      const q = once(name, () => quantize4(w(), K, N, Q4_BLOCK));
      const blocks = Math.ceil(K / Q4_BLOCK);
      const packed = g.initializer(`${name}_Q4`, 'uint8', [N, blocks, Q4_BLOCK / 2], () => q().packed);
      // the scales are of the activations' type
      const scales = g.initializer(`${name}_scales`, E, [N * blocks], () => floats(q().scales));
      return g.op('MatMulNBits', [x, packed, scales], { K, N, bits: 4, block_size: Q4_BLOCK }, undefined, 'com.microsoft');
    }
    if (format === 'bnb4') {
      const q = once(name, () => quantizeNf4(w(), K, N, BNB4_BLOCK));
      const packed = g.initializer(`${name}_Bnb4`, 'uint8', [Math.ceil((K * N) / 2)], () => q().packed);
      const absmax = g.initializer(`${name}_absmax`, 'float', [Math.ceil((K * N) / BNB4_BLOCK)], () => bytesOf(q().absmax));
      return g.op('MatMulBnb4', [x, packed, absmax], { K, N, block_size: BNB4_BLOCK, quant_type: BNB4_NF4 }, undefined, 'com.microsoft');
    }
    const q = once(name, () => quantize8(w(), K, N, format === 'int8'));
    const wq = g.initializer(`${name}_quantized`, format, [K, N], () => q().q);
    const wzp = g.initializer(`${name}_zero_point`, format, [N], () => q().zeroPoint);
    const ws = g.initializer(`${name}_scale`, 'float', [N], () => bytesOf(q().scale));
    const [xq, xs, xzp] = g.node('DynamicQuantizeLinear', [x], {}, [`${name}_x_quantized`, `${name}_x_scale`, `${name}_x_zero_point`]) as [string, string, string];
    return g.op('Mul', [g.op('Cast', [g.op('MatMulInteger', [xq, wq, xzp, wzp])], { to: 1 }), g.op('Mul', [xs, ws])]);
  };

  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);

  const axis0 = g.int64([0]);
  const axis1 = g.int64([1]);
  const axis2 = g.int64([2]);
  const axes12 = g.int64([1, 2]);
  const axisLast = g.int64([-1]);

  // Additive mask [B,1,1,S,T]: query i (at position T-S+i) sees key j when j <= T-S+i and j is not padding.
  const S = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), axis0]);
  const T = g.op('Squeeze', [g.op('Shape', [attentionMask], { start: 1, end: 2 }), axis0]);
  const one = g.int64Scalar(1);
  const queryPos = g.op('Range', [g.op('Sub', [T, S]), T, one]);
  const keyPos = g.op('Range', [g.int64Scalar(0), T, one]);
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [keyPos, axis0]), g.op('Unsqueeze', [queryPos, axis1])]);
  const notPad = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), axis1]);
  const allowed = g.op('And', [causal, notPad]);
  // float16 ends at 65504: its most negative finite value masks as well
  const mask = g.op('Unsqueeze', [g.op('Where', [allowed, g.scalar(0, E), g.scalar(isHalf ? -65504 : -1e9, E)]), axes12]);

  // RoPE tables from position_ids: [B,S,D]
  const invFreq = new Float32Array(D / 2).map((_, i) => 1 / Math.pow(ROPE_THETA, (2 * i) / D));
  const invFreqName = g.initializer('rope.inv_freq', 'float', [D / 2], () => bytesOf(invFreq));
  const freqs = g.op('Mul', [g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), axis2]), invFreqName]);
  const emb = g.op('Concat', [freqs, freqs], { axis: -1 });
  const cos = isHalf ? g.op('Cast', [g.op('Cos', [emb])], castToE) : g.op('Cos', [emb]);
  const sin = isHalf ? g.op('Cast', [g.op('Sin', [emb])], castToE) : g.op('Sin', [emb]);
  const cos4 = g.op('Unsqueeze', [cos, axis1]);
  const sin4 = g.op('Unsqueeze', [sin, axis1]);
  const cos5 = g.op('Unsqueeze', [cos, axes12]);
  const sin5 = g.op('Unsqueeze', [sin, axes12]);
  const half = g.int64([D / 2]);
  const full = g.int64([D]);
  const zero1 = g.int64([0]);
  const rope = (x: string, c: string, s: string): string => {
    const x1 = g.op('Slice', [x, zero1, half, axisLast]);
    const x2 = g.op('Slice', [x, half, full, axisLast]);
    const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, c]), g.op('Mul', [rotated, s])]);
  };
  const epsilon = g.scalar(RMS_NORM_EPS, E);
  const rmsNorm = (x: string, w: string): string => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    return g.op('Mul', [g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSquare, epsilon])])]), w]);
  };

  const embedTokens = weight('model.embed_tokens.weight', [shape.vocab, H]);
  let h = g.op('Gather', [embedTokens, inputIds], { axis: 0 });
  const qShape = g.int64([0, 0, KVH, R, D]);
  const kvShape = g.int64([0, 0, KVH, D]);
  const mergeShape = g.int64([0, 0, shape.heads * D]);
  const scale = g.scalar(1 / Math.sqrt(D), E);

  for (let l = 0; l < shape.layers; l++) {
    const p = `model.layers.${l}`;
    g.input(`past_key_values.${l}.key`, E, ['batch_size', KVH, 'past_sequence_length', D]);
    g.input(`past_key_values.${l}.value`, E, ['batch_size', KVH, 'past_sequence_length', D]);
    const x = rmsNorm(h, ones(`${p}.input_layernorm.weight`, H));
    // q: [B,S,NH*D] -> [B,KVH,R,S,D] so that each kv head serves its R query heads by broadcasting
    const q5 = g.op('Transpose', [g.op('Reshape', [linear(x, `${p}.self_attn.q_proj.weight`, H, shape.heads * D), qShape])], { perm: [0, 2, 3, 1, 4] });
    const k = g.op('Transpose', [g.op('Reshape', [linear(x, `${p}.self_attn.k_proj.weight`, H, KVH * D), kvShape])], { perm: [0, 2, 1, 3] });
    const v = g.op('Transpose', [g.op('Reshape', [linear(x, `${p}.self_attn.v_proj.weight`, H, KVH * D), kvShape])], { perm: [0, 2, 1, 3] });
    const presentKey = g.op('Concat', [`past_key_values.${l}.key`, rope(k, cos4, sin4)], { axis: 2 }, `present.${l}.key`);
    const presentValue = g.op('Concat', [`past_key_values.${l}.value`, v], { axis: 2 }, `present.${l}.value`);
    g.output(presentKey, E, ['batch_size', KVH, 'total_sequence_length', D]);
    g.output(presentValue, E, ['batch_size', KVH, 'total_sequence_length', D]);
    const keyT = g.op('Unsqueeze', [g.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] }), axis2]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [rope(q5, cos5, sin5), keyT]), scale]), mask]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const context = g.op('MatMul', [probs, g.op('Unsqueeze', [presentValue, axis2])]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 3, 1, 2, 4] }), mergeShape]);
    h = g.op('Add', [h, linear(merged, `${p}.self_attn.o_proj.weight`, shape.heads * D, H)]);

    const y = rmsNorm(h, ones(`${p}.post_attention_layernorm.weight`, H));
    const gate = linear(y, `${p}.mlp.gate_proj.weight`, H, shape.intermediate);
    const up = linear(y, `${p}.mlp.up_proj.weight`, H, shape.intermediate);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [h, linear(act, `${p}.mlp.down_proj.weight`, shape.intermediate, H)]);
  }

  const final = rmsNorm(h, ones('model.norm.weight', H));
  const lmHead = shape.tieEmbeddings ? g.op('Transpose', [embedTokens], { perm: [1, 0] }) : weight('lm_head.weight', [H, shape.vocab]);
  g.op('MatMul', [final, lmHead], {}, 'logits');
  g.output('logits', E, ['batch_size', 'sequence_length', shape.vocab]);
  return g;
}

/** Writes the model to `path` (external data past the threshold or when asked). */
export function writeLlamaOnnx(path: string, shape: ModelShape, seed: number, forceExternalData = false, format: WeightFormat = 'fp32'): { externalData: boolean } {
  const graph = buildLlamaGraph(shape, seed, format);
  const externalData = forceExternalData || graph.weightBytes > EXTERNAL_DATA_THRESHOLD;
  graph.write(path, { opset: 17, producer: 'tokenbench', externalData });
  return { externalData };
}
