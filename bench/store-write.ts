/**
 * What writing a run to each store costs: a real run of 20 iterations x 128 tokens with monitor
 * samples (stand-in NVML, 10 ms), written to SQLite and to PostgreSQL (when one is reachable):
 * milliseconds per benchmark, and that time as a share of the benchmark's wall time.
 *
 *   npx tsx bench/store-write.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../src/results/schema.js';
import { ResultStore } from '../src/results/store/store.js';
import { runCli, tempDir } from '../test/helpers.js';
import { postgresTestUrl } from '../test/support/postgres.js';
import { fakeNvml, NO_GPU_ENV } from './standins.js';

const out = join(tempDir(), 'r.json');
const r = await runCli(['run', '--warmup', '2', '--iterations', '20', '--new-tokens', '128', '--monitor-interval-ms', '10', '--no-store', '--quiet', '--output', out], {
  env: { ...NO_GPU_ENV, PATH: process.env.PATH ?? '', TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' },
});
if (r.code !== 0) throw new Error(r.stderr);
const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
const b = run.benchmarks[0];
if (!b) throw new Error('no benchmark');
const samples = b.iterations.reduce((n, it) => n + it.monitor.samples.length, 0);
const wall = Object.values(b.phases_ms).reduce<number>((a, x) => a + (x ?? 0), 0);
console.log(`run: 20 iterations x 128 tokens, ${samples} monitor sample rows; benchmark wall time ${wall.toFixed(0)} ms`);
const targets: [string, string][] = [['sqlite', `sqlite:${join(tempDir(), 'bench.db')}`]];
const pgUrl = postgresTestUrl();
if (pgUrl) targets.push(['postgres', pgUrl]);
for (const [name, url] of targets) {
  const store = await ResultStore.open(url);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const copy = { ...run, run_id: crypto.randomUUID() };
    const t0 = performance.now();
    await store.saveBenchmark(copy, 0);
    times.push(performance.now() - t0);
  }
  await store.close();
  times.sort((x, y) => x - y);
  const median = times[2] as number;
  console.log(`${name.padEnd(9)} median of 5 writes ${median.toFixed(1)} ms (min ${times[0]?.toFixed(1)}, max ${times[4]?.toFixed(1)}): ${((100 * median) / wall).toFixed(2)}% of the benchmark's wall time`);
}
