/** `compare()`: two runs side by side with the statistics `tokenbench compare` uses; a regression is in `regressions`. */
import { type Comparison, compareRuns, readRequestSamples, runOfRounds } from '../report/compare.js';
import type { RunResult } from '../results/schema.js';
import { InputError } from '../util/errors.js';
import { isRoundsFolder, readRounds, resolveRun } from './run-source.js';

export interface CompareApiOptions {
  /** The smallest change that counts, as a fraction (default 0.05). */
  threshold?: number;
  /** Pair config A of the baseline with config B of the candidate by name ("A=B") instead of by hash. */
  pairs?: string[];
  /** The store run ids, commits and groups are looked up in (default $TOKENBENCH_STORE or the default store). */
  store?: string;
}

/** Two folders of rounds, each read as one run of per-round medians; the rounds must match by file name. */
async function roundsOfBoth(a: string, b: string): Promise<[RunResult, RunResult]> {
  if (!isRoundsFolder(a) || !isRoundsFolder(b)) throw new InputError('usage', `compare: ${isRoundsFolder(a) ? a : b} is a folder of rounds, so the other side must be one too, got '${isRoundsFolder(a) ? b : a}'`);
  const [x, y] = [readRounds(a), readRounds(b)];
  const differ = [...x.names.filter((n) => !y.names.includes(n)), ...y.names.filter((n) => !x.names.includes(n))];
  if (differ.length > 0) throw new InputError('usage', `compare: the folders of rounds must hold the same file names, one per round; only on one side: ${differ.join(', ')}`);
  for (const run of [...x.runs, ...y.runs]) await readRequestSamples(run);
  return [runOfRounds(x.runs), runOfRounds(y.runs)];
}

/** Each side as `compare` takes it: a result, a result file, a run id, a commit, group:ID, or (both) a folder of rounds. */
export async function resolveSides(a: RunResult | string, b: RunResult | string, store?: string): Promise<{ baseline: RunResult; candidate: RunResult; byRound: boolean }> {
  const byRound = (typeof a === 'string' && isRoundsFolder(a)) || (typeof b === 'string' && isRoundsFolder(b));
  if (byRound) {
    if (typeof a !== 'string' || typeof b !== 'string') throw new InputError('usage', 'compare: a folder of rounds is compared with another folder of rounds, not with a result');
    const [baseline, candidate] = await roundsOfBoth(a, b);
    return { baseline, candidate, byRound };
  }
  const side = async (s: RunResult | string): Promise<RunResult> => (typeof s === 'string' ? resolveRun(s, store) : s);
  const baseline = await side(a);
  const candidate = await side(b);
  await readRequestSamples(baseline);
  await readRequestSamples(candidate);
  return { baseline, candidate, byRound };
}

/** Compares `candidate` with `baseline`, metric by metric and config by config. */
export async function compare(baseline: RunResult | string, candidate: RunResult | string, options: CompareApiOptions = {}): Promise<Comparison> {
  const threshold = options.threshold ?? 0.05;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 10) throw new InputError('usage', `compare: threshold must be a fraction in [0, 10), like 0.05, got ${threshold}`);
  const sides = await resolveSides(baseline, candidate, options.store);
  return compareRuns(sides.baseline, sides.candidate, { threshold, pairs: options.pairs, byRound: sides.byRound });
}
