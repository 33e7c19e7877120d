/**
 * Incremental server-sent-events framing. Bytes go in as they arrive; complete events go out to a
 * callback, each tagged with the index of the read that completed it, so the caller can give every event the
 * stamp taken when its last bytes arrived. JSON is not parsed here.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** Index of the network read whose bytes completed this event. */
  arrival: number;
  /** The `event:` field, when the server named the event. */
  event: string | null;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/** Splits a byte stream into SSE events (blank-line separated; LF, CRLF or CR line ends). */
export class SseFramer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  /** A trailing CR held back: it may be the first half of a CRLF split across reads. */
  private heldCr = false;

  /** Feeds the bytes of read number `arrival`. */
  push(bytes: Buffer, arrival: number): void {
    let text = (this.heldCr ? '\r' : '') + this.decoder.write(bytes);
    this.heldCr = text.endsWith('\r');
    if (this.heldCr) text = text.slice(0, -1);
    // CRLF and lone CR are line ends too (the SSE spec); after this only LF remains
    this.pending += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
    let end: number;
    while ((end = this.pending.indexOf('\n\n')) >= 0) {
      const block = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      this.addBlock(block, arrival);
    }
  }

  /** Bytes received after the last complete event (a stream cut mid-event leaves some). */
  get leftover(): string {
    return this.pending + (this.heldCr ? '\r' : '') + this.decoder.end();
  }

  private addBlock(block: string, arrival: number): void {
    let event: string | null = null;
    let data: string | null = null;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data = data === null ? value : `${data}\n${value}`;
      else if (field === 'event') event = value;
    }
    if (data !== null || event !== null) this.onEvent({ arrival, event, data: data ?? '' });
  }
}
