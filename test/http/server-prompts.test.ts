/** Prompt numbering and tokenizer shapes (pure parts of src/http/server-prompts.ts and server-dialect.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromptReuse } from '../../src/config/prompt-reuse.js';
import { cachedPromptTokens, serverTimings, TOKENIZER_SHAPES } from '../../src/http/server-dialect.js';
import { promptTokens } from '../../src/http/server-prompts.js';

const pool = Array.from({ length: 40 }, (_, i) => 100 + i);
const alphabet = [1, 2, 3];

test('unique prompts: the digits of k in base D, least significant first, then the body; exact length', () => {
  const unique = { mode: 'unique' } as const;
  // k = 0..2: one digit, all different first tokens
  assert.deepEqual([0, 1, 2].map((k) => promptTokens(pool, alphabet, unique, k, 6)[0]), [1, 2, 3]);
  // k = 5 = 2 + 1*3: digits [3, 2]; k = 11 = 2 + 0*3 + 1*9: digits [3, 1, 2]
  assert.deepEqual(promptTokens(pool, alphabet, unique, 5, 6).slice(0, 2), [3, 2]);
  assert.deepEqual(promptTokens(pool, alphabet, unique, 11, 6).slice(0, 3), [3, 1, 2]);
  for (const k of [0, 5, 11, 1000]) assert.equal(promptTokens(pool, alphabet, unique, k, 6).length, 6);
  // any two of many prompts differ within their first ceil(log_D(k)) tokens
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) seen.add(promptTokens(pool, alphabet, unique, k, 6).slice(0, 5).join(','));
  assert.equal(seen.size, 200);
});

test('repeat and prefix=N: the same prompt every time, or the same first N tokens and then unique', () => {
  assert.deepEqual(promptTokens(pool, alphabet, { mode: 'repeat' }, 7, 4), [100, 101, 102, 103]);
  assert.deepEqual(promptTokens(pool, alphabet, { mode: 'repeat' }, 8, 4), [100, 101, 102, 103]);
  const a = promptTokens(pool, alphabet, { mode: 'prefix', tokens: 3 }, 0, 8);
  const b = promptTokens(pool, alphabet, { mode: 'prefix', tokens: 3 }, 1, 8);
  assert.deepEqual(a.slice(0, 3), [100, 101, 102]);
  assert.deepEqual(b.slice(0, 3), [100, 101, 102]);
  assert.deepEqual([a[3], b[3]], [1, 2]);
  assert.deepEqual([parsePromptReuse('prefix=12'), parsePromptReuse('unique'), parsePromptReuse('prefix=0'), parsePromptReuse('cache')], [{ mode: 'prefix', tokens: 12 }, { mode: 'unique' }, null, null]);
});

test("tokenizer shapes: llama.cpp's empty answer to a vLLM body is no answer; TGI's list of objects", () => {
  const [vllm, llama, tgi] = TOKENIZER_SHAPES;
  assert.deepEqual(vllm?.tokens({ tokens: [], count: 0 }), [], 'an empty list is read, and the client takes it as no answer for a non-empty text');
  assert.deepEqual(vllm?.tokens({ tokens: [5, 6], count: 2, max_model_len: 10 }), [5, 6]);
  assert.deepEqual(llama?.tokenizeBody('m', 'hi'), { content: 'hi', add_special: false });
  assert.deepEqual(tgi?.tokens([{ id: 7, text: 'a', start: 0, stop: 1 }, { id: 9, text: 'b', start: 1, stop: 2 }]), [7, 9]);
  assert.equal(tgi?.tokens({ tokens: [1] }), null);
  assert.equal(llama?.text({ content: 'abc' }), 'abc');
});

test("server timings: llama.cpp's timings object; the server's ITL is predicted_ms over predicted_n - 1 steps", () => {
  const chunk = { timings: { cache_n: 3, prompt_n: 125, prompt_ms: 40.5, predicted_n: 5, predicted_ms: 10, predicted_per_token_ms: 2.5 } };
  assert.deepEqual(serverTimings(chunk), { prompt_ms: 40.5, prompt_n: 125, cache_n: 3, predicted_n: 5, predicted_ms: 10, itl_ms: 2.5 });
  assert.equal(serverTimings({ usage: {} }), null);
  assert.equal(cachedPromptTokens(chunk), 3);
  assert.equal(cachedPromptTokens({ usage: { prompt_tokens: 9, prompt_tokens_details: { cached_tokens: 4 } } }), 4);
  assert.equal(cachedPromptTokens({ usage: { prompt_tokens: 9 } }), null);
});
