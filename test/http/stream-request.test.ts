/**
 * One streamed request on an undici pool (src/http/stream-request.ts), in the situations around the
 * happy path: a request still waiting for a connection when its time runs out or the run is
 * interrupted, the run's signal shared by many requests, a pool whose sockets do not stamp reads.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, test } from 'node:test';
import { Pool } from 'undici';
import { stampingConnector } from '../../src/http/read-stamps.js';
import { classifyTransportError, type Exchange, type StreamRequest, streamRequest } from '../../src/http/stream-request.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-openai-server.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

/** A streamed completion of `tokens` tokens from the scripted server's `model`. */
function request(model: string, tokens: number, extra: Partial<StreamRequest> = {}): StreamRequest {
  return {
    path: '/v1/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'a b', max_tokens: tokens, stream: true }),
    idleTimeoutMs: 5_000,
    totalTimeoutMs: 10_000,
    onEvent: () => {},
    ...extra,
  };
}

const stampedPool = (connections: number): Pool => new Pool(new URL(server.url).origin, { connections, pipelining: 1, connect: stampingConnector() });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a request whose total time runs out while it waits for a connection ends then, as a timeout, and is never written', async () => {
  const pool = stampedPool(1);
  try {
    const logged = server.log.length;
    const started = process.hrtime.bigint();
    const busy = streamRequest(pool, request('ttft=5,itl=60', 10));
    const queued = await streamRequest(pool, request('ttft=1,itl=1', 2, { totalTimeoutMs: 150 }));
    const waitedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(queued.end.kind, 'timeout');
    assert.match(queued.end.kind === 'timeout' ? queued.end.message : '', /no end within 150 ms .*waiting for a connection/);
    assert.ok(waitedMs >= 140 && waitedMs < 500, `ended after its 150 ms, not after the request before it (${waitedMs.toFixed(0)} ms)`);
    assert.deepEqual([queued.t0, queued.status, queued.arrivals.length, queued.reused], [null, null, 0, false], 'never written');
    const first = await busy;
    assert.equal(first.end.kind, 'complete');
    await sleep(100); // undici gets to the queued request now, and it is aborted there
    assert.deepEqual(queued.end, { kind: 'timeout', message: 'no end within 150 ms (it was still waiting for a connection)' }, 'what undici did after it ended changes nothing');
    assert.equal(server.log.length - logged, 1, 'the server got only the first request');
  } finally {
    await pool.close();
  }
});

test('the interrupt ends a request waiting for a connection at once (interrupted, never written); one in flight is cut, saying so', async () => {
  const pool = stampedPool(1);
  const cut = new AbortController();
  try {
    const logged = server.log.length;
    const inFlight = streamRequest(pool, request('ttft=5,itl=60', 10, { signal: cut.signal }));
    const queued = streamRequest(pool, request('ttft=1,itl=1', 2, { signal: cut.signal }));
    await sleep(150);
    const at = process.hrtime.bigint();
    cut.abort();
    const q = await queued;
    assert.ok(Number(process.hrtime.bigint() - at) / 1e6 < 50, 'the queued request ended at once');
    assert.deepEqual([q.end, q.t0], [{ kind: 'interrupted', message: 'cut by the interrupt before it was sent' }, null]);
    const f = await inFlight;
    assert.deepEqual(f.end, { kind: 'interrupted', message: 'cut by the interrupt' });
    assert.ok(f.t0 !== null && f.arrivals.length >= 1, 'the one in flight was written and had begun to answer');
    await sleep(100);
    assert.equal(server.log.length - logged, 1, 'the queued request was never sent');
  } finally {
    await pool.close();
  }
});

test('the run\'s signal, shared by every request, holds no listener of a request that ended', async () => {
  const pool = stampedPool(2);
  const run = new AbortController();
  try {
    const ends: Exchange[] = await Promise.all(Array.from({ length: 6 }, () => streamRequest(pool, request('ttft=1,itl=1', 3, { signal: run.signal }))));
    assert.deepEqual(ends.map((x) => x.end.kind), Array(6).fill('complete'));
    assert.equal(getEventListeners(run.signal, 'abort').length, 0);
    const failed = await streamRequest(new Pool('http://127.0.0.1:1'), request('ttft=1', 1, { signal: run.signal }));
    assert.equal(failed.end.kind, 'connect');
    assert.equal(getEventListeners(run.signal, 'abort').length, 0, 'nor of one that failed');
  } finally {
    await pool.close();
  }
});

test('a pool whose sockets do not stamp their reads: the head and every read are stamped when undici hands them over', async () => {
  const pool = new Pool(new URL(server.url).origin, { connections: 1 });
  try {
    const before = process.hrtime.bigint();
    const x = await streamRequest(pool, request('ttft=2,itl=2', 5));
    assert.equal(x.end.kind, 'complete');
    assert.ok(typeof x.headersAt === 'bigint' && x.headersAt > before, 'the head stamped');
    assert.ok(x.arrivals.length >= 1);
    for (const a of x.arrivals) assert.ok(a >= (x.headersAt as bigint) && a <= x.endedAt, 'each read between the head and the end');
  } finally {
    await pool.close();
  }
});

test('a request that could not connect: never written, not on a reused connection, the error as undici said it', async () => {
  const x = await streamRequest(new Pool('http://127.0.0.1:1'), request('ttft=1', 1));
  assert.deepEqual([x.end.kind, x.t0, x.reused, x.headersAt], ['connect', null, false, null]);
  assert.deepEqual(classifyTransportError(new Error('gone'), true, true), { kind: 'truncated', message: 'gone' }, 'no code: the message alone');
});
