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

/** A stamping socket: its own push and destroy, as they were before instrument, and its calls held now. */
interface HeldSocket {
  socket: StampedSocket;
  push: (chunk: unknown, encoding?: BufferEncoding) => boolean;
  destroy: (error?: Error) => StampedSocket;
  /** Calls in the queue: an end or a destroy with none goes through at once. */
  held: number;
}

/** A held socket call, in arrival order with every other socket's: a read, the end of the stream (a null chunk), or a destroy. */
interface HeldCall {
  owner: HeldSocket;
  destroying: boolean;
  chunk: unknown;
  encoding: BufferEncoding | undefined;
  stamp: bigint;
  error: Error | undefined;
}

/** Held calls not yet handed over, oldest first from `first`. */
const queue: HeldCall[] = [];
let first = 0;
/** A check-phase drain of the queue is scheduled. */
let drainScheduled = false;

function enqueue(call: HeldCall): void {
  queue.push(call);
  call.owner.held++;
  if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drain);
  }
}

/** Hands one held call to the socket's own code (and so to undici). */
function handOver(call: HeldCall): void {
  const { socket, push, destroy } = call.owner;
  call.owner.held--;
  if (call.destroying) {
    destroy.call(socket, call.error);
  } else if (call.chunk === null) {
    push.call(socket, null);
    socket.read(0); // as Node does after pushing the end
  } else {
    socket[READ_STAMP] = call.stamp;
    push.call(socket, call.chunk, call.encoding);
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
  const owner: HeldSocket = { socket, push: socket.push as HeldSocket['push'], destroy: socket.destroy as HeldSocket['destroy'], held: 0 };
  socket.push = function heldPush(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null && owner.held === 0) return owner.push.call(socket, chunk, encoding);
    const stamp = process.hrtime.bigint();
    enqueue({ owner, destroying: false, chunk, encoding, stamp, error: undefined });
    return true;
  };
  socket.destroy = function heldDestroy(error?: Error): StampedSocket {
    if (owner.held === 0) return owner.destroy.call(socket, error);
    enqueue({ owner, destroying: true, chunk: null, encoding: undefined, stamp: 0n, error });
    return socket;
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
