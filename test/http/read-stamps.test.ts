/**
 * The socket read stamps on their own: a socket opened by `stampingConnector` stamps a read when
 * it arrives (its push) and hands it over only in the check phase, in order, with the end and a
 * destroy behind the held reads; the reads of one check phase stop after half a millisecond of
 * work so that the loop polls again. The reads are driven by calling the socket's push as Node's
 * read callback does, so that the time between arrival and hand-over can be made long on purpose.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from 'undici';
import { lastReadStamp, socketOfRequestBeingWritten, stampingConnector } from '../../src/http/read-stamps.js';
import { busyWait } from '../helpers.js';

let server: Server;
let port = 0;
before(async () => {
  server = createServer((s) => s.on('error', () => {})); // holds connections open and sends nothing
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.close();
});

/** A socket opened through the connector under test. */
function stampedSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    stampingConnector()({ hostname: '127.0.0.1', host: '127.0.0.1', protocol: 'http:', port: String(port) } as never, (error, socket) => {
      if (error) reject(error);
      else resolve(socket as Socket);
    });
  });
}

/** Everything a socket emitted, in order, with the read stamp current at each data event. */
function recordEvents(socket: Socket): { events: string[]; stampsAtData: (bigint | null)[]; dataAt: bigint[] } {
  const record = { events: [] as string[], stampsAtData: [] as (bigint | null)[], dataAt: [] as bigint[] };
  socket.on('data', (chunk: Buffer) => {
    record.events.push(`data ${chunk.toString()}`);
    record.stampsAtData.push(lastReadStamp(socket));
    record.dataAt.push(process.hrtime.bigint());
  });
  socket.on('end', () => record.events.push('end'));
  socket.on('close', () => record.events.push('close'));
  return record;
}

test('a read is stamped when it arrives and handed over in the check phase, however long the turn takes', async () => {
  const socket = await stampedSocket();
  const seen = recordEvents(socket);
  const before = process.hrtime.bigint();
  assert.equal(socket.push(Buffer.from('a')), true, 'a held read never asks the socket to stop reading');
  const pushed = process.hrtime.bigint();
  assert.deepEqual(seen.events, [], 'nothing is handed over during the read');
  busyWait(30); // the rest of the poll phase: other sockets' reads, parsing
  const waited = process.hrtime.bigint();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen.events, ['data a']);
  const stamp = seen.stampsAtData[0] as bigint;
  assert.ok(stamp >= before && stamp <= pushed, `stamped at the read: ${stamp - before} ns after it began`);
  assert.ok((seen.dataAt[0] as bigint) >= waited, 'handed over after the turn');
  socket.destroy();
});

test('held reads keep their order and their own stamps; the end and a destroy wait behind them', async () => {
  const socket = await stampedSocket();
  const seen = recordEvents(socket);
  socket.push(Buffer.from('a'));
  busyWait(2);
  socket.push(Buffer.from('b'));
  socket.push(null);
  await once(socket, 'end');
  assert.deepEqual(seen.events, ['data a', 'data b', 'end']);
  const [first, second] = seen.stampsAtData as [bigint, bigint];
  assert.ok(second - first >= 2_000_000n, `each read its own stamp: ${second - first} ns apart`);
  assert.equal(lastReadStamp(socket), second, 'the end is not a read');
  socket.destroy();

  const destroyed = await stampedSocket();
  const order = recordEvents(destroyed);
  destroyed.push(Buffer.from('c'));
  destroyed.destroy();
  assert.equal(destroyed.destroyed, false, 'the destroy waits for the held read');
  await once(destroyed, 'close');
  assert.deepEqual(order.events, ['data c', 'close']);
});

test('with no read held the end and a destroy go through at once', async () => {
  const socket = await stampedSocket();
  const seen = recordEvents(socket);
  assert.equal(lastReadStamp(socket), null, 'no read yet');
  socket.push(Buffer.from('a'));
  await once(socket, 'data'); // handed over: nothing held now
  setImmediate(() => seen.events.push('check phase'));
  socket.push(null);
  await once(socket, 'end');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen.events, ['data a', 'end', 'check phase'], 'the end came before the check phase');
  socket.destroy();
  assert.equal(socket.destroyed, true);

  const plain = new Socket();
  assert.equal(lastReadStamp(plain), null, 'a socket the connector did not open has no stamps');
  assert.equal(lastReadStamp(null), null);
});

