/** The load run's summary on hand-made requests: every count, rate and statistic worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLoadSummary } from '../../src/report/console.js';
import { LoadTally, requestMeasure, summarizeLoad, summarizeRequests } from '../../src/results/load-summary.js';
import type { LoadRequestRecord, RunResult } from '../../src/results/schema.js';
import { loadRequest as request, loadSettings } from '../support/load-records.js';

const settings = loadSettings;

const client = { cpuMs: 3, lag: { p50: 0.1, p99: 0.5, max: 1 }, warning: null };

/**
 * Five requests due every 20 ms, plus one never sent:
 *   0: sent at 100 (on time), ok, 4 tokens, ends at 110
 *   1: sent at 127 (7 ms late), ok, 3 of 4 tokens (short), ends at 137
 *   2: sent at 140, failed (http 500) after 5 ms
 *   3: sent at 160, ok, prompt counted as 17 of 16, ends at 190 (the last end)
 *   4: sent at 181 (1 ms late), ok, ends at 189
 *   5: never sent (the client stopped): dispatch_delay null, failure 'not_sent'
 */
const REQUESTS: LoadRequestRecord[] = [
  request({ index: 0, t0_ms: 100, scheduled_ms: 100, e2e_ms: 10, ttfb_ms: 1, ttft_from_schedule_ms: 2, e2e_from_schedule_ms: 10 }),
  request({ index: 1, t0_ms: 127, scheduled_ms: 120, dispatch_delay_ms: 7, e2e_ms: 10, output_tokens: 3, token_ms: [2, 4, 6], ttfb_ms: 3, ttft_from_schedule_ms: 9, e2e_from_schedule_ms: 17 }),
  request({ index: 2, t0_ms: 140, scheduled_ms: 140, ok: false, status: 500, failure: { kind: 'http_status', message: '500' }, e2e_ms: 5, output_tokens: 0, token_ms: [], ttft_ms: null, ttfo_ms: null, ttft_from_schedule_ms: null, e2e_from_schedule_ms: 5 }),
  request({ index: 3, t0_ms: 160, scheduled_ms: 160, e2e_ms: 30, prompt_tokens: 17, ttfb_ms: 5, ttft_from_schedule_ms: 4, e2e_from_schedule_ms: 30 }),
  request({ index: 4, t0_ms: 181, scheduled_ms: 180, dispatch_delay_ms: 1, e2e_ms: 8, ttfb_ms: 2, ttft_from_schedule_ms: 3, e2e_from_schedule_ms: 9 }),
  request({ index: 5, t0_ms: 200, scheduled_ms: 200, ok: false, status: null, failure: { kind: 'not_sent', message: 'stopped' }, dispatch_delay_ms: null, e2e_ms: null, output_tokens: 0, token_ms: [], ttfb_ms: null, ttft_ms: null, ttfo_ms: null, ttft_from_schedule_ms: null, e2e_from_schedule_ms: null }),
];

test('a load run by hand: window, rates, throughput, the one account of scheduled, sent, failed and dropped', () => {
  const schedule = [100, 120, 140, 160, 180, 200, 220];
  const s = summarizeLoad(REQUESTS, settings(), schedule, client);
  // first send 100 to last end 190
  assert.equal(s.window_s, 0.09);
  assert.equal(s.target_rate, 50);
  assert.equal(s.schedule_rate, 50); // 6 gaps over 120 ms
  assert.equal(s.achieved_rate, (4 * 1000) / 81); // sends 100, 127, 140, 160, 181
  assert.equal(s.request_throughput, (4 * 1000) / 90);
  assert.equal(s.output_throughput, ((4 + 3 + 4 + 4) * 1000) / 90);
  assert.deepEqual(s.counts, { scheduled: 7, sent: 5, ok: 4, failed: 1, interrupted: 0, dropped: 2, late: 1, short_outputs: 1, prompt_mismatches: 1 });
  assert.deepEqual(s.failures, { http_status: 1 });
  // a sent request cut by the run's interrupt is neither ok nor failed: sent = ok + failed + interrupted
  const cut = summarizeLoad([...REQUESTS, request({ index: 9, t0_ms: 150, ok: false, failure: { kind: 'interrupted', message: 'cut by the interrupt' } })], settings(), schedule, client);
  assert.deepEqual([cut.counts.sent, cut.counts.ok, cut.counts.failed, cut.counts.interrupted], [6, 4, 1, 1]);
  assert.deepEqual(cut.failures, { http_status: 1 });
  assert.deepEqual(s.not_sent, { not_sent: 1, not_attempted: 1 });
  assert.equal(s.goodput, null, 'no SLO, no goodput');
  // statistics over the successful requests (dispatch delay: over all that were sent)
  assert.deepEqual([s.stats.ttfb_ms?.n, s.stats.ttfb_ms?.min, s.stats.ttfb_ms?.max, s.stats.ttfb_ms?.mean], [4, 1, 5, 2.75]);
  assert.deepEqual([s.stats.dispatch_delay_ms?.n, s.stats.dispatch_delay_ms?.max, s.stats.dispatch_delay_ms?.mean], [5, 7, 1.6]);
  assert.deepEqual([s.stats.ttft_from_schedule_ms?.n, s.stats.ttft_from_schedule_ms?.max], [4, 9]);
  assert.deepEqual([s.stats.e2e_from_schedule_ms?.n, s.stats.e2e_from_schedule_ms?.p50], [4, 13.5]);
  assert.equal(s.stats.ttfo_ms?.n, 4);
  // a request that succeeded with reasoning only has no TTFO: left out of that statistic alone
  const reasoningOnly = summarizeLoad([request({}), request({ index: 1, ttfo_ms: null })], settings(), null, client);
  assert.deepEqual([reasoningOnly.stats.ttfo_ms?.n, reasoningOnly.stats.ttft_from_schedule_ms?.n], [1, 2]);
  // client cost: 3 ms of CPU over the 15 tokens of every request
  assert.deepEqual(s.client, { cpu_ms: 3, cpu_us_per_token: 200, event_loop_lag_ms: client.lag, warning: null });
});

