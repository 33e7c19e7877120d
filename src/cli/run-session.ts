/**
 * What `run` and `load` share around their benchmarks: the result file's path, the store, Ctrl-C
 * (first press: finish and save; second: quit), the printed summary and the exit code.
 */
import { resolve } from 'node:path';
import type { RunResult } from '../results/schema.js';
import { ResultStore, storeUrl } from '../results/store/store.js';
import { defaultResultPath } from '../results/writer.js';
import { type ParsedArgs, single } from './args.js';

export interface RunSession {
  outputPath: string;
  store: ResultStore | undefined;
  signal: AbortSignal;
}

/**
 * Opens the store, runs `body` with Ctrl-C handled, closes the store, prints the summary (and the
 * whole result with --json) and returns the exit code: 0 all ok, 1 one failed, 130 interrupted.
 */
export async function withRunSession(
  args: ParsedArgs,
  command: string,
  run: RunResult,
  interruptMessage: (text: string) => void,
  body: (session: RunSession) => Promise<void>,
  summarize: (run: RunResult) => string,
): Promise<number> {
  const output = single(args, 'output', command);
  const outputPath = resolve(output ?? defaultResultPath(single(args, 'output-dir', command) ?? 'tokenbench-results', run.run_id, new Date(run.started_at)));
  const store = args.flags.has('no-store') ? undefined : await ResultStore.open(storeUrl(single(args, 'store', command)));
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    interruptMessage('Interrupted: finishing what is in flight and saving (Ctrl-C again to quit now)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await body({ outputPath, store, signal: abort.signal });
  } finally {
    process.off('SIGINT', onSigint);
    await store?.close();
  }
  const summary = summarize(run);
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(run, null, 1)}\n`);
    if (!args.flags.has('quiet')) process.stderr.write(`\n${summary}\n`);
    process.stderr.write(`Results: ${outputPath}\n`);
  } else {
    process.stdout.write(`\n${summary}\nResults: ${outputPath}\n`);
  }
  if (abort.signal.aborted) return 130;
  return run.benchmarks.every((b) => b.status === 'ok') ? 0 : 1;
}
