import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { ensureSyntheticOnnx } from '../../src/synth/cache.js';
import { DEFAULT_TEXT } from '../../src/synth/default-text.js';
import { PRESETS, parameterCount, resolveShape } from '../../src/synth/shape.js';
import { buildByteLevelBpe } from '../../src/synth/tokenizer.js';
import { InputError } from '../../src/util/errors.js';
import { TEST_CACHE_DIR } from '../helpers.js';

test('the vocabulary has exactly the size asked for', () => {
  for (const size of [300, 1024, 49152]) {
    const { tokenizerJson } = buildByteLevelBpe(size, 2048) as { tokenizerJson: { model: { vocab: Record<string, number>; merges: unknown[] } } };
    const ids = Object.values(tokenizerJson.model.vocab);
    assert.equal(ids.length, size);
    assert.equal(Math.max(...ids), size - 1);
    assert.equal(tokenizerJson.model.merges.length, size - 259);
  }
});

test('transformers.js loads the tokenizer offline; text round-trips', async () => {
  const { dir } = ensureSyntheticOnnx('synthetic:tiny', TEST_CACHE_DIR);
  env.allowRemoteModels = false;
  env.localModelPath = '';
  const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const text = `${DEFAULT_TEXT} Ünïcode ✓ 123`;
  const ids = tok.encode(text, { add_special_tokens: false });
  assert.equal(tok.decode(ids), text);
  // learned merges make word pieces: well under one token per byte
  const prose = tok.encode(DEFAULT_TEXT, { add_special_tokens: false });
  assert.ok(prose.length < DEFAULT_TEXT.length / 2, `${prose.length} tokens for ${DEFAULT_TEXT.length} chars`);
});

test('presets and custom shapes', () => {
  // SmolLM2-135M: 134.5M parameters with tied embeddings
  assert.equal(Math.round(parameterCount(PRESETS.small!) / 1e5) / 10, 134.5);
  assert.ok(Math.abs(parameterCount(PRESETS['1b']!) - 1.1e9) < 0.05e9);
  assert.equal(resolveShape('layers=3,hidden=128').hidden, 128);
  const bad = (spec: string, re: RegExp): void => assert.throws(() => resolveShape(spec), (e: unknown) => e instanceof InputError && re.test(e.message));
  bad('huge', /unknown synthetic preset 'huge': allowed are tiny, small, 1b/);
  bad('layers=2,hidden=100,heads=3', /hidden \(100\) must be a multiple of heads \(3\)/);
  bad('heads=4,kv-heads=3', /heads \(4\) must be a multiple of kv-heads \(3\)/);
  bad('depth=3', /unknown field 'depth'/);
  bad('layers=0', /layers must be a positive integer/);
});
