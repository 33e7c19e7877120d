/**
 * How often the CI gate calls a regression when there is none, on a loaded machine: the same commit
 * against itself through examples/ci/gate.sh (its default threshold and rounds), while `--hogs`
 * CPU-bound processes keep the cores busy. Each trial also compares its first round's two runs
 * alone, unpaired, as the gate did before it ran in rounds (one run a side, one after the other).
 *
 *   npx tsx bench/gate-noise.ts [--trials 20] [--hogs 2] [--rounds 6] [--threshold 5%]
 *
 * Prints per trial the gate's exit code and verdicts, then how many trials each way called a
 * regression.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, runCli, TEST_CACHE_DIR, tempDir } from '../test/helpers.js';
import { flag } from './common.js';

const trials = Number(flag('trials', '20'));
const hogs = Number(flag('hogs', '2'));
const rounds = flag('rounds', '6');
const threshold = flag('threshold', '5%');

function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The verdicts of a markdown comparison, counted. */
function verdicts(markdown: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const v = cells[cells.length - 2];
    if (cells.length > 8 && v && !['verdict', '---'].includes(v)) counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const repo = tempDir('tokenbench-gate-noise-');
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q');
  writeFileSync(join(repo, 'tokenbench.yaml'), 'sequence_length: 16\nnum_tokens_to_generate: 16\nwarmup_iterations: 2\nmeasurement_iterations: 8\ngpu_monitoring: false\nmodel: ./model\n');
  const s = await runCli(['synth', '--preset', 'tiny', '--out', 'model'], { cwd: repo });
  if (s.code !== 0) throw new Error(s.stderr);
  git('add', '-A');
  git('commit', '-q', '-m', 'one');
  const busy: ChildProcess[] = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  const env = { TOKENBENCH: `${process.execPath} ${CLI}`, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR, TOKENBENCH_THRESHOLD: threshold, TOKENBENCH_GATE_ROUNDS: rounds };
  let gateCalls = 0;
  let singleCalls = 0;
  const started = performance.now();
  process.stdout.write(`same commit against itself, ${hogs} CPU-bound processes beside it, threshold ${threshold}, ${rounds} rounds\n\n| trial | gate exit | gate verdicts | one run a side: exit | its verdicts |\n|---|---|---|---|---|\n`);
  try {
    for (let t = 1; t <= trials; t++) {
      const out = tempDir('tokenbench-gate-noise-out-');
      const g = await run('bash', [join(ROOT, 'examples', 'ci', 'gate.sh'), 'HEAD', 'HEAD'], repo, { ...env, TOKENBENCH_GATE_DIR: out });
      if (g.code !== 0 && g.code !== 1) throw new Error(`gate exited ${g.code}: ${g.stderr}`);
      const single = await run(process.execPath, [CLI, 'compare', join(out, 'base', 'round-1.json'), join(out, 'head', 'round-1.json'), '--format', 'markdown', '--threshold', threshold], repo, env);
      if (g.code === 1) gateCalls++;
      if (single.code === 1) singleCalls++;
      const fmt = (v: Record<string, number>): string => Object.entries(v).map(([k, n]) => `${n} ${k}`).join(', ');
      process.stdout.write(`| ${t} | ${g.code} | ${fmt(verdicts(readFileSync(join(out, 'compare.md'), 'utf8')))} | ${single.code} | ${fmt(verdicts(single.stdout))} |\n`);
    }
  } finally {
    for (const b of busy) b.kill('SIGKILL');
  }
  process.stdout.write(`\nregression called: gate in rounds ${gateCalls} of ${trials}; one run a side ${singleCalls} of ${trials} (${((performance.now() - started) / 60000).toFixed(1)} min)\n`);
}

await main();
