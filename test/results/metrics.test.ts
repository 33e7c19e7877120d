import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iterationMetrics, itlGapsMs, metricsFromMs } from '../../src/results/metrics.js';
import { summarizeIterations } from '../../src/results/summary.js';
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
  assert.throws(() => metricsFromMs(5, [1], 1), RangeError);
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
  assert.equal(s.itl_ms?.mean, 1.75); // (1.5 + 2) / 2
  assert.equal(s.ttft_ms?.p50, 4.5);
  close(s.tokens_per_s?.mean ?? NaN, (3 / 0.009 + 3 / 0.01) / 2, 1e-9);
});
