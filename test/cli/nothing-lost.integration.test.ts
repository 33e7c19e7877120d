/**
 * Nothing measured is lost, through the CLI: a result path that cannot be written is refused
 * before anything runs; a disk that fills or a PostgreSQL store that goes away mid-run is reported
 * once, the run goes on with what can still be written, and exit code 3 says something was not
 * saved; SIGTERM is handled as Ctrl-C.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { ResultStore } from '../../src/results/store/store.js';
import { type CliResult, readResult, readResultWithRecords, runCli, tempDir } from '../helpers.js';
import { startScriptedServer } from '../support/scripted-openai-server.js';
import { fullFileSystem, mountedFileSystem, readOnlyFileSystem } from '../support/filesystems.js';
import { postgresServer, postgresTestUrl } from '../support/postgres.js';
import { needs } from '../support/requirements.js';

const QUICK = ['--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--no-gpu-monitoring'];
const fullFs = fullFileSystem();
const readOnlyFs = readOnlyFileSystem();
const readOnly = needs({ ...mountedFileSystem(readOnlyFs), what: 'a read-only tmpfs' });
const full = needs({ ...mountedFileSystem(fullFs), what: 'a full tmpfs' });
const postgres = needs(postgresServer());

test('a result path that cannot be written is bad input, before anything runs', readOnly.options, async () => {
  readOnly.check();
  const dir = tempDir();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['--output-dir', readOnlyFs as string], /^tokenbench: --output-dir \S+: cannot write a file there \(EROFS\); give another --output-dir or --output$/],
    [['--output-dir', join(file, 'results')], /^tokenbench: --output-dir \S+: cannot create that folder \(ENOTDIR\); give another --output-dir or --output$/],
    [['--output', dir], /^tokenbench: --output \S+: is a folder; give the path of a file$/],
  ];
  for (const [flags, message] of cases) {
    const r = await runCli(['run', ...QUICK, '--no-store', ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
    assert.doesNotMatch(r.stdout, /Results:/, 'nothing ran');
  }
});

test('a disk that fills: the run goes on, the store keeps every config, NOT SAVED says what, exit 3', full.options, async () => {
  full.check();
  const store = `sqlite:${join(tempDir(), 'store.db')}`;
  const r = await runCli(['run', ...QUICK, '--batch-size', '1', '2', '--output-dir', fullFs as string, '--store', store]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /NOT SAVED: result file \S+: cannot write it \(ENOSPC\); the store keeps what follows/);
  assert.equal(r.stderr.match(/cannot write it/g)?.length, 2, 'reported once as it happened, once at the end');
  assert.match(r.stdout, /b2_s8_n4/, 'the summary shows both configs');
  const s = await ResultStore.open(store);
  const [id] = await s.findRuns('');
  const run = await s.getRun(id as string);
  await s.close();
  assert.deepEqual(run.benchmarks.map((b) => b.status), ['ok', 'ok']);
  assert.ok(run.finished_at, 'the store has the finish time');
});

/** Runs the CLI with `args` against the test PostgreSQL, ending its connections when stderr first matches `when`; whether they were ended, and the outcome. */
async function withStoreKilled(args: (store: string) => string[], when: RegExp): Promise<{ killed: boolean; r: CliResult }> {
  const url = new URL(postgresTestUrl() as string);
  const app = `tokenbench-lost-${process.pid}-${Math.random().toString(36).slice(2)}`;
  url.searchParams.set('application_name', app);
  let killed = false;
  const r = await runCli(args(url.toString()), {
    onStderr: (text) => {
      if (killed || !when.test(text)) return;
      killed = true;
      const admin = new pg.Client({ connectionString: postgresTestUrl() as string });
      void admin
        .connect()
        .then(() => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]))
        .finally(() => admin.end());
    },
  });
  return { killed, r };
}

test('a PostgreSQL store that goes away mid-run is reported once; the later configs still run and the file keeps all, exit 3', postgres.options, async () => {
  postgres.check();
  const out = join(tempDir(), 'r.json');
  // once the first config is stored, the server ends tokenbench's connection
  const { killed, r } = await withStoreKilled((store) => ['run', ...QUICK, '--batch-size', '1', '2', '3', '--store', store, '--output', out], /\[2\/3\]/);
  assert.ok(killed, r.stderr);
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|Unhandled/);
  assert.equal(r.stderr.match(/store: /g)?.length, 2, 'reported once as it happened, once at the end');
  assert.match(r.stderr, /NOT SAVED: store: .*; the result file keeps everything/);
  assert.deepEqual(readResult(out).benchmarks.map((b) => [b.config.batch_size, b.status]), [[1, 'ok'], [2, 'ok'], [3, 'ok']]);
});

