/**
 * The browser engine's own figures (issue 13):
 * 1. Harness overhead in the page: tokenbench's generate (a streamer stamping every step) against
 *    generate() with a streamer that does nothing and with none, in the same page, interleaved,
 *    the order rotated each round: the median of the rounds' ratios of e2e (page ms), with its 95%
 *    interval from order statistics. transformers.js does work per step for any streamer; the
 *    stamps' own cost is the first ratio. Then the browser's GC trace (always on in the engine)
 *    against none: rounds alternate between tokenbench's generate with the trace running and with it
 *    paused (the pause and resume are outside the timed windows, 100 ms before them).
 * 2. The page clock's offset to this process's, measured every second for --seconds: its spread
 *    and drift.
 * 3. Node against the browser on one shape (--model, default synthetic:small) in each of --dtypes,
 *    through the CLI in one sweep: TTFT and ITL p50, ITL gap p90, and the share of decode steps
 *    slower than 1.5 times the engine's median step (the tail), and the page's long-task and GC shares.
 *
 *   npm run build && npx tsx bench/browser-engine.ts [--pairs 30] [--tokens 32] [--seconds 20] [--model synthetic:small] [--threads 1] [--dtypes fp32,q8,q4] [--sections 1,2,3]
 */
import { join } from 'node:path';
import { benchConfig, cacheDir, flag, median } from './common.js';
import { TransformersJsBrowserEngine } from '../src/engines/transformers-js-browser.js';
import { itlGapsMs } from '../src/results/metrics.js';
import { ci95MedianSorted } from '../src/results/statistics.js';
import type { BrowserHandle } from '../src/browser/browser-handle.js';
import { readResult, runCli, tempDir } from '../test/helpers.js';

const pairs = Number(flag('pairs', '30'));
const tokens = Number(flag('tokens', '32'));
const seconds = Number(flag('seconds', '20'));
const model = flag('model', 'synthetic:small');
const threads = flag('threads', '1');
const dtypes = flag('dtypes', 'fp32,q8,q4').split(',');
const sections = flag('sections', '1,2,3').split(',');

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
  /** The median of the rounds' ratios a / b, with its 95% interval. */
  const ratio = (a: number[], b: number[]): string => {
    const rs = a.map((x, i) => x / (b[i] as number)).sort((x, y) => x - y);
    const ci = ci95MedianSorted(rs);
    return `${median(rs).toFixed(4)} [${ci ? ci.map((v) => v.toFixed(4)).join(', ') : 'too few rounds'}]`;
  };
  console.log(`1. harness overhead in the page (synthetic:tiny, ${tokens} tokens, ${pairs} rounds): e2e median with stamps ${m('stamps').toFixed(3)} ms, no-op streamer ${m('noop').toFixed(3)} ms, no streamer ${m('none').toFixed(3)} ms; per-round ratio, median [95% interval]: stamps / no-op streamer ${ratio(times.stamps as number[], times.noop as number[])}, stamps / no streamer ${ratio(times.stamps as number[], times.none as number[])}`);

  const trace = (engine as unknown as { handle: BrowserHandle }).handle.gc;
  if (trace) {
    const traced: number[] = [];
    const untraced: number[] = [];
    for (let i = 0; i < pairs; i++) {
      // alternate which goes first
      for (const on of i % 2 === 0 ? [true, false] : [false, true]) {
        if (on) await trace.resume();
        else await trace.pause();
        // the browser settles after starting or ending a trace (ending one sends the events)
        await new Promise((r) => setTimeout(r, 100));
        (on ? traced : untraced).push(await harnessMs());
      }
    }
    await trace.resume();
    console.log(`1b. the browser's GC trace (${pairs} rounds): e2e median traced ${median(traced).toFixed(3)} ms, untraced ${median(untraced).toFixed(3)} ms; per-round ratio traced / untraced ${ratio(traced, untraced)}`);
  }

  if (sections.includes('2')) {
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
  }
} finally {
  await engine.dispose();
}

// 3: Node and the browser in one sweep through the CLI
if (!sections.includes('3')) process.exit(0);
const out = join(tempDir('tokenbench-browser-bench-'), 'side.json');
const r = await runCli(['run', '--engine', 'transformers-js', 'transformers-js-browser', '--model', model, '--dtype', ...dtypes, '--engine-option', `threads=${threads}`, '--sequence-length', '128', '--new-tokens', String(tokens), '--warmup', '1', '--iterations', '5', '--no-store', '--quiet', '--output', out]);
if (r.code !== 0) throw new Error(r.stderr);
console.log(`3. ${model}, 128-token prompt, ${tokens} new tokens, ${threads} thread(s), 5 iterations each:`);
console.log('| dtype | engine | device | TTFT p50 ms | ITL p50 ms | ITL gap p90 ms | steps over 1.5x median | page long tasks | page GC (collections) |');
console.log('|---|---|---|---|---|---|---|---|---|');
/** A share of the page's generate time as a percentage, or '-' where there is none (Node). */
const pct = (share: number | null | undefined): string => (share === null || share === undefined ? '-' : `${(share * 100).toFixed(1)}%`);
for (const b of [...readResult(out).benchmarks].sort((x, y) => dtypes.indexOf(x.config.dtype) - dtypes.indexOf(y.config.dtype))) {
  const gaps = b.iterations.flatMap((it) => itlGapsMs(it.token_ms));
  const slow = gaps.filter((g) => g > 1.5 * median(gaps)).length / Math.max(1, gaps.length);
  const gc = b.engine?.browser?.gc;
  console.log(`| ${b.config.dtype} | ${b.engine?.name} | ${b.engine?.device} | ${b.summary?.ttft_ms?.p50.toFixed(1)} | ${b.summary?.itl_ms?.p50.toFixed(2)} | ${b.summary?.itl_gap_ms?.p90.toFixed(2)} | ${(slow * 100).toFixed(1)}% | ${pct(b.engine?.browser?.long_tasks?.share)} | ${gc ? `${pct(gc.share)} (${gc.collections})` : '-'} |`);
}
