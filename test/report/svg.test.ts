/** The charts never draw what is not a number, keep a degenerate axis readable, and show every series. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paretoFront } from '../../src/report/load-html.js';
import { chart, spanOf } from '../../src/report/svg.js';

test('a chart of no finite value says "no data"; NaN and Infinity are left out, never drawn', () => {
  const empty = chart({ id: 'e', title: 'TTFT', xLabel: 'x', yLabel: 'y', series: [{ name: 'p99', points: [[1, NaN], [Infinity, 2]], kind: 'line' }] });
  assert.match(empty, /data-points="0"/);
  assert.match(empty, />no data</);
  const mixed = chart({ id: 'm', title: 'TTFT', xLabel: 'x', yLabel: 'y', series: [{ name: 'p99', points: [[1, 10], [2, Infinity], [3, NaN], [4, 12]], kind: 'line' }], hLines: [{ y: NaN, label: 'x' }] });
  assert.match(mixed, /data-points="2"/);
  assert.doesNotMatch(mixed, /NaN|Infinity/);
});

test('an axis spanning one value gets a range around it', () => {
  assert.deepEqual(spanOf(5.2, 5.2), [5.2 - 0.52, 5.2 + 0.52]);
  assert.deepEqual(spanOf(0, 0), [-1, 1]);
  assert.deepEqual(spanOf(1, 3), [1, 3]);
  const flat = chart({ id: 'f', title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[5.2, 1], [5.2, 2]], kind: 'dots' }] });
  assert.doesNotMatch(flat, /NaN|Infinity/);
  // ticks around 5.2, not a single one
  assert.ok((flat.match(/text-anchor="middle">5\.\d/g) ?? []).length >= 2, flat);
});

test('a line of one sample shows as a dot, and series past the palette are dashed', () => {
  const one = chart({ id: 'o', title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'gpu power', points: [[3, 40]], kind: 'line' }] });
  assert.match(one, /<circle class="mark"[^>]*><title>gpu power: 3\.0, 40<\/title>/);
  const many = chart({ id: 'p', title: 't', xLabel: 'x', yLabel: 'y', series: Array.from({ length: 8 }, (_, i) => ({ name: `s${i}`, points: [[0, i], [1, i]] as [number, number][], kind: 'line' as const })) });
  assert.equal((many.match(/stroke-dasharray="6 3"/g) ?? []).length, 2);
});

test('the Pareto front keeps the points no other beats on both axes', () => {
  // (total, per user): (100, 50) beats (90, 40); (200, 30) and (300, 10) are not beaten
  assert.deepEqual(paretoFront([[90, 40], [100, 50], [200, 30], [300, 10], [250, 5]]), [[100, 50], [200, 30], [300, 10]]);
  assert.deepEqual(paretoFront([]), []);
});
