/**
 * One streaming HTTP request on an undici pool, stamped at the byte level: t0 when undici is about
 * to write the request on its connection (after any wait for a free connection), a stamp when the
 * response head arrives, and one stamp per network read: taken at the socket before undici parses
 * the bytes when the pool was built with stampingConnector (read-stamps.ts), else as soon as undici
 * hands them over. Each read is framed into SSE events as undici hands it over, and the events go
 * to the caller at once, each tagged with the read that completed it.
 */
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { lastReadStamp, socketOfRequestBeingWritten } from './read-stamps.js';
import { SseFramer, type SseEvent } from './sse.js';

export interface StreamRequest {
  /** Path below the pool's origin, e.g. `/v1/completions`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** No byte for this long (head or body) ends the request as a timeout. */
  idleTimeoutMs: number;
  /** The whole request may take at most this long. */
  totalTimeoutMs: number;
  signal?: AbortSignal;
  /** Ask for the connection to close after this response (a server that closes every connection after each one anyway). */
  closeAfter?: boolean;
  /** Each complete SSE event of a 2xx response, as it arrives (after its read was stamped). */
  onEvent: (event: SseEvent) => void;
}

/** How a request's transport ended; `complete` means the server ended the response cleanly. */
export type TransportEnd =
  | { kind: 'complete' }
  | { kind: 'connect'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'truncated'; message: string }
  | { kind: 'interrupted'; message: string };

export interface Exchange {
  /** Just before the request was written on its connection; null if it never was. */
  t0: bigint | null;
  /** When the response head arrived. */
  headersAt: bigint | null;
  /** Written on a keep-alive connection that had carried earlier requests. */
  reused: boolean;
  status: number | null;
  /** One stamp per network read of the body (a typed array: no heap object per stamp). */
  arrivals: BigInt64Array;
  /** SSE events framed. */
  eventCount: number;
  /** Bytes after the last complete event. */
  leftover: string;
  /** Response body for non-2xx statuses (first 64 KiB), for the error message. */
  errorBody: string;
  end: TransportEnd;
  endedAt: bigint;
}

const ERROR_BODY_LIMIT = 65536;

/** A request in flight cut by the run's interrupt (a second Ctrl-C, or SIGTERM's grace ran out): an AbortError, so it is told apart from a connection the server cut. */
const cutError = (): Error => Object.assign(new Error('cut by the interrupt'), { name: 'AbortError' });

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** What ended a request, from the error undici gave: a timeout, the run's interrupt, no connection, or a response cut short. */
export function classifyTransportError(err: Error & { code?: string }, sent: boolean, headers: boolean): TransportEnd {
  const code = err.code ?? '';
  const message = `${code ? `${code}: ` : ''}${err.message}`;
  if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message };
  if (code === 'UND_ERR_ABORTED' || err.name === 'AbortError') return { kind: 'interrupted', message };
  if (!sent || CONNECT_CODES.has(code)) return { kind: 'connect', message };
  return headers ? { kind: 'truncated', message } : { kind: 'connect', message };
}

/** A growing list of stamps in a BigInt64Array. */
class StampList {
  private buffer = new BigInt64Array(64);
  length = 0;

