/** Result files, written atomically: a temporary file in the same folder, then rename. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunResult } from './schema.js';

/** Writes `text` to `path` so that readers see the old file or the new one, never half of one. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeRunResult(path: string, result: RunResult): void {
  writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`);
}

/** `DIR/run-YYYYMMDD-HHMMSS-<first 8 of the run id>.json` */
export function defaultResultPath(dir: string, runId: string, startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join(dir, `run-${stamp}-${runId.slice(0, 8)}.json`);
}
