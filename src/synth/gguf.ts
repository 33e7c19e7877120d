/**
 * A GGUF v3 writer: header, metadata, tensor infos, aligned data. Tensors are produced one at a
 * time while writing, so a model of any size streams to disk without sitting in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

/** ggml tensor types used here. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GgmlType;

const GgufValue = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;

export type MetadataValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'f32[]'; value: Float32Array }
  | { type: 'i32[]'; value: Int32Array };

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (a row's length). */
  dims: number[];
  type: GgmlTypeName;
  /** The tensor's bytes, made when written; must be exactly byteSize(dims, type). */
  produce: () => Uint8Array;
}

/** Bytes of a tensor of a type: Q8_0 blocks are 32 values in 34 bytes (f16 scale + 32 int8), Q4_0 in 18 (f16 scale + 32 nibbles). */
export function tensorBytes(dims: readonly number[], type: GgmlTypeName): number {
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === 'F32') return n * 4;
  if (type === 'F16') return n * 2;
  return (n / 32) * (type === 'Q4_0' ? 18 : 34);
}

/** A growable little-endian byte writer for the header. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(w: ByteWriter, v: MetadataValue): void {
  switch (v.type) {
    case 'u32':
      w.u32(GgufValue.UINT32);
      w.u32(v.value);
      return;
    case 'i32':
      w.u32(GgufValue.INT32);
      w.i32(v.value);
      return;
    case 'f32':
      w.u32(GgufValue.FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(GgufValue.BOOL);
      w.u8(v.value ? 1 : 0);
      return;
    case 'string':
      w.u32(GgufValue.STRING);
      w.string(v.value);
      return;
    case 'string[]':
      w.u32(GgufValue.ARRAY);
      w.u32(GgufValue.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case 'f32[]':
      w.u32(GgufValue.ARRAY);
      w.u32(GgufValue.FLOAT32);
      w.u64(v.value.length);
      w.bytes(new Uint8Array(v.value.buffer, v.value.byteOffset, v.value.byteLength));
      return;
    case 'i32[]':
      w.u32(GgufValue.ARRAY);
      w.u32(GgufValue.INT32);
      w.u64(v.value.length);
      w.bytes(new Uint8Array(v.value.buffer, v.value.byteOffset, v.value.byteLength));
      return;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes a GGUF v3 file; returns its size in bytes. */
export function writeGguf(path: string, metadata: Readonly<Record<string, MetadataValue>>, tensors: readonly GgufTensor[]): number {
  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    w.string(key);
    writeValue(w, value);
  }
  const alignment = metadata['general.alignment']?.type === 'u32' ? (metadata['general.alignment'].value as number) : GGUF_ALIGNMENT;
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GgmlType[t.type]);
    offset = Math.ceil(offset / alignment) * alignment;
    offsets.push(offset);
    w.u64(offset);
    offset += tensorBytes(t.dims, t.type);
  }
  w.pad(alignment);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    writeAll(fd, w.result());
    written = w.length;
    const dataStart = written;
    tensors.forEach((t, i) => {
      const target = dataStart + (offsets[i] as number);
      if (target > written) {
        writeAll(fd, new Uint8Array(target - written));
        written = target;
      }
      const bytes = t.produce();
      const expected = tensorBytes(t.dims, t.type);
      if (bytes.length !== expected) throw new Error(`GGUF tensor ${t.name}: produced ${bytes.length} bytes, expected ${expected}`);
      writeAll(fd, bytes);
      written += bytes.length;
    });
  } finally {
    closeSync(fd);
  }
  return written;
}
