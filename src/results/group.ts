/**
 * The runs of one group (the parts of a sharded job, docs/cluster.md) read as one run: a sweep's
 * configs side by side, whichever part measured them, with what is missing said.
 */
import { addDevices } from './devices.js';
import type { BenchmarkResult, RunResult } from './schema.js';

export interface GroupRun {
  /** The group's runs as one: every config once, from the latest run that measured it ok (else the latest that tried). */
  run: RunResult;
  /** What is missing: parts with no run, configs that no run measured ok. */
  gaps: string[];
}

/**
 * Merges the runs of `group`, given oldest first (at least one). A load value measured in parts
 * (each part's benchmark says which, `load.part`) becomes one benchmark through `mergeParts`.
 */
export async function mergeGroupRuns(group: string, runs: readonly RunResult[], mergeParts: (parts: BenchmarkResult[]) => Promise<BenchmarkResult> = async (parts) => parts[0] as BenchmarkResult): Promise<GroupRun> {
  const first = runs[0];
  if (!first) throw new RangeError('a group needs at least one run');
  // parts in shard order, each part's tries oldest first, so a later try of a config replaces an earlier one
  const ordered = [...runs].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
  const tries = new Map<string, BenchmarkResult>();
  for (const run of ordered) {
    for (const b of run.benchmarks) {
      const key = b.load?.part ? `${b.config.hash} part ${b.load.part.index}` : b.config.hash;
      const kept = tries.get(key);
      if (!kept || kept.status !== 'ok' || b.status === 'ok') tries.set(key, b);
    }
  }
  const gaps: string[] = [];
  const byHash = new Map<string, BenchmarkResult[]>();
  for (const b of tries.values()) byHash.set(b.config.hash, [...(byHash.get(b.config.hash) ?? []), b]);
  const benchmarks: BenchmarkResult[] = [];
  for (const found of byHash.values()) {
    const part = found[0]?.load?.part;
    if (!part) {
      benchmarks.push(found[0] as BenchmarkResult);
      continue;
    }
    const missing = Array.from({ length: part.count }, (_, i) => i).filter((i) => !found.some((b) => b.load?.part?.index === i));
    if (missing.length > 0) gaps.push(`group ${group}: ${found[0]?.config.name}: no part ${missing.join(', ')} of ${part.count}; merged from the others`);
    benchmarks.push(await mergeParts(found.sort((a, b) => (a.load?.part?.index ?? 0) - (b.load?.part?.index ?? 0))));
  }
  const devices: RunResult['devices'] = [];
  for (const r of runs) addDevices(devices, r.devices);
  const finished = runs.map((r) => r.finished_at);
  const run: RunResult = {
    ...first,
    started_at: runs.map((r) => r.started_at).sort()[0] as string,
    finished_at: finished.includes(null) ? null : ([...finished].sort().at(-1) as string),
    devices,
    group,
    benchmarks,
  };
  delete run.shard;
  delete run.interleaved;

  const count = Math.max(0, ...runs.map((r) => r.shard?.count ?? 0));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !runs.some((r) => r.shard?.index === i));
  if (missing.length > 0) gaps.push(`group ${group}: no run of shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count}`);
  const notOk = run.benchmarks.filter((b) => b.status !== 'ok');
  if (notOk.length > 0) gaps.push(`group ${group}: ${notOk.length} config${notOk.length > 1 ? 's' : ''} not measured ok: ${notOk.map((b) => `${b.config.name} (${b.status})`).join(', ')}`);
  return { run, gaps };
}
