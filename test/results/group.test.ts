/** The runs of a group read as one, by hand: which try of a config counts, what is said missing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeGroupRuns } from '../../src/results/group.js';
import type { BenchmarkResult, RunResult } from '../../src/results/schema.js';

const bench = (hash: string, status: BenchmarkResult['status'], tag: string): BenchmarkResult => ({ config: { hash, name: `cfg-${hash}` }, status, error: null, iterations: [], summary: null, tag }) as unknown as BenchmarkResult;
const run = (id: string, started: string, shard: number | null, benchmarks: BenchmarkResult[], devices: string[] = [], finished: string | null = started): RunResult =>
  ({ run_id: id, started_at: started, finished_at: finished, devices: devices.map((d) => ({ id: d })), group: 'g', ...(shard === null ? {} : { shard: { index: shard, count: 3 } }), interleaved: true, benchmarks }) as unknown as RunResult;
const tag = (b: BenchmarkResult): string => (b as unknown as { tag: string }).tag;

test('a group as one run: every config once, an ok try over a failed one whenever it came, the later of two ok tries', async () => {
  const { run: merged, gaps } = await mergeGroupRuns('g', [
    run('r2', '2026-01-01T00:00:02Z', 2, [bench('c', 'failed', 'c first try')], ['nvidia:1']),
    run('r0', '2026-01-01T00:00:01Z', 0, [bench('a', 'ok', 'a'), bench('d', 'ok', 'd first')], ['nvidia:0']),
    run('r2b', '2026-01-01T00:00:05Z', 2, [bench('c', 'ok', 'c again')], ['nvidia:1']),
    run('r0b', '2026-01-01T00:00:06Z', 0, [bench('d', 'failed', 'd failed later'), bench('e', 'ok', 'e')], [], null),
  ]);
  assert.deepEqual(merged.benchmarks.map(tag), ['a', 'd first', 'e', 'c again']);
  assert.deepEqual([merged.run_id, merged.group, merged.shard, merged.interleaved], ['r2', 'g', undefined, undefined]);
  assert.deepEqual([merged.started_at, merged.finished_at], ['2026-01-01T00:00:01Z', null]);
  assert.deepEqual(merged.devices.map((d) => d.id), ['nvidia:1', 'nvidia:0']);
  assert.deepEqual(gaps, ['group g: no run of shard 1 of 3']);
});

test('what is missing: parts with no run, configs no run measured ok; nothing when all is there', async () => {
  const { gaps } = await mergeGroupRuns('g', [run('r', '2026-01-01T00:00:00Z', 1, [bench('a', 'failed', 'a'), bench('b', 'interrupted', 'b')])]);
  assert.deepEqual(gaps, ['group g: no run of shards 0, 2 of 3', 'group g: 2 configs not measured ok: cfg-a (failed), cfg-b (interrupted)']);
  const whole = await mergeGroupRuns('g', [0, 1, 2].map((i) => run(`r${i}`, `2026-01-01T00:00:0${i}Z`, i, [bench(String(i), 'ok', String(i))])));
  assert.deepEqual([whole.gaps, whole.run.finished_at], [[], '2026-01-01T00:00:02Z']);
  // runs without shards (a group given by hand): nothing to say missing
  assert.deepEqual((await mergeGroupRuns('g', [run('r', '2026-01-01T00:00:00Z', null, [bench('a', 'ok', 'a')])])).gaps, []);
  await assert.rejects(mergeGroupRuns('g', []), RangeError);
});

test('a load value measured in parts becomes one benchmark through the merge given, in part order; a missing part is named', async () => {
  const part = (index: number, hash = 'v'): BenchmarkResult => ({ ...bench(hash, 'ok', `part ${index}`), load: { part: { index, count: 3 } } }) as unknown as BenchmarkResult;
  const seen: string[][] = [];
  const merge = async (parts: BenchmarkResult[]): Promise<BenchmarkResult> => {
    seen.push(parts.map(tag));
    return bench(parts[0]?.config.hash ?? '', 'ok', `merged ${parts.length}`);
  };
  const { run: merged, gaps } = await mergeGroupRuns('g', [run('r2', '2026-01-01T00:00:02Z', 2, [part(2)]), run('r0', '2026-01-01T00:00:01Z', 0, [part(0), bench('w', 'ok', 'w')])], merge);
  assert.deepEqual(seen, [['part 0', 'part 2']]);
  assert.deepEqual(merged.benchmarks.map(tag), ['merged 2', 'w']);
  assert.deepEqual(gaps, ['group g: cfg-v: no part 1 of 3; merged from the others', 'group g: no run of shard 1 of 3']);
});