test('one check phase hands over about half a millisecond of reads, then the loop turns', async () => {
  const socket = await stampedSocket();
  const seen = recordEvents(socket);
  socket.on('data', () => busyWait(1)); // the parsing and all that follows a hand-over
  let turnedAfter = -1;
  setTimeout(() => (turnedAfter = seen.events.length), 0);
  for (const c of 'abcdefgh') socket.push(Buffer.from(c));
  while (seen.events.length < 8) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen.events, [...'abcdefgh'].map((c) => `data ${c}`), 'in order');
  assert.ok(turnedAfter >= 1 && turnedAfter < 8, `the timers ran between hand-overs, after ${turnedAfter}`);
  socket.destroy();
});

test('reads that take little work go over together in one check phase', async () => {
  // the one loss allowed: the process descheduled for half a millisecond mid-phase; three tries
  const together: number[] = [];
  for (let attempt = 0; attempt < 3 && !together.some((n) => n >= 4); attempt++) {
    const socket = await stampedSocket();
    const seen = recordEvents(socket);
    let turnedAfter = -1;
    setTimeout(() => (turnedAfter = seen.events.length), 0);
    for (const c of 'abcd') socket.push(Buffer.from(c));
    busyWait(2); // the timer is due before the check phase ends
    while (seen.events.length < 4 || turnedAfter < 0) await new Promise((resolve) => setTimeout(resolve, 5));
    together.push(turnedAfter);
    socket.destroy();
  }
  assert.ok(together.some((n) => n >= 4), `reads handed over before the loop turned: ${together.join(', ')}`);
});

test('reads held across many turns (a burst bigger than slices can hand over at once) all arrive, in order, each with its own stamp, two sockets interleaved', async () => {
  const [a, b] = [await stampedSocket(), await stampedSocket()];
  const seen = [recordEvents(a), recordEvents(b)];
  for (const s of [a, b]) s.on('data', () => busyWait(0.01)); // about 50 hand-overs a slice: 3000 reads take some 60 turns
  const stamps: bigint[] = [];
  for (let i = 0; i < 1500; i++) {
    for (const s of [a, b]) {
      stamps.push(process.hrtime.bigint());
      s.push(Buffer.from(String(i)));
    }
  }
  stamps.push(process.hrtime.bigint());
  for (const s of [a, b]) s.push(null);
  await Promise.all([once(a, 'end'), once(b, 'end')]);
  for (const [k, r] of seen.entries()) {
    assert.deepEqual(r.events, [...Array.from({ length: 1500 }, (_, i) => `data ${i}`), 'end'], `socket ${k}: every read, in order, then the end`);
    r.stampsAtData.forEach((stamp, i) => {
      const [pushed, nextPushed] = [stamps[2 * i + k] as bigint, stamps[2 * i + k + 1] as bigint];
      assert.ok(stamp !== null && stamp >= pushed && stamp <= nextPushed, `socket ${k} read ${i}: stamped in its push, before the next read was pushed, not when handed over`);
    });
    assert.ok((r.dataAt.at(-1) as bigint) - (stamps.at(-1) as bigint) > 5_000_000n, 'the last reads were handed over turns later');
  }
  a.destroy();
  b.destroy();
});

test('the socket a request is written on reaches the one waiting for it, once, with every request it carried before; its reads are stamped', async () => {
  const http = createHttpServer((_req, res) => res.end('ok'));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = new Client(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { connect: stampingConnector() });
  try {
    const sockets: Socket[] = [];
    const counts: number[] = [];
    socketOfRequestBeingWritten((s, before) => {
      sockets.push(s);
      counts.push(before);
    });
    const first = await client.request({ path: '/', method: 'GET' });
    assert.equal(await first.body.text(), 'ok');
    assert.equal(sockets.length, 1);
    assert.deepEqual(counts, [0], 'a new connection');
    const stamp = lastReadStamp(sockets[0] as Socket);
    assert.ok(stamp !== null && stamp <= process.hrtime.bigint(), 'the response was read through the stamping socket');
    // nobody waiting: the next request's socket goes nowhere
    const second = await client.request({ path: '/', method: 'GET' });
    await second.body.text();
    assert.equal(sockets.length, 1);
    // yet it is counted: a request after it on that connection is a third, whoever waits for it
    socketOfRequestBeingWritten((s, before) => {
      sockets.push(s);
      counts.push(before);
    });
    await (await client.request({ path: '/', method: 'GET' })).body.text();
    assert.deepEqual(counts, [0, 2]);
    assert.equal(sockets[1], sockets[0], 'the same keep-alive connection');
  } finally {
    await client.close();
    http.close();
  }
});
