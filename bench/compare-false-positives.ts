/**
 * Does `compare` cry wolf? 20 pairs of runs of the same code and config (tiny model, 20
 * iterations): how many pairs show a "regression" at the default 5% threshold (target: none).
 * Then a real difference: two synthetic shapes about 10% apart in ITL, paired explicitly
 * (`--pair A=B`), 3 times: is it detected? Last, the same two questions inside interleaved runs
 * (`run --interleave`, compared paired by round): the same model twice (as synthetic:tiny and as
 * its cached folder, so two configs), and 10 against 11 layers.
 *
 *   npx tsx bench/compare-false-positives.ts [--pairs 20]
 */
import { expandConfigs } from '../src/config/sweep.js';
import { newRunResult, runBenchmarks } from '../src/measure/runner.js';
import { compareRuns } from '../src/report/compare.js';
import { ensureSyntheticOnnx } from '../src/synth/cache.js';
import { cacheDir, flag } from './common.js';

const pairs = Number(flag('pairs', '20'));
const once = async (fields: Record<string, unknown>, interleave = false) =>
  runBenchmarks(expandConfigs([{ fields: { warmup_iterations: 3, measurement_iterations: 20, gpu_monitoring: false, engine_options: { threads: 2 }, ...fields }, where: 'bench' }]), { cacheDir, interleave }, newRunResult());

let falseRegressions = 0;
const worst: number[] = [];
for (let i = 0; i < pairs; i++) {
  const c = compareRuns(await once({}), await once({}), { threshold: 0.05 });
  if (c.regressions > 0) {
    falseRegressions++;
    for (const m of c.pairs[0]!.metrics.filter((x) => x.verdict === 'slower')) {
      console.log(`  pair ${i + 1}: ${m.label} ${m.baseline_median.toFixed(3)} -> ${m.candidate_median.toFixed(3)}, change ${(100 * m.change).toFixed(1)}% [${(100 * m.change_ci95[0]).toFixed(1)}%, ${(100 * m.change_ci95[1]).toFixed(1)}%], p ${m.p_value.toExponential(2)}`);
    }
  }
  worst.push(Math.max(...c.pairs[0]!.metrics.filter((m) => m.metric !== 'tokens_per_s' && m.metric !== 'decode_tokens_per_s').map((m) => m.change)));
}
worst.sort((a, b) => a - b);
console.log(`same code, ${pairs} pairs: ${falseRegressions} pair(s) flagged as a regression at 5%; median of the largest latency change per pair ${(100 * worst[Math.floor(pairs / 2)]!).toFixed(1)}%, max ${(100 * worst.at(-1)!).toFixed(1)}%`);

const A = 'synthetic:layers=10,hidden=256,heads=4,kv-heads=2,intermediate=688,vocab=2048';
const B = 'synthetic:layers=11,hidden=256,heads=4,kv-heads=2,intermediate=688,vocab=2048';
for (let i = 0; i < 3; i++) {
  const base = await once({ model: A });
  const cand = await once({ model: B });
  const c = compareRuns(base, cand, { threshold: 0.05, pairs: [`${base.benchmarks[0]!.config.name}=${cand.benchmarks[0]!.config.name}`] });
  const itl = c.pairs[0]!.metrics.find((m) => m.metric === 'itl_ms')!;
  console.log(`10 vs 11 layers (try ${i + 1}): ITL ${itl.baseline_median.toFixed(3)} -> ${itl.candidate_median.toFixed(3)} ms, change ${(100 * itl.change).toFixed(1)}% [${(100 * itl.change_ci95[0]).toFixed(1)}%, ${(100 * itl.change_ci95[1]).toFixed(1)}%], p ${itl.p_value.toExponential(2)}: ${itl.verdict}`);
}

// interleaved: two configs of one run, paired by round (and, for contrast, the same data unpaired)
const tinyFolder = ensureSyntheticOnnx('synthetic:tiny', cacheDir).dir;
let pairedFalse = 0;
let unpairedFalse = 0;
for (let i = 0; i < pairs; i++) {
  const run = await once({ model: ['synthetic:tiny', tinyFolder] }, true);
  const pair = [`${run.benchmarks[0]!.config.name}=${run.benchmarks[1]!.config.name}`];
  if (compareRuns(run, run, { threshold: 0.05, pairs: pair }).regressions > 0) pairedFalse++;
  const { interleaved: _, ...unpaired } = run;
  if (compareRuns(unpaired, unpaired, { threshold: 0.05, pairs: pair }).regressions > 0) unpairedFalse++;
}
console.log(`interleaved, the same model twice, ${pairs} runs of 20 rounds: ${pairedFalse} flagged as a regression paired by round, ${unpairedFalse} unpaired`);
for (let i = 0; i < 3; i++) {
  const run = await once({ model: [A, B] }, true);
  const c = compareRuns(run, run, { threshold: 0.05, pairs: [`${run.benchmarks[0]!.config.name}=${run.benchmarks[1]!.config.name}`] });
  const itl = c.pairs[0]!.metrics.find((m) => m.metric === 'itl_ms')!;
  console.log(`interleaved 10 vs 11 layers (try ${i + 1}): ITL change ${(100 * itl.change).toFixed(1)}% [${(100 * itl.change_ci95[0]).toFixed(1)}%, ${(100 * itl.change_ci95[1]).toFixed(1)}%], p ${itl.p_value.toExponential(2)}, ${itl.method}: ${itl.verdict}`);
}
