/**
 * What `compare` and `report` accept for a run: a result file, a run id in the store, a git
 * commit, or `group:ID`, the runs of a sharded job read as one (what is missing goes to stderr).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mergeLoadParts } from '../load/merge-parts.js';
import { mergeGroupRuns } from '../results/group.js';
import type { RunResult } from '../results/schema.js';
import { readResultFile, redactUrl, ResultStore, storeUrl } from '../results/store/store.js';
import { InputError } from '../util/errors.js';

/** Whether a side names a folder of rounds (examples/ci/gate.sh writes one per side). */
export function isRoundsFolder(spec: string): boolean {
  return existsSync(spec) && statSync(spec).isDirectory();
}

/** The result files of a folder of rounds, by name (round-1.json, round-2.json, ...), each read. */
export function readRounds(dir: string): { names: string[]; runs: RunResult[] } {
  const names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length < 2) throw new InputError('usage', `${dir}: a folder of rounds needs at least 2 result files (*.json), one per round; it has ${names.length}`);
  return { names, runs: names.map((n) => readResultFile(join(dir, n))) };
}

export async function resolveRun(spec: string, storeFlag: string | undefined): Promise<RunResult> {
  if (existsSync(spec) || spec.endsWith('.json')) return readResultFile(spec);
  const url = storeUrl(storeFlag);
  const group = spec.startsWith('group:') ? spec.slice('group:'.length) : null;
  const store = await ResultStore.open(url, { mustExist: true }).catch((err: unknown) => {
    if (err instanceof InputError && /no such database file/.test(err.message)) {
      throw new InputError('usage', `'${spec}' is not a result file, and there is no store at ${redactUrl(url)} to look it up in`);
    }
    throw err;
  });
  try {
    if (group !== null) {
      const members = await store.runsOfGroup(group);
      if (members.length === 0) throw new InputError('usage', `'${spec}': no run of group ${group} in store ${redactUrl(url)}`);
      const runs: RunResult[] = [];
      for (const m of members) runs.push(await store.getRun(m.runId));
      const { run, gaps } = await mergeGroupRuns(group, runs, mergeLoadParts);
      for (const gap of gaps) process.stderr.write(`${gap}\n`);
      return run;
    }
    const ids = await store.findRuns(spec);
    if (ids.length > 1) throw new InputError('usage', `'${spec}' matches ${ids.length} runs in the store; give more of the run id`);
    const id = ids[0] ?? (await store.latestRunForCommit(spec));
    if (!id) throw new InputError('usage', `'${spec}' is not a result file, a run id or a git commit in store ${redactUrl(url)}`);
    return await store.getRun(id);
  } finally {
    await store.close();
  }
}
