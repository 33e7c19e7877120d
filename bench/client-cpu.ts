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
 * Python, under 1: tokenbench uses less). tokenbench runs twice a round: as shipped, its own code
 * warmed on a loopback stream before measuring (src/http/client-warmup.ts), and cold
 * (TOKENBENCH_CLIENT_WARMUP=0), where V8 optimises the per-chunk code only after some thousands of
 * chunks, so short runs (the default 40 requests) cost more than the steady state (--requests 200);
 * docs/metrics.md has both.
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
      const cold: number[] = [];
      const theirs: number[] = [];
      const perRound = Math.max(1, Math.round(requests / c));
      const tokenbench = async (r: number, warm: boolean, into: number[]): Promise<void> => {
        const out = join(dir, `c${c}-${r}-${warm ? 'warm' : 'cold'}.json`);
        const res = await runCli(['load', '--url', url, '--model', model, '--no-model-check', '--concurrency', String(c), '--requests', String(perRound * c), '--warmup-requests', String(c), '--input-len', '16', '--output-len', String(tokens), '--no-store', '--quiet', '--output', out], warm ? {} : { env: { TOKENBENCH_CLIENT_WARMUP: '0' } });
        if (res.code !== 0) throw new Error(`load exited ${res.code}: ${res.stderr}`);
        const l = readResult(out).benchmarks[0]?.load;
        into.push((l?.client.cpu_ms as number) / (l?.counts.ok as number));
      };
      for (let r = 0; r < rounds; r++) {
        // turn about, the order of the sides turned every round
        const sides = [
          (): Promise<void> => tokenbench(r, true, ours),
          (): Promise<void> => tokenbench(r, false, cold),
          async (): Promise<void> => {
            const base = await pythonCpuS(url, model, c, 0);
            theirs.push((((await pythonCpuS(url, model, c, perRound)) - base) * 1000) / (perRound * c));
          },
        ];
        for (let k = 0; k < r % sides.length; k++) sides.push(sides.shift() as () => Promise<void>);
        for (const side of sides) await side();
      }
      const [a, z, b] = [median(ours), median(cold), median(theirs)];
      const list = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ');
      rows.push(`| ${c} | ${a.toFixed(2)} | ${z.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)} | ${(z / b).toFixed(2)} | ${list(ours)} | ${list(cold)} | ${list(theirs)} |`);
    }
    process.stdout.write(
      `| concurrency | tokenbench CPU ms/request | cold | vLLM-style ms/request | ratio | cold ratio | tokenbench rounds | cold rounds | vLLM-style rounds |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  } finally {
    await llama?.stop();
    await scripted?.close();
  }
}

await main();
