/** Load runs against the scripted server: sends on schedule, closed loops keep N in flight, summaries count honestly. */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, test } from 'node:test';
import { OpenAiClient } from '../../src/http/openai-client.js';
import { runLoad, settingsOfPart } from '../../src/load/load-runner.js';
import { summarizeLoad } from '../../src/results/load-summary.js';
import type { LoadRequestRecord, LoadSettings } from '../../src/results/schema.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

const settings = (over: Partial<LoadSettings>): LoadSettings => ({
  mode: 'closed',
  concurrency: 1,
  request_rate: null,
  arrival: 'constant',
  burstiness: 1,
  seed: 0,
  requests: 10,
  duration_s: null,
  warmup_requests: 2,
  max_concurrency: null,
  range_ratio: 0,
  dataset: null,
  slo: { ttft_ms: null, tpot_ms: null, e2e_ms: null },
  late_ms: 10,
  ...over,
});

const client = (model: string, connections: number | null, busyPoll = false): OpenAiClient =>
  new OpenAiClient({ url: server.url, model, api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, busyPoll }, connections);

const prompt = [{ prompt: { ids: [1, 2, 3, 4] }, inputTokens: 4, overhead: 0, outputTokens: 6 }];

/** The most requests in flight at once, from their send and end times. */
function peakInFlight(requests: { t0_ms: number; e2e_ms: number | null }[]): number {
  return Math.max(...requests.map((r) => requests.filter((o) => o.t0_ms <= r.t0_ms && r.t0_ms < o.t0_ms + (o.e2e_ms as number)).length));
}

test('open loop: every request is sent on its schedule, in order, never early, overlapping the ones before', async () => {
  // each request takes 20 + 5 * 10 = 70 ms or more, and one is due every 25 ms: an open loop keeps
  // about three in flight; a loop that waited for each reply (coordinated omission) never overlaps
  const c = client('ttft=20,itl=10', null);
  const s = settings({ mode: 'open', request_rate: 40, requests: 30, arrival: 'constant' });
  const run = await runLoad(c, prompt, s);
  await c.close();
  assert.equal(run.requests.length, 30);
  assert.deepEqual(run.schedule?.slice(0, 3), [0, 25, 50]);
  for (const r of run.requests) {
    assert.equal(r.ok, true);
    assert.ok((r.e2e_ms as number) >= 70, `request ${r.index} took ${r.e2e_ms} ms: the server's schedule is slower than that`);
    assert.equal(r.scheduled_ms, (run.schedule as number[])[r.index]);
    assert.ok((r.dispatch_delay_ms as number) >= 0, 'never sent before it was due');
    assert.ok(Math.abs((r.ttft_from_schedule_ms as number) - (r.dispatch_delay_ms as number) - (r.ttft_ms as number)) < 1e-9);
    assert.ok(Math.abs((r.e2e_from_schedule_ms as number) - (r.dispatch_delay_ms as number) - (r.e2e_ms as number)) < 1e-9);
  }
  for (let i = 1; i < run.requests.length; i++) {
    const [a, b] = [run.requests[i - 1], run.requests[i]] as [LoadRequestRecord, LoadRequestRecord];
    assert.ok(b.t0_ms >= a.t0_ms, `request ${i} sent before request ${i - 1}`);
  }
  // sent while earlier ones were still streaming: whatever the machine's load, a request due while
  // the one before runs (70 ms against 25 ms gaps) is not held back until it ends
  const overlapping = run.requests.filter((r, i) => i > 0 && r.t0_ms < (run.requests[i - 1] as LoadRequestRecord).t0_ms + ((run.requests[i - 1] as LoadRequestRecord).e2e_ms as number));
  assert.ok(overlapping.length >= run.requests.length / 2, `${overlapping.length} of ${run.requests.length} requests overlapped the one before`);
  assert.ok(peakInFlight(run.requests) >= 2);
  const summary = summarizeLoad(run.requests, s, run.schedule, { cpuMs: run.cpuMs, lag: run.lag, warning: null });
  assert.equal(summary.counts.sent, 30);
  assert.equal(summary.counts.dropped, 0);
  // never early, so never faster than the schedule: the last request leaves at 725 ms or later, and
  // only the first one's delay can shorten the span the rate is measured over
  const [first, last] = [run.requests[0], run.requests[29]] as [LoadRequestRecord, LoadRequestRecord];
  assert.ok(Math.abs((summary.achieved_rate as number) - 29_000 / (last.t0_ms - first.t0_ms)) < 1e-9);
  assert.ok((summary.achieved_rate as number) <= 29_000 / (725 - (first.dispatch_delay_ms as number)) * (1 + 1e-12), `achieved ${summary.achieved_rate}/s`);
  assert.equal(summary.schedule_rate, 40);
  assert.ok((summary.client.cpu_us_per_token as number) > 0);
});

