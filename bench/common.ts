/** Helpers shared by the bench scripts: medians, flags, and a loaded tiny-model engine. */
import { expandConfigs } from '../src/config/sweep.js';
import type { Engine, PreparedInputs } from '../src/engines/engine.js';
import { recordIteration, timedGenerate } from '../src/measure/iteration.js';
import { TokenStamper } from '../src/measure/streamer.js';
import type { NamedConfig } from '../src/config/fields.js';
import { defaultCacheDir } from '../src/synth/cache.js';
import { medianSorted, sortAscending } from '../src/results/statistics.js';

export function median(xs: readonly number[]): number {
  return medianSorted(sortAscending(xs));
}

/** `--name value` from argv, else the default. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] as string) : fallback;
}

export function benchConfig(fields: Record<string, unknown>): NamedConfig {
  const [c] = expandConfigs([{ fields, where: 'bench' }]);
  if (!c) throw new Error('no config');
  return c;
}

export const cacheDir = defaultCacheDir();

/**
 * Runs `bare` and `harness` alternately (`warmup` pairs discarded, then `pairs` pairs, the order
 * flipped every pair so neither side always goes first) and returns each side's times.
 */
export async function interleaved(
  bare: () => Promise<number>,
  harness: (i: number) => Promise<number>,
  pairs: number,
  warmup = 3,
): Promise<{ bare: number[]; harness: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await bare();
    await harness(i);
  }
  const out = { bare: [] as number[], harness: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      out.bare.push(await bare());
      out.harness.push(await harness(i));
    } else {
      out.harness.push(await harness(i));
      out.bare.push(await bare());
    }
  }
  return out;
}

/** One tokenbench measured iteration as the runner does it (timed generate, validated record, flush): its e2e ms. */
export function tokenbenchIteration(engine: Engine, inputs: PreparedInputs, newTokens: number): (i: number) => Promise<number> {
  const stamper = new TokenStamper(newTokens);
  return async (i) => {
    const run = await timedGenerate(engine, inputs, newTokens, stamper);
    const rec = recordIteration(i, run, stamper.count, newTokens, 1, (x) => engine.decode(x));
    await engine.flush();
    return rec.e2e_ms;
  };
}
