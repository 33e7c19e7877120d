/**
 * Where a generated token's time goes through node-llama-cpp, beside llama-bench's tg on the same
 * GGUF and settings (one sequence, flash attention off, generation at depth --prompt). Each path
 * generates --gen tokens after the same --prompt-token prompt, rounds interleaved in one process;
 * llama-bench (built by test/support/build-llama-server.sh from the source node-llama-cpp ships) runs
 * after each round. Paths:
 *   evaluate     `sequence.evaluate`, greedy: what the llama-cpp engine does
 *   evaluate-awake  the same with Node's event loop kept from sleeping (src/http/busy-poll.ts): what
 *                waking the main thread for each of the addon's answers costs
 *   controlled   `sequence.controlledEvaluate`, one call per token, greedy
 *   decode-only  `evaluateWithoutGeneratingNewTokens` of one token at a time: no logits, no sampling
 * llama-bench decodes one token at a time with logits and without sampling, so its figure lies
 * between decode-only (no output layer) and evaluate (output layer, candidates, sampling).
 *
 *   npx tsx bench/llama-token-cost.ts [--preset small] [--dtype q4_0] [--threads 1] [--rounds 4] [--prompt 512] [--gen 128]
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdLoopAwake } from '../src/http/busy-poll.js';
import { ensureSyntheticGgufShape } from '../src/synth/cache.js';
import type { GgufDtype } from '../src/synth/llama-gguf.js';
import { PRESETS } from '../src/synth/shape.js';
import { cacheDir, flag, median } from './common.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const preset = flag('preset', 'small');
const dtype = flag('dtype', 'q4_0') as GgufDtype;
const threads = Number(flag('threads', '1'));
const rounds = Number(flag('rounds', '4'));
const promptLength = Number(flag('prompt', '512'));
const gen = Number(flag('gen', '128'));
const shape = PRESETS[preset];
if (!shape) throw new Error(`--preset: ${preset} is not one of ${Object.keys(PRESETS).join(', ')}`);

const server = execFileSync('bash', [join(ROOT, 'test/support/build-llama-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) as string;
const llamaBench = join(dirname(server), 'llama-bench');
const file = ensureSyntheticGgufShape(shape, dtype, cacheDir).file;

const lib = await import('node-llama-cpp');
const llama = await lib.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: lib.LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
// the llama-cpp engine's context size for this prompt and generation
const context = await model.createContext({ contextSize: Math.ceil((promptLength + gen + 8) / 256) * 256, sequences: 1, threads, flashAttention: false });
const sequence = context.getSequence();
type Token = Parameters<typeof sequence.evaluateWithoutGeneratingNewTokens>[0][number];
const prompt = Array.from({ length: promptLength }, (_, i) => ((i * 7919 + 13) % 40_000) + 100) as Token[];
const greedy = { generateNext: { token: true, options: { temperature: 0 } } };

/** ms per token after the first through `sequence.evaluate`, greedy. */
async function evaluatePath(): Promise<number> {
  const stamps: bigint[] = [];
  for await (const _ of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
    stamps.push(process.hrtime.bigint());
    if (stamps.length >= gen) break;
  }
  return Number((stamps.at(-1) as bigint) - (stamps[0] as bigint)) / 1e6 / (gen - 1);
}

/** ms per generated token after the first, for one path. */
const paths: Record<string, () => Promise<number>> = {
  evaluate: evaluatePath,
  'evaluate-awake': async () => {
    const release = holdLoopAwake();
    try {
      return await evaluatePath();
    } finally {
      release();
    }
  },
  controlled: async () => {
    const first = await sequence.controlledEvaluate([...prompt.slice(0, -1), [prompt.at(-1) as Token, greedy]]);
    let token = first.at(-1)?.next?.token as Token;
    const t0 = process.hrtime.bigint();
    for (let i = 1; i < gen; i++) token = (await sequence.controlledEvaluate([[token, greedy]]))[0]?.next?.token as Token;
    return Number(process.hrtime.bigint() - t0) / 1e6 / (gen - 1);
  },
  'decode-only': async () => {
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const t0 = process.hrtime.bigint();
    for (let i = 1; i < gen; i++) await sequence.evaluateWithoutGeneratingNewTokens([(1000 + i) as Token]);
    return Number(process.hrtime.bigint() - t0) / 1e6 / (gen - 1);
  },
};

const figures: Record<string, number[]> = { ...Object.fromEntries(Object.keys(paths).map((k) => [k, [] as number[]])), 'llama-bench': [] };
for (let round = 0; round < rounds + 1; round++) {
  // round 0 warms every path up and is not counted
  for (const [name, run] of Object.entries(paths)) {
    await sequence.clearHistory();
    const ms = await run();
    if (round > 0) figures[name]?.push(ms);
  }
  if (round === 0) continue;
  const out = execFileSync(llamaBench, ['-m', file, '-t', String(threads), '-fa', '0', '-b', String(context.batchSize), '-ub', String(context.batchSize), '-r', '3', '-o', 'json', '-p', '0', '-n', String(gen), '-d', String(promptLength)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [row] = JSON.parse(out) as { samples_ts: number[] }[];
  figures['llama-bench']?.push(...(row?.samples_ts ?? []).map((ts) => 1000 / ts));
}
await context.dispose();
await model.dispose();
await llama.dispose();

const reference = median(figures['llama-bench'] ?? []);
console.log(`${preset} ${dtype}, ${threads} thread(s), tg${gen} @ d${promptLength}, ${rounds} rounds\n`);
console.log('| path | ms per token (median) | rounds | minus llama-bench |');
console.log('|---|---|---|---|');
for (const [name, xs] of Object.entries(figures)) {
  const m = median(xs);
  console.log(`| ${name} | ${m.toFixed(3)} | ${xs.map((x) => x.toFixed(2)).join(', ')} | ${name === 'llama-bench' ? '' : (m - reference).toFixed(3)} |`);
}
