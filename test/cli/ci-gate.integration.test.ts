/**
 * examples/ci/gate.sh, the CI regression gate, on a real git repository: the same tokenbench.yaml at
 * two commits whose model folder differs (a much bigger model at head), run and compared.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, type CliResult, ROOT, runCli, TEST_CACHE_DIR, TEST_STORE, tempDir } from '../helpers.js';

const GATE = join(ROOT, 'examples', 'ci', 'gate.sh');

function gate(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [GATE, ...args], {
      cwd,
      env: { ...process.env, TOKENBENCH: `${process.execPath} ${CLI}`, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR, TOKENBENCH_STORE: TEST_STORE, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

/** A repository whose tokenbench.yaml names ./model; `tiny` at the first commit, a 16x deeper, 2x wider model at the second (about 5x slower here: a margin no noise of a busy machine hides). */
async function repositoryWithSlowerHead(): Promise<{ repo: string; base: string; head: string }> {
  const repo = tempDir('tokenbench-gate-repo-');
  git(repo, 'init', '-q');
  writeFileSync(join(repo, 'tokenbench.yaml'), 'sequence_length: 16\nnum_tokens_to_generate: 16\nwarmup_iterations: 2\nmeasurement_iterations: 8\ngpu_monitoring: false\nmodel: ./model\n');
  const synth = async (preset: string, force: boolean): Promise<void> => {
    const r = await runCli(['synth', '--preset', preset, '--out', 'model', ...(force ? ['--force'] : [])], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
  };
  await synth('tiny', false);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  const base = git(repo, 'rev-parse', 'HEAD');
  await synth('layers=32,hidden=128,heads=4,kv-heads=2,intermediate=344', true);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'head: a bigger model');
  return { repo, base, head: git(repo, 'rev-parse', 'HEAD') };
}

test('gate: a slower head fails with exit 1, the markdown table on stdout and in the job summary', async () => {
  const { repo, base, head } = await repositoryWithSlowerHead();
  const out = tempDir('tokenbench-gate-out-');
  const summary = join(tempDir(), 'summary.md');
  writeFileSync(summary, '# earlier step\n');
  const r = await gate([base, head], repo, { TOKENBENCH_GATE_DIR: out, GITHUB_STEP_SUMMARY: summary, TOKENBENCH_GATE_ROUNDS: '4' });
  assert.equal(r.code, 1, r.stderr);
  const markdown = readFileSync(join(out, 'compare.md'), 'utf8');
  assert.match(markdown, /\| e2e ms \|.*\| slower \|/);
  assert.match(markdown, /significant regression\(s\) past 5\.0%/);
  assert.ok(r.stdout.includes(markdown.trim()), r.stdout);
  // appended, not overwritten: an earlier step's summary stays
  assert.equal(readFileSync(summary, 'utf8'), `# earlier step\n${markdown}`);
  for (const side of ['base', 'head']) for (const round of [1, 2, 3, 4]) assert.ok(existsSync(join(out, side, `round-${round}.json`)), `${side} ${round}`);
  // paired by round, the sides taking turns: base first in odd rounds, head first in even ones
  assert.match(markdown, /\| paired \|/);
  assert.match(r.stderr, /round 1\/4, base\n[^]*round 1\/4, head\n[^]*round 2\/4, head\n[^]*round 2\/4, base\n/);
  assert.match(r.stderr, new RegExp(`gate: base = ${base}`));
  // compare refuses folders of rounds that do not match, and a folder against a file
  const fewer = tempDir();
  for (const round of [1, 2, 3]) copyFileSync(join(out, 'head', `round-${round}.json`), join(fewer, `round-${round}.json`));
  const mismatch = await runCli(['compare', join(out, 'base'), fewer]);
  assert.equal(mismatch.code, 2, mismatch.stderr);
  assert.equal(mismatch.stderr.trim(), 'tokenbench: compare: the folders of rounds must hold the same file names, one per round; only on one side: round-4.json');
  const mixed = await runCli(['compare', join(out, 'base'), join(fewer, 'round-1.json')]);
  assert.equal(mixed.code, 2, mixed.stderr);
  assert.match(mixed.stderr.trim(), /^tokenbench: compare: .*base is a folder of rounds, so the other side must be one too, got '.*round-1\.json'$/);
  // the worktrees are gone; the repository is as it was
  assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1);
  assert.equal(git(repo, 'status', '--porcelain'), '');

  // the same commit on both sides: no regression, exit 0
  const same = await gate([base, base], repo, { TOKENBENCH_GATE_DIR: tempDir('tokenbench-gate-out-'), TOKENBENCH_THRESHOLD: '100%', TOKENBENCH_GATE_ROUNDS: '3' });
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /no significant regression past 100\.0%/);
  // a folder that holds an earlier gate's rounds is refused, not mixed in or deleted
  const again = await gate([base, base], repo, { TOKENBENCH_GATE_DIR: out });
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr.trim(), /^gate: .*\/base already holds results; give TOKENBENCH_GATE_DIR a new or empty folder$/);
  assert.ok(existsSync(join(out, 'base', 'round-1.json')));
});

test('gate: bad input is one line and exit code 2, before anything runs', async () => {
  const repo = tempDir('tokenbench-gate-repo-');
  git(repo, 'init', '-q');
  writeFileSync(join(repo, 'tokenbench.yaml'), 'model: synthetic:tiny\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'one');
  const cases: [string[], string, RegExp][] = [
    [['HEAD'], repo, /^usage: .*gate\.sh BASE HEAD \[CONFIG\]$/],
    [['nosuch', 'HEAD'], repo, /^gate: BASE nosuch is not a commit in this repository$/],
    [['HEAD', 'HEAD~3'], repo, /^gate: HEAD HEAD~3 is not a commit in this repository$/],
    [['HEAD', 'HEAD'], tempDir(), /^gate: .* is not in a git repository$/],
  ];
  for (const [args, cwd, message] of cases) {
    const r = await gate(args, cwd);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stdout, '');
  }
  for (const rounds of ['1', 'x', '2.5']) {
    const r = await gate(['HEAD', 'HEAD'], repo, { TOKENBENCH_GATE_ROUNDS: rounds });
    assert.equal(r.code, 2, `${rounds}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `gate: TOKENBENCH_GATE_ROUNDS must be a whole number of at least 2, got '${rounds}'`);
    assert.equal(r.stdout, '');
  }
  // a config the commit does not have: run's own one line and exit code 2
  const missing = await gate(['HEAD', 'HEAD', 'nosuch.yaml'], repo, { TOKENBENCH_GATE_DIR: tempDir() });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /nosuch\.yaml/);
  assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1);
});