  push(stamp: bigint): void {
    if (this.length === this.buffer.length) {
      const bigger = new BigInt64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = stamp;
  }

  view(): BigInt64Array {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * True when a request failed on a reused keep-alive connection before any byte of its response:
 * the server had closed that connection (llama.cpp's server closes after every streamed response
 * while advertising keep-alive), so the request can be sent again on a new one.
 */
export function failedOnStaleConnection(x: Exchange): boolean {
  return x.reused && x.end.kind === 'connect' && x.t0 !== null && x.headersAt === null && x.status === null && x.arrivals.length === 0;
}

/** Sends one POST and collects the stamped response; resolves on every outcome, never rejects. */
export function streamRequest(dispatcher: Dispatcher, request: StreamRequest): Promise<Exchange> {
  return new Promise((resolvePromise) => {
    const stamps = new StampList();
    const framer = new SseFramer((event) => {
      x.eventCount++;
      request.onEvent(event);
    });
    // leftover, end and endedAt are placeholders: finish sets them on every path
    const x: Exchange = {
      t0: null,
      headersAt: null,
      reused: false,
      status: null,
      arrivals: new BigInt64Array(0),
      eventCount: 0,
      // Stryker disable next-line StringLiteral: a placeholder (finish sets it)
      leftover: '',
      errorBody: '',
      // Stryker disable next-line ObjectLiteral,StringLiteral: a placeholder (finish sets it)
      end: { kind: 'complete' },
      endedAt: 0n,
    };
    let abortRequest: ((err?: Error) => void) | null = null;
    /** The connection, when undici said which (pools built with stampingConnector stamp its reads). */
    let socket: Socket | null = null;
    /** When the bytes being handled now arrived: the socket's read stamp, else now. */
    const arrivedAt = (): bigint => lastReadStamp(socket) ?? process.hrtime.bigint();
    let timedOut = false;
    let settled = false;
    const finish = (end: TransportEnd): void => {
      if (settled) return;
      settled = true;
      x.endedAt = process.hrtime.bigint();
      x.arrivals = stamps.view();
      clearTimeout(deadline);
      request.signal?.removeEventListener('abort', onAbort);
      x.leftover = framer.leftover;
      x.end = end;
      resolvePromise(x);
    };
    // a request still waiting for a connection has nothing to abort yet: it ends now, and is
    // aborted when undici gets round to writing it (onConnect, once settled)
    const deadline = setTimeout(() => {
      timedOut = true;
      if (abortRequest) abortRequest();
      else finish({ kind: 'timeout', message: `no end within ${request.totalTimeoutMs} ms (it was still waiting for a connection)` });
    }, request.totalTimeoutMs);
    const onAbort = (): void => {
      if (abortRequest) abortRequest(cutError());
      else finish({ kind: 'interrupted', message: 'cut by the interrupt before it was sent' });
    };
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: finish removes the listener either way
    request.signal?.addEventListener('abort', onAbort, { once: true });

    // Stryker disable next-line BooleanLiteral: onHeaders sets it before any onData
    let streaming = false;
    dispatcher.dispatch(
      {
        method: 'POST',
        path: request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: request.idleTimeoutMs,
        bodyTimeout: request.idleTimeoutMs,
        ...(request.closeAfter ? { reset: true } : {}),
      },
      {
        onConnect(abort: (err?: Error) => void): void {
          // ended while it waited for a connection (its total time, the interrupt): never written
          if (settled) return abort(cutError());
          // undici calls this right before it writes the request on the socket
          x.t0 = process.hrtime.bigint();
          abortRequest = abort;
          socketOfRequestBeingWritten((s, before) => {
            socket = s;
            x.reused = before > 0;
          });
          if (request.signal?.aborted) abort(cutError());
        },
        onHeaders(statusCode: number): boolean {
          x.headersAt = arrivedAt();
          x.status = statusCode;
          streaming = statusCode >= 200 && statusCode < 300;
          return true;
        },
        onData(chunk: Buffer): boolean {
          const at = arrivedAt();
          if (streaming) {
            const arrival = stamps.length;
            stamps.push(at);
            framer.push(chunk, arrival);
          } else if (x.errorBody.length < ERROR_BODY_LIMIT) {
            x.errorBody += chunk.toString('utf8');
          }
          return true;
        },
        onComplete(): void {
          finish({ kind: 'complete' });
        },
        onError(err: Error): void {
          if (timedOut) finish({ kind: 'timeout', message: `no end within ${request.totalTimeoutMs} ms` });
          else finish(classifyTransportError(err, x.t0 !== null, x.headersAt !== null));
        },
      } as unknown as Dispatcher.DispatchHandler,
    );
  });
}
