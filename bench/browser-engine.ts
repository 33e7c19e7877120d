/**
 * The browser engine's own figures (issue 13):
 * 1. Harness overhead in the page: tokenbench's generate (a streamer stamping every step) against
 *    generate() with a streamer that does nothing and with none, in the same page, interleaved,
 *    the order rotated each round: the ratios of their median e2e (page ms). transformers.js does
 *    work per step for any streamer; the stamps' own cost is the first ratio.
 * 2. The page clock's offset to this process's, measured every second for --seconds: its spread
 *    and drift.
 * 3. Node against the browser on one shape (--model, default synthetic:small) in each of --dtypes,
 *    through the CLI in one sweep: TTFT and ITL p50, ITL gap p90, and the share of decode steps
 *    slower than 1.5 times the engine's median step (the tail).
 *
 *   npm run build && npx tsx bench/browser-engine.ts [--pairs 30] [--tokens 32] [--seconds 20] [--model synthetic:small] [--threads 1] [--dtypes fp32,q8,q4]
 */
import { join } from 'node:path';
import { benchConfig, cacheDir, flag, median } from './common.js';
import { TransformersJsBrowserEngine } from '../src/engines/transformers-js-browser.js';
import { itlGapsMs } from '../src/results/metrics.js';
import { readResult, runCli, tempDir } from '../test/helpers.js';

const pairs = Number(flag('pairs', '30'));
const tokens = Number(flag('tokens', '32'));
const seconds = Number(flag('seconds', '20'));
const model = flag('model', 'synthetic:small');
const threads = flag('threads', '1');
const dtypes = flag('dtypes', 'fp32,q8,q4').split(',');

// 1 and 2: one page of the tiny model
const config = benchConfig({ engine: 'transformers-js-browser', model: 'synthetic:tiny', sequence_length: 16, num_tokens_to_generate: tokens, engine_options: { threads: Number(threads) } });
const engine = new TransformersJsBrowserEngine(config, { cacheDir });
await engine.load();
try {
  const inputs = await engine.prepare([Array.from({ length: 16 }, (_, i) => 10 + i)]);
  const sink = { put: () => undefined, end: () => undefined };
  const harnessMs = async (): Promise<number> => {
    const r = await engine.generate(inputs, tokens, sink);
    return Number((r.timing?.t1 ?? 0n) - (r.timing?.t0 ?? 0n)) / 1e6;
  };
  const sides: Record<'stamps' | 'noop' | 'none', () => Promise<number>> = { stamps: harnessMs, noop: () => engine.bareGenerate(inputs, tokens, true), none: () => engine.bareGenerate(inputs, tokens, false) };
  const order = Object.keys(sides) as (keyof typeof sides)[];
  for (let i = 0; i < 5; i++) for (const k of order) await sides[k]();
  const times: Record<string, number[]> = { stamps: [], noop: [], none: [] };
  for (let i = 0; i < pairs; i++) {
    // rotate who goes first, so that neither side always follows the same one
    for (let j = 0; j < order.length; j++) {
      const k = order[(i + j) % order.length] as keyof typeof sides;
      times[k]?.push(await sides[k]());
    }
  }
  const m = (k: string): number => median(times[k] as number[]);
  console.log(`1. harness overhead in the page (synthetic:tiny, ${tokens} tokens, ${pairs} rounds): e2e median with stamps ${m('stamps').toFixed(3)} ms, no-op streamer ${m('noop').toFixed(3)} ms, no streamer ${m('none').toFixed(3)} ms; stamps / no-op streamer ${(m('stamps') / m('noop')).toFixed(4)}, stamps / no streamer ${(m('stamps') / m('none')).toFixed(4)}`);

  const offsets: number[] = [];
  const uncertainties: number[] = [];
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const o = await engine.measureOffset();
    offsets.push(o.offsetMs);
    uncertainties.push(o.uncertaintyMs);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
  const sd = Math.sqrt(offsets.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, offsets.length - 1));
  const drift = ((offsets.at(-1) as number) - (offsets[0] as number)) / Math.max(1, offsets.length - 1);
  console.log(`2. page clock offset over ${seconds} s (${offsets.length} measurements, 40 round trips each): sd ${sd.toFixed(4)} ms, range ${(Math.max(...offsets) - Math.min(...offsets)).toFixed(4)} ms, drift ${drift.toFixed(5)} ms/s, uncertainty median ${median(uncertainties).toFixed(3)} ms`);
} finally {
  await engine.dispose();
}

// 3: Node and the browser in one sweep through the CLI
const out = join(tempDir('tokenbench-browser-bench-'), 'side.json');
const r = await runCli(['run', '--engine', 'transformers-js', 'transformers-js-browser', '--model', model, '--dtype', ...dtypes, '--engine-option', `threads=${threads}`, '--sequence-length', '128', '--new-tokens', String(tokens), '--warmup', '1', '--iterations', '5', '--no-store', '--quiet', '--output', out]);
if (r.code !== 0) throw new Error(r.stderr);
console.log(`3. ${model}, 128-token prompt, ${tokens} new tokens, ${threads} thread(s), 5 iterations each:`);
console.log('| dtype | engine | device | TTFT p50 ms | ITL p50 ms | ITL gap p90 ms | steps over 1.5x median | page long tasks |');
console.log('|---|---|---|---|---|---|---|---|');
for (const b of [...readResult(out).benchmarks].sort((x, y) => dtypes.indexOf(x.config.dtype) - dtypes.indexOf(y.config.dtype))) {
  const gaps = b.iterations.flatMap((it) => itlGapsMs(it.token_ms));
  const slow = gaps.filter((g) => g > 1.5 * median(gaps)).length / Math.max(1, gaps.length);
  console.log(`| ${b.config.dtype} | ${b.engine?.name} | ${b.engine?.device} | ${b.summary?.ttft_ms?.p50.toFixed(1)} | ${b.summary?.itl_ms?.p50.toFixed(2)} | ${b.summary?.itl_gap_ms?.p90.toFixed(2)} | ${(slow * 100).toFixed(1)}% | ${b.engine?.browser?.long_tasks?.share === null || b.engine?.browser?.long_tasks === undefined || b.engine.browser.long_tasks === null ? '-' : `${((b.engine.browser.long_tasks.share ?? 0) * 100).toFixed(1)}%`} |`);
}
