/**
 * Checks a local ONNX file before anything runs: its top-level protobuf fields (ModelProto) must
 * be well formed, end exactly at the end of the file, and include a graph. A file cut short or not
 * ONNX at all is found here, not as an engine failure after loading. Only the field headers are
 * read, so a large model costs a few reads.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** ModelProto's graph field. */
const GRAPH_FIELD = 7;

/** Whether an ONNX file is whole; a reason when it is not. */
export function onnxFileProblem(path: string): string | null {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(10);
  /** A varint at `at`: its value and length; null when cut short or too long. */
  const varint = (at: number): [number, number] | null => {
    const n = readSync(fd, head, 0, 10, at);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const b = head[i] as number;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return [value, i + 1];
    }
    return null;
  };
  try {
    let at = 0;
    let graph = false;
    while (at < size) {
      const tag = varint(at);
      if (!tag) return `unreadable field header at byte ${at}`;
      const [key, tagLength] = tag;
      const field = Math.floor(key / 8);
      const wire = key % 8;
      at += tagLength;
      if (field === 0) return `field number 0 at byte ${at - tagLength}: not an ONNX file`;
      if (wire === 0) {
        const v = varint(at);
        if (!v) return `cut short at byte ${at}`;
        at += v[1];
      } else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else if (wire === 2) {
        const length = varint(at);
        if (!length) return `cut short at byte ${at}`;
        at += length[1] + length[0];
        if (field === GRAPH_FIELD) graph = true;
      } else return `wire type ${wire} at byte ${at - tagLength}: not an ONNX file`;
      if (at > size) return `truncated: ${size} bytes, its fields need ${at}`;
    }
    return graph ? null : 'no graph in it: not an ONNX model';
  } finally {
    closeSync(fd);
  }
}

/** Throws bad input naming the model and file when the ONNX file is not whole. */
export function checkOnnxFile(model: string, path: string, file: string): void {
  const problem = onnxFileProblem(path);
  if (problem) throw new InputError('model', `model ${model}: ${file} is not a whole ONNX file (${problem})`);
}
