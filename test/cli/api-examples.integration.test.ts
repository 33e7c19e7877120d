/**
 * examples/api: the library as a user's program sees it (`import ... from 'tokenbench'`, resolved to
 * the built package). Their types are checked against the built declarations, and each runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { readResult, ROOT, TEST_CACHE_DIR, tempDir } from '../helpers.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';

const EXAMPLES = join(ROOT, 'examples', 'api');
const exec = promisify(execFile);

/** Runs an example as a user would (tsx, from the repository, where `tokenbench` is this package); never rejects. */
async function example(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', join(EXAMPLES, name), ...args], { cwd: ROOT, env: { ...process.env, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

test('examples/api type-check against the built package', async () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await exec(process.execPath, [tsc, '-p', join(EXAMPLES, 'tsconfig.json')], { cwd: ROOT }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }));
  assert.equal(r.stdout.trim(), '', r.stdout);
});

test('examples/api/run-synthetic.ts runs a sweep and writes the result file', async () => {
  const out = join(tempDir(), 'run.json');
  const r = await example('run-synthetic.ts', [out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2, r.stdout);
  assert.match(r.stdout, /b1_s16_n8.*: ok, TTFT p50 \d+\.\d+ ms/);
  assert.deepEqual(readResult(out).benchmarks.map((b) => b.status), ['ok', 'ok']);
});

test('examples/api/load-server.ts sweeps, searches and reports against a server', async () => {
  const html = join(tempDir(), 'report.html');
  const r = await example('load-server.ts', [server.url, 'slots=2,ttft=20,itl=2', html]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /load-c1-.*: 20\/20 ok/);
  assert.match(r.stdout, /load-c4-.*: 20\/20 ok/);
  assert.match(r.stdout, /^capacity: .* users at once \(closed loop\) with TTFT <= 500 ms for 90% of requests/m);
  assert.match(r.stderr, /\[1\/2\] load-c1-/, 'progress events reach the program');
  assert.ok(existsSync(html) && readFileSync(html, 'utf8').includes('<html'), 'the report is written');
});

test('examples/api/compare-runs.ts: a run against itself has no regression; bad input is an InputError', async () => {
  const out = join(tempDir(), 'run.json');
  assert.equal((await example('run-synthetic.ts', [out])).code, 0);
  const same = await example('compare-runs.ts', [out, out]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /0 regression\(s\)/);
  const missing = await example('compare-runs.ts', [join(tempDir(), 'none.json'), out]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^result_file: result file .*none\.json: not found$/m);
});
