/**
 * A real one-node Slurm cluster for a test: Debian's munged, slurmctld and slurmd in the
 * foreground, with their key, sockets, state and a minimal slurm.conf in a temporary folder
 * (nothing under /etc is read or changed). Stopped by PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, tempDir } from '../helpers.js';
import type { Requirement } from './requirements.js';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'];

const onPath = (name: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Slurm's and munge's programs, and root (the daemons run as root here), for `needs`. */
export function slurmHere(): Requirement {
  const absent = DAEMONS.filter((d) => !onPath(d) && !onPath(`/usr/sbin/${d}`));
  const missing = absent.length > 0 ? `${absent.join(', ')} not found (.ci/run installs slurmctld, slurmd, slurm-client and munge)` : process.getuid?.() !== 0 ? 'the test starts the daemons as root' : null;
  return { what: 'a one-node Slurm cluster', missing };
}

export interface SlurmCluster {
  /** The environment for sbatch and friends (SLURM_CONF). */
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}


const sbin = (name: string): string => (onPath(name) ? name : `/usr/sbin/${name}`);

/** Starts munged, slurmctld and slurmd; resolves when the node is idle (rejects after 30 s with their logs). */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = tempDir('tokenbench-slurm-');
  const munge = join(dir, 'munge');
  for (const d of ['state', 'spool']) mkdirSync(join(dir, d));
  mkdirSync(munge, { mode: 0o711 });
  writeFileSync(join(munge, 'key'), randomBytes(128), { mode: 0o600 });
  const socket = join(munge, 'socket');
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=tokenbench',
      'SlurmctldHost=localhost',
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${await freePort()}`,
      `SlurmdPort=${await freePort()}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      // more CPUs than there are, so that the 4 parts of a load run (which wait for each other) all run at once
      'SlurmdParameters=config_overrides',
      `NodeName=localhost CPUs=${Math.max(8, cpus().length)} State=UNKNOWN`,
      'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const start = (cmd: string, args: string[]): void => {
    daemons.push(spawn(sbin(cmd), args, { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' }));
  };
  const stop = async (): Promise<void> => {
    // the reverse of the start order, each by its PID
    for (const d of [...daemons].reverse()) {
      if (d.exitCode !== null || d.signalCode !== null) continue;
      const exited = new Promise((resolve) => d.once('exit', resolve));
      d.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => d.kill('SIGKILL'))]);
    }
  };
  chmodSync(munge, 0o711);
  start('munged', ['--foreground', '--force', `--socket=${socket}`, `--key-file=${join(munge, 'key')}`, `--pid-file=${join(munge, 'pid')}`, `--seed-file=${join(munge, 'seed')}`, `--log-file=${join(munge, 'log')}`]);
  start('slurmctld', ['-D', '-f', conf]);
  start('slurmd', ['-D', '-f', conf]);
  for (let waited = 0; waited < 30_000; waited += 200) {
    try {
      const state = execFileSync('sinfo', ['-h', '-o', '%T'], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (state === 'idle') return { env, dir, stop };
    } catch {
      // slurmctld not answering yet
    }
    await sleep(200);
  }
  await stop();
  const log = (f: string): string => {
    try {
      return readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '(no log)';
    }
  };
  throw new Error(`Slurm did not come up in 30 s: slurmctld: ${log('slurmctld.log')}; slurmd: ${log('slurmd.log')}; munged: ${log('munge/log')}`);
}
