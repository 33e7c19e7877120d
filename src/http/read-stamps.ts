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

/** Work handed to undici per check phase before the loop polls again (ns). */
const SLICE_NS = 500_000n;

/** The hand-overs of one check phase: when the first of them ran (null before it has). */
interface Slice {
  start: bigint | null;
}

/**
 * The slice the next check phase's hand-overs belong to: opened by the first read held after a
 * check phase began (reads arrive in the poll phase before it) or by a hand-over put off to it,
 * closed when its first hand-over runs. Kept here rather than reset by a callback of the next turn,
 * which would make every turn with a read poll once more without blocking.
 */
let nextSlice: Slice | null = null;

/**
 * Runs `handOver` in the check phase, in order with every other held read. Once a check phase has
 * spent SLICE_NS handing reads to undici (its parsing and all that follows run in the nextTicks
 * after each), the rest wait for the next turn, so that reads arriving meanwhile are stamped after
 * a poll of at most that long rather than after all of the burst's parsing.
 */
function inCheckPhase(handOver: () => void, slice: Slice = (nextSlice ??= { start: null })): void {
  setImmediate(function handOverInSlice() {
    const now = process.hrtime.bigint();
    if (slice.start === null) {
      slice.start = now;
      if (nextSlice === slice) nextSlice = null;
    } else if (now - slice.start > SLICE_NS) {
      inCheckPhase(handOver); // the next turn's slice
      return;
    }
    handOver();
  });
}

/**
 * Holds every read until the check phase. Without this, Node runs undici's parser (queued with
 * nextTick by the read) right after each socket's read callback, so with many sockets readable at
 * once each later socket's stamp would wait for the parsing of all those before it. Held, every read
 * of a poll phase is stamped first, and each is then handed to undici in order, in its own
 * setImmediate, so undici parses it (in the nextTicks after that callback) under its own stamp.
 * The end of the stream, and a destroy while reads are held, wait behind the held reads.
 */
function instrument(socket: Socket): void {
  const push = socket.push;
  const destroy = socket.destroy;
  let held = 0;
  const hold = (handOver: () => void): void => {
    held++;
    inCheckPhase(() => {
      held--;
      handOver();
    });
  };
  socket.push = function heldPush(this: StampedSocket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null && held === 0) return push.call(this, chunk, encoding);
    const stamp = process.hrtime.bigint();
    hold(() => {
      if (chunk === null) {
        push.call(this, null);
        this.read(0); // as Node does after pushing the end
      } else {
        this[READ_STAMP] = stamp;
        push.call(this, chunk, encoding);
      }
    });
    return true;
  };
  socket.destroy = function heldDestroy(this: StampedSocket, error?: Error): StampedSocket {
    if (held === 0) return destroy.call(this, error);
    hold(() => destroy.call(this, error));
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
