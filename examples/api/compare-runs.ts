/**
 * A CI gate from code: compare two result files (or run ids, commits) and fail on a regression.
 *   npx tsx examples/api/compare-runs.ts BASELINE CANDIDATE [THRESHOLD]
 */
import { compare, InputError } from 'tokenbench';

const [baseline, candidate, threshold] = process.argv.slice(2);
if (!baseline || !candidate) {
  console.error('usage: compare-runs.ts BASELINE CANDIDATE [THRESHOLD, a fraction like 0.05]');
  process.exit(2);
}
try {
  const c = await compare(baseline, candidate, threshold === undefined ? {} : { threshold: Number(threshold) });
  for (const pair of c.pairs) {
    for (const m of pair.metrics) console.log(`${pair.baseline}  ${m.label}: ${(m.change * 100).toFixed(1)}% (${m.verdict})`);
  }
  console.log(`${c.regressions} regression(s)`);
  process.exitCode = c.regressions > 0 ? 1 : 0;
} catch (err) {
  // a side that is not a result, a threshold out of range: one line, as the CLI says it
  if (!(err instanceof InputError)) throw err;
  console.error(`${err.kind}: ${err.message}`);
  process.exitCode = 2;
}
