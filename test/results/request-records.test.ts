/** A load run's records out of memory: the JSONL file beside the result, read back one at a time, and the store's chunks. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { attachRecordsFile, checkRecordsPaths, keepRecords, readRecordsFile, recordsPath, RecordsSink, RecordsWriter, requestRecords } from '../../src/results/request-records.js';
import type { BenchmarkResult, LoadRequestRecord, RunResult } from '../../src/results/schema.js';
import { readResultFile, ResultStore } from '../../src/results/store/store.js';
import { writeRunResult } from '../../src/results/writer.js';
import { InputError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers.js';
import { mountedFileSystem, smallFileSystem } from '../support/filesystems.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';
import { startScriptedServer } from '../support/scripted-openai-server.js';

const postgres = needs(postgresServer());

const record = (index: number): LoadRequestRecord =>
  ({ index, ok: index % 7 !== 3, t0_ms: index * 2.5, ttft_ms: 10 + (index % 5), e2e_ms: 40, itl_ms: 1, token_ms: Array.from({ length: 32 }, (_, k) => 10 + k * 0.9371), max_tokens: 32, scheduled_ms: index * 2.5, dispatch_delay_ms: 0.125, failure: index % 7 === 3 ? { kind: 'http_status', message: 'HTTP 500' } : null }) as unknown as LoadRequestRecord;

async function all(source: AsyncIterable<LoadRequestRecord>): Promise<LoadRequestRecord[]> {
  const out: LoadRequestRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

const bench = (extra: Partial<BenchmarkResult>): BenchmarkResult => ({ config: { name: 'load-x', hash: 'h' }, status: 'ok', iterations: [], ...extra }) as unknown as BenchmarkResult;

test('records written as they come (several flushes) read back the same, in order, one at a time', async () => {
  const dir = tempDir();
  const path = recordsPath(join(dir, 'run-1.json'), 2);
  assert.equal(path, join(dir, 'run-1.requests-2.jsonl'));
  const writer = await RecordsWriter.create(path);
  const records = Array.from({ length: 3000 }, (_, i) => record(i));
  for (const r of records) writer.write(r);
  await writer.close();
  assert.equal(writer.count, 3000);
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 3001);
  assert.deepEqual(await all(readRecordsFile(path)), records);
});

test('a records file replaces only the records tokenbench wrote: a file of the user at that path is refused, before anything runs, and left as it was', async () => {
  const dir = tempDir();
  const resultPath = join(dir, 'mine.json');
  const path = recordsPath(resultPath, 0);
  writeFileSync(path, 'my notes\n');
  await assert.rejects(RecordsWriter.create(path), (e: unknown) => (e as NodeJS.ErrnoException).code === 'EEXIST');
  assert.throws(() => checkRecordsPaths(resultPath, 1), (e: unknown) => e instanceof InputError && e.message === `request records ${path}: a file that is not tokenbench's request records is there, and tokenbench does not overwrite it; move it, or give another --output`);
  const server = await startScriptedServer();
  try {
    const r = await runCli(['load', '--url', server.url, '--model', 'ttft=0,itl=0', '--requests', '4', '--output-len', '2', '--input-len', '4', '--no-model-check', '--no-store', '--quiet', '--output', resultPath]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(readFileSync(path, 'utf8'), 'my notes\n');
    assert.equal(existsSync(resultPath), false, 'nothing ran');
  } finally {
    await server.close();
  }
  // tokenbench's own records of that result (an earlier run to the same --output) are replaced; so is an empty file
  writeFileSync(path, `${JSON.stringify(record(0))}\n`);
  checkRecordsPaths(resultPath, 1);
  const writer = await RecordsWriter.create(path);
  writer.write(record(7));
  await writer.close();
  assert.deepEqual((await all(readRecordsFile(path))).map((r) => r.index), [7]);
});

test('a damaged or missing records file is an InputError naming the file and line; a benchmark whose records are nowhere says so', async () => {
  const dir = tempDir();
  const path = join(dir, 'r.requests-0.jsonl');
  writeFileSync(path, `${JSON.stringify(record(0))}\n{"index": 1, "tok`);
  await assert.rejects(all(readRecordsFile(path)), (e: unknown) => e instanceof InputError && e.message === `request records ${path}: line 2 is not JSON; the file is cut or damaged`);
  writeFileSync(path, `${JSON.stringify(record(0))}\n[1, 2]\n`);
  await assert.rejects(all(readRecordsFile(path)), (e: unknown) => e instanceof InputError && /line 2 is not a request record/.test(e.message));
  await assert.rejects(all(readRecordsFile(join(dir, 'gone.jsonl'))), (e: unknown) => e instanceof InputError && /cannot read \(ENOENT\)/.test(e.message));
  await assert.rejects(all(requestRecords(bench({ request_count: 5, requests_file: 'x.jsonl' }))), (e: unknown) => e instanceof InputError && /its 5 request records \(x\.jsonl\) are not available/.test(e.message));
  assert.deepEqual(await all(requestRecords(bench({ request_count: 0 }))), []);
});

test('records kept beside a result are named by base name, so the folder can move; without a result file they stay inline', async () => {
  const dir = tempDir();
  const records = Array.from({ length: 10 }, (_, i) => record(i));
  const b = bench({ request_count: 10, requests: records });
  const resultPath = join(dir, 'run.json');
  await keepRecords(b, resultPath, 0);
  assert.deepEqual([b.requests, b.requests_file], [undefined, 'run.requests-0.jsonl']);
  const run = { schema: 'tokenbench.run/v1', benchmarks: [b] } as unknown as RunResult;
  writeRunResult(resultPath, run);
  assert.doesNotMatch(readFileSync(resultPath, 'utf8'), /token_ms/, 'the result file holds no record');
  const moved = tempDir();
  writeFileSync(join(moved, 'run.requests-0.jsonl'), readFileSync(join(dir, 'run.requests-0.jsonl')));
  appendFileSync(join(dir, 'run.requests-0.jsonl'), 'not read from the old place\n');
  const again = bench({ request_count: 10 });
  attachRecordsFile(again, join(moved, b.requests_file as string));
  assert.deepEqual(await all(requestRecords(again)), records);
  const inline = bench({ request_count: 10 });
  attachRecordsFile(inline, join(moved, 'run.requests-0.jsonl'));
  await keepRecords(inline, undefined, 0);
  assert.deepEqual(inline.requests, records);
});

/** A load run of 2,500 requests through the CLI into the store at `url`: the store's records are the file's, read one chunk at a time. */
async function storeRoundTrip(url: string): Promise<void> {
  const server = await startScriptedServer();
  try {
    const out = join(tempDir(), 'l.json');
    const r = await runCli(['load', '--url', server.url, '--model', 'ttft=0,itl=0', '--concurrency', '16', '--requests', '2500', '--warmup-requests', '0', '--input-len', '4', '--output-len', '2', '--no-model-check', '--store', url, '--quiet', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'quiet, and no warning of Node (16 requests in flight listen for the interrupt)');
    const fromFile = readResultFile(out);
    const records = await all(requestRecords(fromFile.benchmarks[0] as BenchmarkResult));
    assert.equal(records.length, 2500);
    const store = await ResultStore.open(url);
    let stored: BenchmarkResult;
    try {
      const back = await store.getRun(fromFile.run_id);
      stored = back.benchmarks[0] as BenchmarkResult;
      assert.deepEqual([stored.requests, stored.request_count, stored.load], [undefined, 2500, fromFile.benchmarks[0]?.load]);
      // the same run written again: replaced, not doubled
      await store.saveBenchmark(fromFile, 0);
    } finally {
      await store.close();
    }
    // read after the store that gave the run is closed: the records open a connection of their own
    assert.deepEqual(await all(requestRecords(stored)), records);
  } finally {
    await server.close();
  }
}

test('SQLite: the records of a load run are stored in chunks and read back one chunk at a time, also after the store is closed', async () => {
  await storeRoundTrip(`sqlite:${join(tempDir(), 's.db')}`);
});

test('PostgreSQL: the same on a real server', postgres.options, async () => {
  postgres.check();
  await storeRoundTrip(await freshPostgresUrl());
});

test('a records file is judged tokenbench\'s to replace by every line, not its first; a cut last line (a full disk, a kill) still is', () => {
  const dir = tempDir();
  const resultPath = join(dir, 'r.json');
  const path = recordsPath(resultPath, 0);
  // records first, then the user's own text
  writeFileSync(path, `${JSON.stringify(record(0))}\n${JSON.stringify(record(1))}\nmy notes\n`);
  assert.throws(() => checkRecordsPaths(resultPath, 1), InputError);
  writeFileSync(path, `${JSON.stringify(record(0))}\n${JSON.stringify(record(1)).slice(0, 30)}`);
  checkRecordsPaths(resultPath, 1);
  // a user's text after many records, past the first chunk read
  writeFileSync(path, `${Array.from({ length: 4000 }, (_, i) => JSON.stringify(record(i))).join('\n')}\nnot a record\n`);
  assert.throws(() => checkRecordsPaths(resultPath, 1), InputError);
});

test('a records file changed after the run is refused when read, naming both counts; nothing is read from it', async () => {
  const dir = tempDir();
  const path = join(dir, 'r.requests-0.jsonl');
  writeFileSync(path, `${[0, 1, 2].map((i) => JSON.stringify(record(i))).join('\n')}\n`);
  const cut = bench({ request_count: 6 });
  attachRecordsFile(cut, path);
  await assert.rejects(all(requestRecords(cut)), (e: unknown) => e instanceof InputError && e.message === `load-x: its records file ${path} holds 3 records where the result counts 6; it was changed after the run, so nothing is read from it (restore it as written)`);
  const grown = bench({ request_count: 2 });
  attachRecordsFile(grown, path);
  await assert.rejects(all(requestRecords(grown)), (e: unknown) => e instanceof InputError && /holds more than 2 records where the result counts 2/.test(e.message));
  const right = bench({ request_count: 3 });
  attachRecordsFile(right, path);
  assert.equal((await all(requestRecords(right))).length, 3);
  writeFileSync(path, '');
  await assert.rejects(all(requestRecords(right)), (e: unknown) => e instanceof InputError && /holds 0 records where the result counts 3/.test(e.message));
});

const smallFs = smallFileSystem(64);
const small = needs({ ...mountedFileSystem(smallFs), what: 'a 64 KiB tmpfs' });

test('a disk that fills while records stream: the file keeps whole records only, and the value says how many are missing', small.options, async () => {
  small.check();
  const path = join(smallFs as string, 'r.requests-0.jsonl');
  // 3000 records of about 400 bytes: 1.2 MB into 64 KiB, in chunks of 256 KiB and partial writes
  const sink = await RecordsSink.create(join(smallFs as string, 'r.json'), 0);
  for (let i = 0; i < 3000; i++) sink.keep(record(i));
  const b = bench({});
  const unsaved = await sink.finish(b);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a whole line');
  for (const line of lines) assert.ok(JSON.parse(line).index >= 0);
  assert.equal(b.request_count, lines.length);
  assert.equal(b.records_missing, 3000 - lines.length);
  assert.match(unsaved ?? '', new RegExp(`request records ${path}: writing stopped \\(ENOSPC\\) after ${lines.length} of 3000 records; the file holds those ${lines.length} whole, and the value's summary counts all 3000`));
  // what is there reads back, checked against its count
  assert.equal((await all(requestRecords(b))).length, lines.length);
});
