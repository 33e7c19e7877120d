/** The typed load spec: one validation, whose messages name values as the caller wrote them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLAG_NAME } from '../../src/cli/load.js';
import { capacitySearchOfSpec, loadConfigsOf, type LoadSpec } from '../../src/load/load-spec.js';
import { InputError } from '../../src/util/errors.js';

const base: LoadSpec = { url: 'http://127.0.0.1:1/v1', model: 'm' };

/** The InputError message `f` throws. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof InputError, `an InputError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('no error');
}

test('a spec becomes one config per swept value, with the defaults the CLI has', () => {
  const configs = loadConfigsOf({ ...base, request_rate: [2, 4], arrival: 'constant', slo: { ttft_ms: 200 } });
  assert.deepEqual(configs.map((c) => [c.load.mode, c.load.request_rate, c.load.arrival, c.load.requests, c.load.warmup_requests, c.sequence_length, c.num_tokens_to_generate]), [
    ['open', 2, 'constant', 100, 8, 128, 128],
    ['open', 4, 'constant', 100, 8, 128, 128],
  ]);
  assert.deepEqual(configs[0]?.load.slo, { ttft_ms: 200, tpot_ms: null, e2e_ms: null });
  const closed = loadConfigsOf({ ...base, concurrency: 3, duration_s: 5 });
  assert.deepEqual([closed[0]?.load.concurrency, closed[0]?.load.requests, closed[0]?.load.duration_s, closed[0]?.load.warmup_requests], [3, null, 5, 3]);
});

test('a library caller reads field names in the messages; the CLI reads flags', () => {
  const cases: [LoadSpec, RegExp, RegExp][] = [
    [{ ...base, concurrency: 0 }, /^load: concurrency must be an integer >= 1, got 0$/, /--concurrency must be an integer >= 1/],
    [{ ...base, request_rate: [1, Number.NaN] }, /^load: request_rate must be a number > 0, got null$/, /--request-rate must be a number > 0/],
    [{ ...base, concurrency: 2, request_rate: 1 }, /concurrency \(closed loop\) or request_rate \(open loop\), not both/, /--concurrency \(closed loop\) or --request-rate/],
    [{ ...base, concurrency: 2, burstiness: 0.5 }, /burstiness applies to an open loop \(request_rate\)/, /--burstiness applies to an open loop \(--request-rate\)/],
    [{ ...base, duration_s: -1 }, /duration_s must be a number > 0/, /--duration must be a number > 0/],
    [{ ...base, output_len: 2 ** 21 }, /output_len must be at most 1048576 tokens/, /--output-len must be at most/],
    [{ ...base, slo: { ttft_ms: 0 } }, /slo\.ttft_ms must be a number > 0/, /--slo ttft must be a number > 0/],
    [{ ...base, url: '' }, /^load: url is required/, /^load: --url is required/],
  ];
  for (const [spec, field, flag] of cases) {
    assert.match(refusal(() => loadConfigsOf(spec)), field);
    assert.match(refusal(() => loadConfigsOf(spec, 100, FLAG_NAME)), flag);
  }
});

test('a rate search takes the arrivals the caller chose; a concurrency search refuses them', () => {
  const spec: LoadSpec = { ...base, arrival: 'constant', slo: { ttft_ms: 200 }, capacity: { search: 'rate', precision: 0.1 } };
  const search = capacitySearchOfSpec(spec);
  assert.deepEqual([search?.search, search?.percentile, search?.precision], ['rate', 99, 0.1]);
  assert.equal(loadConfigsOf(spec)[0]?.load.arrival, 'constant');
  assert.match(refusal(() => capacitySearchOfSpec({ ...spec, capacity: { search: 'concurrency' } })), /arrival applies to an open loop; capacity \{ search: 'concurrency' \} probes closed loops/);
  assert.match(refusal(() => capacitySearchOfSpec({ ...spec, slo: {} })), /needs the limits to hold: slo/);
  assert.match(refusal(() => capacitySearchOfSpec({ ...spec, capacity: { search: 'rate', percentile: 100 } })), /capacity\.percentile must be a number > 0 and < 100, got 100/);
  assert.match(refusal(() => capacitySearchOfSpec({ ...spec, concurrency: 4 })), /chooses the rate itself; drop concurrency/);
});
