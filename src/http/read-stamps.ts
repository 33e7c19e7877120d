/**
 * Stamps at the socket, before any HTTP parsing. undici reads a socket's bytes and runs its
 * parser before it hands the body to tokenbench; with hundreds of connections readable at once,
 * that parsing, done socket after socket, would make the stamps of later sockets late. So every
 * socket undici opens through `stampingConnector` records when its latest read arrived (its
 * `push`, which Node calls right after the read), and a request learns its socket from undici's
 * `sendHeaders` diagnostics message, published while the request is being written.
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

function instrument(socket: Socket): void {
  const push = socket.push;
  socket.push = function stampedPush(this: StampedSocket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) this[READ_STAMP] = process.hrtime.bigint();
    return push.call(this, chunk, encoding);
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

/** Called with the socket of the request undici is writing now. */
let awaitingSocket: ((socket: Socket) => void) | null = null;

subscribe('undici:client:sendHeaders', (message) => {
  const take = awaitingSocket;
  awaitingSocket = null;
  take?.((message as { socket: Socket }).socket);
});

/**
 * Call from a dispatch handler's onConnect: undici calls it and then, in the same synchronous
 * write, publishes sendHeaders with the socket, so nothing can come in between.
 */
export function socketOfRequestBeingWritten(receive: (socket: Socket) => void): void {
  awaitingSocket = receive;
}
