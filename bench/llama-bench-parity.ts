/**
 * tokenbench's llama-cpp engine beside llama.cpp's own llama-bench, built from the source
 * node-llama-cpp ships (test/support/build-llama-server.sh builds it beside llama-server, against
 * the same prebuilt libraries), on the same synthetic GGUF in each quantisation, with the settings
 * docs/llama-bench.md says must match: threads, flash attention off, batch and micro-batch equal to
 * the n_batch tokenbench ran with, generation at the prompt's depth. Sides alternate, a round each;
 * the t/s are means over all rounds, and the ratio is the median of the rounds' own ratios (each
 * round's two sides ran a minute apart at most, so a machine that drifts over the run moves both),
 * with the rounds' lowest and highest beside it.
 *
 * pp: prompt tokens / prefill time (tokenbench: sequence_length / TTFT, as `export --format md`
 * prints it); tg: generated tokens / generation time (tokenbench: decode_tokens_per_s). The fixed
 * cost tokenbench adds is read off both: per prefill, TTFT minus llama-bench's prompt time; per
 * token, tokenbench's decode step minus llama-bench's.
 *
 *   npm run build && npx tsx bench/llama-bench-parity.ts [--preset small] [--threads 1] [--rounds 3] [--reps 5] [--dtypes f16,q8_0,q4_0] [--prompt 512] [--gen 128]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promptTokensPerS } from '../src/results/metrics.js';
import type { RunResult } from '../src/results/schema.js';
import { mean } from '../src/results/statistics.js';
import { ensureSyntheticGgufShape } from '../src/synth/cache.js';
import { GGUF_DTYPES, type GgufDtype } from '../src/synth/llama-gguf.js';
import { PRESETS } from '../src/synth/shape.js';
import { cacheDir, flag, median } from './common.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const preset = flag('preset', 'small');
const threads = Number(flag('threads', '1'));
const rounds = Number(flag('rounds', '3'));
const reps = Number(flag('reps', '5'));
const prompt = Number(flag('prompt', '512'));
const gen = Number(flag('gen', '128'));
const dtypes = flag('dtypes', 'f16,q8_0,q4_0').split(',') as GgufDtype[];
for (const d of dtypes) if (!(GGUF_DTYPES as readonly string[]).includes(d)) throw new Error(`--dtypes: ${d} is not one of ${GGUF_DTYPES.join(', ')}`);
const shape = PRESETS[preset];
if (!shape) throw new Error(`--preset: ${preset} is not one of ${Object.keys(PRESETS).join(', ')}`);

const server = execFileSync('bash', [join(ROOT, 'test/support/build-llama-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) as string;
const llamaBench = join(dirname(server), 'llama-bench');
const work = mkdtempSync(join(tmpdir(), 'tokenbench-parity-'));

/** One round of tokenbench: `reps` measured iterations after one warmup; pp and tg of each, and the n_batch it ran with. */
function tokenbenchRound(model: string): { pp: number[]; tg: number[]; nBatch: number } {
  const out = join(work, 'r.json');
  execFileSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run', '--engine', 'llama-cpp', '--model', model, '--sequence-length', String(prompt), '--new-tokens', String(gen), '--warmup', '1', '--iterations', String(reps), '--engine-option', `threads=${threads}`, '--no-gpu-monitoring', '--no-store', '--quiet', '--output', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const b = (JSON.parse(readFileSync(out, 'utf8')) as RunResult).benchmarks[0];
  if (!b || b.status !== 'ok') throw new Error(`tokenbench: ${b?.error?.message ?? 'no result'}`);
  return {
    pp: b.iterations.map((it) => promptTokensPerS(it.ttft_ms, 1, prompt)),
    tg: b.iterations.map((it) => it.decode_tokens_per_s),
    nBatch: Number(b.engine?.settings?.n_batch),
  };
}

/** One llama-bench test (`reps` repetitions): its per-repetition tokens/s. */
function llamaBenchRun(model: string, nBatch: number, args: string[]): number[] {
  const out = execFileSync(llamaBench, ['-m', model, '-t', String(threads), '-fa', '0', '-b', String(nBatch), '-ub', String(nBatch), '-r', String(reps), '-o', 'json', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [row] = JSON.parse(out) as { samples_ts: number[] }[];
  if (!row) throw new Error(`llama-bench ${args.join(' ')}: no result`);
  return row.samples_ts;
}

const f = (x: number, d = 2): string => x.toFixed(d);
console.log(`preset ${preset}, ${threads} thread(s), pp${prompt} and tg${gen} @ d${prompt}, ${rounds} rounds of ${reps} repetitions a side, sides alternating\n`);
console.log('| dtype | test | tokenbench t/s | llama-bench t/s | ratio (median of rounds) | ratio in each round | tokenbench adds |');
console.log('|---|---|---|---|---|---|---|');
try {
  for (const dtype of dtypes) {
    const model = ensureSyntheticGgufShape(shape, dtype, cacheDir).file;
    const tb = { pp: [] as number[], tg: [] as number[] };
    const lb = { pp: [] as number[], tg: [] as number[] };
    const ratios = { pp: [] as number[], tg: [] as number[] };
    let nBatch = 0;
    for (let round = 0; round < rounds; round++) {
      const here = { tb: { pp: [] as number[], tg: [] as number[] }, lb: { pp: [] as number[], tg: [] as number[] } };
      const sides = [
        () => {
          const r = tokenbenchRound(model);
          here.tb.pp.push(...r.pp);
          here.tb.tg.push(...r.tg);
          nBatch = r.nBatch;
        },
        () => {
          // the first round learns n_batch from tokenbench, so tokenbench goes first there
          here.lb.pp.push(...llamaBenchRun(model, nBatch, ['-p', String(prompt), '-n', '0']));
          here.lb.tg.push(...llamaBenchRun(model, nBatch, ['-p', '0', '-n', String(gen), '-d', String(prompt)]));
        },
      ];
      for (const side of round % 2 === 0 || nBatch === 0 ? sides : [...sides].reverse()) side();
      for (const test of ['pp', 'tg'] as const) {
        tb[test].push(...here.tb[test]);
        lb[test].push(...here.lb[test]);
        ratios[test].push(mean(here.tb[test]) / mean(here.lb[test]));
      }
    }
    const [ppT, ppL, tgT, tgL] = [mean(tb.pp), mean(lb.pp), mean(tb.tg), mean(lb.tg)];
    const spread = (xs: number[]): string => `${f(Math.min(...xs), 3)}-${f(Math.max(...xs), 3)}`;
    console.log(`| ${dtype} | pp${prompt} | ${f(ppT)} | ${f(ppL)} | ${f(median(ratios.pp), 3)} | ${spread(ratios.pp)} | ${f((prompt / ppT - prompt / ppL) * 1000)} ms per prefill |`);
    console.log(`| ${dtype} | tg${gen} @ d${prompt} | ${f(tgT)} | ${f(tgL)} | ${f(median(ratios.tg), 3)} | ${spread(ratios.tg)} | ${f((1 / tgT - 1 / tgL) * 1000, 3)} ms per token |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
