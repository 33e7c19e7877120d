/** The capacity search's pieces by hand: where it probes next, how a probe is judged, what it says. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCapacity, judgeProbe, noiseInterval, ProbeLatencies, probeRequests } from '../../src/load/capacity.js';
import { narrowed, nextConcurrency, nextRate } from '../../src/load/capacity-search.js';
import { arrivalSchedule } from '../../src/load/arrivals.js';
import { ratePerS } from '../../src/results/metrics.js';
import type { BenchmarkResult, Capacity, LoadRequestRecord } from '../../src/results/schema.js';
import { slotWaits } from '../support/slot-queue.js';

test('a rate search probes the saturated throughput, then bisects to the precision of the rate held', () => {
  let b = { holds: null as number | null, fails: null as number | null };
  assert.deepEqual(nextRate(b, 40, 0.05), { value: 40 });
  b = narrowed(b, 40, false);
  assert.deepEqual(nextRate(b, 40, 0.05), { value: 20 });
  b = narrowed(b, 20, true);
  assert.deepEqual(nextRate(b, 40, 0.05), { value: 30 });
  b = narrowed(b, 30, true);
  b = narrowed(b, 35, false);
  assert.deepEqual(nextRate(b, 40, 0.05), { value: 32.5 });
  b = narrowed(b, 32.5, true);
  // 35 - 32.5 = 2.5 > 0.05 * 32.5 = 1.625: one more
  assert.deepEqual(nextRate(b, 40, 0.05), { value: 33.75 });
  b = narrowed(b, 33.75, true);
  // 35 - 33.75 = 1.25 <= 1.6875
  assert.deepEqual(nextRate(b, 40, 0.05), { done: 'found' });
  assert.deepEqual(b, { holds: 33.75, fails: 35 });
  // held at saturation: throughput is the limit
  assert.deepEqual(nextRate(narrowed({ holds: null, fails: null }, 40, true), 40, 0.05), { done: 'holds_at_limit' });
  // nothing holds: halving stops at 1/64 of the saturated throughput
  let none = { holds: null as number | null, fails: null as number | null };
  const probed: number[] = [];
  for (let next = nextRate(none, 64, 0.05); 'value' in next; next = nextRate(none, 64, 0.05)) {
    probed.push(next.value);
    none = narrowed(none, next.value, false);
  }
  assert.deepEqual(probed, [64, 32, 16, 8, 4, 2, 1]);
  assert.deepEqual(nextRate(none, 64, 0.05), { done: 'none_holds' });
});

test('a concurrency search doubles from 1 until one fails, then bisects the integers', () => {
  const holdsUpTo = (max: number, limit: number): number[] => {
    let b = { holds: null as number | null, fails: null as number | null };
    const probed: number[] = [];
    for (let next = nextConcurrency(b, limit); 'value' in next; next = nextConcurrency(b, limit)) {
      probed.push(next.value);
      b = narrowed(b, next.value, next.value <= max);
    }
    return probed;
  };
  assert.deepEqual(holdsUpTo(5, 64), [1, 2, 4, 8, 6, 5]);
  assert.deepEqual(holdsUpTo(3, 64), [1, 2, 4, 3]);
  assert.deepEqual(holdsUpTo(0, 64), [1]);
  assert.deepEqual(holdsUpTo(100, 20), [1, 2, 4, 8, 16, 20]);
  assert.deepEqual(nextConcurrency({ holds: 20, fails: null }, 20), { done: 'holds_at_limit' });
});

test('probes per value: about ten requests beyond the percentile, at least 100', () => {
  assert.equal(probeRequests(99), 1000);
  assert.equal(probeRequests(95), 200);
  assert.equal(probeRequests(90), 100);
  assert.equal(probeRequests(50), 100);
});

test('an exact-rate schedule offers the rate it names, with the draw scaled and its order kept', () => {
  const spec = { rate: 20, arrival: 'poisson' as const, burstiness: 1, seed: 7, requests: 150, durationS: null };
  const drawn = arrivalSchedule(spec);
  const exact = arrivalSchedule({ ...spec, exactRate: true });
  assert.notEqual(Math.round((ratePerS(drawn) as number) * 1000), 20_000, 'a Poisson draw of 150 is off its rate by chance');
  assert.ok(Math.abs((ratePerS(exact) as number) - 20) < 1e-9);
  const scale = (exact[10] as number) / (drawn[10] as number);
  for (let i = 1; i < drawn.length; i++) assert.ok(Math.abs((exact[i] as number) - (drawn[i] as number) * scale) < 1e-6);
  // a duration-bounded draw is never scaled: that would move requests past the duration
  assert.deepEqual(arrivalSchedule({ ...spec, requests: null, durationS: 5, exactRate: true }), arrivalSchedule({ ...spec, requests: null, durationS: 5 }));
});

test('the slot queue by hand: 2 slots of 10 ms, arrivals at 0, 1, 2, 15 ms', () => {
  assert.deepEqual(slotWaits([0, 1, 2, 15], 2, 10), [0, 0, 8, 0]);
  assert.deepEqual(slotWaits([0, 0, 0, 0, 0], 2, 10), [0, 0, 10, 10, 20]);
});

const record = (index: number, ok: boolean, ttft: number, e2e: number, itl = 5): LoadRequestRecord =>
  ({ index, ok, ttft_from_schedule_ms: ok ? ttft : null, e2e_from_schedule_ms: ok ? e2e : null, ttft_ms: ok ? ttft - 1 : null, e2e_ms: ok ? e2e - 1 : null, itl_ms: ok ? itl : null, output_tokens: ok ? 10 : 0, dispatch_delay_ms: 1 }) as unknown as LoadRequestRecord;

const benchmarkOf = (rate: number, scheduled: number): BenchmarkResult =>
  ({
    config: { name: `r${rate}`, load: { mode: 'open', request_rate: rate, concurrency: null } },
    status: 'ok',
    load: { schedule_rate: rate, achieved_rate: rate, request_throughput: rate, output_throughput: rate * 10, counts: { scheduled }, client: { warning: null } },
  }) as unknown as BenchmarkResult;

test('a probe is judged on its percentile from when requests were due, failures counting as over every limit', () => {
  const slo = { ttft_ms: 100, tpot_ms: null, e2e_ms: null };
  const lat = new ProbeLatencies(slo);
  // TTFT 1..100 ms over 100 requests: p90 (position 89.1) = 90.1 ms, its interval ranks [84, 96]
  for (let i = 1; i <= 100; i++) lat.add(record(i, true, i, i + 50));
  const p = judgeProbe(2, 'rate', benchmarkOf(10, 100), lat, slo, 90);
  assert.equal(p.holds, true);
  assert.ok(Math.abs((p.checks[0]?.value_ms as number) - 90.1) < 1e-9);
  assert.deepEqual(p.checks[0]?.ci95_ms, [84, 96]);
  assert.equal(p.checks[0]?.sure, true);
  assert.equal(p.goodput_fraction, 1);
  assert.equal(p.ttft_p50_ms, 50.5);

  // 95 fast requests and 5 failed: the p99 lies among the failed, so it fails whatever the fast ones did
  const failing = new ProbeLatencies(slo);
  for (let i = 1; i <= 95; i++) failing.add(record(i, true, 10, 20));
  for (let i = 96; i <= 100; i++) failing.add(record(i, false, 0, 0));
  const f = judgeProbe(3, 'rate', benchmarkOf(20, 100), failing, slo, 99);
  assert.equal(f.holds, false);
  assert.equal(f.checks[0]?.value_ms, null);
  assert.equal(f.failed, 5);
  assert.equal(f.goodput_fraction, 0.95);
  // scheduled requests that left no record (the run ended first) count as failed too
  // (p90 of 110 sits at position 98.1, among the values; p95 at 103.55, among the missing)
  assert.equal(judgeProbe(4, 'rate', benchmarkOf(20, 110), lat, slo, 90).holds, true);
  const short = judgeProbe(4, 'rate', benchmarkOf(20, 110), lat, slo, 95);
  assert.equal(short.requests, 110);
  assert.equal(short.failed, 10);
  assert.equal(short.holds, false);
  // the saturation run is not judged
  assert.equal(judgeProbe(1, 'saturation', benchmarkOf(30, 100), lat, slo, 90).holds, null);
});

test('the answer states the noise and what limits it', () => {
  const slo = { ttft_ms: 100, tpot_ms: null, e2e_ms: null };
  const probe = (rate: number, ttft: number): ReturnType<typeof judgeProbe> => {
    const lat = new ProbeLatencies(slo);
    for (let i = 1; i <= 100; i++) lat.add(record(i, true, (ttft * i) / 90, 200));
    return judgeProbe(1, 'rate', benchmarkOf(rate, 100), lat, slo, 90);
  };
  // p90 = ttft * 90.1 / 90; the intervals from ranks 84 and 96
  const points = [probe(10, 50), probe(20, 95), probe(22, 105), probe(30, 300)];
  assert.deepEqual(points.map((p) => p.holds), [true, true, false, false]);
  // 20 holds but its interval reaches 95 * 96 / 90 = 101.3 > 100: only 10 surely holds; 22's reaches down to 98, under: only 30 surely fails
  assert.deepEqual(noiseInterval(points, 'rate'), [10, 30]);
  const c: Capacity = { search: 'rate', status: 'found', percentile: 90, slo, precision: 0.1, arrival: 'poisson', max_rate_rps: 20, max_concurrency: null, interval: [10, 30], saturation_rps: 33, saturation_concurrency: 64, bracket: { holds: 20, fails: 22 }, answer: '', limit: null, notes: [], points };
  const { answer, limit } = describeCapacity(c, '100 requests');
  assert.equal(answer, 'capacity: 20 req/s (Poisson arrivals) with TTFT <= 100 ms for 90% of requests (from when each was due); the noise of p90 over 100 requests per probe puts it between 10 and 30 req/s (more requests per probe, --requests, narrow this)');
  assert.match(limit ?? '', /^at 22 req\/s: TTFT p90 105 ms > 100 ms \(95\.1 ms at 20\); .*the server completes at most 33\.00 req\/s when saturated \(concurrency 64\); 22 req\/s is 67% of it$/);
});

test("a probe's client warning: the client's lag, its late sends, a core nearly used up", async () => {
  const { clientWarning } = await import('../../src/load/capacity.js');
  const slo = { ttft_ms: 200, tpot_ms: null, e2e_ms: null };
  assert.equal(clientWarning(null, 5, slo, 0.3), null);
  assert.match(clientWarning(null, 25, slo, 0.3) ?? '', /dispatch delay p99 25\.0 ms, over a tenth of the 200 ms limit/);
  assert.match(clientWarning('lagged', 5, slo, 0.92) ?? '', /^lagged; the client used 92% of a core, so it may itself have limited the load/);
});
