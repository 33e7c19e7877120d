/**
 * A sweep split into parts as a scheduler would run it (--shard, Slurm's and Kubernetes' index
 * variables), meeting in one store under a group: the parts together are the sweep, a part run
 * again skips what is stored, and report and compare read the group as one run.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { mergeLoadParts } from '../../src/load/merge-parts.js';
import type { BenchmarkResult } from '../../src/results/schema.js';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, inlineRecords, readResult, readResultWithRecords, ROOT, runCli, TEST_CACHE_DIR, tempDir } from '../helpers.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';
import { startScriptedServer } from '../support/scripted-openai-server.js';

const dir = tempDir('tokenbench-shard-');
const store = `sqlite:${join(dir, 'store.db')}`;
/** A sweep of 5 configs (batch sizes 1-5) of the tiny model, one measured iteration each. */
const SWEEP = ['run', '--warmup', '0', '--iterations', '3', '--sequence-length', '8', '--new-tokens', '4', '--no-gpu-monitoring', '--batch-size', '1,2,3,4,5', '--store', store];
const batches = (path: string): number[] => readResult(path).benchmarks.map((b) => b.config.batch_size);

test('shards: each part runs configs i, i+n, ...; the parts are the sweep; a part run again skips what its group stored; the group reads as one run', async () => {
  const out = (name: string): string => join(dir, `${name}.json`);
  // part 0 of 2 by flag; part 1 of 2 as the second task of a Slurm array (--array=1-2), its group from the job id
  const first = await runCli([...SWEEP, '--shard', '0/2', '--group', 'slurm-77', '--output', out('s0')]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^shard 0\/2: 3 of 5 configs$/m);
  const second = await runCli([...SWEEP, '--output', out('s1')], { env: { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_JOB_ID: '77' } });
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual([batches(out('s0')), batches(out('s1'))], [[1, 3, 5], [2, 4]]);
  const s1 = readResult(out('s1'));
  assert.deepEqual([s1.group, s1.shard], ['slurm-77', { index: 1, count: 2 }]);

  // the whole sweep unsharded has the same configs: hashes once each, none missing
  const whole = await runCli([...SWEEP, '--no-store', '--output', out('whole')]);
  assert.equal(whole.code, 0, whole.stderr);
  const hashes = (path: string): string[] => readResult(path).benchmarks.map((b) => b.config.hash);
  assert.deepEqual([...hashes(out('s0')), ...hashes(out('s1'))].sort(), hashes(out('whole')).sort());
  assert.equal(new Set(hashes(out('whole'))).size, 5);

  // part 0 again (a resubmitted task): everything it had is stored ok in the group
  const again = await runCli([...SWEEP, '--shard', '0/2', '--group', 'slurm-77', '--output', out('s0-again')]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^shard 0\/2: 3 of 5 configs; 3 already stored ok in group slurm-77, skipped$/m);
  assert.deepEqual(batches(out('s0-again')), []);

  // the group as one run: every config once, in report and compare
  const html = join(dir, 'group.html');
  const report = await runCli(['report', 'group:slurm-77', '--store', store, '--output', html]);
  assert.equal(report.code, 0, report.stderr);
  assert.ok(existsSync(html));
  assert.equal(report.stderr, '', 'nothing missing');
  const compared = await runCli(['compare', 'group:slurm-77', 'group:slurm-77', '--store', store, '--format', 'json']);
  assert.equal(compared.code, 0, compared.stderr);
  assert.equal((JSON.parse(compared.stdout) as { pairs: unknown[] }).pairs.length, 5);

  // history of the group: its configs only, each with the part that measured it
  const history = await runCli(['history', '--group', 'slurm-77', '--store', store, '--json']);
  assert.equal(history.code, 0, history.stderr);
  const rows = JSON.parse(history.stdout) as { name: string; shard: { index: number; count: number } | null }[];
  assert.deepEqual(rows.map((r) => `${r.shard?.index}/${r.shard?.count}`).sort(), ['0/2', '0/2', '0/2', '1/2', '1/2']);
  const table = await runCli(['history', '--group', 'slurm-77', '--store', store]);
  assert.match(table.stdout, /^started +commit +run +part +config/m);
  assert.match(table.stdout, /5 config result\(s\) from 2 run\(s\)/);
});

