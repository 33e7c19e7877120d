import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheContradicts, cachedBeyondTemplate, httpRequestMetrics, iterationMetrics, itlGapsMs, meetsSlo, metricsFromMs, perSecond, promptMismatch, ratePerS, spreadTokenStamps } from '../../src/results/metrics.js';
import { noiseOf } from '../../src/results/metric-sink.js';
import { summarizeIterations } from '../../src/results/summary.js';
import { detectableChange } from '../../src/results/statistics.js';
import type { IterationRecord } from '../../src/results/schema.js';

const ms = (x: number): bigint => BigInt(Math.round(x * 1e6));
const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('one iteration: e2e, TTFT, ITL, throughput by hand', () => {
  const t0 = 1_000_000_000n;
  const stamps = [10, 12, 15, 19].map((x) => t0 + ms(x));
  const m = iterationMetrics(t0, t0 + ms(20), stamps, 2);
  close(m.e2e_ms, 20);
  close(m.ttft_ms, 10);
  close(m.itl_ms, 3); // (19 - 10) / (4 - 1)
  assert.deepEqual(m.token_ms, [10, 12, 15, 19]);
  close(m.tokens_per_s, 400); // 2 * 4 / 0.020 s
  close(m.decode_tokens_per_s, 2 * 3 / 0.009, 1e-6);
  assert.deepEqual(itlGapsMs(m.token_ms), [2, 3, 4]);
});

test('ITL needs two stamps; end() is never a stamp', () => {
  assert.throws(() => metricsFromMs(5, [1], 1), { name: 'RangeError', message: 'ITL needs at least 2 token stamps, got 1' });
});

test('summary pools ITL gaps over iterations', () => {
  const record = (index: number, tokenMs: number[], e2e: number): IterationRecord => ({
    index,
    t0_ns: '0',
    ...metricsFromMs(e2e, tokenMs, 1),
    new_tokens: [tokenMs.length],
    output_sample: '',
    monitor: { status: 'disabled', reason: null, samples: [] },
  });
  const s = summarizeIterations([record(0, [5, 6, 8], 9), record(1, [4, 7, 8], 10)]);
  assert.equal(s.itl_gap_ms?.n, 4);
  assert.deepEqual([s.itl_gap_ms?.min, s.itl_gap_ms?.max], [1, 3]);
  // gaps 1, 2 | 3, 1: mean 7/4, median 1.5; no intervals (gaps of one iteration are not independent)
  assert.deepEqual([s.itl_gap_ms?.mean, s.itl_gap_ms?.p50, s.itl_gap_ms?.ci95_mean, s.itl_gap_ms?.ci95_median], [1.75, 1.5, null, null]);
  assert.ok(s.itl_ms?.ci95_mean, 'per-iteration metrics keep theirs');
  assert.equal(s.itl_ms?.mean, 1.75); // (1.5 + 2) / 2
  assert.equal(s.ttft_ms?.p50, 4.5);
  close(s.tokens_per_s?.mean ?? NaN, (3 / 0.009 + 3 / 0.01) / 2, 1e-9);
});

test('HTTP: a read with k tokens gives k stamps spread over the gap since the previous token read', () => {
  // reads at 10 (1 token), 14 (0: role or usage only), 20 (2 tokens), 26 (3 tokens)
  assert.deepEqual(spreadTokenStamps([10, 14, 20, 26], [1, 0, 2, 3]), [10, 15, 20, 22, 24, 26]);
  // the first token read's tokens all get its own stamp: TTFT is when a token first arrived
  assert.deepEqual(spreadTokenStamps([7, 9], [3, 1]), [7, 7, 7, 9]);
  assert.deepEqual(spreadTokenStamps([1, 2], [0, 0]), []);
});

