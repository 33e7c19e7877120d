import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseFramer } from '../../src/http/sse.js';

const STREAM = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: error\ndata: {"error":\ndata: "x"}\n\r\ndata: [DONE]\r\n\r\n';

test('SSE framing gives the same events however the bytes are split', () => {
  const whole = new SseFramer();
  whole.push(Buffer.from(STREAM), 0);
  assert.deepEqual(
    whole.events.map((e) => [e.event, e.data]),
    [
      [null, '{"a":1}'],
      ['error', '{"error":\n"x"}'],
      [null, '[DONE]'],
    ],
  );
  const bytes = Buffer.from(STREAM);
  for (let cut = 1; cut < bytes.length; cut++) {
    const f = new SseFramer();
    f.push(bytes.subarray(0, cut), 0);
    f.push(bytes.subarray(cut), 1);
    assert.deepEqual(f.events.map((e) => e.data), whole.events.map((e) => e.data), `cut at ${cut}`);
    assert.equal(f.leftover, '');
  }
});

test('SSE events carry the read that completed them; a multi-byte character may be split', () => {
  const f = new SseFramer();
  const bytes = Buffer.from('data: caf\u00e9\n\ndata: two\n\n');
  const split = bytes.indexOf(0xa9); // inside é
  f.push(bytes.subarray(0, split), 0);
  f.push(bytes.subarray(split, split + 3), 1);
  f.push(bytes.subarray(split + 3), 2);
  assert.deepEqual(f.events.map((e) => [e.arrival, e.data]), [[1, 'caf\u00e9'], [2, 'two']]);
});

test('SSE: bytes after the last event are the leftover of a cut stream', () => {
  const f = new SseFramer();
  f.push(Buffer.from('data: {"a":1}\n\ndata: {"b"'), 0);
  assert.equal(f.events.length, 1);
  assert.equal(f.leftover, 'data: {"b"');
});
