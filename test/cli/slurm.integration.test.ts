/**
 * The Slurm recipe (examples/cluster/sweep.sbatch) on a real one-node Slurm cluster started here:
 * a job array of the parts of one sweep writing to the real PostgreSQL, a part that never ran
 * named, then submitted again into the group, and the group read as the whole sweep; and the 4
 * parts of one open-loop load run against the scripted server as one job array.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { mergeLoadParts } from '../../src/load/merge-parts.js';
import { ResultStore } from '../../src/results/store/store.js';
import { CLI, inlineRecords, ROOT, runCli, tempDir, TEST_CACHE_DIR } from '../helpers.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';
import { startScriptedServer } from '../support/scripted-openai-server.js';
import { type SlurmCluster, slurmHere, startSlurm } from '../support/slurm.js';

const run = promisify(execFile);
const gate = needs(slurmHere(), postgresServer());
const RECIPE = join(ROOT, 'examples', 'cluster', 'sweep.sbatch');

let slurm: SlurmCluster | undefined;
before(async () => {
  if (gate.options.skip === false) slurm = await startSlurm();
});
after(async () => {
  await slurm?.stop();
});

test('Slurm: a job array of the recipe runs the parts of a sweep into PostgreSQL; a part resubmitted fills the gap; the group is the sweep', gate.options, async () => {
  gate.check();
  const cluster = slurm as SlurmCluster;
  const work = tempDir('tokenbench-slurm-work-');
  // 6 configs over the recipe's 4 parts: parts 0 and 1 have two each, 2 and 3 one
  writeFileSync(join(work, 'tokenbench.yaml'), 'warmup_iterations: 0\nmeasurement_iterations: 2\nsequence_length: 8\nnum_tokens_to_generate: 4\ngpu_monitoring: false\nbatch_size: [1, 2, 3, 4, 5, 6]\n');
  const store = await freshPostgresUrl();
  const env = { ...process.env, ...cluster.env, TOKENBENCH: `${process.execPath} ${CLI}`, TOKENBENCH_STORE: store, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR };
  // the recipe asks for a GPU; this node has none, so the submission says none (its own flags win)
  const sbatch = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('sbatch', ['--wait', '--gres=none', `--chdir=${work}`, ...args, RECIPE], { env, timeout: 180_000 });
    return /Submitted batch job (\d+)/.exec(stdout)?.[1] as string;
  };

  // tasks 0, 1 and 3: part 2 is missing (a task that was killed)
  const job = await sbatch('--array=0,1,3');
  assert.match(job, /^\d+$/);
  const gap = await runCli(['report', `group:slurm-${job}`, '--store', store, '--output', join(work, 'a.html')]);
  assert.equal(gap.code, 0, gap.stderr);
  assert.equal(gap.stderr, `group slurm-${job}: no run of shard 2 of 4\n`);

  // task 2 submitted again into the first job's group; then task 0 again, which finds all its configs stored
  await sbatch('--array=2', `--export=ALL,TOKENBENCH_GROUP=slurm-${job}`);
  await sbatch('--array=0', `--export=ALL,TOKENBENCH_GROUP=slurm-${job}`);
  const whole = await runCli(['compare', `group:slurm-${job}`, `group:slurm-${job}`, '--store', store, '--format', 'json']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(whole.stderr, '', 'no part and no config missing');
  assert.equal((JSON.parse(whole.stdout) as { pairs: unknown[] }).pairs.length, 6);

  // every part's own result file, in the recipe's folder: parts 0 (twice), 1, 2, 3; the second try of part 0 ran nothing
  const { stdout: files } = await run('sh', ['-c', `ls ${join(work, 'results', `slurm-${job}`)}/*.json | xargs -n1 node -e "const r=require(process.argv[1]); console.log(r.shard.index+'/'+r.shard.count, r.group, r.benchmarks.map(b=>b.config.batch_size).join(','))"`], { env });
  assert.deepEqual(files.trim().split('\n').map((l) => l.trim()).sort(), [`0/4 slurm-${job}`, `0/4 slurm-${job} 1,5`, `1/4 slurm-${job} 2,6`, `2/4 slurm-${job} 3`, `3/4 slurm-${job} 4`]);
});

test('Slurm: the 4 parts of an open-loop load run as one job array meet in PostgreSQL, start together and merge into the one schedule', gate.options, async () => {
  gate.check();
  const cluster = slurm as SlurmCluster;
  const server = await startScriptedServer();
  try {
    const work = tempDir('tokenbench-slurm-load-');
    const store = await freshPostgresUrl();
    const env = { ...process.env, ...cluster.env, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR };
    const load = [process.execPath, CLI, 'load', '--url', server.url, '--model', 'ttft=5,itl=2', '--request-rate', '40', '--arrival', 'poisson', '--seed', '3', '--requests', '40', '--warmup-requests', '4', '--input-len', '8', '--output-len', '4', '--store', store, '--quiet', '--output-dir', work];
    // the parts take their index from the array, their group from its job id
    const { stdout } = await run('sbatch', ['--wait', `--chdir=${work}`, '--array=0-3', `--output=${join(work, 'part-%a.log')}`, '--wrap', load.map((a) => `'${a}'`).join(' ')], { env, timeout: 180_000 });
    const job = /Submitted batch job (\d+)/.exec(stdout)?.[1] as string;
    const merged = await runCli(['compare', `group:slurm-${job}`, `group:slurm-${job}`, '--store', store, '--format', 'json']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(merged.stderr, '', 'every part there');
    // the parts' own records, from the store: one agreed start, the 40 requests of the schedule once each
    const db = await ResultStore.open(store);
    try {
      // one connection: one query at a time
      const runs = [];
      for (const m of await db.runsOfGroup(`slurm-${job}`)) runs.push(await db.getRun(m.runId));
      const parts = runs.map((r) => r.benchmarks[0]).filter((b) => b !== undefined);
      assert.equal(parts.length, 4);
      assert.equal(new Set(parts.map((b) => b.load?.part?.start_at)).size, 1);
      assert.deepEqual(parts.map((b) => b.load?.part?.index).sort(), [0, 1, 2, 3]);
      const whole = await mergeLoadParts(parts.sort((a, b) => (a.load?.part?.index ?? 0) - (b.load?.part?.index ?? 0)));
      await inlineRecords([whole]);
      assert.deepEqual(whole.requests?.map((r) => r.index), [...Array(40).keys()]);
      assert.deepEqual([whole.load?.counts.scheduled, whole.load?.counts.ok, whole.load?.target_rate], [40, 40, 40]);
    } finally {
      await db.close();
    }
  } finally {
    await server.close();
  }
});
