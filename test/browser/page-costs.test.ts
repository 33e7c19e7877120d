/** The page's cost share inside its generate() windows, against values worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costInWindows, intervalUnion } from '../../src/browser/page-costs.js';

test('intervalUnion merges nested, overlapping and touching intervals, drops empty ones, and sorts', () => {
  assert.deepEqual(intervalUnion([[10, 12], [0, 5], [1, 2], [4, 7], [7, 8], [20, 20]]), [[0, 8], [10, 12]]);
  assert.deepEqual(intervalUnion([]), []);
});

test('costInWindows: time shared with the union, intervals counted once whatever windows they reach, share of the window time', () => {
  // windows 0-10 and 20-30 (20 ms); GC 5-12 (nested 6-7 inside it), 18-22, and 40-41 outside any window
  // covered: 5-10 (5) + 20-22 (2) = 7 ms; intervals reaching a window: 5-12, 6-7, 18-22 = 3
  const c = costInWindows([[0, 10], [20, 30]], [[5, 12], [6, 7], [18, 22], [40, 41]]);
  assert.deepEqual(c, { window_ms: 20, cost_ms: 7, count: 3, share: 0.35 });
  // an interval spanning two windows counts once and covers both
  assert.deepEqual(costInWindows([[0, 10], [20, 30]], [[5, 25]]), { window_ms: 20, cost_ms: 10, count: 1, share: 0.5 });
  // touching a window's edge is not inside it
  assert.deepEqual(costInWindows([[0, 10]], [[10, 15]]), { window_ms: 10, cost_ms: 0, count: 0, share: 0 });
  assert.deepEqual(costInWindows([], [[0, 1]]), { window_ms: 0, cost_ms: 0, count: 0, share: null });
});
