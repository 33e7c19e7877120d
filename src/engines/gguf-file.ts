/**
 * Checks a local GGUF file before anything runs: the magic, a readable header, and data that
 * reaches as far as its tensors need (for the tensor types whose sizes are known here).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { errorMessage, InputError } from '../util/errors.js';

/** Bytes per block and values per block of common ggml types (F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, BF16). */
const BLOCKS: Readonly<Record<number, [number, number]>> = { 0: [4, 1], 1: [2, 1], 2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 30: [2, 1] };

export async function checkGgufFile(model: string, path: string): Promise<void> {
  const stat = statSync(path);
  if (!stat.isFile()) throw new InputError('model', `model ${model}: llama-cpp needs a .gguf file, got a folder`);
  const fd = openSync(path, 'r');
  const magic = Buffer.alloc(4);
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new InputError('model', `model ${model}: not a GGUF file (it starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF")`);
  }
  const { readGgufFileInfo } = await import('node-llama-cpp');
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
  } catch (err) {
    throw new InputError('model', `model ${model}: unreadable GGUF header (${errorMessage(err)}); the file may be truncated`);
  }
  let needed = 0;
  for (const t of info.fullTensorInfo ?? info.tensorInfo ?? []) {
    const block = BLOCKS[t.ggmlType as number];
    if (!block) return; // a type we cannot size: leave it to llama.cpp
    const values = t.dimensions.reduce((a: number, d: number | bigint) => a * Number(d), 1);
    needed = Math.max(needed, Number(t.fileOffset) + (values / block[1]) * block[0]);
  }
  if (needed > stat.size) throw new InputError('model', `model ${model}: truncated GGUF file: ${stat.size} bytes, its tensors need ${needed}`);
}
