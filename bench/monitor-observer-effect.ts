/**
 * Observer effect of the monitor on this machine: median ITL of the same generate() calls with
 * the monitor child sampling (stand-in NVML, 50 ms, host sampler on) and with it stopped,
 * interleaved in blocks in one process. The target is a ratio of at most 1.01.
 *
 *   npm run build && npx tsx bench/monitor-observer-effect.ts [--model synthetic:tiny] [--blocks 20] [--per-block 20]
 */
import { TransformersJsEngine } from '../src/engines/transformers-js.js';
import { exactLengthRows } from '../src/measure/inputs.js';
import { recordIteration, timedGenerate } from '../src/measure/iteration.js';
import { TokenStamper } from '../src/measure/streamer.js';
// the built monitor, as a run uses it (npm run build first): its child runs plain JavaScript
import { DeviceMonitor } from '../dist/monitor/monitor.js';
import { benchConfig, cacheDir, flag, median } from './common.js';
import { fakeNvml } from './standins.js';

process.env.TOKENBENCH_NVML_LIB = process.env.TOKENBENCH_NVML_LIB ?? fakeNvml();
const model = flag('model', 'synthetic:tiny');
const blocks = Number(flag('blocks', '20'));
const perBlock = Number(flag('per-block', '20'));
const N = 128;
const config = benchConfig({ model, num_tokens_to_generate: N, engine_options: { threads: 2 } });
const engine = new TransformersJsEngine(config, { cacheDir });
await engine.load();
const inputs = await engine.prepare(await exactLengthRows(engine, 128, 1));
const stamper = new TokenStamper(N);
const once = async (): Promise<{ itl: number; ttft: number }> => {
  const run = await timedGenerate(engine, inputs, N, stamper);
  const r = recordIteration(0, run, stamper.count, N, 1, () => '');
  return { itl: r.itl_ms, ttft: r.ttft_ms };
};
for (let i = 0; i < 10; i++) await once();

const on: { itl: number; ttft: number }[] = [];
const off: { itl: number; ttft: number }[] = [];
let samples = 0;
for (let b = 0; b < blocks; b++) {
  const monitored = b % 2 === 0;
  const monitor = monitored ? await DeviceMonitor.start({ intervalMs: 50, watchedPid: process.pid }) : null;
  // a run starts its monitor once, long before it measures: let the new process settle first
  if (monitor) await new Promise((r) => setTimeout(r, 2000));
  for (let i = 0; i < 5; i++) await once();
  const from = process.hrtime.bigint();
  for (let i = 0; i < perBlock; i++) (monitored ? on : off).push(await once());
  if (monitor) {
    samples += (await monitor.collect(from, process.hrtime.bigint())).rows.length;
    await monitor.stop();
  }
}
const ratio = (f: (x: { itl: number; ttft: number }) => number): number => median(on.map(f)) / median(off.map(f));
console.log(`model ${model}, 128 + ${N} tokens, ${blocks} alternating blocks of ${perBlock}; monitor: stand-in NVML (${process.env.TOKENBENCH_NVML_LIB}), 50 ms, host sampler; ${samples} rows sampled`);
console.log(`median ITL  off ${median(off.map((x) => x.itl)).toFixed(4)} ms  on ${median(on.map((x) => x.itl)).toFixed(4)} ms  ratio ${ratio((x) => x.itl).toFixed(4)}`);
console.log(`median TTFT off ${median(off.map((x) => x.ttft)).toFixed(4)} ms  on ${median(on.map((x) => x.ttft)).toFixed(4)} ms  ratio ${ratio((x) => x.ttft).toFixed(4)}`);
await engine.dispose();
