/**
 * Time to write synthetic GGUF models: the `small` preset and a 1.1B-parameter shape (hidden 2048,
 * 16 layers, 32 heads, 8 kv heads, intermediate 8192, vocab 32000), F16, one tensor at a time.
 *
 *   npx tsx bench/gguf-write.ts [--presets small,1b] [--dtype f16]
 */
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GgufDtype, writeLlamaGguf } from '../src/synth/llama-gguf.js';
import { writeLlamaOnnx } from '../src/synth/llama-onnx.js';
import { parameterCount, resolveShape } from '../src/synth/shape.js';
import { flag } from './common.js';

const dtype = flag('dtype', 'f16') as GgufDtype;
for (const preset of flag('presets', 'small,1b').split(',')) {
  const shape = resolveShape(preset);
  const path = join(tmpdir(), `tokenbench-bench-${preset}.gguf`);
  const start = performance.now();
  writeLlamaGguf(path, shape, 0, dtype);
  const seconds = (performance.now() - start) / 1000;
  const size = statSync(path).size;
  console.log(`${preset}: ${(parameterCount(shape) / 1e9).toFixed(3)}B parameters, ${dtype}, ${(size / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s (${(size / 2 ** 20 / seconds).toFixed(0)} MiB/s)`);
  rmSync(path);
}
if (flag('onnx', 'yes') === 'yes') {
  const shape = resolveShape('small');
  const path = join(tmpdir(), 'tokenbench-bench-small.onnx');
  const start = performance.now();
  writeLlamaOnnx(path, shape, 0);
  console.log(`small as ONNX (fp32): ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  rmSync(path);
}
