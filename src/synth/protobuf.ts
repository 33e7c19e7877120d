/**
 * A minimal protocol-buffers writer that can stream: a message is a list of byte chunks whose sizes
 * are known up front, and large payloads (weights) are produced only when written. That lets a
 * multi-gigabyte model be written to disk one tensor at a time.
 */

/** Bytes that are made only when the message is written; `length` must be exact. */
export interface LazyBytes {
  readonly length: number;
  produce(): Uint8Array;
}

type Chunk = Uint8Array | LazyBytes;

const WIRE_VARINT = 0;
const WIRE_I32 = 5;
const WIRE_LEN = 2;

function varintBytes(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

const encoder = new TextEncoder();

/** One protobuf message under construction. */
export class ProtoMessage {
  private readonly chunks: Chunk[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(chunk: Chunk): this {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.push(varintBytes((field << 3) | wire));
  }

  /** An integer field (int32, int64, enum, bool). */
  varint(field: number, value: number | bigint): this {
    return this.tag(field, WIRE_VARINT).push(varintBytes(value));
  }

  /** A 32-bit float field. */
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.tag(field, WIRE_I32).push(b);
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  bytes(field: number, value: Uint8Array | LazyBytes): this {
    return this.tag(field, WIRE_LEN).push(varintBytes(value.length)).push(value);
  }

  message(field: number, value: ProtoMessage): this {
    this.tag(field, WIRE_LEN).push(varintBytes(value.length));
    for (const c of value.chunks) this.push(c);
    return this;
  }

  /** The chunks in order, lazy ones produced one at a time. */
  *serialize(): Generator<Uint8Array> {
    for (const c of this.chunks) {
      if (c instanceof Uint8Array) {
        yield c;
        continue;
      }
      const bytes = c.produce();
      if (bytes.length !== c.length) throw new Error(`lazy protobuf bytes: produced ${bytes.length}, declared ${c.length}`);
      yield bytes;
    }
  }

  /** The whole message in memory (small messages only). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.serialize()) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
