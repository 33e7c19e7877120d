/**
 * Instrumentation overhead: median e2e of tokenbench's measured iterations (streamer, stamps,
 * validation, records, flush) over a bare loop of the same transformers.js generate() calls
 * without streamer or records on the same model object, interleaved in one process. Also the
 * cost of one put() stamp.
 *
 *   npx tsx bench/harness-overhead.ts [--model synthetic:tiny] [--iterations 40] [--threads 2]
 */
import { type PreTrainedModel, Tensor } from '@huggingface/transformers';
import { TransformersJsEngine } from '../src/engines/transformers-js.js';
import { exactLengthRows } from '../src/measure/inputs.js';
import { TokenStamper } from '../src/measure/streamer.js';
import { benchConfig, cacheDir, flag, interleaved, median, tokenbenchIteration } from './common.js';

const model = flag('model', 'synthetic:tiny');
const iterations = Number(flag('iterations', '40'));
const threads = Number(flag('threads', '2'));
const N = 128;
const config = benchConfig({ model, sequence_length: 128, num_tokens_to_generate: N, engine_options: { threads } });

const engine = new TransformersJsEngine(config, { cacheDir });
await engine.load();
const rows = await exactLengthRows(engine, 128, 1);
const inputs = await engine.prepare(rows);

// The bare loop calls the same transformers.js model object directly: a second session would
// compete with the first one's spinning thread pool and make both slower.
const bare = (engine as unknown as { model: PreTrainedModel }).model;
const ids = new Tensor('int64', BigInt64Array.from(rows[0] as number[], BigInt), [1, 128]);
const mask = new Tensor('int64', new BigInt64Array(128).fill(1n), [1, 128]);
const bareOnce = async (): Promise<number> => {
  const t0 = process.hrtime.bigint();
  await bare.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: N, min_new_tokens: N, do_sample: false } as never);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const harnessOnce = tokenbenchIteration(engine, inputs, N);
const { bare: bareMs, harness: harnessMs } = await interleaved(bareOnce, harnessOnce, iterations, 5);

// cost of one stamp
const s = new TokenStamper(1_000_000);
const t0 = process.hrtime.bigint();
for (let i = 0; i < 1_000_000; i++) s.put();
const putNs = Number(process.hrtime.bigint() - t0) / 1_000_000;

const mb = median(bareMs);
const mh = median(harnessMs);
console.log(`model ${model}, 128 prompt + ${N} new tokens, batch 1, threads ${threads}, ${iterations} interleaved pairs`);
console.log(`bare generate() median e2e     ${mb.toFixed(3)} ms`);
console.log(`tokenbench iteration median e2e ${mh.toFixed(3)} ms`);
console.log(`ratio tokenbench / bare         ${(mh / mb).toFixed(4)}`);
console.log(`put() stamp cost                ${putNs.toFixed(1)} ns`);
await engine.dispose();
