/**
 * The lean install a server tester gets: this project packed as npm would publish it, installed into
 * an empty project with the optional dependencies (the engines' libraries, playwright-core, koffi)
 * left out. load, compare, report, export, history, import and monitor work; an engine that is not
 * installed is refused with one line naming the package, and nothing is written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';

const OPTIONAL = ['@huggingface/transformers', 'onnxruntime-node', 'node-llama-cpp', 'playwright-core', 'koffi'];
const LEAN_LIMIT_BYTES = 150 * 1024 * 1024;

/** The environment without what the `npm test` around this test set for its own npm. */
function withoutNpmConfig(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

/** Bytes of every file under `dir` (links not followed). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

let project = '';
let cli = '';
let server: ScriptedServer;

before(async () => {
  const root = tempDir('tokenbench-lean-');
  const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, env: withoutNpmConfig(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // dist is built by `npm test`'s pretest; packing without scripts takes it as it is
  const tarball = join(root, npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', root], ROOT).trim().split('\n').at(-1) as string);
  project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "lean-user", "private": true }\n');
  npm(['install', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
  cli = join(project, 'node_modules', 'tokenbench', 'dist', 'cli', 'main.js');
  server = await startScriptedServer();
});

after(async () => {
  await server?.close();
});

test('lean install: under 150 MB, without any optional package', () => {
  const modules = join(project, 'node_modules');
  for (const name of OPTIONAL) assert.equal(existsSync(join(modules, name)), false, `${name} was installed`);
  const bytes = treeBytes(modules);
  assert.ok(bytes < LEAN_LIMIT_BYTES, `node_modules holds ${(bytes / 1048576).toFixed(1)} MB`);
});

test('lean install: load, report, export, compare, history, import and monitor work', async () => {
  const cwd = tempDir('tokenbench-lean-cwd-');
  const env = { TOKENBENCH_STORE: `sqlite:${join(cwd, 'store.db')}` };
  const load = await runCli(['load', '--url', server.url, '--model', 'ttft=5,itl=1', '--concurrency', '2', '--requests', '12', '--input-len', '16', '--output-len', '4', '--quiet', '--output', 'load.json'], { cli, cwd, env });
  assert.equal(load.code, 0, load.stderr);
  const result = JSON.parse(readFileSync(join(cwd, 'load.json'), 'utf8')) as { run_id: string; benchmarks: { request_count: number }[] };
  assert.equal(result.benchmarks[0]?.request_count, 12);

  const report = await runCli(['report', 'load.json', '-o', 'report.html'], { cli, cwd, env });
  assert.equal(report.code, 0, report.stderr);
  assert.match(readFileSync(join(cwd, 'report.html'), 'utf8'), /<html/);
  const exported = await runCli(['export', 'load.json', '--format', 'csv'], { cli, cwd, env });
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^config,status,metric,unit,n,/);
  const compare = await runCli(['compare', 'load.json', 'load.json'], { cli, cwd, env });
  assert.equal(compare.code, 0, compare.stderr);
  const history = await runCli(['history', '--json'], { cli, cwd, env });
  assert.equal(history.code, 0, history.stderr);
  assert.ok(history.stdout.includes(result.run_id), `history lists the stored run: ${history.stdout.slice(0, 200)}`);
  const imported = await runCli(['import', 'load.json', '--store', `sqlite:${join(cwd, 'other.db')}`], { cli, cwd, env });
  assert.equal(imported.code, 0, imported.stderr);
  // koffi is left out: the library backends are skipped, named, and the host is still sampled
  const monitor = await runCli(['monitor', '--duration-ms', '200'], { cli, cwd, env });
  assert.equal(monitor.code, 0, monitor.stderr);
  assert.match(monitor.stdout, /"device":"host"/);
});

for (const [engine, name] of [
  ['llama-cpp', 'node-llama-cpp'],
  ['transformers-js', '@huggingface/transformers'],
  ['transformers-js-browser', '@huggingface/transformers'],
] as const) {
  test(`lean install: run --engine ${engine} exits 2 naming ${name}, writing nothing`, async () => {
    const cwd = tempDir('tokenbench-lean-run-');
    const r = await runCli(['run', '--engine', engine, '--model', 'synthetic:tiny'], { cli, cwd, env: { TOKENBENCH_STORE: `sqlite:${join(cwd, 'store.db')}` } });
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]?.includes(`engine ${engine} needs ${name}`), r.stderr);
    assert.ok(lines[0]?.includes(`npm install ${name}@`), r.stderr);
    assert.deepEqual(readdirSync(cwd), []);
  });
}