test('PostgreSQL gone in the middle of a run --shard part: the part fails cleanly with its finished configs in the file, and runs again at once, its dead claim taken over', postgres.options, async () => {
  postgres.check();
  const out = join(tempDir(), 'r.json');
  const group = `lost-${process.pid}`;
  const { killed, r } = await withStoreKilled((store) => ['run', ...QUICK, '--batch-size', '1', '2', '3', '4', '--shard', '0/2', '--group', group, '--store', store, '--output', out], /\[2\/2\]/);
  assert.ok(killed, r.stderr);
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|Unhandled/);
  assert.match(r.stderr, /NOT SAVED: store: .*; the result file keeps everything/);
  // part 0 of 2: configs 1 and 3, both measured and in the file
  assert.deepEqual(readResult(out).benchmarks.map((b) => [b.config.batch_size, b.status]), [[1, 'ok'], [3, 'ok']]);
  // the part can be run again at once: its dead claim is taken over
  const again = await runCli(['run', ...QUICK, '--batch-size', '1', '2', '3', '4', '--shard', '0/2', '--group', group, '--store', postgresTestUrl() as string, '--quiet', '--output', join(tempDir(), 'again.json')]);
  assert.equal(again.code, 0, again.stderr);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal}: the current config is interrupted, finished ones kept, the file valid, exit ${code}`, async () => {
    const out = join(tempDir(), 'r.json');
    let sent = false;
    const r = await runCli(['run', '--warmup', '0', '--iterations', '3', '100000', '--sequence-length', '8', '--new-tokens', '4', '--no-store', '--output', out], {
      onStderr: (text, child) => {
        // stop once the second config is measuring
        if (!sent && /\[2\/2\][^\n]*\n[\s\S]*validity done/.test(text)) {
          sent = true;
          setTimeout(() => child.kill(signal), 200);
        }
      },
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, code, r.stderr);
    const run = readResult(out);
    assert.deepEqual(run.benchmarks.map((b) => b.status), ['ok', 'interrupted']);
    assert.equal(run.benchmarks[1]?.error?.kind, 'interrupted');
    assert.ok((run.benchmarks[1]?.iterations.length ?? 0) > 0);
    assert.ok(run.finished_at);
    assert.ok(existsSync(out));
  });
}

/** A load run at 4 in flight of 2-second requests, signalled once (or twice) after its measured requests began. */
async function interruptedLoad(signals: readonly NodeJS.Signals[], dir: string): Promise<{ code: number | null; stderr: string; stdout: string; run: ReturnType<typeof readResult> }> {
  const server = await startScriptedServer();
  try {
    const out = join(dir, 'load.json');
    let sent = false;
    const r = await runCli(['load', '--url', server.url, '--model', 'ttft=20,itl=50', '--no-model-check', '--input-len', '8', '--output-len', '40', '--concurrency', '4', '--requests', '40', '--warmup-requests', '0', '--no-store', '--output', out], {
      onStderr: (text, child) => {
        if (sent || !/\[1\/1\] load-c4/.test(text)) return;
        sent = true;
        // well inside the first requests (about 2 s each), so that 4 are in flight
        setTimeout(() => {
          signals.forEach((s, i) => setTimeout(() => child.kill(s), i * 300));
        }, 600);
      },
    });
    return { code: r.code, stderr: r.stderr, stdout: r.stdout, run: readResult(out) };
  } finally {
    await server.close();
  }
}

test('a load run, Ctrl-C once: no new requests, the 4 in flight finish and count as ok; the value is interrupted and saved', async () => {
  const { code, stderr, run } = await interruptedLoad(['SIGINT'], tempDir());
  assert.equal(code, 130, stderr);
  assert.match(stderr, /Interrupted: sending no new requests; those in flight finish and count \(Ctrl-C again cuts them\)/);
  const b = run.benchmarks[0];
  assert.equal(b?.status, 'interrupted');
  const c = b?.load?.counts;
  assert.deepEqual([c?.sent, c?.ok, c?.failed, c?.interrupted], [4, 4, 0, 0], JSON.stringify(c));
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`a load run, ${signal} twice: the requests in flight are cut and recorded as interrupted, not failed; everything is saved`, async () => {
    const dir = tempDir();
    const r = await interruptedLoad([signal, signal], dir);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, /again: cutting the requests in flight \(recorded as interrupted\) and saving/);
    const b = r.run.benchmarks[0];
    assert.equal(b?.status, 'interrupted');
    const c = b?.load?.counts;
    assert.deepEqual([c?.sent, c?.ok, c?.failed, c?.interrupted], [4, 0, 0, 4], JSON.stringify(c));
    assert.match(r.stdout + r.stderr, /40 scheduled = 4 sent \+ 36 never sent \(36 not_attempted\); 4 sent = 0 ok \+ 0 failed \+ 4 interrupted/, 'the console\'s account adds up');
    assert.deepEqual(b?.load?.failures, {});
    const records = (await readResultWithRecords(join(dir, 'load.json'))).benchmarks[0]?.requests ?? [];
    assert.deepEqual(records.map((q) => q.failure?.kind), ['interrupted', 'interrupted', 'interrupted', 'interrupted']);
    assert.ok(records.every((q) => q.failure?.message.includes('cut by the interrupt')));
  });
}
