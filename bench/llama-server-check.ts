/**
 * tokenbench against llama.cpp's real llama-server (built by test/support/build-llama-server.sh),
 * default settings (prompt cache on), a synthetic GGUF, --parallel 4: run at b1 and b4 on the
 * completions and chat APIs, and a closed-loop load at 4. For each: the share of requests ok,
 * prompt lengths against the server's count, the share of the prompt the server processed itself
 * (its timings.prompt_n), client minus server (paired per request: TTFT - prompt_ms, ITL against
 * predicted_ms / (predicted_n - 1)), and retries per 1000 requests. Then the same pairing for
 * bench/vllm-style-client.py (stamps where vLLM's serving benchmark takes them, unique prompts)
 * against the same server in the same run, when python3 has aiohttp.
 *
 *   npx tsx bench/llama-server-check.ts [--preset small|tiny] [--iterations 10] [--requests 100]
 *     [--prompt 128] [--tokens 128] [--threads 1]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchmarkResult, HttpRequestRecord, RunResult } from '../src/results/schema.js';
import { summarize } from '../src/results/statistics.js';
import { readResultWithRecords, runCli, tempDir } from '../test/helpers.js';
import { startLlamaServer } from '../test/support/llama-server.js';
import { flag } from './common.js';

const preset = flag('preset', 'small') as 'small' | 'tiny';
const iterations = flag('iterations', '10');
const requests = flag('requests', '100');
const promptLen = Number(flag('prompt', '128'));
const tokens = Number(flag('tokens', '128'));
const threads = Number(flag('threads', '1'));

interface Pairing {
  ttftGap: number[];
  itlRatio: number[];
}

const p50 = (xs: number[]): string => {
  const s = summarize(xs);
  return s ? s.p50.toFixed(3) : '-';
};

function row(label: string, n: number, ok: number, exact: string, processed: string, pair: Pairing, retries: number): string[] {
  const ratio = summarize(pair.itlRatio);
  return [label, String(n), `${((ok / Math.max(1, n)) * 100).toFixed(1)}%`, exact, processed, p50(pair.ttftGap), ratio ? `${((ratio.p50 - 1) * 100).toFixed(2)}%` : '-', ((retries / Math.max(1, n)) * 1000).toFixed(1)];
}

function tokenbenchRow(label: string, b: BenchmarkResult): string[] {
  const requests: HttpRequestRecord[] = (b.requests as HttpRequestRecord[] | undefined) ?? b.iterations.flatMap((it) => it.http ?? []);
  const ok = requests.filter((r) => r.ok);
  const exact = ok.filter((r) => r.prompt_tokens === (r.input_tokens ?? NaN) + (r.prompt_overhead_tokens ?? 0)).length;
  // the prompt's own tokens the server processed: prompt_n less what the template adds (its shared head may be cached)
  const asked = ok.reduce((n, r) => n + (r.input_tokens ?? 0), 0);
  const processed = ok.reduce((n, r) => n + Math.min(r.input_tokens ?? 0, (r.server_timings?.prompt_n ?? 0) - Math.max(0, (r.prompt_overhead_tokens ?? 0) - (r.server_timings?.cache_n ?? 0))), 0);
  const pair: Pairing = { ttftGap: [], itlRatio: [] };
  for (const r of ok) {
    const t = r.server_timings;
    if (!t) continue;
    if (r.ttft_ms !== null) pair.ttftGap.push(r.ttft_ms - t.prompt_ms);
    if (r.itl_ms !== null && t.itl_ms) pair.itlRatio.push(r.itl_ms / t.itl_ms);
  }
  const retries = requests.reduce((n, r) => n + (r.retries ?? 0), 0);
  return row(label, requests.length, ok.length, `${exact}/${ok.length}`, asked > 0 ? `${((processed / asked) * 100).toFixed(2)}%` : '-', pair, retries);
}

interface PythonRequest {
  t0_ns: string;
  stamps_ns: string[];
  tokens: number[];
  timings: { prompt_ms: number; predicted_ms: number; predicted_n: number; prompt_n: number; cache_n: number } | null;
  prompt_tokens: number | null;
}

function vllmStyleRow(url: string, model: string, streams: number, rounds: number): string[] | null {
  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import aiohttp']).status === 0);
  if (!python) return null;
  const script = new URL('./vllm-style-client.py', import.meta.url).pathname;
  const run = spawnSync(python, [script, url, model, String(streams), String(tokens), String(rounds), String(promptLen), '100', '1000'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`vllm-style client: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as PythonRequest);
  lines.pop();
  const pair: Pairing = { ttftGap: [], itlRatio: [] };
  let ok = 0;
  let exact = 0;
  let processed = 0;
  for (const r of lines) {
    const stamps = r.stamps_ns.map((s, i) => [BigInt(s), r.tokens[i] ?? 0] as const).filter(([, k]) => k > 0);
    const n = stamps.reduce((a, [, k]) => a + k, 0);
    if (n !== tokens || !r.timings) continue;
    ok++;
    if (r.prompt_tokens === promptLen) exact++;
    processed += r.timings.prompt_n;
    const t0 = BigInt(r.t0_ns);
    const first = (stamps[0] as readonly [bigint, number])[0];
    const last = (stamps[stamps.length - 1] as readonly [bigint, number])[0];
    pair.ttftGap.push(Number(first - t0) / 1e6 - r.timings.prompt_ms);
    pair.itlRatio.push(Number(last - first) / 1e6 / (tokens - 1) / (r.timings.predicted_ms / (r.timings.predicted_n - 1)));
  }
  return row(`vLLM-style b${streams}`, lines.length, ok, `${exact}/${ok}`, `${((processed / Math.max(1, ok * promptLen)) * 100).toFixed(2)}%`, pair, 0);
}

async function main(): Promise<void> {
  const server = await startLlamaServer({ parallel: 4, threads, preset });
  const dir = tempDir('tokenbench-bench-');
  const rows: string[][] = [];
  try {
    process.stderr.write(`llama-server ${preset}, --parallel 4, ${threads} thread(s); prompts ${promptLen}, ${tokens} new tokens\n`);
    const out = join(dir, 'run.json');
    const r = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', server.model, '--api', 'completions', 'chat', '--batch-size', '1', '4', '--sequence-length', String(promptLen), '--new-tokens', String(tokens), '--warmup', '2', '--iterations', iterations, '--no-gpu-monitoring', '--no-store', '--quiet', '--output', out]);
    if (r.code !== 0) process.stderr.write(`run exited ${r.code}: ${r.stderr}\n`);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    for (const b of run.benchmarks) rows.push(tokenbenchRow(`tokenbench ${b.config.engine_options.api} b${b.config.batch_size}`, b));
    const loadOut = join(dir, 'load.json');
    const l = await runCli(['load', '--url', server.url, '--model', server.model, '--concurrency', '4', '--requests', requests, '--input-len', String(promptLen), '--output-len', String(tokens), '--no-store', '--quiet', '--output', loadOut]);
    if (l.code !== 0) process.stderr.write(`load exited ${l.code}: ${l.stderr}\n`);
    const load = await readResultWithRecords(loadOut);
    for (const b of load.benchmarks) rows.push(tokenbenchRow('tokenbench load c4', b));
    for (const streams of [1, 4]) {
      const v = vllmStyleRow(server.url, server.model, streams, Number(iterations));
      if (v) rows.push(v);
      else process.stderr.write('no python3 with aiohttp (Debian: python3-aiohttp): the vLLM-style client was not run\n');
    }
  } finally {
    await server.stop();
  }
  const header = ['client', 'requests', 'ok', 'prompt exact', 'prompt processed', 'TTFT client-server p50 ms', 'ITL client/server p50', 'retries/1000'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const line of [header, widths.map((w) => '-'.repeat(w)), ...rows]) process.stdout.write(`${line.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`);
}

await main();
