/**
 * What `run` and `load` share around their benchmarks: the result file's path (checked writable
 * before anything runs), the store, Ctrl-C and SIGTERM (first: finish the iteration in flight and
 * save; second: quit), the printed summary and the exit code.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import type { RunResult } from '../results/schema.js';
import { ResultStore, storeUrl } from '../results/store/store.js';
import { defaultResultPath } from '../results/writer.js';
import { InputError } from '../util/errors.js';
import { type ParsedArgs, single } from './args.js';

export interface RunSession {
  outputPath: string;
  store: ResultStore | undefined;
  /** The first Ctrl-C or SIGTERM: start nothing new, finish what is in flight and save. */
  signal: AbortSignal;
  /** With `graceful` (load runs): the second Ctrl-C, or SIGTERM's grace ran out: cut what is in flight too. */
  cut: AbortSignal;
  /** Each failure to save the result file or the store is appended here (exit code 3). */
  unsaved: string[];
}

/** After SIGTERM, how long a graceful run lets requests in flight finish before it cuts them. */
export const SIGTERM_GRACE_MS = 10_000;

/** Exit codes of `run` and `load`, for their --help. */
export const EXIT_CODES = 'Exit codes: 0 all ok, 1 a config failed, 2 bad input (nothing run), 3 measured but not all saved (the result file or the store failed: NOT SAVED lines say what), 130 interrupted (Ctrl-C), 143 stopped (SIGTERM); a signal wins over 3, and 3 over 1.';

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * Refuses a result file that cannot be written, before anything is measured. Returns what takes
 * back the folders it had to create, for a run refused before it measured anything.
 */
function checkResultPath(path: string, flag: string): () => void {
  try {
    if (statSync(path).isDirectory()) throw new InputError('result_file', `${flag} ${path}: is a folder; give the path of a file`);
  } catch (err) {
    if (err instanceof InputError) throw err;
  }
  const dir = dirname(path);
  let firstCreated: string | undefined;
  try {
    firstCreated = mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError('result_file', `${flag} ${dir}: cannot create that folder (${codeOf(err)}); give another --output-dir or --output`);
  }
  // a new file no one else can have made (exclusive create), so only what this made is removed
  const probe = join(dir, `.tokenbench-write-probe-${process.pid}-${randomUUID()}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx');
  } catch (err) {
    throw new InputError('result_file', `${flag} ${dir}: cannot write a file there (${codeOf(err)}); give another --output-dir or --output`);
  }
  closeSync(fd);
  unlinkSync(probe);
  return () => {
    if (firstCreated === undefined) return;
    // deepest first; rmdir refuses a folder that is no longer empty, so nothing else is removed
    for (let d = dir; ; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return;
      }
      if (d === firstCreated) return;
    }
  };
}

/**
 * Opens the store, runs `body` with Ctrl-C handled, closes the store, prints the summary (and the
 * whole result with --json) and returns the exit code (EXIT_CODES). Ctrl-C: the first stops
 * starting anything and saves what finishes; the second quits at once, or with `graceful` (load
 * runs, whose requests in flight take seconds) cuts what is in flight and saves that too, and only
 * a third quits. SIGTERM with `graceful` cuts what is in flight after SIGTERM_GRACE_MS by itself.
 */
export async function withRunSession(
  args: ParsedArgs,
  command: string,
  run: RunResult,
  interruptMessage: (text: string) => void,
  body: (session: RunSession) => Promise<void>,
  summarize: (run: RunResult) => string,
  graceful = false,
): Promise<number> {
  const output = single(args, 'output', command);
  const outputPath = resolve(output ?? defaultResultPath(single(args, 'output-dir', command) ?? 'tokenbench-results', run.run_id, new Date(run.started_at)));
  const undoFolders = checkResultPath(outputPath, output !== undefined ? '--output' : '--output-dir');
  let store: ResultStore | undefined;
  try {
    store = args.flags.has('no-store') ? undefined : await ResultStore.open(storeUrl(single(args, 'store', command)));
  } catch (err) {
    undoFolders();
    throw err;
  }
  const abort = new AbortController();
  const cut = new AbortController();
  // every request in flight listens for the interrupt (and stops listening when it ends): a load
  // run at concurrency 32 has 32 listeners, which is no leak, so Node's warning past 10 is off
  setMaxListeners(0, abort.signal);
  setMaxListeners(0, cut.signal);
  let stoppedBy: NodeJS.Signals | null = null;
  let grace: NodeJS.Timeout | undefined;
  const again = (signal: NodeJS.Signals): string => (signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C');
  const cutInFlight = (why: string): void => {
    if (cut.signal.aborted) return;
    interruptMessage(`${why}: cutting the requests in flight (recorded as interrupted) and saving (${again(stoppedBy ?? 'SIGINT')} again to quit now)`);
    cut.abort();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      if (graceful && !cut.signal.aborted) return cutInFlight(`${again(signal)} again`);
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
    stoppedBy = signal;
    const what = graceful ? `sending no new requests; those in flight finish and count (${again(signal)} again cuts them${signal === 'SIGTERM' ? `, as do ${SIGTERM_GRACE_MS / 1000} s` : ''})` : `finishing what is in flight and saving (${again(signal)} again to quit now)`;
    interruptMessage(`${signal === 'SIGTERM' ? 'Stopped (SIGTERM)' : 'Interrupted'}: ${what}`);
    abort.abort();
    if (graceful && signal === 'SIGTERM') grace = setTimeout(() => cutInFlight(`${SIGTERM_GRACE_MS / 1000} s after SIGTERM`), SIGTERM_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unsaved: string[] = [];
  try {
    await body({ outputPath, store, signal: abort.signal, cut: graceful ? cut.signal : abort.signal, unsaved });
  } finally {
    clearTimeout(grace);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store?.close().catch(() => undefined);
  }
  const summary = summarize(run);
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(run, null, 1)}\n`);
    if (!args.flags.has('quiet')) process.stderr.write(`\n${summary}\n`);
    process.stderr.write(`Results: ${outputPath}\n`);
  } else {
    process.stdout.write(`\n${summary}\nResults: ${outputPath}\n`);
  }
  for (const what of unsaved) process.stderr.write(`NOT SAVED: ${what}\n`);
  if (stoppedBy !== null) return stoppedBy === 'SIGTERM' ? 143 : 130;
  if (unsaved.length > 0) return 3;
  // a capacity search's probes above the capacity may fail by design: the search's own outcome counts
  if (run.capacity) return run.capacity.status === 'failed' ? 1 : 0;
  return run.benchmarks.every((b) => b.status === 'ok') ? 0 : 1;
}
