/**
 * The Slurm recipe (examples/cluster/sweep.sbatch) on a real one-node Slurm cluster started here:
 * a job array of the parts of one sweep writing to the real PostgreSQL, a part that never ran
 * named, then submitted again into the group, and the group read as the whole sweep.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, ROOT, runCli, TEST_CACHE_DIR, tempDir } from '../helpers.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';
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