test('open loop with busy polling: sent on schedule, never early, and the loop may sleep again after', async () => {
  const c = client('ttft=5,itl=2', null, true);
  const s = settings({ mode: 'open', request_rate: 40, requests: 20, arrival: 'constant' });
  const run = await runLoad(c, prompt, s);
  await c.close();
  assert.equal(run.requests.filter((r) => r.ok).length, 20);
  for (const r of run.requests) assert.ok((r.dispatch_delay_ms as number) >= 0, `request ${r.index} sent ${r.dispatch_delay_ms} ms after it was due`);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length, 0, 'busy polling released');
});

test('open loop with a connection limit: the wait to be sent is kept, not hidden', async () => {
  const c = client('ttft=30,itl=5', 1);
  const s = settings({ mode: 'open', request_rate: 100, requests: 5, max_concurrency: 1, warmup_requests: 0 });
  const run = await runLoad(c, prompt, s);
  await c.close();
  // each request takes ~55 ms but they are due every 10 ms: the 5th waits for the 4 before it
  const last = run.requests[4];
  assert.ok((last?.dispatch_delay_ms as number) > 150, `delay ${last?.dispatch_delay_ms}`);
  assert.ok((last?.e2e_from_schedule_ms as number) > (last?.e2e_ms as number) + 150);
  const summary = summarizeLoad(run.requests, s, run.schedule, { cpuMs: 0, lag: run.lag, warning: null });
  assert.ok(summary.counts.late >= 3);
});

test('closed loop: never more than N requests in flight, N at once while work remains, each sent when it was due', async () => {
  const c = client('ttft=10,itl=10', 3);
  const run = await runLoad(c, prompt, settings({ concurrency: 3, requests: 12 }));
  await c.close();
  assert.equal(run.requests.length, 12);
  assert.deepEqual(run.requests.map((r) => r.index), [...Array(12).keys()]);
  assert.equal(run.schedule, null);
  for (const r of run.requests) assert.ok((r.dispatch_delay_ms as number) >= 0, `request ${r.index} sent before it was due`);
  // 3 workers each send their next request only when their last one ended: requests 0-2 start
  // together, and at no moment are more than 3 streaming
  assert.equal(peakInFlight(run.requests), 3);
  const firstEnd = Math.min(...run.requests.slice(0, 3).map((r) => r.t0_ms + (r.e2e_ms as number)));
  for (const r of run.requests.slice(3)) assert.ok(r.t0_ms >= firstEnd, `request ${r.index} sent before any of the first 3 ended`);
});

test('summary: failures stay in the goodput denominator; short outputs and prompt mismatches are counted', async () => {
  const c = client('fail=cut,fail_at=2', 2);
  const s = settings({ concurrency: 2, requests: 4, warmup_requests: 0, slo: { ttft_ms: 1000, tpot_ms: null, e2e_ms: null } });
  const failed = await runLoad(c, prompt, s);
  await c.close();
  const ok = client('eos_at=4', 2);
  const short = await runLoad(ok, [{ ...prompt[0], inputTokens: 5 } as (typeof prompt)[0]], s);
  await ok.close();
  const all = [...failed.requests, ...short.requests.map((r) => ({ ...r, index: r.index + 4 }))];
  const summary = summarizeLoad(all, s, null, { cpuMs: 0, lag: failed.lag, warning: null });
  assert.deepEqual(summary.failures, { truncated: 4 });
  assert.equal(summary.counts.ok, 4);
  assert.equal(summary.counts.failed, 4);
  assert.equal(summary.goodput?.good, 4);
  assert.equal(summary.goodput?.fraction, 0.5);
  assert.equal(summary.counts.short_outputs, 4, 'asked 6 tokens, got 4');
  assert.equal(summary.counts.prompt_mismatches, 4, 'asked 5 prompt tokens, the server counted 4');
});

