import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalSchedule, rampSchedule } from '../../src/load/arrivals.js';
import { mean, variance } from '../../src/results/statistics.js';

const sampleStd = (x: number[]): number => Math.sqrt(variance(x));

const gaps = (t: number[]): number[] => t.slice(1).map((x, i) => x - (t[i] as number));

test('constant arrivals: every 1/rate, bounded by count or duration', () => {
  assert.deepEqual(arrivalSchedule({ rate: 4, arrival: 'constant', burstiness: 1, seed: 0, requests: 4, durationS: null }), [0, 250, 500, 750]);
  assert.equal(arrivalSchedule({ rate: 10, arrival: 'constant', burstiness: 1, seed: 0, requests: null, durationS: 2 }).length, 20);
  assert.equal(arrivalSchedule({ rate: 10, arrival: 'constant', burstiness: 1, seed: 0, requests: 5, durationS: 2 }).length, 5);
  assert.throws(() => arrivalSchedule({ rate: 1, arrival: 'poisson', burstiness: 1, seed: 0, requests: null, durationS: null }), RangeError);
});

test('Poisson and gamma: mean gap 1/rate, spread by the shape, the same for the same seed', () => {
  const spec = { rate: 100, requests: 40_000, durationS: null, seed: 7 };
  const poisson = gaps(arrivalSchedule({ ...spec, arrival: 'poisson', burstiness: 1 }));
  assert.ok(Math.abs(mean(poisson) - 10) < 0.2, `poisson mean ${mean(poisson)}`);
  assert.ok(Math.abs(sampleStd(poisson) / mean(poisson) - 1) < 0.03, 'exponential: coefficient of variation 1');
  for (const shape of [0.25, 4]) {
    const g = gaps(arrivalSchedule({ ...spec, arrival: 'gamma', burstiness: shape }));
    assert.ok(Math.abs(mean(g) - 10) < 0.3, `gamma ${shape} mean ${mean(g)}`);
    const cv = sampleStd(g) / mean(g);
    assert.ok(Math.abs(cv - 1 / Math.sqrt(shape)) < 0.06, `gamma ${shape}: cv ${cv}, expected ${1 / Math.sqrt(shape)}`);
  }
  const a = arrivalSchedule({ ...spec, requests: 100, arrival: 'poisson', burstiness: 1 });
  assert.deepEqual(arrivalSchedule({ ...spec, requests: 100, arrival: 'poisson', burstiness: 1 }), a);
  assert.notDeepEqual(arrivalSchedule({ ...spec, requests: 100, seed: 8, arrival: 'poisson', burstiness: 1 }), a);
});

test('golden schedules: the same seed gives the same send times in every version, so runs with one seed can be compared', () => {
  const first4 = (arrival: 'poisson' | 'gamma', burstiness: number): number[] => arrivalSchedule({ rate: 100, arrival, burstiness, seed: 7, requests: 4, durationS: null });
  assert.deepEqual(first4('poisson', 1), [0, 2.663482227839948, 9.842644775420602, 15.801299360515056]);
  assert.deepEqual(first4('gamma', 1), [0, 2.31535587194726, 5.355334026427979, 7.596471104574398]);
  assert.deepEqual(first4('gamma', 0.25), [0, 7.1488242135364235, 8.23059719569852, 18.531309055781428]);
  assert.deepEqual(first4('gamma', 4), [0, 6.105702374741654, 12.828356604071436, 18.866409080165273]);
  // Poisson ignores the burstiness (it is gamma's shape)
  assert.deepEqual(arrivalSchedule({ rate: 100, arrival: 'poisson', burstiness: 3, seed: 7, requests: 4, durationS: null }), first4('poisson', 1));
  assert.throws(() => arrivalSchedule({ rate: 1, arrival: 'poisson', burstiness: 1, seed: 0, requests: null, durationS: null }), { message: 'a schedule needs a request count or a duration' });
});

test('a ramp to 40/s over 1 s, constant: arrivals at √(k/20) s, k = 1..19; Poisson: about rate·seconds/2, denser later', () => {
  const constant = rampSchedule(40, 'constant', 1, 0, 1);
  assert.equal(constant.length, 19);
  constant.forEach((t, i) => assert.ok(Math.abs(t - Math.sqrt((i + 1) / 20) * 1000) < 1e-9, `arrival ${i + 1} at ${t}`));
  const poisson = rampSchedule(200, 'poisson', 1, 3, 10);
  assert.ok(Math.abs(poisson.length - 1000) < 4 * Math.sqrt(1000), `${poisson.length} arrivals, about 1000`);
  const firstHalf = poisson.filter((t) => t < 5000).length;
  assert.ok(Math.abs(firstHalf / poisson.length - 0.25) < 0.05, `a quarter in the first half: ${firstHalf} of ${poisson.length}`);
  assert.deepEqual(rampSchedule(200, 'poisson', 1, 3, 10), poisson, 'the same seed, the same ramp');
});
