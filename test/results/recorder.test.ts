/** The run recorder: the file after every benchmark; a store that fails is reported once and then left alone. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NamedConfig } from '../../src/config/fields.js';
import { expandConfigs } from '../../src/config/sweep.js';
import { newRunResult } from '../../src/measure/runner.js';
import { RunRecorder } from '../../src/results/recorder.js';
import type { BenchmarkResult, RunResult } from '../../src/results/schema.js';
import { ResultStore } from '../../src/results/store/store.js';
import { tempDir } from '../helpers.js';
import { fullFileSystem, mountedFileSystem } from '../support/filesystems.js';
import { needs } from '../support/requirements.js';

test('recorder: the file holds every benchmark as it comes; a failing store is reported once and not tried again', async () => {
  const dir = tempDir();
  const file = join(dir, 'run.json');
  // a real SQLite store, closed, so that every save fails
  const store = await ResultStore.open(`sqlite:${join(dir, 'store.db')}`);
  await store.close();
  const messages: string[] = [];
  const run = newRunResult();
  const unsaved: string[] = [];
  const recorder = new RunRecorder(run, { outputPath: file, store, message: (m) => messages.push(m), unsaved });
  const fileNow = (): RunResult => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  await recorder.add({ config: { name: 'a' } } as unknown as BenchmarkResult);
  assert.equal(fileNow().benchmarks.length, 1);
  await recorder.add({ config: { name: 'b' } } as unknown as BenchmarkResult);
  assert.equal(fileNow().benchmarks.length, 2);
  assert.equal(fileNow().finished_at, null);
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0] as string, /^store: .*; the result file keeps everything$/);
  await recorder.finish();
  assert.ok(fileNow().finished_at);
  assert.deepEqual(unsaved, messages, 'what was not saved is listed for the exit code');
});

const fullFs = fullFileSystem();
const full = needs({ ...mountedFileSystem(fullFs), what: 'a full tmpfs' });

test('recorder: a result file that cannot be written (a full disk) is reported once; the store keeps every benchmark and the finish time', full.options, async () => {
  full.check();
  const dir = tempDir();
  const store = await ResultStore.open(`sqlite:${join(dir, 'store.db')}`);
  const messages: string[] = [];
  const unsaved: string[] = [];
  const run = newRunResult();
  const path = join(fullFs as string, 'run.json');
  const recorder = new RunRecorder(run, { outputPath: path, store, message: (m) => messages.push(m), unsaved });
  const [config] = expandConfigs([{ fields: { engine: 'openai', model: 'm', engine_options: { url: 'http://127.0.0.1:1/v1' } }, where: 'test' }]);
  const bench = (name: string): BenchmarkResult => ({ config: { ...(config as NamedConfig), name }, status: 'ok', error: null, engine: null, model: null, phases_ms: { load: null, validity: null, warmup: null, measure: null }, validity: null, iterations: [], summary: null, monitor: null });
  await recorder.add(bench('a'));
  await recorder.add(bench('b'));
  await recorder.finish();
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.equal(messages[0], `result file ${path}: cannot write it (ENOSPC); the store keeps what follows`);
  assert.deepEqual(unsaved, messages);
  const stored = await store.getRun(run.run_id);
  assert.deepEqual(stored.benchmarks.map((b) => b.config.name), ['a', 'b']);
  assert.equal(stored.finished_at, run.finished_at, 'the store has the finish time');
  await store.close();
});
