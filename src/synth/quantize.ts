/**
 * Weight quantization of the synthetic ONNX models, in the formats real transformers.js exports
 * use: 8-bit per output column for dynamic quantization (DynamicQuantizeLinear + MatMulInteger;
 * uint8 asymmetric, int8 symmetric) and 4-bit blocks for com.microsoft's MatMulNBits (symmetric
 * around the default zero point 8). Weights are [K, N] row-major, as MatMul's B.
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