test('failure account: a closed loop bounded by a count schedules that count; one ended by its duration schedules what it started', async () => {
  const c = client('ttft=5,itl=10', 1);
  // each request takes ~55 ms: 0.3 s holds a handful, far fewer than 1000
  const byDuration = settings({ concurrency: 1, requests: 1000, duration_s: 0.3, warmup_requests: 0 });
  const run = await runLoad(c, prompt, byDuration);
  await c.close();
  const summary = summarizeLoad(run.requests, byDuration, null, { cpuMs: 0, lag: run.lag, warning: null });
  assert.ok(run.requests.length > 0 && run.requests.length < 20, `${run.requests.length} requests`);
  assert.deepEqual([summary.counts.scheduled, summary.counts.sent, summary.counts.dropped], [run.requests.length, run.requests.length, 0]);
  assert.equal(summary.not_sent?.not_attempted, undefined);
  // the same records against a count of 1000: the rest were never attempted
  const byCount = settings({ concurrency: 1, requests: 1000, warmup_requests: 0 });
  const counted = summarizeLoad(run.requests, byCount, null, { cpuMs: 0, lag: run.lag, warning: null });
  assert.deepEqual([counted.counts.scheduled, counted.counts.dropped, counted.not_sent?.not_attempted], [1000, 1000 - run.requests.length, 1000 - run.requests.length]);
  // bounded by its duration alone: requests go until it is over, none sent after
  const unbounded = client('ttft=5,itl=10', 1);
  const timed = await runLoad(unbounded, prompt, settings({ concurrency: 1, requests: null, duration_s: 0.3, warmup_requests: 0 }));
  await unbounded.close();
  assert.ok(timed.requests.length > 0 && timed.requests.length < 20, `${timed.requests.length} requests`);
  for (const r of timed.requests) assert.ok(r.scheduled_ms < 300, `request ${r.index} started at ${r.scheduled_ms} ms`);
});

test('warmup: its prompts come from the end of the list, so no measured prompt is in the server\'s cache before it is measured; none of it is recorded', async () => {
  const prompts = [0, 1, 2, 3, 4].map((k) => ({ prompt: { ids: [10 + k, 20 + k, 30 + k] }, inputTokens: 3, overhead: 0, outputTokens: 2 }));
  const c = client('ttft=1,itl=1', 2);
  const before = server.log.length;
  const run = await runLoad(c, prompts, settings({ concurrency: 2, requests: 2, warmup_requests: 3 }));
  await c.close();
  const sent = server.log.slice(before).map((r) => (r.prompt as number[])[0]);
  // warmups 4, 3, 2 (any order: two workers), then the measured 0 and 1
  assert.deepEqual([...sent.slice(0, 3)].sort(), [12, 13, 14]);
  assert.deepEqual([...sent.slice(3)].sort(), [10, 11]);
  assert.deepEqual(run.requests.map((r) => r.index), [0, 1]);

  // the warmup runs as many at once as the measured phase will (concurrency 2 of 3 warmups), so
  // that every connection the run needs is open: seen by the server, each request from its arrival
  // to its last write (40 ms or more apart: two sent at once overlap)
  const slow = client('ttft=40,itl=1', 3);
  const from = server.log.length;
  await runLoad(slow, prompts, settings({ concurrency: 2, requests: 0, warmup_requests: 3 }));
  await slow.close();
  const spans = server.log.slice(from).map((e) => [BigInt(e.arrived_ns), BigInt(e.written_ns.at(-1) as string)] as const);
  const peak = Math.max(...spans.map(([at]) => spans.filter(([a, end]) => a <= at && at < end).length));
  assert.equal(spans.length, 3);
  assert.equal(peak, 2, 'two warmups at a time');
});

test('requests that failed: one never sent keeps its due time and has no delays; one refused by the server keeps its dispatch delay but has no TTFT', async () => {
  // nothing listens on port 1: the connection is refused, the request never written
  const refused = new OpenAiClient({ url: 'http://127.0.0.1:1/v1', model: 'x', api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, busyPoll: false }, null);
  const never = await runLoad(refused, prompt, settings({ mode: 'open', request_rate: 100, requests: 2, warmup_requests: 0 }));
  await refused.close();
  for (const r of never.requests) {
    assert.equal(r.failure?.kind, 'connect');
    assert.deepEqual([r.t0_ms, r.dispatch_delay_ms, r.ttft_from_schedule_ms, r.e2e_from_schedule_ms, r.token_ms], [r.scheduled_ms, null, null, null, []]);
  }
  const failing = client('fail=status,status=503', null);
  const status = await runLoad(failing, prompt, settings({ mode: 'open', request_rate: 100, requests: 2, warmup_requests: 0 }));
  await failing.close();
  for (const r of status.requests) {
    assert.equal(r.failure?.kind, 'http_status');
    assert.ok(r.dispatch_delay_ms !== null && r.dispatch_delay_ms >= 0 && r.t0_ms === r.scheduled_ms + r.dispatch_delay_ms, JSON.stringify(r));
    assert.equal(r.ttft_ms, null);
    assert.equal(r.ttft_from_schedule_ms, null, 'no token: no TTFT from the schedule either');
    assert.ok(r.e2e_ms !== null && r.e2e_from_schedule_ms === r.dispatch_delay_ms + r.e2e_ms, JSON.stringify(r));
    assert.deepEqual(r.token_ms, []);
  }
});