test('HTTP: TTFB, TTFT, TTFO, ITL and e2e of one request by hand', () => {
  const t0 = 5_000_000_000n;
  const at = (x: number): bigint => t0 + ms(x);
  // head at 2 ms; reads: 8 (role only), 12 (1 reasoning token), 18 (2 content tokens), 24 (1 token); end at 25
  const m = httpRequestMetrics(t0, at(2), [at(8), at(12), at(18), at(24)], [0, 1, 2, 1], 2, at(25));
  close(m.ttfb_ms as number, 2);
  close(m.ttft_ms as number, 12);
  close(m.ttfo_ms as number, 18);
  assert.deepEqual(m.token_ms, [12, 15, 18, 24]);
  close(m.last_token_ms as number, 24);
  close(m.itl_ms as number, 4); // (24 - 12) / 3
  close(m.e2e_ms, 25);
  const none = httpRequestMetrics(t0, null, [], [], null, at(3));
  assert.deepEqual(none, { ttfb_ms: null, ttft_ms: null, ttfo_ms: null, last_token_ms: null, e2e_ms: none.e2e_ms, itl_ms: null, token_ms: [] });
  close(none.e2e_ms, 3);
  // two tokens are enough for an ITL; one is not
  close(httpRequestMetrics(t0, at(1), [at(4), at(10)], [1, 1], 0, at(11)).itl_ms as number, 6);
  assert.equal(httpRequestMetrics(t0, at(1), [at(4)], [1], 0, at(11)).itl_ms, null);
});

test('load: rate over send times, goodput test per request', () => {
  close(ratePerS([0, 10, 20, 30]) as number, 100); // 3 gaps over 30 ms
  close(ratePerS([0, 10]) as number, 100);
  // send times in any order, not from 0: 2 gaps over the 20 ms from 10 to 30
  close(ratePerS([30, 10, 20]) as number, 100);
  assert.equal(ratePerS([5]), null);
  assert.equal(ratePerS([5, 5]), null, 'no time passed: no rate');
  close(perSecond(50, 2000), 25);
  assert.equal(perSecond(50, 0), 0);
  const slo = { ttft_ms: 100, tpot_ms: 10, e2e_ms: null };
  assert.equal(meetsSlo({ ok: true, ttft_ms: 100, itl_ms: 10, e2e_ms: 9e9 }, slo), true);
  assert.equal(meetsSlo({ ok: true, ttft_ms: 100.1, itl_ms: 5, e2e_ms: 1 }, slo), false);
  assert.equal(meetsSlo({ ok: true, ttft_ms: 1, itl_ms: 10.5, e2e_ms: 1 }, slo), false);
  assert.equal(meetsSlo({ ok: false, ttft_ms: 1, itl_ms: 1, e2e_ms: 1 }, slo), false);
  // no TTFT cannot meet a TTFT limit; one token (no ITL) meets any TPOT limit; a missing limit always passes
  assert.equal(meetsSlo({ ok: true, ttft_ms: null, itl_ms: 1, e2e_ms: 1 }, slo), false);
  assert.equal(meetsSlo({ ok: true, ttft_ms: 1, itl_ms: null, e2e_ms: 1 }, slo), true);
  assert.equal(meetsSlo({ ok: true, ttft_ms: 1, itl_ms: 500, e2e_ms: 1 }, { ttft_ms: 100, tpot_ms: null, e2e_ms: null }), true);
  assert.equal(meetsSlo({ ok: true, ttft_ms: 1, itl_ms: 1, e2e_ms: 50 }, { ttft_ms: null, tpot_ms: null, e2e_ms: 40 }), false);
});

test('server checks: a prompt counted otherwise than asked, cache hits beyond the template, a cache report that contradicts the reuse asked for', () => {
  assert.equal(promptMismatch({ input_tokens: 100, prompt_tokens: 100 }), false);
  assert.equal(promptMismatch({ input_tokens: 100, prompt_tokens: 101 }), true);
  // a chat template that adds 7 tokens to every prompt is not a mismatch
  assert.equal(promptMismatch({ input_tokens: 100, prompt_tokens: 107, prompt_overhead_tokens: 7 }), false);
  assert.equal(promptMismatch({ input_tokens: 100, prompt_tokens: 100, prompt_overhead_tokens: 7 }), true);
  assert.equal(promptMismatch({ input_tokens: null, prompt_tokens: 3 }), false);
  assert.equal(promptMismatch({ input_tokens: 3, prompt_tokens: null }), false);

  assert.equal(cachedBeyondTemplate({ input_tokens: 100, cached_tokens: 40, prompt_overhead_tokens: 7 }), 33);
  assert.equal(cachedBeyondTemplate({ input_tokens: 100, cached_tokens: 5, prompt_overhead_tokens: 7 }), 0);
  assert.equal(cachedBeyondTemplate({ input_tokens: 100, cached_tokens: 5 }), 5);
  assert.equal(cachedBeyondTemplate({ input_tokens: 100 }), 0);

  const unique = { mode: 'unique' };
  const repeat = { mode: 'repeat' };
  // unique prompts: more than 1% of the prompt from the cache contradicts; exactly 1% does not
  assert.equal(cacheContradicts({ input_tokens: 200, cached_tokens: 9, prompt_overhead_tokens: 7 }, unique), false);
  assert.equal(cacheContradicts({ input_tokens: 200, cached_tokens: 10, prompt_overhead_tokens: 7 }, unique), true);
  // repeated prompts: nothing from the cache (beyond the template) contradicts
  assert.equal(cacheContradicts({ input_tokens: 200, cached_tokens: 7, prompt_overhead_tokens: 7 }, repeat), true);
  assert.equal(cacheContradicts({ input_tokens: 200, cached_tokens: 8, prompt_overhead_tokens: 7 }, repeat), false);
  // a server that does not report its cache, or no prompt length: nothing to contradict
  for (const r of [{ input_tokens: 200, cached_tokens: null }, { input_tokens: 200 }, { input_tokens: null, cached_tokens: 0 }]) {
    assert.equal(cacheContradicts(r, repeat), false, JSON.stringify(r));
    assert.equal(cacheContradicts(r, unique), false, JSON.stringify(r));
  }
});

