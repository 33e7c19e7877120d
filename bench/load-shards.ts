/**
 * An open-loop load run in 4 parts (load --shard i/4, four processes meeting in one store) against
 * the scripted server in its own process, beside one process at a quarter of the rate. Prints the
 * merged run's achieved rate against the target, each part's dispatch delay p99 against the single
 * process's, and how far apart the parts' measured phases actually began.
 *
 *   npm run build && npx tsx bench/load-shards.ts [RATE] [REQUESTS] [STORE_URL]
 */
import { join } from 'node:path';
import { mergeLoadParts } from '../src/load/merge-parts.js';
import type { BenchmarkResult } from '../src/results/schema.js';
import { readResultFile } from '../src/results/store/store.js';
import { readResultWithRecords, runCli, tempDir } from '../test/helpers.js';
import { startServerProcess } from './scripted-server-process.js';

const rate = Number(process.argv[2] ?? 80);
const requests = Number(process.argv[3] ?? 400);
const dir = tempDir('tokenbench-load-shards-');
const store = process.argv[4] ?? `sqlite:${join(dir, 'store.db')}`;
const server = await startServerProcess();
try {
  const common = ['load', '--url', server.url, '--model', 'ttft=20,itl=5', '--arrival', 'poisson', '--seed', '7', '--input-len', '16', '--output-len', '16', '--warmup-requests', '8', '--store', store, '--quiet'];
  const group = `bench-${Date.now()}`;
  const parts = await Promise.all([0, 1, 2, 3].map((i) => runCli([...common, '--request-rate', String(rate), '--requests', String(requests), '--group', group, '--shard', `${i}/4`, '--output', join(dir, `part${i}.json`)])));
  for (const p of parts) if (p.code !== 0) throw new Error(p.stderr);
  const single = await runCli([...common, '--request-rate', String(rate / 4), '--requests', String(requests / 4), '--output', join(dir, 'single.json')]);
  if (single.code !== 0) throw new Error(single.stderr);

  const benches = await Promise.all([0, 1, 2, 3].map(async (i) => (await readResultWithRecords(join(dir, `part${i}.json`))).benchmarks[0] as BenchmarkResult));
  const merged = await mergeLoadParts(benches);
  const one = readResultFile(join(dir, 'single.json')).benchmarks[0] as BenchmarkResult;
  const p99 = (b: BenchmarkResult): number => b.load?.stats.dispatch_delay_ms?.p99 ?? NaN;
  console.log(`open loop, Poisson, ${rate} req/s target, ${requests} requests in 4 parts (store ${store.split(':')[0]}), scripted server in its own process`);
  console.log(`merged: achieved ${merged.load?.achieved_rate?.toFixed(2)} req/s, schedule ${merged.load?.schedule_rate?.toFixed(2)} req/s: achieved/schedule ${((merged.load?.achieved_rate ?? 0) / (merged.load?.schedule_rate ?? 1)).toFixed(4)}; ok ${merged.load?.counts.ok}/${merged.load?.counts.scheduled}`);
  console.log(`dispatch delay p99 (ms): parts ${benches.map((b) => p99(b).toFixed(3)).join(', ')}; one process at ${rate / 4} req/s: ${p99(one).toFixed(3)}`);
  const late = benches.map((b) => b.load?.part?.start_late_ms ?? NaN);
  const offsets = benches.map((b) => b.load?.part?.clock_offset_ms ?? NaN);
  // part i began at (agreed + its lateness) on the server's clock, as far as its offset estimate is right
  const uncertainty = Math.max(...benches.map((b) => b.load?.part?.clock_uncertainty_ms ?? NaN));
  console.log(`start: agreed ${benches[0]?.load?.part?.start_at}; each part's lateness (ms) ${late.map((x) => x.toFixed(3)).join(', ')}; the parts began within ${(Math.max(...late) - Math.min(...late)).toFixed(3)} ms of each other (+- ${uncertainty.toFixed(3)} ms each, the clock offsets' uncertainty)`);
  console.log(`clock offset to the store's server (ms): ${offsets.map((x) => x.toFixed(3)).join(', ')} (uncertainty ${benches.map((b) => b.load?.part?.clock_uncertainty_ms.toFixed(3)).join(', ')})`);
} finally {
  server.stop();
}
