/** Shared test helpers: the built CLI, a shared synthetic-model cache, temp folders. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasRequestRecords, requestRecords } from '../src/results/request-records.js';
import { type BenchmarkResult, type LoadRequestRecord, type RunResult, RunResultSchema } from '../src/results/schema.js';
import { readResultFile } from '../src/results/store/store.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** One cache for all test files, so the tiny model is built once per machine. */
export const TEST_CACHE_DIR = join(tmpdir(), 'tokenbench-test-cache');

/** The store the CLI writes to in tests: never the repository's own ./tokenbench-results. */
export const TEST_STORE = `sqlite:${join(tmpdir(), `tokenbench-test-store-${process.pid}.db`)}`;

export function tempDir(prefix = 'tokenbench-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without what a scheduler sets for shards (tests run inside a Slurm job must not shard themselves). */
function withoutScheduler(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { SLURM_ARRAY_TASK_ID: _a, SLURM_ARRAY_JOB_ID: _b, JOB_COMPLETION_INDEX: _c, TOKENBENCH_GROUP: _d, TOKENBENCH_SHARD_COUNT: _e, ...rest } = env;
  return rest;
}

/** Runs the built CLI (or `cli`, another copy of it) with the shared cache (in `cwd`, default the repository); `onStderr` sees stderr as it arrives. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; cli?: string; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...withoutScheduler(process.env), TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR, TOKENBENCH_STORE: TEST_STORE, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A result file, validated against the schema. */
export function readResult(path: string): RunResult {
  return RunResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Each load benchmark's records, read from wherever they are, inline in index order (what tests look at). */
export async function inlineRecords(benchmarks: readonly BenchmarkResult[]): Promise<void> {
  for (const b of benchmarks) {
    if (!hasRequestRecords(b)) continue;
    const records: LoadRequestRecord[] = [];
    for await (const r of requestRecords(b)) records.push(r);
    b.requests = records.sort((x, y) => x.index - y.index);
  }
}

/** A result file, with its load runs' records from beside it inline in index order. */
export async function readResultWithRecords(path: string): Promise<RunResult> {
  const run = readResultFile(path);
  await inlineRecords(run.benchmarks);
  return run;
}

/** Keeps the thread busy for `ms` (a test's stand-in for work that blocks the event loop). */
export function busyWait(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}

/** A TCP port free on loopback a moment ago (for a server the test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
