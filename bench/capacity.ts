/**
 * How right and how steady `load --find-max-rate` is. Part 1: on the scripted slot server (K slots,
 * one FIFO queue, fixed prefill and per-token time), the max rate found against the truth, a
 * simulation of that queue over the very schedules the search sends (test/support/slot-queue.ts):
 * their ratio, and whether the truth lies in the answer's bracket and noise interval. Part 2: the
 * same search repeated on llama.cpp's llama-server: the spread of the answers. Both with the time
 * each search took.
 *
 *   npx tsx bench/capacity.ts [--repeats 3] [--requests 300] [--percentile 90] [--slots 2]
 */
import { join } from 'node:path';
import type { Capacity } from '../src/results/schema.js';
import { readResult, runCli, tempDir } from '../test/helpers.js';
import { startLlamaServer } from '../test/support/llama-server.js';
import { startScriptedServer } from '../test/support/scripted-openai-server.js';
import { simulatedMaxRate } from '../test/support/slot-queue.js';
import { flag } from './common.js';

const repeats = Number(flag('repeats', '3'));
const requests = Number(flag('requests', '300'));
const percentile = Number(flag('percentile', '90'));
const slots = Number(flag('slots', '2'));

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function search(url: string, model: string, slo: string, extra: string[]): Promise<{ c: Capacity; seconds: number }> {
  const out = join(tempDir('tokenbench-capacity-bench-'), 'r.json');
  const t = performance.now();
  const r = await runCli(['load', '--url', url, '--model', model, '--no-model-check', '--find-max-rate', '--slo', slo, '--slo-percentile', String(percentile), '--requests', String(requests), '--no-store', '--quiet', '--output', out, ...extra]);
  if (r.code !== 0) throw new Error(`load exited ${r.code}: ${r.stderr}`);
  const c = readResult(out).capacity;
  if (!c) throw new Error('no capacity in the result');
  return { c, seconds: (performance.now() - t) / 1000 };
}

async function scriptedPart(): Promise<string> {
  const server = await startScriptedServer();
  const rows: string[] = [];
  try {
    const model = `slots=${slots},ttft=15,itl=4`;
    for (let k = 0; k < repeats; k++) {
      const from = server.log.length;
      const seed = k + 1;
      const { c, seconds } = await search(server.url, model, 'ttft=45ms', ['--input-len', '8', '--output-len', '6', '--seed', String(seed), '--saturation-concurrency', String(3 * slots)]);
      // the slot server as its log saw it in this search: service from slot to last token, first token from slot
      const served = server.log.slice(from).filter((e) => e.slot_ns !== undefined && e.written_ns.length > 0);
      const ms = (a: string, b: string): number => Number(BigInt(a) - BigInt(b)) / 1e6;
      const truth = simulatedMaxRate(
        { slots, serviceMs: mean(served.map((e) => ms(e.written_ns.at(-1) as string, e.slot_ns as string))) + 0.2, firstTokenMs: mean(served.map((e) => ms(e.written_ns[0] as string, e.slot_ns as string))) + 0.5 },
        45,
        requests,
        seed,
        percentile / 100,
      );
      const found = c.max_rate_rps as number;
      const inBracket = truth >= found && (c.bracket.fails === null || truth <= c.bracket.fails);
      const [lo, hi] = c.interval ?? [0, null];
      rows.push(`| ${seed} | ${found} | ${c.bracket.fails ?? '-'} | ${truth.toFixed(2)} | ${(found / truth).toFixed(3)} | ${inBracket ? 'yes' : 'no'} | [${lo}, ${hi ?? '-'}] ${truth >= lo && (hi === null || truth <= hi) ? 'yes' : 'no'} | ${c.points.length} | ${seconds.toFixed(1)} |`);
    }
  } finally {
    await server.close();
  }
  return `Scripted slot server (${slots} slots, prefill 15 ms, 4 ms a token, 6 tokens), TTFT p${percentile} <= 45 ms, ${requests} requests a probe, precision 5%:\n\n| seed | found req/s | lowest failing | simulated truth | found / truth | truth in bracket | noise interval, truth in it | probes | seconds |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

async function llamaPart(): Promise<string> {
  const server = await startLlamaServer({ parallel: 2, threads: 1 });
  const rows: string[] = [];
  const found: number[] = [];
  try {
    for (let k = 0; k < repeats; k++) {
      const { c, seconds } = await search(server.url, server.model, 'ttft=12ms', ['--input-len', '32', '--output-len', '32', '--saturation-concurrency', '8']);
      found.push(c.max_rate_rps as number);
      rows.push(`| ${k + 1} | ${c.status} | ${c.max_rate_rps} | ${c.bracket.fails ?? '-'} | [${c.interval?.[0] ?? '-'}, ${c.interval?.[1] ?? '-'}] | ${c.saturation_rps?.toFixed(1)} | ${c.points.length} | ${seconds.toFixed(1)} |`);
    }
  } finally {
    await server.stop();
  }
  const spread = (Math.max(...found) - Math.min(...found)) / mean(found);
  return `llama-server (tiny GGUF, --parallel 2, 1 thread), TTFT p${percentile} <= 12 ms, 32-token prompts and outputs, ${requests} requests a probe:\n\n| repeat | status | max rate req/s | lowest failing | noise interval | saturated req/s | probes | seconds |\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\nspread of the answers (max - min) / mean: ${(spread * 100).toFixed(1)}%\n`;
}

process.stdout.write(`${await scriptedPart()}\n${await llamaPart()}`);
