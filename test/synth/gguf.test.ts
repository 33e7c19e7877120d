import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readGgufFileInfo } from 'node-llama-cpp';
import { tensorBytes } from '../../src/synth/gguf.js';
import { fromHalf, toHalf } from '../../src/synth/half.js';
import { buildSpmVocab, llamaGgufParts, quantizeQ4_0, quantizeQ8_0, writeLlamaGguf } from '../../src/synth/llama-gguf.js';
import { PRESETS, type ModelShape } from '../../src/synth/shape.js';
import { tempDir } from '../helpers.js';

const TINY = PRESETS.tiny as ModelShape;

test('float16 conversion in bulk matches known values', () => {
  const src = Float32Array.from([0, 1, -2, 0.5, 65504, 1e-8, 0.1, -0.02]);
  const h = toHalf(src);
  assert.deepEqual(Array.from(h.slice(0, 5)), [0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff]);
  assert.equal(h[5], 0); // below the smallest subnormal
  assert.ok(Math.abs(fromHalf(h[6] as number) - 0.1) < 1e-4);
  assert.ok(Math.abs(fromHalf(h[7] as number) + 0.02) < 2e-5);
});

test('Q8_0 blocks: f16 scale and int8 values reconstruct the input', () => {
  const v = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.05);
  const q = quantizeQ8_0(v);
  assert.equal(q.length, 68);
  const view = new DataView(q.buffer);
  for (let b = 0; b < 2; b++) {
    const d = fromHalf(view.getUint16(b * 34, true));
    for (let i = 0; i < 32; i++) assert.ok(Math.abs(view.getInt8(b * 34 + 2 + i) * d - (v[b * 32 + i] as number)) < d);
  }
});

test('Q4_0 blocks, by hand: the scale is the largest-magnitude value over -8, nibbles round(x/d)+8 clamped to 15, value j low and j+16 high', () => {
  // -0.16 is the largest magnitude: d = -0.16 / -8 = 0.02; x = (i - 16) * 0.01 codes to floor(-(i - 16) / 2 + 8.5)
  const v = Float32Array.from({ length: 32 }, (_, i) => (i - 16) * 0.01);
  const q = quantizeQ4_0(v);
  assert.equal(q.length, 18);
  // the f16 scale is truncated (src/synth/half.ts): 0.019989, one half-ulp step below 0.02
  assert.ok(Math.abs(fromHalf(new DataView(q.buffer).getUint16(0, true)) - 0.02) < 2e-5, 'the scale');
  // value 0 (-0.16) codes to 16 - 16 = 0, value 16 (0) to 8: byte 0 is 0x80
  assert.equal(q[2], 0x80);
  // value 15 (-0.01) codes to 8 (8.5 - 0.5), value 31 (0.15) to 15.5 - clamped to 15: 0xf8
  assert.equal(q[17], 0xf8);
  // value 1 (-0.15, in float32 a hair past it) codes to trunc(0.99999997) = 0 as ggml's int8 cast does, value 17 (0.01) to trunc(9.0) = 9: 0x90
  assert.equal(q[3], 0x90);
  // a block of zeros: scale 0 / -8 = -0 (f16 0x8000, as ggml writes it), every code 8
  assert.deepEqual(Array.from(quantizeQ4_0(new Float32Array(32))), [0, 0x80, ...Array(16).fill(0x88)]);
});

test('the SentencePiece vocabulary has exactly the size asked for, unique pieces, byte fallback', () => {
  for (const size of [300, 1024, 32000]) {
    const v = buildSpmVocab(size);
    assert.equal(v.tokens.length, size);
    assert.equal(new Set(v.tokens).size, size);
    assert.equal(v.tokens[3], '<0x00>');
    assert.equal(v.tokens[258], '<0xFF>');
    assert.equal(v.types[258], 6);
  }
});

test('reading the header back gives every key and tensor shape, for F32, F16, Q8_0 and Q4_0', async () => {
  const dir = tempDir();
  for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
    const path = join(dir, `m-${dtype}.gguf`);
    const size = writeLlamaGguf(path, TINY, 3, dtype);
    assert.equal(readFileSync(path).length, size);
    const { metadata, tensors } = llamaGgufParts(TINY, 3, dtype);
    const info = await readGgufFileInfo(path, { sourceType: 'filesystem' });
    assert.equal(info.version, 3);
    const flat: Record<string, unknown> = {};
    const walk = (o: Record<string, unknown>, prefix: string): void => {
      for (const [k, v] of Object.entries(o)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
        else flat[`${prefix}${k}`] = v;
      }
    };
    walk(info.metadata as unknown as Record<string, unknown>, '');
    for (const [key, value] of Object.entries(metadata)) {
      assert.ok(key in flat, `missing key ${key}`);
      const got = flat[key];
      if (value.type === 'f32') assert.ok(Math.abs((got as number) - value.value) < 1e-6, key);
      else if (value.type === 'string[]') assert.deepEqual(got, value.value, key);
      else if (value.type === 'f32[]' || value.type === 'i32[]') assert.deepEqual(Array.from(got as number[]), Array.from(value.value), key);
      else assert.equal(got, value.value, key);
    }
    const read = info.tensorInfo ?? [];
    assert.equal(read.length, tensors.length);
    tensors.forEach((t, i) => {
      assert.equal(read[i]?.name, t.name);
      assert.deepEqual(read[i]?.dimensions.map(Number), t.dims);
    });
    // tiny's intermediate (172) is not a multiple of 32: ffn_down stays F16 under Q8_0
    const down = read.find((t) => t.name === 'blk.0.ffn_down.weight');
    assert.equal(down?.ggmlType, dtype === 'f32' ? 0 : 1);
    const gate = read.find((t) => t.name === 'blk.0.ffn_gate.weight');
    assert.equal(gate?.ggmlType, { f32: 0, f16: 1, q8_0: 8, q4_0: 2 }[dtype]);
    assert.equal(tensorBytes([64, 172], 'Q8_0'), 64 * 172 / 32 * 34);
    assert.equal(tensorBytes([64, 172], 'Q4_0'), 64 * 172 / 32 * 18);
  }
  writeLlamaGguf(join(dir, 'again.gguf'), TINY, 3, 'f16');
  assert.ok(readFileSync(join(dir, 'again.gguf')).equals(readFileSync(join(dir, 'm-f16.gguf'))));
});
