import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenStamper } from '../../src/measure/streamer.js';
import { validateTokenCounts } from '../../src/measure/validation.js';
import { classifyRunError, RunError } from '../../src/util/errors.js';

test('put() stamps increasing monotonic times; end() is not a token', () => {
  const s = new TokenStamper(3);
  assert.equal(s.hasEnded, false);
  const before = process.hrtime.bigint();
  s.put();
  s.put();
  s.end();
  const stamps = s.stampList();
  assert.equal(s.count, 2);
  assert.equal(stamps.length, 2);
  assert.ok(s.hasEnded);
  assert.ok((stamps[0] as bigint) >= before && (stamps[1] as bigint) >= (stamps[0] as bigint));
  s.reset();
  assert.equal(s.count, 0);
  assert.equal(s.hasEnded, false);
});

test('steps past the capacity are counted, not stamped', () => {
  const s = new TokenStamper(2);
  for (let i = 0; i < 5; i++) s.put();
  assert.equal(s.count, 5);
  assert.equal(s.stampList().length, 2);
});

test('token counts must be exact in every row and in streamed steps', () => {
  validateTokenCounts(8, 8, [8, 8], 2);
  const kind = (fn: () => void): string => {
    try {
      fn();
    } catch (err) {
      return err instanceof RunError ? `${err.kind}: ${err.message}` : 'other';
    }
    return 'none';
  };
  assert.equal(kind(() => validateTokenCounts(8, 8, [8, 5], 2)), 'token_count: expected 8 new tokens in every sequence, sequence 1 got 5 (all: 8, 5)');
  assert.equal(kind(() => validateTokenCounts(8, 9, [8], 1)), 'token_count: expected 8 streamed generation steps, the streamer saw 9');
  assert.match(kind(() => validateTokenCounts(8, 8, [8], 2)), /^token_count: expected 2 sequences/);
});

test('engine errors are classified', () => {
  assert.equal(classifyRunError(new Error('std::bad_alloc'), 'generate').kind, 'out_of_memory');
  assert.equal(classifyRunError(new Error('boom'), 'load').kind, 'engine_load');
  assert.equal(classifyRunError('boom', 'generate').kind, 'engine_generate');
  const own = new RunError('token_count', 'x');
  assert.equal(classifyRunError(own, 'generate'), own);
});

test('token counts: the first sequence short is caught as well as any other', () => {
  assert.throws(() => validateTokenCounts(4, 4, [3, 4], 2), { message: 'expected 4 new tokens in every sequence, sequence 0 got 3 (all: 3, 4)' });
  assert.throws(() => validateTokenCounts(4, 4, [4], 2), { message: 'expected 2 sequences, the engine returned 1' });
  assert.doesNotThrow(() => validateTokenCounts(4, 4, [4, 4], 2));
});
