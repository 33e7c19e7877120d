/**
 * Stamps at the socket, before any HTTP parsing. undici reads a socket's bytes and runs its
 * parser before it hands the body to tokenbench; with hundreds of connections readable at once,
 * that parsing, done socket after socket, would make the stamps of later sockets late. So every
 * socket undici opens through `stampingConnector` stamps each read as it arrives (in its `push`,
 * which Node calls right after the read) and hands it to undici after the poll phase, and a request
 * learns its socket from undici's `sendHeaders` diagnostics message, published while the request
 * is being written.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

const READ_STAMP = Symbol('tokenbench.readStamp');

type StampedSocket = Socket & { [READ_STAMP]?: bigint };

/** When the latest read on `socket` arrived; null for sockets not opened by stampingConnector. */
export function lastReadStamp(socket: Socket | null): bigint | null {
  return (socket as StampedSocket | null)?.[READ_STAMP] ?? null;
}

/** Work handed to undici per check phase before the loop polls again (ms). */
const SLICE_MS = 0.5;

/** A held socket call, in arrival order with every other socket's: a read, the end of the stream (a null chunk), or a destroy. */
interface HeldCall {
  socket: StampedSocket;
  destroying: boolean;
  chunk: unknown;
  encoding: BufferEncoding | undefined;
  stamp: bigint;
  error: Error | undefined;
  /** The socket's own push and destroy, as they were before instrument. */
  push: (chunk: unknown, encoding?: BufferEncoding) => boolean;
  destroy: (error?: Error) => StampedSocket;
}

/** Held calls not yet handed over, oldest first from `first`. */
const queue: HeldCall[] = [];
let first = 0;
/** A check-phase drain of the queue is scheduled. */
let drainScheduled = false;
/** Held calls per socket, so that an end or destroy with nothing held goes through at once. */
const heldOf = new WeakMap<Socket, number>();

function enqueue(call: HeldCall): void {
  queue.push(call);
  heldOf.set(call.socket, (heldOf.get(call.socket) ?? 0) + 1);
  if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drain);
  }
}

/** Hands one held call to the socket's own code (and so to undici). */
function handOver(call: HeldCall): void {
  heldOf.set(call.socket, (heldOf.get(call.socket) as number) - 1);
  if (call.destroying) {
    call.destroy.call(call.socket, call.error);
  } else if (call.chunk === null) {
    call.push.call(call.socket, null);
    call.socket.read(0); // as Node does after pushing the end
  } else {
    call.socket[READ_STAMP] = call.stamp;
    call.push.call(call.socket, call.chunk, call.encoding);
  }
}

/** When the current check phase's drain began (performance.now()). */
let sliceStart = 0;

/**
 * Hands the held calls over one at a time in the check phase, each in its own nextTick after the
 * one before, so that undici, whose parsing of a read is queued with nextTick by the push, parses
 * each read under its own stamp before the next is handed over. Once a check phase has spent
 * SLICE_MS this way the rest wait for the next turn, so that reads arriving meanwhile are stamped
 * after a poll of at most that long rather than after all of a burst's parsing.
 */
function drain(): void {
  sliceStart = performance.now();
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: it bounds memory only; what is handed over, and when, is the same without it
  if (first >= 1024) {
    // a queue that never empties (reads arriving faster than a slice hands them over) is not let grow
    queue.splice(0, first);
    first = 0;
  }
  step();
}

function step(): void {
  const call = queue[first];
  if (call === undefined) {
    queue.length = 0;
    first = 0;
    drainScheduled = false;
    return;
  }
  // Stryker disable next-line EqualityOperator: > and >= differ at one instant of a continuous clock
  if (performance.now() - sliceStart > SLICE_MS) {
    setImmediate(drain);
    return;
  }
  queue[first++] = undefined as unknown as HeldCall;
  handOver(call);
  process.nextTick(step);
}

/**
 * Holds every read until the check phase. Without this, Node runs undici's parser (queued with
 * nextTick by the read) right after each socket's read callback, so with many sockets readable at
 * once each later socket's stamp would wait for the parsing of all those before it. Held, every read
 * of a poll phase is stamped first, and each is then handed to undici in order in the check phase,
 * undici parsing it (in the nextTick after it) under its own stamp before the next is handed over.
 * The end of the stream, and a destroy while reads are held, wait behind the held reads.
 */
function instrument(socket: Socket): void {
  const push = socket.push as HeldCall['push'];
  const destroy = socket.destroy as HeldCall['destroy'];
  const held = (): number => heldOf.get(socket) ?? 0;
  socket.push = function heldPush(this: StampedSocket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null && held() === 0) return push.call(this, chunk, encoding);
    const stamp = process.hrtime.bigint();
    enqueue({ socket: this, destroying: false, chunk, encoding, stamp, error: undefined, push, destroy });
    return true;
  };
  socket.destroy = function heldDestroy(this: StampedSocket, error?: Error): StampedSocket {
    if (held() === 0) return destroy.call(this, error);
    enqueue({ socket: this, destroying: true, chunk: null, encoding: undefined, stamp: 0n, error, push, destroy });
    return this;
  };
}

/** undici's own connector, with every socket it opens stamping its reads. */
export function stampingConnector(): buildConnector.connector {
  const base = buildConnector({});
  return (options, callback) =>
    base(options, (...args) => {
      const socket = args[1];
      if (socket) instrument(socket);
      callback(...args);
    });
}

/** Requests written on each socket, every one of them (a stream, or a JSON request on the same keep-alive connection). */
const requestsWritten = new WeakMap<Socket, number>();

/** Called with the socket of the request undici is writing now, and how many it carried before (> 0: a reused keep-alive connection). */
let awaitingSocket: ((socket: Socket, before: number) => void) | null = null;

subscribe('undici:client:sendHeaders', (message) => {
  const socket = (message as { socket: Socket }).socket;
  const before = requestsWritten.get(socket) ?? 0;
  requestsWritten.set(socket, before + 1);
  const take = awaitingSocket;
  awaitingSocket = null;
  take?.(socket, before);
});

/**
 * Call from a dispatch handler's onConnect: undici calls it and then, in the same synchronous
 * write, publishes sendHeaders with the socket, so nothing can come in between.
 */
export function socketOfRequestBeingWritten(receive: (socket: Socket, before: number) => void): void {
  awaitingSocket = receive;
}
