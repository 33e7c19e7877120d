/**
 * The runs of one group (the parts of a sharded job, docs/cluster.md) read as one run: a sweep's
 * configs side by side, whichever part measured them, with what is missing said.
 */
import type { BenchmarkResult, RunResult } from './schema.js';

export interface GroupRun {
  /** The group's runs as one: every config once, from the latest run that measured it ok (else the latest that tried). */
  run: RunResult;
  /** What is missing: parts with no run, configs that no run measured ok. */
  gaps: string[];
}

/** Merges the runs of `group`, given oldest first (at least one). */
export function mergeGroupRuns(group: string, runs: readonly RunResult[]): GroupRun {
  const first = runs[0];
  if (!first) throw new RangeError('a group needs at least one run');
  // parts in shard order, each part's tries oldest first, so a later try of a config replaces an earlier one
  const ordered = [...runs].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
  const byHash = new Map<string, BenchmarkResult>();
  for (const run of ordered) {
    for (const b of run.benchmarks) {
      const kept = byHash.get(b.config.hash);
      if (!kept || kept.status !== 'ok' || b.status === 'ok') byHash.set(b.config.hash, b);
    }
  }
  const devices = runs.flatMap((r) => r.devices).filter((d, i, all) => all.findIndex((x) => x.id === d.id) === i);
  const finished = runs.map((r) => r.finished_at);
  const run: RunResult = {
    ...first,
    started_at: runs.map((r) => r.started_at).sort()[0] as string,
    finished_at: finished.includes(null) ? null : ([...finished].sort().at(-1) as string),
    devices,
    group,
    benchmarks: [...byHash.values()],
  };
  delete run.shard;
  delete run.interleaved;

  const gaps: string[] = [];
  const count = Math.max(0, ...runs.map((r) => r.shard?.count ?? 0));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !runs.some((r) => r.shard?.index === i));
  if (missing.length > 0) gaps.push(`group ${group}: no run of shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count}`);
  const notOk = run.benchmarks.filter((b) => b.status !== 'ok');
  if (notOk.length > 0) gaps.push(`group ${group}: ${notOk.length} config${notOk.length > 1 ? 's' : ''} not measured ok: ${notOk.map((b) => `${b.config.name} (${b.status})`).join(', ')}`);
  return { run, gaps };
}