test('shards: a part that never ran is named; Kubernetes\' index needs the count; bad shards and groups are one line and exit code 2', async () => {
  const out = join(dir, 'k0.json');
  const k8s = await runCli([...SWEEP, '--output', out], { env: { JOB_COMPLETION_INDEX: '0', TOKENBENCH_SHARD_COUNT: '3', TOKENBENCH_GROUP: 'sweep-job' } });
  assert.equal(k8s.code, 0, k8s.stderr);
  assert.deepEqual(batches(out), [1, 4]);
  const report = await runCli(['report', '--group', 'sweep-job', '--store', store, '--output', join(dir, 'k.html')]);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stderr, 'group sweep-job: no run of shards 1, 2 of 3\n');

  const bad: [string[], Record<string, string>, RegExp][] = [
    [['--shard', '2/2'], {}, /^tokenbench: run: --shard takes I\/N, .* got '2\/2'$/],
    [['--group', 'a b'], {}, /^tokenbench: run: group 'a b' must be 1-128 letters/],
    [[], { JOB_COMPLETION_INDEX: '1' }, /^tokenbench: run: JOB_COMPLETION_INDEX 1 needs TOKENBENCH_SHARD_COUNT/],
    [[], { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '2' }, /^tokenbench: run: SLURM_ARRAY_TASK_ID 4 .* is not one of a contiguous array; give --shard I\/N$/],
  ];
  for (const [args, env, message] of bad) {
    const r = await runCli([...SWEEP, ...args], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), message);
  }
  const none = await runCli(['report', 'group:nosuch', '--store', store]);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr.trim(), /^tokenbench: 'group:nosuch': no run of group nosuch in store sqlite:/);
});

