/** `tokenbench import FILE...`: result files (tokenbench's and benchmark_v2's) into the store. */
import { readFileSync } from 'node:fs';
import { benchmarkV2Rows, fromBenchmarkV2, isBenchmarkV2 } from '../results/benchmark-v2.js';
import { checkRecords } from '../results/request-records.js';
import type { RunResult } from '../results/schema.js';
import { readResultFile, redactUrl, ResultStore, storeUrl } from '../results/store/store.js';
import { errorMessage, InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';

export const IMPORT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  store: { arity: 'one', value: 'URL', help: 'sqlite:PATH or postgres://... (default $TOKENBENCH_STORE or sqlite:./tokenbench-results/tokenbench.db)' },
  help: { arity: 'none', help: 'show this help' },
};

export const IMPORT_HELP = `Usage: tokenbench import FILE... [--store URL]

Loads result files into the store: tokenbench's own (schema tokenbench.run/v1) and Hugging Face
Transformers' benchmark_v2 results, its JSON files and the JSON Lines rows it pushes to a Hub dataset
(latencies mapped onto the same metrics; \`export --format benchmark-v2\` writes those rows), so
both can be listed with history and compared. Every file is checked before anything is written.

${formatFlags(IMPORT_FLAGS)}`;

/** A result file of either kind, or an InputError naming it. */
export function readAnyResult(path: string): { run: RunResult; source: string } {
  let text: string;
  let raw: unknown;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('result_file', `result file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : errorMessage(err)}`);
  }
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // benchmark_v2's Hub files are JSON Lines, one row per config
    const rows = benchmarkV2Rows(text);
    if (rows) return { run: fromBenchmarkV2(rows, path), source: 'benchmark_v2' };
    throw new InputError('result_file', `result file ${path}: not JSON (${errorMessage(err)})`);
  }
  if (isBenchmarkV2(raw)) return { run: fromBenchmarkV2(raw, path), source: 'benchmark_v2' };
  return { run: readResultFile(path), source: 'tokenbench' };
}

export async function importCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, IMPORT_FLAGS, 'import');
  if (args.flags.has('help')) {
    process.stdout.write(`${IMPORT_HELP}\n`);
    return 0;
  }
  if (args.positionals.length === 0) throw new InputError('usage', "import: give one or more result files; see 'tokenbench import --help'");
  const runs = args.positionals.map((p) => ({ path: p, ...readAnyResult(p) }));
  // every records file read through first: one missing, cut or emptied is bad input before the store is even opened
  for (const r of runs) await checkRecords(r.run);
  const url = storeUrl(single(args, 'store', 'import'));
  const store = await ResultStore.open(url);
  try {
    for (const r of runs) {
      await store.saveRun(r.run, r.source);
      process.stdout.write(`${r.path}: run ${r.run.run_id} (${r.source}, ${r.run.benchmarks.length} benchmarks)\n`);
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`Imported ${runs.length} run(s) into ${redactUrl(url)}\n`);
  return 0;
}
