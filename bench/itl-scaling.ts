/**
 * The timings are real: ITL of synthetic shapes that differ only in depth should grow in
 * proportion to the layer count (plus a fixed per-step cost: sampling, logits, the runtime's own
 * overhead). Fits ITL = a + b * layers by least squares and prints each point against the fit.
 *
 *   npx tsx bench/itl-scaling.ts [--hidden 512] [--layers 2,4,8,16] [--threads 2]
 */
import { runBenchmarks, newRunResult } from '../src/measure/runner.js';
import { expandConfigs } from '../src/config/sweep.js';
import { parameterCount, resolveShape } from '../src/synth/shape.js';
import { cacheDir, flag } from './common.js';

const hidden = Number(flag('hidden', '512'));
const layers = flag('layers', '2,4,8,16').split(',').map(Number);
const threads = Number(flag('threads', '2'));
const heads = hidden / 64;
const models = layers.map((l) => `synthetic:layers=${l},hidden=${hidden},heads=${heads},kv-heads=${heads / 2},intermediate=${hidden * 3},vocab=4096`);
const configs = expandConfigs([
  {
    fields: { model: models, warmup_iterations: 2, measurement_iterations: 8, sequence_length: 64, num_tokens_to_generate: 64, engine_options: { threads } },
    where: 'bench',
  },
]);
const run = await runBenchmarks(configs, { cacheDir }, newRunResult());
const points = run.benchmarks.map((b, i) => ({ layers: layers[i] as number, itl: b.summary?.itl_ms?.p50 ?? NaN, params: parameterCount(resolveShape(models[i]!.slice(10))) }));
const n = points.length;
const mx = points.reduce((a, p) => a + p.layers, 0) / n;
const my = points.reduce((a, p) => a + p.itl, 0) / n;
const b = points.reduce((a, p) => a + (p.layers - mx) * (p.itl - my), 0) / points.reduce((a, p) => a + (p.layers - mx) ** 2, 0);
const a = my - b * mx;
const ssRes = points.reduce((s, p) => s + (p.itl - (a + b * p.layers)) ** 2, 0);
const ssTot = points.reduce((s, p) => s + (p.itl - my) ** 2, 0);
console.log(`hidden ${hidden}, 64 prompt + 64 new tokens, batch 1, threads ${threads}; ITL p50 of 8 iterations`);
console.log('layers  params     ITL ms   fit ms   ITL/ITL(first)  layers/layers(first)');
for (const p of points) {
  console.log(
    `${String(p.layers).padEnd(7)} ${(p.params / 1e6).toFixed(1).padStart(6)}M  ${p.itl.toFixed(3).padStart(7)}  ${(a + b * p.layers).toFixed(3).padStart(7)}  ${(p.itl / points[0]!.itl).toFixed(2).padStart(14)}  ${(p.layers / points[0]!.layers).toFixed(2).padStart(20)}`,
  );
}
console.log(`fit: ITL = ${a.toFixed(3)} ms + ${b.toFixed(4)} ms/layer, R^2 = ${(1 - ssRes / ssTot).toFixed(4)}`);
