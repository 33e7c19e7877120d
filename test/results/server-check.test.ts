/** The server check against hand-computed values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpRequestRecord } from '../../src/results/schema.js';
import { summarizeServerCheck } from '../../src/results/server-check.js';

function request(over: Partial<HttpRequestRecord>): HttpRequestRecord {
  return {
    t0_ms: 0, status: 200, ok: true, failure: null, ttfb_ms: 1, ttft_ms: 10, ttfo_ms: 10, last_token_ms: 20, e2e_ms: 21, itl_ms: 2,
    output_tokens: 6, input_tokens: 100, prompt_tokens: 110, token_source: 'logprobs', reads: 6, response_id: 'x',
    prompt_overhead_tokens: 10, cached_tokens: 0, retries: 0, served_model: 'm', server_timings: null, ...over,
  };
}

test('client minus server, cache beyond the template, mismatches and retries, by hand', () => {
  const timings = (prompt_ms: number, itl_ms: number) => ({ prompt_ms, prompt_n: 100, cache_n: 0, predicted_n: 6, predicted_ms: itl_ms * 5, itl_ms });
  const requests = [
    request({ ttft_ms: 10, itl_ms: 2, server_timings: timings(7, 2), cached_tokens: 10 }), // template only: no contradiction
    request({ ttft_ms: 12, itl_ms: 2.2, server_timings: timings(8, 2), cached_tokens: 12, retries: 1 }), // 2 beyond: 2% of 100
    request({ ttft_ms: 9, itl_ms: 1.8, server_timings: timings(8, 2), prompt_tokens: 111, served_model: 'other' }), // counted 1 more
    request({ ok: false, failure: { kind: 'truncated', message: '' }, retries: 1 }),
  ];
  const c = summarizeServerCheck(requests, { mode: 'unique' }, 'm');
  assert.ok(c);
  assert.equal(c.requests, 4);
  assert.equal(c.retries, 2);
  assert.equal(c.prompt_mismatches, 1);
  assert.equal(c.cache_reported, 3);
  assert.equal(c.cache_contradictions, 1);
  // asked 300 prompt tokens; 2 served from cache beyond the template
  assert.equal(c.processed_prompt_fraction, 1 - 2 / 300);
  assert.deepEqual(c.served_models, ['m', 'other']);
  assert.equal(c.model_mismatches, 1);
  assert.equal(c.timed_requests, 3);
  // TTFT gaps 3, 4, 1; ITL gaps 0, 0.2, -0.2; ratios 1, 1.1, 0.9
  assert.equal(c.ttft_client_minus_server_ms?.p50, 3);
  assert.equal(c.ttft_client_minus_server_ms?.mean, 8 / 3);
  assert.ok(Math.abs((c.itl_client_minus_server_ms?.mean as number) - 0) < 1e-12);
  assert.ok(Math.abs((c.itl_client_over_server?.p50 as number) - 1) < 1e-12);
  assert.ok(Math.abs((c.itl_client_over_server?.max as number) - 1.1) < 1e-12);
  // repeat: a request that reports nothing cached contradicts it
  const r = summarizeServerCheck(requests, { mode: 'repeat' }, 'm');
  assert.equal(r?.cache_contradictions, 2, 'cached 10 (the template only) and 0 beyond it');
  assert.equal(summarizeServerCheck([], { mode: 'unique' }, 'm'), null);
});

test('mismatched prompt counts: what was asked, the overhead, and up to 8 distinct counts in order; a request the server did not time adds no gap', () => {
  const counts = [111, 112, 111, 113, 114, 115, 116, 117, 118, 119, 120];
  const mismatched = counts.map((prompt_tokens) => request({ prompt_tokens }));
  const c = summarizeServerCheck([request({}), ...mismatched, request({ prompt_tokens: null, input_tokens: 100 })], { mode: 'prefix', tokens: 16 }, 'm');
  assert.equal(c?.prompt_mismatches, counts.length);
  assert.deepEqual(c?.prompt_mismatch_counts, { asked: 100, overhead: 10, counted: [111, 112, 113, 114, 115, 116, 117, 118] });
  assert.equal(c?.prompt_reuse, 'prefix=16');
  assert.equal(c?.timed_requests, 0);
  assert.equal(c?.ttft_client_minus_server_ms, null);
  // a server ITL of 0 or none, or a client ITL of none: no ITL gap or ratio; the TTFT gap still counts where both are known
  const t = (itl_ms: number | null) => ({ prompt_ms: 5, prompt_n: 100, cache_n: 0, predicted_n: 1, predicted_ms: 0, itl_ms });
  const d = summarizeServerCheck([request({ server_timings: t(0) }), request({ server_timings: t(null) }), request({ itl_ms: null, server_timings: t(2) }), request({ ttft_ms: null, server_timings: t(2) })], { mode: 'unique' }, 'm');
  assert.equal(d?.timed_requests, 4);
  assert.equal(d?.itl_client_minus_server_ms?.n, 1, 'only the request with both ITLs');
  assert.equal(d?.itl_client_minus_server_ms?.p50, 0);
  assert.equal(d?.itl_client_over_server?.n, 1);
  assert.equal(d?.ttft_client_minus_server_ms?.n, 3);
  assert.equal(d?.ttft_client_minus_server_ms?.p50, 5);
  // failed requests count, and their retries, but nothing else of them
  const e = summarizeServerCheck([request({ ok: false, failure: { kind: 'http_status', message: '' }, prompt_tokens: 999, served_model: 'x', server_timings: t(2), retries: 2 })], { mode: 'unique' }, 'm');
  assert.deepEqual(e && [e.requests, e.retries, e.prompt_mismatches, e.cache_reported, e.served_models.length, e.timed_requests], [1, 2, 0, 0, 0, 0]);
  // no cache count, or no length asked: not a cache report
  const f = summarizeServerCheck([request({ cached_tokens: null }), request({ cached_tokens: undefined }), request({ input_tokens: null, prompt_tokens: null })], { mode: 'unique' }, 'm');
  assert.equal(f?.cache_reported, 0);
  assert.equal(f?.processed_prompt_fraction, null);
});
