import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseFramer, type SseEvent } from '../../src/http/sse.js';

/** A framer that keeps what it emits. */
function framer(): { f: SseFramer; events: SseEvent[] } {
  const events: SseEvent[] = [];
  return { f: new SseFramer((e) => events.push(e)), events };
}

const STREAM = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: error\ndata: {"error":\ndata: "x"}\n\r\ndata: [DONE]\r\n\r\n';

test('SSE framing gives the same events however the bytes are split', () => {
  const whole = framer();
  whole.f.push(Buffer.from(STREAM), 0);
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
    const { f, events } = framer();
    f.push(bytes.subarray(0, cut), 0);
    f.push(bytes.subarray(cut), 1);
    assert.deepEqual(events.map((e) => e.data), whole.events.map((e) => e.data), `cut at ${cut}`);
    assert.equal(f.leftover, '');
  }
});

test('SSE events carry the read that completed them; a multi-byte character may be split', () => {
  const { f, events } = framer();
  const bytes = Buffer.from('data: caf\u00e9\n\ndata: two\n\n');
  const split = bytes.indexOf(0xa9); // inside é
  f.push(bytes.subarray(0, split), 0);
  f.push(bytes.subarray(split, split + 3), 1);
  f.push(bytes.subarray(split + 3), 2);
  assert.deepEqual(events.map((e) => [e.arrival, e.data]), [[1, 'caf\u00e9'], [2, 'two']]);
});

test('SSE: bytes after the last event are the leftover of a cut stream', () => {
  const { f, events } = framer();
  f.push(Buffer.from('data: {"a":1}\n\ndata: {"b"'), 0);
  assert.equal(events.length, 1);
  assert.equal(f.leftover, 'data: {"b"');
  // a stream that sent nothing has nothing left over
  assert.equal(framer().f.leftover, '');
});

test('SSE by the spec: lone CR line ends, "data:x" without the space, only one space taken, a field with no colon, other fields ignored, an event with no data', () => {
  const stream = '\n\ndata:x\r\rdata:  two spaces\n: a comment inside\nid: 7\nretry: 10\n\nevent: ping\n\ndata\n\n';
  const expected = [
    [null, 'x'],
    [null, ' two spaces'],
    ['ping', ''],
    [null, ''],
  ];
  const whole = framer();
  whole.f.push(Buffer.from(stream), 0);
  assert.deepEqual(whole.events.map((e) => [e.event, e.data]), expected);
  // the same at every cut, a lone CR at the end of a read included
  const bytes = Buffer.from(stream);
  for (let cut = 1; cut < bytes.length; cut++) {
    const { f, events } = framer();
    f.push(bytes.subarray(0, cut), 0);
    f.push(bytes.subarray(cut), 1);
    assert.deepEqual(events.map((e) => [e.event, e.data]), expected, `cut at ${cut}`);
  }
  // a stream cut right after a CR keeps it in the leftover
  const { f } = framer();
  f.push(Buffer.from('data: a\n\ndata: b\r'), 0);
  assert.equal(f.leftover, 'data: b\r');
});