test('open loop stopped by an abort: nothing is sent after it, what was sent is kept; the client\'s CPU time is no more than the wall time on every core', async () => {
  const controller = new AbortController();
  const c = client('ttft=1,itl=1', null);
  const started = performance.now();
  const run = await runLoad(c, prompt, settings({ mode: 'open', request_rate: 50, requests: 50, warmup_requests: 0 }), {
    signal: controller.signal,
    onRequest: (done) => done === 3 && controller.abort(),
  });
  const wall = performance.now() - started;
  await c.close();
  // 50 were due over a second; the abort after the third reply stopped the schedule there
  assert.ok(run.requests.length >= 3 && run.requests.length < 10, `${run.requests.length} requests`);
  // CPU time of every thread of this process: at most the wall time on each core
  assert.ok(run.cpuMs > 0 && run.cpuMs <= availableParallelism() * wall, `${run.cpuMs} ms of CPU in ${wall} ms`);
});

test('a part of a load run: the open loop sends its own entries of the whole schedule; the closed loop its share of workers and requests, with the whole run\'s indexes; the measured phase waits for the parts to meet', async () => {
  const c = client('ttft=2,itl=1', null);
  const open = settings({ mode: 'open', request_rate: 50, arrival: 'constant', requests: 10, warmup_requests: 3 });
  const events: string[] = [];
  const before = server.log.length;
  const run = await runLoad(c, prompt, open, {
    part: { index: 1, count: 3 },
    beforeMeasure: async () => {
      events.push(`met after ${server.log.length - before} warmups`);
    },
  });
  await c.close();
  // warmups: 1 of 3 (this part's share); requests 1, 4, 7 due at 20, 80 and 140 ms of the whole schedule
  assert.deepEqual(events, ['met after 1 warmups']);
  assert.deepEqual(run.requests.map((r) => [r.index, r.scheduled_ms]), [[1, 20], [4, 80], [7, 140]]);
  assert.deepEqual(run.schedule, [20, 80, 140]);

  const closed = settings({ mode: 'closed', concurrency: 3, requests: 7, warmup_requests: 0 });
  for (const [index, workers, indexes] of [[0, 2, [0, 2, 4, 6]], [1, 1, [1, 3, 5]]] as const) {
    const cc = client('ttft=20,itl=1', null);
    const part = await runLoad(cc, prompt, closed, { part: { index, count: 2 } });
    await cc.close();
    assert.deepEqual(part.requests.map((r) => r.index), indexes);
    assert.equal(peakInFlight(part.requests), workers, `part ${index}: its share of the 3 workers`);
  }
  assert.deepEqual(settingsOfPart(closed, { index: 1, count: 2 }), { ...closed, concurrency: 1, requests: 3 });
  const limited = { ...open, concurrency: null, max_concurrency: 5 };
  assert.deepEqual(settingsOfPart(limited, { index: 2, count: 3 }), { ...limited, max_concurrency: 1, request_rate: 50 / 3, requests: 3, warmup_requests: 1 });
  assert.equal(settingsOfPart(open, undefined), open);
});

test('client CPU: the user and the system time the process spent in the run (sockets cost system time), no less', async () => {
  const c = client('ttft=1,itl=1', null);
  const before = process.cpuUsage();
  const run = await runLoad(c, [{ ...(prompt[0] as (typeof prompt)[0]), outputTokens: 16 }], settings({ mode: 'open', request_rate: 100, requests: 40, warmup_requests: 0 }));
  const around = process.cpuUsage(before);
  await c.close();
  const total = (around.user + around.system) / 1000;
  // the run is nearly all of the span measured around it (its setup and summary are the rest)
  assert.ok(run.cpuMs <= total && run.cpuMs >= 0.9 * total, `${run.cpuMs} ms of CPU reported, ${total} ms around it (user ${around.user / 1000}, system ${around.system / 1000})`);
});