test('a rate over no time is left out of the summary, not turned into null', () => {
  const all = [metricsFromMs(10, [2, 5, 8], 1), { ...metricsFromMs(10, [2, 5, 8], 1), decode_tokens_per_s: Infinity }];
  const summary = summarizeIterations(all);
  assert.equal(summary.decode_tokens_per_s?.n, 1);
  assert.equal(summary.e2e_ms?.n, 2);
});

test('noise: the spread of one iteration and the change a like run could detect, by hand', () => {
  // 1, 2, 4: mean 7/3, sample std sqrt(7/3) -> cv 0.6546537; logs 0, ln 2, 2 ln 2 -> sigma ln 2
  const n = noiseOf([1, 2, 4]);
  close(n?.cv ?? NaN, Math.sqrt(7 / 3) / (7 / 3), 1e-12);
  close(n?.log_sigma ?? NaN, Math.LN2, 1e-12);
  // 3 iterations: no change between two such runs could be significant
  assert.equal(n?.detectable_change, null);
  // 1, 2, 4, 8: cv 0.8255189 (numpy), logs 0..3 ln 2 -> sigma ln 2 sqrt(5/3); exp(...) - 1 = 12.169 (scipy)
  const four = noiseOf([1, 2, 4, 8]);
  close(four?.cv ?? NaN, 0.8255189164891872, 1e-12);
  close(four?.detectable_change ?? NaN, 12.1694845347739, 1e-9);
  close(four?.detectable_change ?? NaN, detectableChange(Math.LN2 * Math.sqrt(5 / 3), 4, 4), 1e-15);
  // zeros, NaN and infinities are not spread; below 2 values there is none
  assert.deepEqual(noiseOf([0, 1, Number.NaN, 2, 4, Number.POSITIVE_INFINITY]), n);
  assert.equal(noiseOf([5, 0]), null);
  assert.deepEqual(noiseOf([3, 3, 3, 3]), { cv: 0, log_sigma: 0, detectable_change: 0 });
  assert.deepEqual(noiseOf([3, 3]), { cv: 0, log_sigma: 0, detectable_change: null });
  const s = summarizeIterations([1, 2, 4].map((k) => metricsFromMs(10 * k, [k, 2 * k], 1)));
  close(s.noise?.e2e_ms?.log_sigma ?? NaN, Math.LN2, 1e-12);
  // every metric's own noise: TTFT and ITL k ms (sigma ln 2), the rates 1 / k (the same sigma of the logs)
  for (const key of ['ttft_ms', 'itl_ms', 'tokens_per_s', 'decode_tokens_per_s'] as const) close(s.noise?.[key]?.log_sigma ?? NaN, Math.LN2, 1e-12);
  const steady = summarizeIterations([1, 1, 1].map(() => metricsFromMs(10, [1, 2], 1)));
  close(steady.noise?.ttft_ms?.cv ?? NaN, 0, 1e-12);
  close(s.noise?.tokens_per_s?.log_sigma ?? NaN, Math.LN2, 1e-12);
  assert.deepEqual(Object.keys(s.noise ?? {}), ['e2e_ms', 'ttft_ms', 'itl_ms', 'tokens_per_s', 'decode_tokens_per_s']);
});
