/**
 * Weight quantization of the synthetic ONNX models, in the formats real transformers.js exports
 * use: 8-bit per output column for dynamic quantization (DynamicQuantizeLinear + MatMulInteger;
 * uint8 asymmetric, int8 symmetric), 4-bit blocks for com.microsoft's MatMulNBits (symmetric
 * around the default zero point 8), and bitsandbytes' 4-bit NF4 for com.microsoft's MatMulBnb4.
 * Weights are [K, N] row-major, as MatMul's B.
 */

/** 8-bit weights of one matrix: the values (int8 as two's complement bytes), a scale and zero point per column. */
export interface Quantized8 {
  q: Uint8Array;
  scale: Float32Array;
  zeroPoint: Uint8Array;
}

/** Per-column 8-bit quantization: w ≈ (q - zeroPoint[n]) * scale[n]. */
export function quantize8(w: Float32Array, K: number, N: number, signed: boolean): Quantized8 {
  const q = new Uint8Array(K * N);
  const scale = new Float32Array(N);
  const zeroPoint = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    // the range always holds 0, so that 0 is exact (as onnxruntime's quantizer does)
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < K; k++) {
      const v = w[k * N + n] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (signed) {
      const s = Math.max(-lo, hi) / 127 || 1;
      scale[n] = s;
      for (let k = 0; k < K; k++) q[k * N + n] = Math.max(-127, Math.min(127, Math.round((w[k * N + n] as number) / s))) & 0xff;
    } else {
      const s = (hi - lo) / 255 || 1;
      const zp = Math.max(0, Math.min(255, Math.round(-lo / s)));
      scale[n] = s;
      zeroPoint[n] = zp;
      for (let k = 0; k < K; k++) q[k * N + n] = Math.max(0, Math.min(255, Math.round((w[k * N + n] as number) / s) + zp));
    }
  }
  return { q, scale, zeroPoint };
}

/** 4-bit weights of one matrix as MatMulNBits takes them. */
export interface Quantized4 {
  /** [N, blocks, blockSize / 2]: two values a byte, the first in the low nibble. */
  packed: Uint8Array;
  /** [N * blocks] */
  scales: Float32Array;
  blocks: number;
}

/** Blocks of `blockSize` along K per column (the last padded with zeros): w ≈ (q - 8) * scale of its block. */
export function quantize4(w: Float32Array, K: number, N: number, blockSize = 32): Quantized4 {
  const blocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * blocks * half);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        if (k < K) amax = Math.max(amax, Math.abs(w[k * N + n] as number));
      }
      const s = amax / 7 || 1;
      scales[n * blocks + b] = s;
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        const value = k < K ? Math.max(0, Math.min(15, Math.round((w[k * N + n] as number) / s) + 8)) : 8;
        const at = (n * blocks + b) * half + (i >> 1);
        packed[at] = (packed[at] as number) | (value << ((i & 1) * 4));
      }
    }
  }
  return { packed, scales, blocks };
}

/** bitsandbytes' NF4 code book: the 16 values a 4-bit code stands for, times its block's absmax. */
export const NF4_VALUES: readonly number[] = [
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
  0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1,
];

/** NF4 weights of one matrix as MatMulBnb4 takes them. */
export interface QuantizedNf4 {
  /** The transposed weight [N, K] flattened, two codes a byte, the first in the high nibble. */
  packed: Uint8Array;
  /** The largest |value| of each block of `blockSize` along the flattened [N, K]. */
  absmax: Float32Array;
}

/** The NF4 code nearest to v (in [-1, 1]). */
function nearestNf4(v: number): number {
  let best = 0;
  for (let i = 1; i < 16; i++) if (Math.abs(v - (NF4_VALUES[i] as number)) < Math.abs(v - (NF4_VALUES[best] as number))) best = i;
  return best;
}

/** Blocks of `blockSize` over the transposed weight, each scaled by its absmax to the nearest NF4 value: w ≈ NF4_VALUES[code] * absmax of its block. */
export function quantizeNf4(w: Float32Array, K: number, N: number, blockSize = 64): QuantizedNf4 {
  const numel = K * N;
  const absmax = new Float32Array(Math.ceil(numel / blockSize));
  const packed = new Uint8Array(Math.ceil(numel / 2));
  // element i of [N, K] is w[k][n] with n = floor(i / K), k = i % K
  const at = (i: number): number => w[(i % K) * N + Math.floor(i / K)] as number;
  for (let b = 0; b < absmax.length; b++) {
    const end = Math.min(numel, (b + 1) * blockSize);
    let amax = 0;
    for (let i = b * blockSize; i < end; i++) amax = Math.max(amax, Math.abs(at(i)));
    absmax[b] = amax;
    for (let i = b * blockSize; i < end; i++) {
      const code = nearestNf4(amax ? at(i) / amax : 0);
      packed[i >> 1] = (packed[i >> 1] as number) | (i % 2 === 0 ? code << 4 : code);
    }
  }
  return { packed, absmax };
}
