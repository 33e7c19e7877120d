/**
 * Instrumentation overhead of the llama-cpp engine: median e2e of tokenbench's measured
 * iterations over a bare loop of `LlamaContextSequence.evaluate` on the same sequence, same
 * prompt, same token count, interleaved in one process.
 *
 *   npx tsx bench/llama-overhead.ts [--model synthetic:small] [--iterations 20] [--threads 1]
 */
import { LlamaCppEngine } from '../src/engines/llama-cpp.js';
import { exactLengthRows } from '../src/measure/inputs.js';
import { benchConfig, cacheDir, flag, interleaved, median, tokenbenchIteration } from './common.js';

const model = flag('model', 'synthetic:small');
const iterations = Number(flag('iterations', '20'));
const threads = Number(flag('threads', '1'));
const N = 128;
const config = benchConfig({ engine: 'llama-cpp', model, num_tokens_to_generate: N, engine_options: { threads } });
const engine = new LlamaCppEngine(config, { cacheDir });
await engine.load();
const rows = await exactLengthRows(engine, 128, 1);
const inputs = await engine.prepare(rows);
// the bare loop drives the engine's own sequence directly
const sequence = (engine as unknown as { sequences: { evaluate: (t: number[], o: object) => AsyncIterable<number>; clearHistory: () => Promise<void> }[] }).sequences[0];
if (!sequence) throw new Error('no sequence');
const bareOnce = async (): Promise<number> => {
  const t0 = process.hrtime.bigint();
  let n = 0;
  for await (const _ of sequence.evaluate(rows[0] as number[], { temperature: 0, yieldEogToken: true })) if (++n >= N) break;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await sequence.clearHistory();
  return ms;
};
const harnessOnce = tokenbenchIteration(engine, inputs, N);
const { bare, harness } = await interleaved(bareOnce, harnessOnce, iterations);
console.log(`llama-cpp, model ${model}, 128 + ${N} tokens, threads ${threads}, ${iterations} interleaved pairs`);
console.log(`bare evaluate() loop median e2e  ${median(bare).toFixed(3)} ms`);
console.log(`tokenbench iteration median e2e  ${median(harness).toFixed(3)} ms`);
console.log(`ratio tokenbench / bare          ${(median(harness) / median(bare)).toFixed(4)}`);
await engine.dispose();
