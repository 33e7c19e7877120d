/** The run recorder: the file after every benchmark; a store that fails is reported once and then left alone. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newRunResult } from '../../src/measure/runner.js';
import { RunRecorder } from '../../src/results/recorder.js';
import type { BenchmarkResult, RunResult } from '../../src/results/schema.js';
import { ResultStore } from '../../src/results/store/store.js';
import { tempDir } from '../helpers.js';

test('recorder: the file holds every benchmark as it comes; a failing store is reported once and not tried again', async () => {
  const dir = tempDir();
  const file = join(dir, 'run.json');
  // a real SQLite store, closed, so that every save fails
  const store = await ResultStore.open(`sqlite:${join(dir, 'store.db')}`);
  await store.close();
  const messages: string[] = [];
  const run = newRunResult();
  const recorder = new RunRecorder(run, file, store, (m) => messages.push(m));
  const fileNow = (): RunResult => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  await recorder.add({ config: { name: 'a' } } as unknown as BenchmarkResult);
  assert.equal(fileNow().benchmarks.length, 1);
  await recorder.add({ config: { name: 'b' } } as unknown as BenchmarkResult);
  assert.equal(fileNow().benchmarks.length, 2);
  assert.equal(fileNow().finished_at, null);
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0] as string, /^store: .*; the result file keeps everything$/);
  recorder.finish();
  assert.ok(fileNow().finished_at);
});
