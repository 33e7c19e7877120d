/**
 * Trace replay, measured. Part 1: on time. A trace of 600 lines with Poisson gaps at 50 requests a
 * second is replayed against the scripted server (its own process) at 1x and at 10x (500 a second),
 * and each request's send delay against the trace's schedule is reported (p50, p99, max). Part 2:
 * prefix sharing on the real llama-server (one slot, tiny model): a trace of 20 lines sharing a
 * 512-token block two at a time, then the same lines without ids, with the prompt tokens the server
 * processed over those sent, and TTFT.
 *
 *   npm run build && npx tsx bench/trace-replay.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestRecords } from '../src/results/request-records.js';
import type { LoadRequestRecord } from '../src/results/schema.js';
import { readResultFile } from '../src/results/store/store.js';
import { quantileSorted, sortAscending } from '../src/results/statistics.js';
import { Xoshiro128 } from '../src/util/random.js';
import { startLlamaServer } from '../test/support/llama-server.js';
import { startServerProcess } from './scripted-server-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tokenbench-trace-bench-'));

function writeTrace(name: string, lines: object[]): string {
  const path = join(work, name);
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

async function replay(url: string, model: string, trace: string, extra: string[] = []): Promise<LoadRequestRecord[]> {
  const out = join(work, 'r.json');
  execFileSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'load', '--url', url, '--model', model, '--trace', trace, '--no-store', '--quiet', '--output', out, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  const b = readResultFile(out).benchmarks[0];
  if (!b || b.status !== 'ok') throw new Error(`replay failed: ${b?.error?.message}`);
  const records: LoadRequestRecord[] = [];
  for await (const r of requestRecords(b)) records.push(r);
  return records;
}

const pct = (xs: number[], p: number): number => quantileSorted(sortAscending(xs), p / 100);
const f = (x: number, d = 2): string => x.toFixed(d);

try {
  // part 1: on time
  const rng = new Xoshiro128(7);
  let t = 0;
  const lines = Array.from({ length: 600 }, () => {
    const line = { timestamp: Math.round(t), input_length: 64, output_length: 8 };
    t += -Math.log(1 - rng.nextFloat()) * 20;
    return line;
  });
  const trace = writeTrace('poisson.jsonl', lines);
  const server = await startServerProcess();
  try {
    console.log('Part 1: send delay against the trace (600 lines, Poisson at 50/s; scripted server, its own process)\n');
    console.log('| speed | offered req/s | send delay p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    for (const speed of [1, 10]) {
      const records = await replay(server.url, 'ttft=5,itl=2', trace, ['--trace-speed', String(speed), '--no-model-check']);
      const delays = records.map((r) => r.dispatch_delay_ms).filter((d): d is number => d !== null);
      console.log(`| ${speed}x | ${50 * speed} | ${f(pct(delays, 50), 3)} | ${f(pct(delays, 99), 3)} | ${f(Math.max(...delays), 3)} |`);
      await server.log();
    }
  } finally {
    server.stop();
  }

  // part 2: prefix sharing on llama-server
  const llama = await startLlamaServer({ parallel: 1, threads: 1 });
  try {
    const shared = Array.from({ length: 20 }, (_, i) => ({ timestamp: i * 400, input_length: 600, output_length: 16, hash_ids: [Math.floor(i / 2), 1000 + i] }));
    const plain = shared.map(({ hash_ids: _ids, ...rest }) => rest);
    console.log('\nPart 2: llama-server (tiny, one slot), 20 lines of 600 tokens, lines 2k and 2k+1 sharing one 512-token block\n');
    console.log('| trace | prompt tokens processed / sent | tokens from the server cache | TTFT p50 ms |');
    console.log('|---|---|---|---|');
    for (const [name, lines2] of [['shared ids', shared], ['no ids', plain]] as const) {
      const records = await replay(llama.url, llama.model, writeTrace(`${name.replace(' ', '-')}.jsonl`, lines2));
      const processed = records.reduce((n, r) => n + (r.server_timings?.prompt_n ?? 0), 0);
      const sent = records.reduce((n, r) => n + (r.prompt_tokens ?? 0), 0);
      const cached = records.reduce((n, r) => n + (r.server_timings?.cache_n ?? 0), 0);
      console.log(`| ${name} | ${processed} / ${sent} = ${f(processed / sent, 3)} | ${cached} | ${f(pct(records.map((r) => r.ttft_ms as number), 50))} |`);
    }
  } finally {
    await llama.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
