/**
 * The load client's own CPU per request against a vLLM-style Python client (bench/vllm-style-client.py,
 * aiohttp), the same server, the same requests, in the same run, turn about: is tokenbench ever the
 * bottleneck? tokenbench's figure is its measured phase's CPU (user + system, every thread:
 * `load.client.cpu_ms`); the Python client's is its process time less that of a run of 0 rounds
 * (interpreter and imports). Both clients open what they need: tokenbench a pool of keep-alive
 * connections, the Python client a session per request, as vLLM's benchmark does.
 *
 *   npx tsx bench/client-cpu.ts [--server scripted|llama] [--preset tiny|small] [--tokens 64]
 *     [--itl 30] [--requests 40] [--rounds 3] [--concurrency 1,4]
 *
 * scripted: the scripted server in this process writing a token every --itl ms (what a GPU server
 * streams at 1000/itl tokens/s); llama: llama.cpp's llama-server on a synthetic GGUF.
 * Prints per concurrency the median per-request CPU of each client and their ratio (tokenbench /
 * Python, under 1: tokenbench uses less). The length of a round matters to tokenbench's side: V8
 * optimises the per-chunk code only after some thousands of chunks, so give --requests 200 for the
 * steady state and the default 40 for a short run (docs/metrics.md has both).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readResult, runCli, tempDir } from '../test/helpers.js';
import { startLlamaServer } from '../test/support/llama-server.js';
import { startScriptedServer } from '../test/support/scripted-openai-server.js';
import { flag, median } from './common.js';

const serverKind = flag('server', 'scripted');
const preset = flag('preset', 'tiny') as 'tiny' | 'small';
const tokens = Number(flag('tokens', '64'));
const itl = Number(flag('itl', '30'));
const requests = Number(flag('requests', '40'));
const rounds = Number(flag('rounds', '3'));
const concurrencies = flag('concurrency', '1,4').split(',').map(Number);

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import aiohttp']).status === 0);
const script = new URL('./vllm-style-client.py', import.meta.url).pathname;

/** The Python client's process time (s) for `streams` x `n` rounds, from the last line of its output; run without blocking this process, where the scripted server lives. */
function pythonCpuS(url: string, model: string, streams: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python as string, [script, url, model, String(streams), String(tokens), String(n), '16', '100', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`vllm-style client exited ${code}: ${err}`));
      resolve((JSON.parse(out.trim().split('\n').pop() as string) as { cpu_s: number }).cpu_s);
    });
  });
}

async function main(): Promise<void> {
  if (!python) throw new Error('no python3 with aiohttp (Debian: python3-aiohttp)');
  const llama = serverKind === 'llama' ? await startLlamaServer({ parallel: Math.max(...concurrencies), threads: 1, preset }) : null;
  const scripted = llama ? null : await startScriptedServer();
  const url = llama?.url ?? (scripted?.url as string);
  const model = llama?.model ?? `ttft=20,itl=${itl}`;
  const dir = tempDir('tokenbench-client-cpu-');
  try {
    process.stderr.write(`${llama ? `llama-server ${preset}` : `scripted server, a token every ${itl} ms`}; ${tokens} new tokens, 16-token prompts, ${requests} requests per side per round, ${rounds} rounds\n`);
    const rows: string[] = [];
    for (const c of concurrencies) {
      const ours: number[] = [];
      const theirs: number[] = [];
      const perRound = Math.max(1, Math.round(requests / c));
      for (let r = 0; r < rounds; r++) {
        // turn about, the side that goes first flipped every round
        const sides = [
          async (): Promise<void> => {
            const out = join(dir, `c${c}-${r}.json`);
            const res = await runCli(['load', '--url', url, '--model', model, '--no-model-check', '--concurrency', String(c), '--requests', String(perRound * c), '--warmup-requests', String(c), '--input-len', '16', '--output-len', String(tokens), '--no-store', '--quiet', '--output', out]);
            if (res.code !== 0) throw new Error(`load exited ${res.code}: ${res.stderr}`);
            const l = readResult(out).benchmarks[0]?.load;
            ours.push((l?.client.cpu_ms as number) / (l?.counts.ok as number));
          },
          async (): Promise<void> => {
            const base = await pythonCpuS(url, model, c, 0);
            theirs.push((((await pythonCpuS(url, model, c, perRound)) - base) * 1000) / (perRound * c));
          },
        ];
        if (r % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      }
      const [a, b] = [median(ours), median(theirs)];
      rows.push(`| ${c} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)} | ${ours.map((x) => x.toFixed(1)).join(', ')} | ${theirs.map((x) => x.toFixed(1)).join(', ')} |`);
    }
    process.stdout.write(`| concurrency | tokenbench CPU ms/request | vLLM-style ms/request | ratio | tokenbench rounds | vLLM-style rounds |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    await llama?.stop();
    await scripted?.close();
  }
}

await main();
