/** What a run keeps for its configs: made once, shared, made again after a failure or a drop, and closed at the end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunScope } from '../../src/util/run-scope.js';

test('keep() makes once per key and shares it; a failed make is not kept; drop() and close() close what was made, once each', async () => {
  const scope = new RunScope();
  const made: string[] = [];
  const closed: string[] = [];
  let n = 0;
  const make = (key: string) => async (): Promise<string> => {
    made.push(key);
    return `${key}#${++n}`;
  };
  const close = async (value: string): Promise<void> => {
    closed.push(value);
  };
  // two configs asking at once get the same one
  const [a1, a2] = await Promise.all([scope.keep('a', make('a'), close), scope.keep('a', make('a'), close)]);
  assert.equal(a1, 'a#1');
  assert.equal(a2, 'a#1');
  assert.equal(await scope.keep('b', make('b'), close), 'b#2');
  await assert.rejects(scope.keep<string>('c', () => Promise.reject(new Error('no browser')), close), /no browser/);
  assert.equal(await scope.keep('c', make('c'), close), 'c#3');
  await scope.drop('a');
  assert.deepEqual(closed, ['a#1']);
  assert.equal(await scope.keep('a', make('a'), close), 'a#4');
  await scope.close();
  assert.deepEqual(closed, ['a#1', 'b#2', 'c#3', 'a#4']);
  assert.deepEqual(made, ['a', 'b', 'c', 'a']);
  await assert.rejects(scope.keep('d', make('d'), close), /after the run ended/);
});

test('a close that fails does not stop the others from closing', async () => {
  const scope = new RunScope();
  const closed: string[] = [];
  await scope.keep('x', async () => 'x', async () => Promise.reject(new Error('already dead')));
  await scope.keep('y', async () => 'y', async (v) => void closed.push(v));
  await scope.close();
  assert.deepEqual(closed, ['y']);
});
