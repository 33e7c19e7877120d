/** Weight quantization of the synthetic models, by hand, and the quantized graphs against the fp32 one. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { maxRelativeLogitGap } from '../../src/engines/cache-check.js';
import { writeLlamaOnnx } from '../../src/synth/llama-onnx.js';
import { NF4_VALUES, quantize4, quantize8, quantizeNf4 } from '../../src/synth/quantize.js';
import { headDim, resolveShape } from '../../src/synth/shape.js';
import { tempDir } from '../helpers.js';

test('8-bit per column by hand: uint8 asymmetric with 0 exact, int8 symmetric', () => {
  // [K=2, N=2]: column 0 is (-1, 0.5), column 1 is (2, 4)
  const w = new Float32Array([-1, 2, 0.5, 4]);
  const u = quantize8(w, 2, 2, false);
  // column 0: range [-1, 0.5], scale 1.5/255, zero point round(1/scale) = 170; column 1: range [0, 4], zero point 0
  assert.ok(Math.abs((u.scale[0] as number) - 1.5 / 255) < 1e-9 && Math.abs((u.scale[1] as number) - 4 / 255) < 1e-9);
  assert.deepEqual([...u.zeroPoint], [170, 0]);
  assert.deepEqual([...u.q], [0, 128, 255, 255]); // -1/s + 170 = 0; 2/(4/255) = 127.5 -> 128; 0.5/s + 170 = 255; 4/s = 255
  const i = quantize8(w, 2, 2, true);
  assert.deepEqual([...i.zeroPoint], [0, 0]);
  assert.ok(Math.abs((i.scale[0] as number) - 1 / 127) < 1e-9 && Math.abs((i.scale[1] as number) - 4 / 127) < 1e-9);
  // -127 as a byte is 129; 0.5 * 127 = 63.5 -> 64; 2 / (4/127) = 63.5 -> 64
  assert.deepEqual([...i.q], [129, 64, 64, 127]);
  // an all-zero column does not divide by zero
  assert.deepEqual([...quantize8(new Float32Array([0, 0]), 2, 1, false).q], [0, 0]);
});

test('4-bit blocks by hand: scale max|w|/7, values + 8, two a byte low nibble first, the last block padded with 8', () => {
  // K=3, N=1, block 4: one block (0.7, -0.35, 0.1, pad)
  const q = quantize4(new Float32Array([0.7, -0.35, 0.1]), 3, 1, 4);
  assert.equal(q.blocks, 1);
  assert.ok(Math.abs((q.scales[0] as number) - 0.1) < 1e-7);
  // 0.7 -> 7+8 = 15, -0.35 -> round(-3.5) = -3 -> 5, 0.1 -> 1+8 = 9, pad 8
  assert.deepEqual([...q.packed], [15 | (5 << 4), 9 | (8 << 4)]);
  // K=5 in blocks of 4: two blocks a column, N=2
  const two = quantize4(new Float32Array(10).fill(1), 5, 2, 4);
  assert.deepEqual([two.blocks, two.packed.length, two.scales.length], [2, 2 * 2 * 2, 4]);
});

test('NF4 by hand: the transposed weight in blocks, each over its absmax to the nearest NF4 value, the first of two in the high nibble', () => {
  // [K=2, N=2] rows (1, -0.5) and (0.25, 0): transposed and flattened (1, 0.25, -0.5, 0); blocks of 2
  const q = quantizeNf4(new Float32Array([1, -0.5, 0.25, 0]), 2, 2, 2);
  assert.deepEqual([...q.absmax], [1, 0.5]);
  // 1 -> 15; 0.25 -> 0.2461 (10); -0.5 / 0.5 = -1 -> 0; 0 -> 7
  assert.deepEqual([...q.packed], [(15 << 4) | 10, (0 << 4) | 7]);
  assert.equal(NF4_VALUES[10], 0.24611230194568634);
  // an odd count: the last byte's low nibble is empty; 0.3 / 0.6 = 0.5 is nearer 0.4407 (12) than 0.5626 (13)
  const odd = quantizeNf4(new Float32Array([0.3, -0.6, 0.6]), 3, 1, 4);
  assert.deepEqual([...odd.absmax].map((v) => Math.round(v * 1e6) / 1e6), [0.6]);
  assert.deepEqual([...odd.packed], [(12 << 4) | 0, 15 << 4]);
});

const SHAPE = { ...resolveShape('layers=2,hidden=64,heads=8,kv-heads=2,intermediate=96,vocab=512'), tieEmbeddings: false };

test('the quantized graphs are the fp32 weights quantized, with the operators real exports use', async () => {
  const dir = tempDir();
  const i64 = (values: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  const prompt = [5, 17, 99, 3, 250, 41];
  const logitsOf = async (format: 'fp32' | 'uint8' | 'int8' | 'q4' | 'bnb4'): Promise<number[]> => {
    const path = join(dir, `${format}.onnx`);
    writeLlamaOnnx(path, SHAPE, 7, false, format);
    const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
    const feeds: Record<string, ort.Tensor> = { input_ids: i64(prompt), position_ids: i64(prompt.map((_, i) => i)), attention_mask: i64(prompt.map(() => 1)) };
    for (let l = 0; l < SHAPE.layers; l++) for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, SHAPE.kvHeads, 0, headDim(SHAPE)]);
    const data = (await s.run(feeds)).logits?.data as Float32Array;
    return Array.from(data.slice(data.length - SHAPE.vocab));
  };
  const fp32 = await logitsOf('fp32');
  // 8-bit within a few percent of the largest logit, 4-bit within a quarter of it (but not equal: they are quantized)
  for (const [format, limit, op] of [['uint8', 0.05, 'MatMulInteger'], ['int8', 0.05, 'MatMulInteger'], ['q4', 0.25, 'MatMulNBits'], ['bnb4', 0.25, 'MatMulBnb4']] as const) {
    const gap = maxRelativeLogitGap({ cached: [fp32], recomputed: [await logitsOf(format)] });
    assert.ok(gap > 0 && gap < limit, `${format}: ${gap} of the largest logit from fp32's`);
    const file = readFileSync(join(dir, `${format}.onnx`)).toString('latin1');
    assert.ok(file.includes(op), `${format} has ${op}`);
    if (op !== 'MatMulInteger') assert.ok(file.includes('com.microsoft'));
  }
});