test('late is strictly past late_ms; closed loops count what they scheduled; the goodput keeps failures in its denominator', () => {
  // exactly late_ms late is not late
  assert.equal(summarizeLoad([request({ dispatch_delay_ms: 5 })], settings(), null, client).counts.late, 0);
  assert.equal(summarizeLoad([request({ dispatch_delay_ms: 5.01 })], settings(), null, client).counts.late, 1);
  // a closed loop bounded by 8 requests that got 6 done scheduled 8; bounded by a duration, only what it started
  const closed = settings({ mode: 'closed', concurrency: 2, request_rate: null, requests: 8 });
  const s = summarizeLoad(REQUESTS, closed, null, client);
  assert.equal(s.target_rate, null);
  assert.equal(s.schedule_rate, null);
  assert.deepEqual([s.counts.scheduled, s.counts.dropped, s.not_sent?.not_attempted], [8, 3, 2]);
  assert.equal(summarizeLoad(REQUESTS, { ...closed, requests: null, duration_s: 5 }, null, client).counts.scheduled, 6);
  assert.equal(summarizeLoad(REQUESTS, { ...closed, requests: 3 }, null, client).counts.scheduled, 6, 'never fewer than were made');
  // one limit is enough for a goodput; 3 of 6 requests meet TTFT <= 2 and e2e <= 10: the failed and the unsent count against it
  for (const slo of [{ ttft_ms: 2, tpot_ms: null, e2e_ms: 10 }, { ttft_ms: null, tpot_ms: 1.9, e2e_ms: null }, { ttft_ms: null, tpot_ms: null, e2e_ms: 10 }]) {
    const g = summarizeLoad(REQUESTS, settings({ slo }), null, client).goodput;
    assert.ok(g, JSON.stringify(slo));
    assert.deepEqual(g.slo, slo);
  }
  const g = summarizeLoad(REQUESTS, settings({ slo: { ttft_ms: 2, tpot_ms: null, e2e_ms: 10 } }), null, client).goodput;
  assert.deepEqual(g, { slo: { ttft_ms: 2, tpot_ms: null, e2e_ms: 10 }, good: 3, fraction: 0.5, rate: (3 * 1000) / 90 });
  // nothing at all: no window, no rates, no division by zero
  const empty = summarizeLoad([], settings({ slo: { ttft_ms: 1, tpot_ms: null, e2e_ms: null } }), null, client);
  assert.deepEqual([empty.window_s, empty.achieved_rate, empty.request_throughput, empty.goodput?.fraction, empty.client.cpu_us_per_token], [0, null, 0, 0, null]);
});

test('what a load run is compared and summarised on: requests that succeeded with 2 or more tokens and an end', () => {
  const measured = [
    request({ e2e_ms: 10, token_ms: [2, 4, 6, 8] }),
    request({ ok: false, e2e_ms: 5 }),
    request({ token_ms: [3] }),
    request({ token_ms: [1, 3] }),
    request({ e2e_ms: null }),
  ].flatMap((r) => requestMeasure(r) ?? []);
  assert.deepEqual(
    measured.map((m) => [m.e2e_ms, m.ttft_ms, m.itl_ms, m.tokens_per_s]),
    [
      [10, 2, 2, 400],
      [10, 1, 2, 200],
    ],
  );
  const summary = summarizeRequests([request({}), request({ e2e_ms: 20, token_ms: [4, 8, 12, 16] })]);
  assert.deepEqual([summary?.e2e_ms?.n, summary?.e2e_ms?.mean, summary?.ttft_ms?.max, summary?.itl_ms?.min], [2, 15, 4, 2]);
  assert.equal(summarizeRequests([request({ ok: false })]), null);
});

