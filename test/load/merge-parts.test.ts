/** Parts of one load value merged by hand: counts and tokens summed, the window the union, CPU summed, lag the worst, failures kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeLoadParts } from '../../src/load/merge-parts.js';
import { requestRecords } from '../../src/results/request-records.js';
import type { BenchmarkResult, LoadRequestRecord } from '../../src/results/schema.js';
import { loadRequest, loadSettings } from '../support/load-records.js';

const settings = loadSettings({ mode: 'closed', concurrency: 2, request_rate: null, arrival: 'poisson', slo: { ttft_ms: 5, tpot_ms: null, e2e_ms: null } });

/** A request of `tokens` tokens sent at t0 (ms from the part's start) and ended 10 ms later. */
function request(index: number, t0: number, tokens: number, fields: Partial<LoadRequestRecord> = {}): LoadRequestRecord {
  return loadRequest({ index, t0_ms: t0, output_tokens: tokens, reads: tokens, response_id: `r${index}`, max_tokens: tokens, scheduled_ms: t0, token_ms: [], ...fields });
}

function part(name: string, requests: LoadRequestRecord[], cpuMs: number, lagP99: number, status: BenchmarkResult['status'] = 'ok'): BenchmarkResult {
  return {
    config: { name, load: settings, model: 'm', engine: 'openai', engine_options: {} },
    status,
    error: status === 'ok' ? null : { kind: 'request_failed', message: `${name} failed` },
    request_count: requests.length,
    requests,
    load: { client: { cpu_ms: cpuMs, cpu_us_per_token: null, event_loop_lag_ms: { p50: lagP99 / 4, p99: lagP99, max: lagP99 * 2 }, warning: lagP99 > 2 ? `lag ${lagP99} ms` : null } },
  } as unknown as BenchmarkResult;
}

test('parts that differ in counts, tokens, CPU and lag merge to sums, the union of their windows and the worst lag', async () => {
  // part 0: two requests of 4 tokens at 0 and 20 ms; part 1: three, of 8 tokens at 5 and 30 ms, and one failed at 40 ms
  const a = part('a', [request(0, 0, 4), request(2, 20, 4, { ttft_ms: 6, ttfo_ms: 6, ttft_from_schedule_ms: 6 })], 100, 1);
  const failure = { kind: 'http_status' as const, message: 'HTTP 500' };
  const b = part('b', [request(1, 5, 8), request(3, 30, 8), request(4, 40, 0, { ok: false, status: 500, failure, ttft_ms: null, ttfo_ms: null, last_token_ms: null, itl_ms: null, e2e_ms: 1, ttft_from_schedule_ms: null, e2e_from_schedule_ms: 1 })], 40, 3, 'failed');
  const m = await mergeLoadParts([a, b]);
  const l = m.load;
  assert.ok(l);
  assert.equal(m.request_count, 5);
  assert.deepEqual(
    { sent: l.counts.sent, ok: l.counts.ok, failed: l.counts.failed, scheduled: l.counts.scheduled, dropped: l.counts.dropped },
    { sent: 5, ok: 4, failed: 1, scheduled: 5, dropped: 0 },
  );
  assert.deepEqual(l.failures, { http_status: 1 });
  assert.deepEqual(l.tokens, { input: 64, output: 24 });
  // window: first send 0 ms to last end 30 + 10 = 40 ms (the failed one ends at 41)
  assert.equal(l.window_s, 0.041);
  assert.ok(Math.abs((l.output_throughput as number) - 24 / 0.041) < 1e-9);
  // CPU of both processes, per token of both: (100 + 40) ms over 24 tokens
  assert.equal(l.client.cpu_ms, 140);
  assert.ok(Math.abs((l.client.cpu_us_per_token as number) - (140 * 1000) / 24) < 1e-9);
  assert.deepEqual(l.client.event_loop_lag_ms, { p50: 0.75, p99: 3, max: 6 });
  assert.equal(l.client.warning, 'lag 3 ms');
  // goodput: TTFT within 5 ms for 3 of 5 (one took 6 ms, one failed)
  assert.equal(l.goodput?.good, 3);
  assert.equal(l.goodput?.fraction, 0.6);
  // a failed part fails the merged value, with its error
  assert.equal(m.status, 'failed');
  assert.equal(m.error?.message, 'b failed');
  // the records are every part's, part after part
  const indices: number[] = [];
  for await (const r of requestRecords(m)) indices.push(r.index);
  assert.deepEqual(indices, [0, 2, 1, 3, 4]);
});

test('merging, the edges: no part is an error; a value that is not a load run is the first part as it is; an open loop counts what its schedule asked, records or not; a part without a client summary and parts without warnings', async () => {
  await assert.rejects(mergeLoadParts([]), RangeError);
  const plain = { config: { name: 'run', hash: 'h' }, status: 'ok', iterations: [] } as unknown as BenchmarkResult;
  assert.equal(await mergeLoadParts([plain]), plain);
  // an open loop of 6 requests at 50/s over two parts, one request never recorded (the run ended first)
  const open = { ...loadSettings({ requests: 6 }) };
  const a = { ...part('a', [request(0, 0, 4), request(2, 40, 4)], 10, 0.5), config: { name: 'a', hash: 'h1', load: open, model: 'm', engine: 'openai', engine_options: {} } } as unknown as BenchmarkResult;
  const b = { ...part('b', [request(1, 20, 4), request(3, 60, 4), request(4, 80, 4)], 20, 0.5), config: { name: 'b', hash: 'h1', load: open, model: 'm', engine: 'openai', engine_options: {} } } as unknown as BenchmarkResult;
  delete (b as { load?: unknown }).load;
  const m = await mergeLoadParts([a, b]);
  assert.deepEqual([m.load?.counts.scheduled, m.load?.counts.sent, m.load?.counts.dropped], [6, 5, 1]);
  assert.deepEqual(m.load?.not_sent, { not_attempted: 1 });
  assert.equal(m.load?.schedule_rate, 50);
  // only part a said what its client did
  assert.equal(m.load?.client.cpu_ms, 10);
  assert.equal(m.load?.client.warning, null);
  assert.equal(m.load?.client.warmup_chunks, undefined, 'no part said how its client was warmed');
});

test('merging the warm-ups: each part warmed its own process, the least warmed is said; a part from before warm-ups leaves it unsaid', async () => {
  const warmed = (name: string, chunks: number | undefined): BenchmarkResult => {
    const p = part(name, [request(name === 'a' ? 0 : 1, 0, 4)], 10, 0.5);
    if (chunks !== undefined) (p.load as { client: { warmup_chunks?: number } }).client.warmup_chunks = chunks;
    return p;
  };
  assert.equal((await mergeLoadParts([warmed('a', 3072), warmed('b', 3072)])).load?.client.warmup_chunks, 3072);
  assert.equal((await mergeLoadParts([warmed('a', 3072), warmed('b', 0)])).load?.client.warmup_chunks, 0);
  assert.equal((await mergeLoadParts([warmed('a', 3072), warmed('b', undefined)])).load?.client.warmup_chunks, undefined);
});
