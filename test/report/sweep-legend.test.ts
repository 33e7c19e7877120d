/** Sweep chart legends name what differs between the lines (issue: "group 1" said nothing). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandConfigs } from '../../src/config/sweep.js';
import { groupNames } from '../../src/report/html.js';

test('sweep legends: the fields and engine options that differ between groups, e.g. threads=1', () => {
  const configs = expandConfigs([{ fields: { batch_size: 1, engine_options: { threads: ['1', '2'] } }, where: 'test' }]);
  assert.deepEqual(groupNames(configs), ['threads=1', 'threads=2']);
  const engines = expandConfigs([{ fields: { engine: ['transformers-js', 'llama-cpp'] }, where: 'test' }]);
  assert.deepEqual(groupNames(engines), ['engine=transformers-js, dtype=fp32', 'engine=llama-cpp, dtype=f16']);
});
