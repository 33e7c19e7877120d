/**
 * The synthetic decoder's KV cache is real: greedy generation that feeds the cache back equals
 * step-by-step recomputation of the whole sequence without it, in every weight format.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { fromHalf } from '../../src/synth/half.js';
import { type WeightFormat, writeLlamaOnnx } from '../../src/synth/llama-onnx.js';
import { headDim, type ModelShape, resolveShape } from '../../src/synth/shape.js';
import { maxRelativeLogitGap } from '../../src/engines/cache-check.js';
import { tempDir } from '../helpers.js';

// GQA (4 query heads per kv head), untied head, 3 layers
const SHAPE: ModelShape = { ...resolveShape('layers=3,hidden=64,heads=8,kv-heads=2,intermediate=96,vocab=512'), tieEmbeddings: false };

type Feeds = Record<string, ort.Tensor>;
const i64 = (values: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

function emptyCache(shape: ModelShape, batch: number, half = false): Feeds {
  const feeds: Feeds = {};
  for (let l = 0; l < shape.layers; l++) {
    for (const kv of ['key', 'value']) {
      const dims = [batch, shape.kvHeads, 0, headDim(shape)];
      feeds[`past_key_values.${l}.${kv}`] = half ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
  }
  return feeds;
}

/** The last position's logits as float32 (a float16 graph's read through fromHalf). */
function lastLogits(out: ort.InferenceSession.OnnxValueMapType, vocab: number): Float32Array {
  const tensor = out.logits as ort.Tensor;
  const data = tensor.data as Float32Array | Uint16Array;
  const last = data.slice(data.length - vocab);
  return tensor.type === 'float16' ? Float32Array.from(last as Uint16Array, fromHalf) : (last as Float32Array);
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if ((a[i] as number) > (a[best] as number)) best = i;
  return best;
}

async function session(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
}

/**
 * How far cached logits may be from recomputed ones, relative to the step's largest logit: rounding
 * for fp32 and 4-bit weights (fp32 activations); 8-bit dynamic quantization quantizes the
 * activations over the whole input, which differs between one token and the whole sequence.
 */
const CACHE_TOLERANCE: Record<WeightFormat, number> = { fp32: 1e-5, q4: 1e-5, bnb4: 1e-5, uint8: 2e-2, int8: 2e-2, fp16: 5e-3, q4f16: 5e-3 };

for (const format of ['fp32', 'uint8', 'int8', 'q4', 'bnb4', 'fp16', 'q4f16'] as const) test(`${format} weights: greedy decoding with the KV cache equals recomputation without it`, async () => {
  const path = join(tempDir(), 'model.onnx');
  writeLlamaOnnx(path, SHAPE, 7, false, format);
  const s = await session(path);
  const prompt = [5, 17, 99, 3, 250, 41];
  const steps = 12;

  // with cache: the prompt once, then one token per step
  const cached: number[] = [];
  const cachedLogits: Float32Array[] = [];
  const half = format === 'fp16' || format === 'q4f16';
  let feeds: Feeds = { ...emptyCache(SHAPE, 1, half), input_ids: i64(prompt, [1, prompt.length]), position_ids: i64(prompt.map((_, i) => i), [1, prompt.length]), attention_mask: i64(prompt.map(() => 1), [1, prompt.length]) };
  for (let k = 0; k < steps; k++) {
    const out = await s.run(feeds);
    const logits = lastLogits(out, SHAPE.vocab);
    cachedLogits.push(logits);
    const next = argmax(logits);
    cached.push(next);
    const total = prompt.length + k + 1;
    feeds = { input_ids: i64([next], [1, 1]), position_ids: i64([total - 1], [1, 1]), attention_mask: i64(Array(total).fill(1), [1, total]) };
    for (let l = 0; l < SHAPE.layers; l++) {
      feeds[`past_key_values.${l}.key`] = out[`present.${l}.key`] as ort.Tensor;
      feeds[`past_key_values.${l}.value`] = out[`present.${l}.value`] as ort.Tensor;
    }
  }

  // without cache: the whole sequence every step
  const seq = [...prompt];
  for (let k = 0; k < steps; k++) {
    const out = await s.run({ ...emptyCache(SHAPE, 1, half), input_ids: i64(seq, [1, seq.length]), position_ids: i64(seq.map((_, i) => i), [1, seq.length]), attention_mask: i64(seq.map(() => 1), [1, seq.length]) });
    const logits = lastLogits(out, SHAPE.vocab);
    const gap = maxRelativeLogitGap({ cached: [Array.from(cachedLogits[k] as Float32Array)], recomputed: [Array.from(logits)] });
    assert.ok(gap < CACHE_TOLERANCE[format], `step ${k}: logits differ by ${gap} of the largest`);
    seq.push(argmax(logits));
  }
  assert.deepEqual(seq.slice(prompt.length), cached);
  assert.equal(cached.length, steps);
  // not one token over and over, which would make the comparison above a weak one
  assert.ok(new Set(cached).size > 1, `generated ${cached.join(' ')}`);
});

test('left padding is masked: a padded row gives the same logits as the row alone', async () => {
  const path = join(tempDir(), 'model.onnx');
  writeLlamaOnnx(path, SHAPE, 3);
  const s = await session(path);
  const row = [11, 22, 33];
  const alone = await s.run({ ...emptyCache(SHAPE, 1), input_ids: i64(row, [1, 3]), position_ids: i64([0, 1, 2], [1, 3]), attention_mask: i64([1, 1, 1], [1, 3]) });
  const padded = await s.run({
    ...emptyCache(SHAPE, 2),
    input_ids: i64([1, 2, 3, 4, 5, 0, 0, ...row], [2, 5]),
    position_ids: i64([0, 1, 2, 3, 4, 0, 0, 0, 1, 2], [2, 5]),
    attention_mask: i64([1, 1, 1, 1, 1, 0, 0, 1, 1, 1], [2, 5]),
  });
  const a = lastLogits(alone, SHAPE.vocab);
  const b = lastLogits(padded, SHAPE.vocab);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-4);
});

test('same seed, same bytes; another seed, other weights; external data loads', async () => {
  const dir = tempDir();
  writeLlamaOnnx(join(dir, 'a.onnx'), SHAPE, 1);
  writeLlamaOnnx(join(dir, 'b.onnx'), SHAPE, 1);
  writeLlamaOnnx(join(dir, 'c.onnx'), SHAPE, 2);
  assert.ok(readFileSync(join(dir, 'a.onnx')).equals(readFileSync(join(dir, 'b.onnx'))));
  assert.ok(!readFileSync(join(dir, 'a.onnx')).equals(readFileSync(join(dir, 'c.onnx'))));

  const { externalData } = writeLlamaOnnx(join(dir, 'ext.onnx'), SHAPE, 1, true);
  assert.ok(externalData);
  assert.ok(readFileSync(join(dir, 'ext.onnx')).length < 20_000);
  const feeds = { ...emptyCache(SHAPE, 1), input_ids: i64([1, 2], [1, 2]), position_ids: i64([0, 1], [1, 2]), attention_mask: i64([1, 1], [1, 2]) };
  const inline = await (await session(join(dir, 'a.onnx'))).run(feeds);
  const external = await (await session(join(dir, 'ext.onnx'))).run(feeds);
  assert.deepEqual(Array.from(lastLogits(external, SHAPE.vocab)), Array.from(lastLogits(inline, SHAPE.vocab)));
});
