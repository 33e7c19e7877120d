/** Shards and groups: from the flag, from Slurm's and Kubernetes' environment, and the bad ones. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFrom, shardFrom, shardItems, shareOf } from '../../src/config/shard.js';
import { InputError } from '../../src/util/errors.js';

const usage = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof InputError && e.kind === 'usage' && message.test(e.message));
};

test('--shard I/N wins over the environment; none at all is no shard', () => {
  assert.deepEqual(shardFrom('2/4', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '8' }, 'run'), { index: 2, count: 4 });
  assert.deepEqual(shardFrom(' 0/1 ', {}, 'run'), { index: 0, count: 1 });
  assert.equal(shardFrom(undefined, {}, 'run'), null);
  for (const bad of ['4/4', '1/0', '-1/2', '1', '1/2/3', 'a/b', '']) usage(() => shardFrom(bad, {}, 'run'), new RegExp(`^run: --shard takes I/N, .* got '${bad}'$`));
});

test('Slurm job arrays: the index counts from the array\'s minimum in its steps', () => {
  // --array=0-3
  assert.deepEqual(shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' }, 'run'), { index: 3, count: 4 });
  // --array=1-4 and --array=10-40:10
  assert.deepEqual(shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }, 'run'), { index: 0, count: 4 });
  assert.deepEqual(shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '30', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '10', SLURM_ARRAY_TASK_COUNT: '4' }, 'load'), { index: 2, count: 4 });
  // --array=1,4,9: no dense index
  usage(() => shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }, 'run'), /^run: SLURM_ARRAY_TASK_ID 9 \(min 1, step -, count 3\) is not one of a contiguous array; give --shard I\/N$/);
  usage(() => shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '2' }, 'run'), /count -\) is not one of a contiguous array/);
});

test('Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX with the count from the manifest', () => {
  assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '1', TOKENBENCH_SHARD_COUNT: '4' }, 'run'), { index: 1, count: 4 });
  usage(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '1' }, 'run'), /^run: JOB_COMPLETION_INDEX 1 needs TOKENBENCH_SHARD_COUNT, .* got ''; or give --shard I\/N$/);
  usage(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '4', TOKENBENCH_SHARD_COUNT: '4' }, 'run'), /got '4'/);
});

test('groups: the flag, then TOKENBENCH_GROUP, then the Slurm array job; names a store and a shell can carry', () => {
  assert.equal(groupFrom('nightly-7', { TOKENBENCH_GROUP: 'k8s', SLURM_ARRAY_JOB_ID: '12' }, 'run'), 'nightly-7');
  assert.equal(groupFrom(undefined, { TOKENBENCH_GROUP: 'sweep-job', SLURM_ARRAY_JOB_ID: '12' }, 'run'), 'sweep-job');
  assert.equal(groupFrom(undefined, { TOKENBENCH_GROUP: '', SLURM_ARRAY_JOB_ID: '12' }, 'run'), 'slurm-12');
  assert.equal(groupFrom(undefined, {}, 'run'), null);
  for (const bad of ['', '-x', 'a b', 'x'.repeat(129), 'a/b']) usage(() => groupFrom(bad, {}, 'run'), /^run: group '.*' must be 1-128 letters/);
});

test('shard i of n takes items i, i + n, ...: the shards together are the whole, each item once', () => {
  const items = [...'abcdefghij'];
  assert.deepEqual(shardItems(items, { index: 1, count: 4 }), ['b', 'f', 'j']);
  assert.deepEqual(shardItems(items, null), items);
  const union = [0, 1, 2, 3].flatMap((index) => shardItems(items, { index, count: 4 }));
  assert.deepEqual([...union].sort(), items);
  assert.deepEqual(shardItems(items, { index: 3, count: 20 }), ['d']);
  assert.deepEqual(shardItems(items, { index: 12, count: 20 }), []);
});

test('a scheduler index written other than in decimal digits, or a count with no index, is refused', () => {
  for (const id of ['0x1', '1e0', '+1', ' 1.0', '99999999999999999999']) {
    usage(() => shardFrom(undefined, { SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_COUNT: '4' }, 'run'), /is not one of a contiguous array; give --shard I\/N$/);
    usage(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: id, TOKENBENCH_SHARD_COUNT: '4' }, 'run'), /^run: JOB_COMPLETION_INDEX .* needs TOKENBENCH_SHARD_COUNT/);
  }
  usage(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '1', TOKENBENCH_SHARD_COUNT: '0x4' }, 'run'), /got '0x4'/);
  usage(() => shardFrom(undefined, { TOKENBENCH_SHARD_COUNT: '4' }, 'load'), /^load: TOKENBENCH_SHARD_COUNT 4 is set but no part index is .*; give --shard I\/N or unset it$/);
  usage(() => shardFrom('1/99999999999999999', {}, 'run'), /--shard takes I\/N/);
});

test('shard edges by hand: many-digit and padded indices, every bound of --shard, Slurm and Indexed Jobs, empty variables ignored, the share of each part', () => {
  assert.deepEqual(shardFrom('10/12', {}, 'run'), { index: 10, count: 12 });
  assert.deepEqual(shardFrom(' 1/2 ', {}, 'run'), { index: 1, count: 2 });
  for (const bad of ['0/0', '2/2', '3/2', '1/', '/2', '-1/2']) assert.throws(() => shardFrom(bad, {}, 'run'), InputError, bad);
  // Slurm: padded variables are read as scheduler numbers; index = (id - min) / step, from 0 to count - 1
  assert.deepEqual(shardFrom(undefined, { SLURM_ARRAY_TASK_ID: ' 7 ', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '3' }, 'run'), { index: 2, count: 3 });
  const slurm = (id: string, min: string, step: string, count: string): NodeJS.ProcessEnv => ({ SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_MIN: min, SLURM_ARRAY_TASK_STEP: step, SLURM_ARRAY_TASK_COUNT: count });
  for (const env of [slurm('2', '3', '1', '4'), slurm('7', '0', '1', '7'), slurm('3', '3', '0', '4'), slurm('3', '3', '1', '0'), slurm('4', '3', '2', '4')]) assert.throws(() => shardFrom(undefined, env, 'run'), InputError, JSON.stringify(env));
  assert.deepEqual(shardFrom(undefined, slurm('6', '0', '1', '7'), 'run'), { index: 6, count: 7 });
  // an array of one task is a whole run in one part
  assert.deepEqual(shardFrom(undefined, slurm('3', '3', '1', '1'), 'run'), { index: 0, count: 1 });
  usage(() => shardFrom(undefined, slurm('2', '3', '1', '4'), 'run'), /^run: SLURM_ARRAY_TASK_ID 2 \(min 3, step 1, count 4\) is not one of a contiguous array; give --shard I\/N$/);
  // Indexed Jobs: the last index is count - 1; index 0 is an index
  assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '0', TOKENBENCH_SHARD_COUNT: '1' }, 'run'), { index: 0, count: 1 });
  assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '4', TOKENBENCH_SHARD_COUNT: '5' }, 'run'), { index: 4, count: 5 });
  for (const env of [{ JOB_COMPLETION_INDEX: '5', TOKENBENCH_SHARD_COUNT: '5' }, { JOB_COMPLETION_INDEX: '0', TOKENBENCH_SHARD_COUNT: '0' }]) assert.throws(() => shardFrom(undefined, env, 'run'), InputError, JSON.stringify(env));
  // set but empty, as a scheduler's template may leave them: no shard
  assert.equal(shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '', TOKENBENCH_SHARD_COUNT: '' }, 'run'), null);
  // 10 items over 4 parts: 3, 3, 2, 2 (items i, i + 4, ...)
  assert.deepEqual([0, 1, 2, 3].map((index) => shareOf(10, { index, count: 4 })), [3, 3, 2, 2]);
  assert.deepEqual([0, 1, 2, 3].map((index) => shardItems([...Array(10).keys()], { index, count: 4 }).length), [3, 3, 2, 2]);
  assert.equal(shareOf(8, { index: 3, count: 4 }), 2);
});
