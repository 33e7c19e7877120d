/** The results store on a real SQLite file and a real PostgreSQL server. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunResult } from '../../src/results/schema.js';
import { ResultStore } from '../../src/results/store/store.js';
import { InputError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';

const postgres = needs(postgresServer());

/** One real run of the tiny model with monitor samples, made once for these tests. */
let runPromise: Promise<RunResult> | undefined;
function realRun(): Promise<RunResult> {
  runPromise ??= (async () => {
    const out = join(tempDir(), 'r.json');
    const r = await runCli(['run', '--warmup', '0', '--iterations', '3', '--sequence-length', '8', '--new-tokens', '64', '--batch-size', '1', '2', '--monitor-interval-ms', '5', '--no-store', '--quiet', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  })();
  return runPromise;
}

async function exercise(url: string): Promise<void> {
  const run = await realRun();
  const store = await ResultStore.open(url);
  try {
    for (let i = 0; i < run.benchmarks.length; i++) await store.saveBenchmark(run, i);
    await store.saveBenchmark(run, 0); // rewriting a benchmark replaces it
    const back = await store.getRun(run.run_id);
    assert.deepEqual(back.benchmarks, run.benchmarks);
    assert.deepEqual(back.host, run.host);
    assert.equal(back.started_at, run.started_at);
    assert.deepEqual(await store.findRuns(run.run_id.slice(0, 6)), [run.run_id]);
    const history = await store.history({ name: run.benchmarks[1]?.config.name }, 'itl_ms');
    assert.equal(history.length, 1);
    assert.equal(history[0]?.p50, run.benchmarks[1]?.summary?.itl_ms?.p50);
    if (run.git) assert.equal(await store.latestRunForCommit(run.git.commit.slice(0, 8)), run.run_id);

    // the server check (migration 2) and the finish time come back as written
    const served = structuredClone(run);
    served.run_id = '00000000-0000-4000-8000-000000000002';
    const stats = run.benchmarks[0]?.summary?.ttft_ms ?? null;
    (served.benchmarks[0] as (typeof served.benchmarks)[number]).server_check = { requests: 3, retries: 1, prompt_mismatches: 0, prompt_reuse: 'prefix=4', cache_reported: 3, cache_contradictions: 0, processed_prompt_fraction: 0.5, served_models: ['m'], model_mismatches: 0, timed_requests: 3, ttft_client_minus_server_ms: stats, itl_client_minus_server_ms: null, itl_client_over_server: stats };
    await store.saveBenchmark(served, 0);
    served.finished_at = '2026-01-02T03:04:05.000Z';
    await store.finishRun(served);
    const servedBack = await store.getRun(served.run_id);
    assert.deepEqual(servedBack.benchmarks[0]?.server_check, served.benchmarks[0]?.server_check);
    assert.equal(servedBack.finished_at, served.finished_at);
    assert.equal(servedBack.interleaved, undefined);

    // an interleaved run (migration 3) says so when read back
    const interleaved = { ...structuredClone(run), run_id: '00000000-0000-4000-8000-000000000003', interleaved: true };
    await store.saveRun(interleaved);
    assert.equal((await store.getRun(interleaved.run_id)).interleaved, true);

    // the shards of a group (migration 4): read back with their shard; a group's ok configs by hash
    const shard = (index: number, id: string, status: 'ok' | 'failed') => {
      const r = { ...structuredClone(run), run_id: id, group: 'job-1', shard: { index, count: 2 } };
      r.benchmarks = r.benchmarks.slice(index, index + 1).map((b) => ({ ...b, status }));
      return r;
    };
    await store.saveRun(shard(1, '00000000-0000-4000-8000-000000000005', 'failed'));
    await store.saveRun(shard(0, '00000000-0000-4000-8000-000000000004', 'ok'));
    const stored = await store.getRun('00000000-0000-4000-8000-000000000005');
    assert.deepEqual([stored.group, stored.shard], ['job-1', { index: 1, count: 2 }]);
    assert.deepEqual([servedBack.group, servedBack.shard], [undefined, undefined], 'a run without a group has none');
    const members = await store.runsOfGroup('job-1');
    assert.deepEqual(new Set(members.map((m) => `${m.runId} ${m.shard?.index}/${m.shard?.count}`)), new Set(['00000000-0000-4000-8000-000000000004 0/2', '00000000-0000-4000-8000-000000000005 1/2']));
    assert.deepEqual(await store.okConfigHashesOfGroup('job-1'), new Set([run.benchmarks[0]?.config.hash]));
    assert.deepEqual(await store.runsOfGroup('job-2'), []);

    // a benchmark that fails half way is not written at all
    const broken = structuredClone(run);
    broken.run_id = '00000000-0000-4000-8000-000000000001';
    (broken.benchmarks[0]?.iterations[1] as { e2e_ms: unknown }).e2e_ms = null;
    await assert.rejects(store.saveBenchmark(broken, 0));
    assert.deepEqual(await store.findRuns(broken.run_id), []);
  } finally {
    await store.close();
  }
  // migrations run once
  const again = await ResultStore.open(url);
  await again.close();
}

test('SQLite: write, read back identical, history, transactions', async () => {
  await exercise(`sqlite:${join(tempDir(), 'store.db')}`);
});

test('PostgreSQL: the same on a real server', postgres.options, async () => {
  postgres.check();
  await exercise(await freshPostgresUrl());
});

test('PostgreSQL: two writers at once never collide', postgres.options, async () => {
  postgres.check();
  const url = await freshPostgresUrl();
  const run = await realRun();
  const copies = Array.from({ length: 4 }, (_, i) => ({ ...structuredClone(run), run_id: `00000000-0000-4000-8000-00000000010${i}` }));
  // both open a new, empty store at once: they race to create the tables
  const stores = await Promise.all([ResultStore.open(url), ResultStore.open(url)]);
  await Promise.all(copies.map((c, i) => (stores[i % 2] as ResultStore).saveRun(c)));
  for (const c of copies) assert.equal((await (stores[0] as ResultStore).getRun(c.run_id)).benchmarks.length, run.benchmarks.length);
  await Promise.all(stores.map((s) => s.close()));
});

test('a corrupt SQLite file or a store that does not answer: an InputError, nothing modified', async () => {
  const dir = tempDir();
  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, 'this is not a database at all, just text'.repeat(200));
  const before = readFileSync(corrupt);
  await assert.rejects(ResultStore.open(`sqlite:${corrupt}`), (e: unknown) => e instanceof InputError && /file is not a database/.test(e.message));
  assert.ok(readFileSync(corrupt).equals(before));
  const started = Date.now();
  await assert.rejects(ResultStore.open('postgres://nobody:secret@127.0.0.1:9/none'), (e: unknown) => e instanceof InputError && /postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:9\/none/.test(e.message) && /ECONNREFUSED/.test(e.message));
  assert.ok(Date.now() - started < 6000);
});

/** Claims of one part by holders that come and go, against the store at `url`. */
async function shardClaims(url: string): Promise<void> {
  const { claimShard } = await import('../../src/results/store/shard-claims.js');
  const store = await ResultStore.open(url);
  try {
    const part = { index: 1, count: 3 };
    const a = { id: 'a', host: 'h1', pid: 101 };
    const b = { id: 'b', host: 'h2', pid: 202 };
    const never = (): boolean => false;
    assert.equal(await store.claimShard('g', 'run', part, a, 60_000, never), null, 'a free part is claimed');
    assert.equal(await store.claimShard('g', 'run', part, a, 60_000, never), null, 'its holder claims it again');
    const refused = await store.claimShard('g', 'run', part, b, 60_000, never);
    assert.deepEqual([refused?.id, refused?.host, refused?.pid], ['a', 'h1', 101]);
    assert.ok((refused?.age_ms as number) >= 0 && (refused?.age_ms as number) < 60_000);
    // another command, group or index is another part
    assert.equal(await store.claimShard('g', 'load', part, b, 60_000, never), null);
    assert.equal(await store.claimShard('g2', 'run', part, b, 60_000, never), null);
    assert.equal(await store.claimShard('g', 'run', { index: 2, count: 3 }, b, 60_000, never), null);
    // a holder known to be gone is taken over at once; one not heard from past the stale limit too
    assert.equal(await store.claimShard('g', 'run', part, b, 60_000, (c) => c.id === 'a'), null);
    assert.equal((await store.claimShard('g', 'run', part, a, 60_000, never))?.id, 'b');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await store.claimShard('g', 'run', part, a, 10, never), null, 'stale after 10 ms');
    // a beat keeps it; a release frees it for anyone
    await store.beatShard('g', 'run', 1, a);
    assert.equal((await store.claimShard('g', 'run', part, b, 60_000, never))?.id, 'a');
    await store.releaseShard('g', 'run', 1, b);
    assert.equal((await store.claimShard('g', 'run', part, b, 60_000, never))?.id, 'a', 'only its holder releases it');
    await store.releaseShard('g', 'run', 1, a);
    assert.equal(await store.claimShard('g', 'run', part, b, 60_000, never), null);
  } finally {
    await store.close();
  }
  // through claimShard: a live holder in this process's own place is refused with one line; its release frees the part
  const release = await claimShard(url, 'g3', 'load', { index: 0, count: 2 });
  await assert.rejects(claimShard(url, 'g3', 'load', { index: 0, count: 2 }), (e: unknown) => e instanceof InputError && /^load: part 0\/2 of group g3 is being run by process \d+ on \S+ \(heard from 0 s ago\); one part runs once at a time/.test(e.message));
  await release();
  const again = await claimShard(url, 'g3', 'load', { index: 0, count: 2 });
  await again();
}

test('SQLite: a part of a sharded job is claimed by one process at a time; a dead or silent holder is taken over', async () => {
  await shardClaims(`sqlite:${join(tempDir(), 'claims.db')}`);
});

test('PostgreSQL: the same claims on a real server', postgres.options, async () => {
  postgres.check();
  await shardClaims(await freshPostgresUrl());
});