test('the Kubernetes recipe: each pod of the Indexed Job runs its part as the manifest says; the group is the whole sweep', async () => {
  const manifest = parse(readFileSync(join(ROOT, 'examples', 'cluster', 'indexed-job.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { completionMode: string; completions: number; template: { spec: { containers: { command: string[]; env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown } }[] }[] } } };
  };
  assert.equal(manifest.spec.completionMode, 'Indexed');
  const [container] = manifest.spec.template.spec.containers;
  assert.ok(container);
  const env = new Map(container.env.map((e) => [e.name, e]));
  assert.equal(Number(env.get('TOKENBENCH_SHARD_COUNT')?.value), manifest.spec.completions, 'the count is the Job\'s completions');
  // the Job controller labels its pods with the Job's name
  assert.equal(env.get('TOKENBENCH_GROUP')?.valueFrom?.fieldRef?.fieldPath, "metadata.labels['batch.kubernetes.io/job-name']");
  assert.ok(env.get('TOKENBENCH_STORE')?.valueFrom?.secretKeyRef, 'the store URL comes from a secret');
  assert.deepEqual(container.command.slice(0, 3), ['npx', 'tokenbench', 'run']);

  // the pods, one after the other here: the container's command with a local config, store and output
  const config = join(dir, 'k8s.yaml');
  writeFileSync(config, 'warmup_iterations: 0\nmeasurement_iterations: 2\nsequence_length: 8\nnum_tokens_to_generate: 4\ngpu_monitoring: false\nbatch_size: [1, 2, 3, 4, 5, 6]\n');
  const args = container.command.slice(2).map((a, i, all) => (all[i - 1] === '--config' ? config : all[i - 1] === '--output-dir' ? join(dir, 'k8s-results') : a));
  for (let index = 0; index < manifest.spec.completions; index++) {
    const pod = await runCli([...args, '--quiet'], {
      env: { JOB_COMPLETION_INDEX: String(index), TOKENBENCH_SHARD_COUNT: env.get('TOKENBENCH_SHARD_COUNT')?.value ?? '', TOKENBENCH_GROUP: manifest.metadata.name, TOKENBENCH_STORE: store },
    });
    assert.equal(pod.code, 0, pod.stderr);
  }
  const whole = await runCli(['compare', `group:${manifest.metadata.name}`, `group:${manifest.metadata.name}`, '--store', store, '--format', 'json']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(whole.stderr, '', 'no part and no config missing');
  assert.equal((JSON.parse(whole.stdout) as { pairs: unknown[] }).pairs.length, 6);
});

test('load in parts: each part sends its own requests of the one schedule, all start at one instant agreed in the store, and the group merges them into the whole run', async () => {
  const server = await startScriptedServer();
  try {
    const LOAD = ['load', '--url', server.url, '--model', 'ttft=5,itl=2', '--request-rate', '40', '--arrival', 'constant', '--requests', '20', '--warmup-requests', '2', '--input-len', '8', '--output-len', '4', '--store', store, '--quiet'];
    const out = (i: number): string => join(dir, `load-${i}.json`);
    // both parts at once, as two machines would
    const parts = await Promise.all([0, 1].map((i) => runCli([...LOAD, '--group', 'load-g', '--shard', `${i}/2`, '--output', out(i)])));
    for (const p of parts) assert.equal(p.code, 0, p.stderr);
    const [a, b] = await Promise.all([out(0), out(1)].map(async (p) => (await readResultWithRecords(p)).benchmarks[0]));
    assert.deepEqual(a?.requests?.map((r) => r.index), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    assert.deepEqual(b?.requests?.map((r) => r.index), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    // due every 25 ms of the one schedule: part 1's first request at 25 ms
    assert.deepEqual(b?.requests?.slice(0, 2).map((r) => r.scheduled_ms), [25, 75]);
    assert.equal(a?.load?.part?.start_at, b?.load?.part?.start_at, 'one agreed start');
    assert.deepEqual([a?.load?.target_rate, a?.load?.counts.scheduled, b?.load?.part?.index, b?.load?.part?.count], [20, 10, 1, 2]);

    // the group from the store: one value of 20 requests at 40 per second
    const merged = await mergeLoadParts([a, b] as BenchmarkResult[]);
    await inlineRecords([merged]);
    assert.deepEqual(merged.requests?.map((r) => r.index), [...Array(20).keys()]);
    assert.deepEqual([merged.load?.target_rate, merged.load?.counts.scheduled, merged.load?.counts.ok, merged.load?.part], [40, 20, 20, undefined]);
    const compared = await runCli(['compare', 'group:load-g', 'group:load-g', '--store', store, '--format', 'json']);
    assert.equal(compared.code, 0, compared.stderr);
    assert.equal(compared.stderr, '', 'both parts there');
    // the job resubmitted: every part skips the value all parts measured ok, and sends nothing
    const again = await Promise.all([0, 1].map((i) => runCli([...LOAD.filter((a) => a !== '--quiet'), '--group', 'load-g', '--shard', `${i}/2`, '--output', join(dir, `again-${i}.json`)])));
    for (const p of again) {
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stderr, /1 of 1 values already measured ok by all 2 parts in group load-g, skipped/);
    }
    assert.deepEqual([0, 1].map((i) => readResult(join(dir, `again-${i}.json`)).benchmarks.length), [0, 0]);

    // one part alone waits for the other, then fails the value after the wait, saying so
    const alone = await runCli([...LOAD, '--group', 'load-lonely', '--shard', '0/2', '--meet-timeout', '1', '--output', join(dir, 'alone.json')]);
    assert.equal(alone.code, 1, alone.stderr);
    assert.deepEqual(readResult(join(dir, 'alone.json')).benchmarks[0]?.error, { kind: 'parts_missing', message: '1 of 2 parts of group load-lonely registered within 1 s; the measured phase never started' });
    // bad shares and a missing meeting place are bad input
    for (const [args, message] of [
      [['--shard', '0/2', '--no-store'], /^tokenbench: load: --shard needs the store its parts meet in; drop --no-store$/],
      [['--shard', '0/30'], /^tokenbench: load: --requests 20 cannot be shared by 30 parts; give at least 30$/],
    ] as const) {
      const r = await runCli([...LOAD, '--group', 'load-g', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.trim(), message);
    }
    const noGroup = await runCli(['load', '--url', server.url, '--model', 'x', '--concurrency', '1', '--shard', '0/2']);
    assert.equal(noGroup.code, 2, noGroup.stderr);
    assert.match(noGroup.stderr.trim(), /^tokenbench: load: --shard needs the group its parts share/);
  } finally {
    await server.close();
  }
});

test('load --workers 2: two processes on this machine each send part of the run, merged into one result and one stored run', async () => {
  const server = await startScriptedServer();
  try {
    const out = join(dir, 'workers.json');
    const r = await runCli(['load', '--url', server.url, '--model', 'ttft=5,itl=2', '--request-rate', '40', '--arrival', 'poisson', '--seed', '5', '--requests', '20', '--warmup-requests', '2', '--input-len', '8', '--output-len', '4', '--workers', '2', '--store', store, '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 worker processes, each sending part of every value; merged when all are done/);
    const result = await readResultWithRecords(out);
    const b = result.benchmarks[0];
    assert.equal(result.benchmarks.length, 1);
    assert.deepEqual(b?.requests?.map((q) => q.index), [...Array(20).keys()]);
    assert.deepEqual([b?.load?.workers, b?.load?.part, b?.load?.counts.scheduled, b?.load?.counts.ok, b?.load?.target_rate], [2, undefined, 20, 20, 40]);
    assert.equal(result.shard, undefined);
    // the same run in the store, as one run
    const compared = await runCli(['compare', result.run_id, result.run_id, '--store', store]);
    assert.equal(compared.code, 0, compared.stderr);

    for (const [args, message] of [
      [['--workers', '2', '--shard', '0/2', '--group', 'g'], /^tokenbench: load: --workers runs its own parts on this machine; it cannot also be a part of a sharded job \(--shard, or a scheduler's index\)$/],
      [['--workers', '0'], /^tokenbench: load: --workers must be an integer >= 1 \(at most 9007199254740991\), written in decimal; got '0'$/],
      [['--meet-timeout', '5'], /^tokenbench: load: --meet-timeout is how long the parts of a split run wait for each other; it applies with --shard or --workers$/],
      [['--workers', '3', '--concurrency', '2'], /^tokenbench: load: --concurrency 2 cannot be shared by 3 parts; give at least 3$/],
    ] as const) {
      const bad = await runCli(['load', '--url', server.url, '--model', 'x', ...args]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr.trim(), message);
    }
  } finally {
    await server.close();
  }
});

/** The pids of `parent`'s child processes, from /proc. */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

for (const when of ['while measuring', 'right after it started'] as const) {
  test(`load --workers 2, a worker killed ${when}: the other is not kept waiting, its records are kept, the value fails naming the lost worker`, async () => {
    const server = await startScriptedServer();
    try {
      const out = join(tempDir(), 'lost.json');
      let killed: number | null = null;
      const started = performance.now();
      // 2 in flight a worker, 2-second requests: 12 requests take each worker about 6 s
      const r = await runCli(['load', '--url', server.url, '--model', 'ttft=20,itl=50', '--no-model-check', '--concurrency', '4', '--requests', '12', '--warmup-requests', '2', '--input-len', '8', '--output-len', '40', '--workers', '2', '--no-store', '--output', out], {
        onStderr: (text, child) => {
          if (killed !== null || !/2 worker processes/.test(text)) return;
          killed = -1;
          setTimeout(() => {
            const workers = childrenOf(child.pid as number);
            killed = workers[0] ?? null;
            if (killed !== null) process.kill(killed, 'SIGKILL');
          }, when === 'while measuring' ? 5000 : 150);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      assert.ok(killed !== null && killed > 0, 'a worker was found and killed');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /worker \d \(part \d\/2\) was lost: exited SIGKILL without a result; the others go on without it/);
      // a lost worker is noticed at once: the other does not wait the meet timeout (600 s)
      assert.ok(seconds < 60, `${seconds.toFixed(1)} s`);
      const result = await readResultWithRecords(out);
      const b = result.benchmarks[0];
      assert.equal(b?.status, 'failed');
      assert.equal(b?.error?.kind, 'parts_missing');
      assert.match(b?.error?.message ?? '', /^1 of 2 workers measured this value; worker \d \(part \d\/2\) was lost: exited SIGKILL without a result; the records of the 1 that did are kept$/);
      // the surviving part's records outlive the run: its file is beside the result, and holds what the value counts
      assert.ok(b?.requests_file && existsSync(join(dirname(out), b.requests_file)), `records file ${b?.requests_file}`);
      assert.equal(b?.requests?.length, b?.request_count);
      assert.equal(b?.request_count, 6, 'the surviving worker sent its share, 6 of 12');
      assert.ok(b?.requests?.every((q) => q.ok));
      assert.equal(b?.load?.counts.scheduled, 12);
      assert.equal(b?.load?.counts.ok, 6);
    } finally {
      await server.close();
    }
  });
}

const postgres = needs(postgresServer(), { what: 'libfaketime', missing: spawnSync('sh', ['-c', 'command -v faketime']).status === 0 ? null : 'faketime not found (.ci/run installs Debian\'s faketime)' });

/** The CLI in a process whose wall clock is `skewS` seconds off (libfaketime; the monotonic clock left true, as two machines' would be). */
function skewedCli(skewS: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('faketime', ['-f', `${skewS >= 0 ? '+' : ''}${skewS}s`, process.execPath, CLI, ...args], {
      env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1', TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('load parts on machines whose clocks differ (+2.5 s and -2.5 s): each measures its offset with the right sign, and all start at one true instant', postgres.options, async () => {
  postgres.check();
  const pgStore = await freshPostgresUrl();
  const server = await startScriptedServer();
  try {
    const LOAD = ['load', '--url', server.url, '--model', 'ttft=5,itl=2', '--no-model-check', '--request-rate', '40', '--arrival', 'constant', '--requests', '12', '--warmup-requests', '0', '--input-len', '8', '--output-len', '4', '--store', pgStore, '--group', 'skewed', '--quiet'];
    const out = (i: number): string => join(dir, `skewed-${i}.json`);
    const skews = [0, 2.5, -2.5];
    const parts = await Promise.all(skews.map((s, i) => skewedCli(s, [...LOAD, '--shard', `${i}/3`, '--output', out(i)])));
    for (const p of parts) assert.equal(p.code, 0, p.stderr);
    const loads = skews.map((_, i) => readResult(out(i)).benchmarks[0]?.load);
    // the store's clock minus each machine's: 0, -2500 and +2500 ms, within the uncertainty each states (and a margin for the round trips)
    for (const [i, s] of skews.entries()) {
      const part = loads[i]?.part;
      assert.ok(part, `part ${i}`);
      assert.ok(Math.abs(part.clock_offset_ms - -s * 1000) < part.clock_uncertainty_ms + 50, `part ${i}: offset ${part.clock_offset_ms.toFixed(1)} ms against ${-s * 1000} ms (uncertainty ${part.clock_uncertainty_ms.toFixed(2)} ms)`);
    }
    // the monotonic clock is one for all three processes: their measured phases began within a few ms of each other, not seconds
    const origins = loads.map((l) => Number(BigInt(l?.origin_ns as string) / 1000n) / 1000);
    const spread = Math.max(...origins) - Math.min(...origins);
    assert.ok(spread < 50, `the parts began ${spread.toFixed(1)} ms apart`);
  } finally {
    await server.close();
  }
});
