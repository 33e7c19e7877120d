/**
 * How much token rate one machine's client sustains with 1 and with 2 processes (load --workers 2
 * runs the same parts as --shard i/2 does, which this script runs itself to keep each part's
 * origin). Against the scripted server in its own process, which logs when it wrote each chunk
 * on the same monotonic clock, an open loop at rising request rates; for each, the receive delay
 * of every chunk (client stamp minus server write) and its p99. Prints the table and the highest
 * token rate whose p99 stays under the limit, for each, and their ratio.
 *
 *   npm run build && npx tsx bench/load-workers.ts [--rates 20,40,80,120,160] [--tokens 64] [--itl 10] [--seconds 4] [--limit-ms 2] [--busy-poll yes]
 */
import { join } from 'node:path';
import type { BenchmarkResult } from '../src/results/schema.js';
import { summarize } from '../src/results/statistics.js';
import { readResultWithRecords, runCli, tempDir } from '../test/helpers.js';
import type { ScriptedRequestLog } from '../test/support/scripted-openai-server.js';
import { flag } from './common.js';
import { startServerProcess } from './scripted-server-process.js';

const rates = flag('rates', '20,40,80,120,160').split(',').map(Number);
const tokens = Number(flag('tokens', '64'));
const itl = Number(flag('itl', '10'));
const seconds = Number(flag('seconds', '4'));
const limitMs = Number(flag('limit-ms', '2'));
const busyPoll = flag('busy-poll', 'no') === 'yes';
const dir = tempDir('tokenbench-load-workers-');
const server = await startServerProcess();

/** Receive delay of every chunk of every request of `parts` (each part with its own origin), against the server's log. */
function receiveDelaysMs(parts: readonly BenchmarkResult[], log: readonly ScriptedRequestLog[]): number[] {
  const byId = new Map(log.map((e) => [e.id, e]));
  const delays: number[] = [];
  for (const part of parts) {
    const origin = BigInt(part.load?.origin_ns ?? '0');
    for (const r of part.requests ?? []) {
      const entry = r.response_id ? byId.get(r.response_id) : undefined;
      if (!entry || !r.ok) continue;
      let token = 0;
      entry.written_ns.forEach((written, e) => {
        token += entry.tokens[e] ?? 0;
        const stamp = r.token_ms[token - 1];
        if (stamp === undefined || (entry.tokens[e] ?? 0) === 0) return;
        const clientNs = Number(origin) + (r.t0_ms + stamp) * 1e6;
        delays.push((clientNs - Number(written)) / 1e6);
      });
    }
  }
  return delays;
}

try {
  const rows: string[][] = [];
  const best: Record<number, number> = {};
  for (const workers of [1, 2]) {
    for (const rate of rates) {
      await server.log(); // clears what came before
      const group = `w${workers}-r${rate}-${Date.now()}`;
      const args = ['load', '--url', server.url, '--model', `ttft=20,itl=${itl}`, '--request-rate', String(rate), '--arrival', 'poisson', '--seed', '1', '--requests', String(Math.round(rate * seconds)), '--warmup-requests', '4', '--input-len', '16', '--output-len', String(tokens), '--no-model-check', '--quiet', ...(busyPoll ? ['--busy-poll'] : [])];
      const outs = Array.from({ length: workers }, (_, i) => join(dir, `${group}-${i}.json`));
      const results = await Promise.all(
        outs.map((out, i) => runCli([...args, ...(workers > 1 ? ['--shard', `${i}/${workers}`, '--group', group, '--store', `sqlite:${join(dir, 'meet.db')}`] : ['--no-store']), '--output', out])),
      );
      for (const r of results) if (r.code !== 0) throw new Error(r.stderr);
      const parts = await Promise.all(outs.map(async (o) => (await readResultWithRecords(o)).benchmarks[0] as BenchmarkResult));
      const delays = receiveDelaysMs(parts, await server.log());
      const stats = summarize(delays);
      const tokenRate = parts.reduce((sum, p) => sum + (p.load?.output_throughput ?? 0), 0);
      if ((stats?.p99 ?? Infinity) < limitMs) best[workers] = Math.max(best[workers] ?? 0, tokenRate);
      rows.push([String(workers), String(rate), tokenRate.toFixed(0), String(delays.length), (stats?.p50 ?? NaN).toFixed(3), (stats?.p99 ?? NaN).toFixed(3), (stats?.max ?? NaN).toFixed(3)]);
      console.error(`workers ${workers}, ${rate} req/s: ${tokenRate.toFixed(0)} tok/s, receive delay p99 ${(stats?.p99 ?? NaN).toFixed(3)} ms`);
    }
  }
  console.log(`open loop (Poisson), ${tokens} tokens a request at ITL ${itl} ms, ${seconds} s a rate, client ${busyPoll ? 'busy polling' : 'sleeping between reads'}; receive delay = client stamp - server write, per chunk`);
  console.log('| workers | req/s | output tok/s | chunks | receive delay p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const one = best[1] ?? 0;
  const two = best[2] ?? 0;
  console.log(`highest token rate with receive delay p99 under ${limitMs} ms: 1 process ${one.toFixed(0)} tok/s, 2 processes ${two.toFixed(0)} tok/s; ratio ${one > 0 ? (two / one).toFixed(2) : 'n/a'}`);
} finally {
  server.stop();
}
