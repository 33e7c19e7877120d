/**
 * Writes ONNX models (the subset of onnx.proto a decoder needs) from TypeScript, streamed to disk.
 * Weights are produced lazily, one tensor at a time; past a size limit they go to an external data
 * file (`<model>.onnx_data`), as protobuf cannot hold a message over 2 GB.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { toHalf } from './half.js';
import { type LazyBytes, ProtoMessage } from './protobuf.js';

/** ONNX TensorProto.DataType values used here. */
export const OnnxType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 } as const;
export type OnnxTypeName = keyof typeof OnnxType;

/** A dimension: a fixed size or a symbolic name such as 'batch_size'. */
export type Dim = number | string;

export type AttributeValue = number | number[] | string | { float: number } | { tensor: ProtoMessage };

/** A graph input or output. */
interface ValueInfo {
  name: string;
  type: OnnxTypeName;
  dims: Dim[];
}

interface Initializer {
  name: string;
  type: OnnxTypeName;
  dims: number[];
  /** Bytes of the raw data, little-endian; produced when written. */
  data: LazyBytes;
}

/** Initializers smaller than this stay in the model file when weights go to external data. */
const EXTERNAL_MIN_BYTES = 1024;

const BYTES_PER_ELEMENT: Record<OnnxTypeName, number> = { float: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1, float16: 2 };

/** Builds a graph node by node; names of intermediate values are generated. */
export class OnnxGraph {
  private readonly nodes: ProtoMessage[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private counter = 0;
  /** Operator domains besides the default one that nodes use (com.microsoft's MatMulNBits). */
  private readonly domains = new Set<string>();

  input(name: string, type: OnnxTypeName, dims: Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: OnnxTypeName, dims: Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /** A weight or constant tensor whose bytes are made when the model is written. */
  initializer(name: string, type: OnnxTypeName, dims: number[], produce: () => Uint8Array): string {
    const length = dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[type];
    this.initializers.push({ name, type, dims, data: { length, produce } });
    return name;
  }

  /** A small int64 constant (shapes, axes). */
  int64(values: number[], name = this.fresh('const')): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.initializer(name, 'int64', [values.length], () => new Uint8Array(data.buffer));
  }

  /** An int64 scalar (0-d) constant. */
  int64Scalar(value: number, name = this.fresh('const')): string {
    const data = new BigInt64Array([BigInt(value)]);
    return this.initializer(name, 'int64', [], () => new Uint8Array(data.buffer));
  }

  /** A float scalar constant (float32, or float16). */
  scalar(value: number, type: 'float' | 'float16' = 'float', name = this.fresh('const')): string {
    const data = type === 'float' ? new Float32Array([value]) : toHalf(new Float32Array([value]));
    return this.initializer(name, type, [], () => new Uint8Array(data.buffer));
  }

  /** Adds a node (of operator `domain`, default ONNX's own); returns the names of its outputs (one generated name per output unless named). */
  node(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, outputNames?: string[], domain = ''): string[] {
    const outputs = outputNames ?? [this.fresh(opType.toLowerCase())];
    const n = new ProtoMessage();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, this.fresh(`${opType}_node`));
    n.string(4, opType);
    for (const [key, value] of Object.entries(attrs)) n.message(5, attribute(key, value));
    if (domain !== '') {
      n.string(7, domain);
      this.domains.add(domain);
    }
    this.nodes.push(n);
    return outputs;
  }

  /** Single-output node shorthand. */
  op(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, outputName?: string, domain = ''): string {
    const [out] = this.node(opType, inputs, attrs, outputName === undefined ? undefined : [outputName], domain);
    return out as string;
  }

  /** Total bytes of all initializers. */
  get weightBytes(): number {
    return this.initializers.reduce((a, t) => a + t.data.length, 0);
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /**
   * Writes the model to `path`. With `externalData`, every weight's bytes go to
   * `<path>_data` (aligned to 64 bytes) and the model file keeps only their locations.
   */
  write(path: string, options: { opset: number; producer: string; externalData: boolean }): void {
    const dataPath = `${path}_data`;
    const dataFd = options.externalData ? openSync(dataPath, 'w') : undefined;
    let dataOffset = 0;
    const graph = new ProtoMessage();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, 'main');
    for (const t of this.initializers) {
      const tensor = new ProtoMessage();
      for (const d of t.dims) tensor.varint(1, d);
      tensor.varint(2, OnnxType[t.type]);
      tensor.string(8, t.name);
      // small constants stay inline: shape inference must be able to read them
      if (dataFd !== undefined && t.data.length >= EXTERNAL_MIN_BYTES) {
        const padding = (64 - (dataOffset % 64)) % 64;
        if (padding > 0) writeSync(dataFd, new Uint8Array(padding));
        dataOffset += padding;
        const bytes = t.data.produce();
        writeAll(dataFd, bytes);
        tensor.message(13, stringEntry('location', basename(dataPath)));
        tensor.message(13, stringEntry('offset', String(dataOffset)));
        tensor.message(13, stringEntry('length', String(bytes.length)));
        tensor.varint(14, 1);
        dataOffset += bytes.length;
      } else {
        tensor.bytes(9, t.data);
      }
      graph.message(5, tensor);
    }
    for (const v of this.inputs) graph.message(11, valueInfo(v));
    for (const v of this.outputs) graph.message(12, valueInfo(v));
    if (dataFd !== undefined) closeSync(dataFd);

    const model = new ProtoMessage();
    model.varint(1, 8); // ir_version 8 (ONNX 1.10+), enough for opset 17
    model.string(2, options.producer);
    model.message(7, graph);
    model.message(8, new ProtoMessage().string(1, '').varint(2, options.opset));
    for (const domain of this.domains) model.message(8, new ProtoMessage().string(1, domain).varint(2, 1));
    const fd = openSync(path, 'w');
    try {
      for (const chunk of model.serialize()) writeAll(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function stringEntry(key: string, value: string): ProtoMessage {
  return new ProtoMessage().string(1, key).string(2, value);
}

function valueInfo(v: ValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d));
  }
  const tensorType = new ProtoMessage().varint(1, OnnxType[v.type]).message(2, shape);
  return new ProtoMessage().string(1, v.name).message(2, new ProtoMessage().message(1, tensorType));
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_INTS = 7;

function attribute(name: string, value: AttributeValue): ProtoMessage {
  const a = new ProtoMessage().string(1, name);
  if (typeof value === 'number') return a.varint(3, value).varint(20, ATTR_INT);
  if (typeof value === 'string') return a.string(4, value).varint(20, ATTR_STRING);
  if (Array.isArray(value)) {
    for (const v of value) a.varint(8, v);
    return a.varint(20, ATTR_INTS);
  }
  if ('float' in value) return a.float(2, value.float).varint(20, ATTR_FLOAT);
  return a.message(5, value.tensor).varint(20, ATTR_TENSOR);
}
