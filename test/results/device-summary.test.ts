import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SampleRow } from '../../src/monitor/types.js';
import { counterAt, counterEnergy, spread, summarizeDevice, windowSamples } from '../../src/results/device-summary.js';

const ms = (x: number): bigint => BigInt(x * 1e6);
const row = (t: number, energy: number, extra: Partial<SampleRow> = {}): SampleRow => ({ t_ns: ms(t).toString(), device: 'nvidia:0', energy_j: energy, ...extra });

test('the energy counter is interpolated at t0 and t1, by hand', () => {
  const rows = [row(0, 100), row(50, 105), row(100, 115)];
  assert.equal(counterAt(rows, 'energy_j', ms(25)), 102.5);
  assert.equal(counterAt(rows, 'energy_j', ms(75)), 110);
  assert.equal(counterAt(rows, 'energy_j', ms(50)), 105);
  assert.equal(counterAt(rows, 'energy_j', ms(150)), undefined); // not bracketed
  // windows [25, 75] and [80, 100]: (110 - 102.5) + (115 - 111) = 11.5
  assert.equal(counterEnergy(rows, 'energy_j', [[ms(25), ms(75)], [ms(80), ms(100)]]), 11.5);
});

test('device summary over windows; windows keep times relative to t0', () => {
  const rows = [row(0, 100, { util_pct: 10, power_w: 50 }), row(50, 105, { util_pct: 30, power_w: 70, mem_used_bytes: 5 }), row(100, 115, { util_pct: 90, power_w: 90 })];
  const s = summarizeDevice('nvidia:0', rows, [[ms(20), ms(60)]], 4, null);
  assert.deepEqual(s.util_pct, { mean: 30, p50: 30, max: 30 });
  assert.equal(s.power_w_mean, 70);
  assert.equal(s.mem_used_peak_bytes, 5);
  assert.ok(Math.abs((s.energy_j as number) - 5) < 1e-9); // counter(60) 107 - counter(20) 102
  assert.ok(Math.abs((s.energy_per_token_j as number) - 1.25) < 1e-9);
  const none = summarizeDevice('nvidia:0', rows.map(({ energy_j: _e, ...r }) => r), [[ms(20), ms(60)]], 4, null);
  assert.equal(none.energy_j, null);
  assert.match(none.energy_note ?? '', /no energy counter/);
  assert.deepEqual(windowSamples(rows, ms(40), ms(100)).map((w) => w.t_ms), [10, 60]);
  assert.deepEqual(spread([1, 2, 6]), { mean: 3, p50: 2, max: 6 });
});