test('a load run summarised one request at a time past the exact limit: the same counts and rates, percentiles from sketches within their stated error, said in the console', () => {
  const many = Array.from({ length: 400 }, (_, i) =>
    request({ index: i, t0_ms: i * 5, e2e_ms: 10 + (i % 37), dispatch_delay_ms: 0.01 * (1 + (i % 101)), ttft_ms: 1 + (i % 13), token_ms: [1 + (i % 13), 3 + (i % 13), 6 + (i % 13), 8 + (i % 13)], ok: i % 50 !== 7 }),
  );
  const exact = summarizeLoad(many, settings(), null, client);
  const tally = new LoadTally(settings(), { reuse: { mode: 'unique' }, model: 'm' }, 100);
  for (const r of many) tally.add(r);
  const sketched = tally.load(null, client);
  assert.deepEqual([sketched.counts, sketched.achieved_rate, sketched.window_s, sketched.goodput], [exact.counts, exact.achieved_rate, exact.window_s, exact.goodput]);
  const d = sketched.stats.dispatch_delay_ms;
  const e = exact.stats.dispatch_delay_ms;
  assert.ok(d && e);
  assert.equal(d.relative_error, 0.005);
  assert.equal(e.relative_error, undefined);
  assert.deepEqual([d.n, d.min, d.max], [e.n, e.min, e.max]);
  for (const k of ['p50', 'p90', 'p95', 'p99'] as const) assert.ok(Math.abs(d[k] - e[k]) <= 0.005 * e[k] + 1e-12, `${k}: ${d[k]} against ${e[k]}`);
  const summary = tally.summary();
  assert.equal(summary?.e2e_ms?.relative_error, 0.005);
  assert.equal(summary?.e2e_ms?.n, summarizeRequests(many)?.e2e_ms?.n);
  const run = { benchmarks: [{ config: { name: 'v' }, status: 'ok', error: null, summary, load: sketched, server_check: null }] } as unknown as RunResult;
  assert.match(formatLoadSummary(run), /v: percentiles of e2e_ms, ttft_ms, itl_ms, itl_gap_ms, tokens_per_s, decode_tokens_per_s, ttfb_ms, ttfo_ms, dispatch_delay_ms, ttft_from_schedule_ms, e2e_from_schedule_ms are from a quantile sketch \(too many values to keep\): each within 0\.5% of the exact value/);
});

test('a load value: tokens in and out and total throughput tallied; the console and the HTML report show the same totals and latencies', async () => {
  const { loadLatencies, loadTotals } = await import('../../src/report/load-figures.js');
  const { loadTablesHtml } = await import('../../src/report/load-html.js');
  const rs = [request({ index: 0, t0_ms: 0, e2e_ms: 100 }), request({ index: 1, t0_ms: 50, e2e_ms: 150 }), request({ index: 2, t0_ms: 60, ok: false })];
  const tally = new LoadTally(settings(), { reuse: { mode: 'unique' }, model: 'm' });
  for (const r of rs) tally.add(r);
  const load = tally.load(null, client);
  // two successful requests; the window is 0 to 200 ms
  assert.deepEqual(load.tokens, { input: 2 * ((rs[0]?.prompt_tokens ?? rs[0]?.input_tokens) as number), output: 2 * (rs[0]?.output_tokens as number) });
  assert.equal(load.total_throughput, ((load.tokens?.input as number) + (load.tokens?.output as number)) / 0.2);
  const run = { benchmarks: [{ config: { name: 'v', load: { ...settings(), mode: 'closed', concurrency: 2 } }, status: 'ok', error: null, summary: tally.summary(), load, server_check: null }] } as unknown as RunResult;
  const console = formatLoadSummary(run, [50, 99]);
  const html = loadTablesHtml(run, [50, 99]);
  for (const row of [...loadTotals(run).rows, ...loadLatencies(run, [50, 99]).rows]) {
    for (const cell of row) {
      assert.ok(console.includes(cell), `console has ${cell}`);
      assert.ok(html.includes(`<td>${cell}</td>`), `HTML has ${cell}`);
    }
  }
  assert.deepEqual(loadLatencies(run, [50, 99]).header, ['value', 'metric (ms)', 'n', 'mean', 'sd', 'p50', 'p99']);
  // a value with no successful request reads "no data", never NaN
  const empty = { benchmarks: [{ config: { name: 'e', load: { ...settings(), mode: 'closed', concurrency: 1 } }, status: 'failed', error: null, summary: null, load: undefined, server_check: null }] } as unknown as RunResult;
  assert.match(loadTablesHtml(empty, [50]), /<td>no data<\/td>/);
  assert.doesNotMatch(loadTablesHtml(empty, [50]) + formatLoadSummary(empty), /NaN|Infinity/);
});
