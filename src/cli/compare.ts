/** `tokenbench compare BASELINE CANDIDATE`: a statistical comparison; exit 1 on a regression (a CI gate). */
import { writeFileSync } from 'node:fs';
import { formatTable } from '../report/console.js';
import { compareRuns, formatComparisonMarkdown, formatComparisonText } from '../report/compare.js';
import { comparisonReportHtml } from '../report/html.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';
import { resolveSides } from '../api/compare.js';

export const COMPARE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  pair: { arity: 'many', commas: false, value: 'A=B', help: 'compare config A of the baseline with config B of the candidate (by name) instead of matching hashes' },
  threshold: { arity: 'one', value: 'PCT', help: 'smallest change that counts, e.g. 5% or 0.05 (default 5%)' },
  format: { arity: 'one', value: 'FMT', help: 'text (default), markdown, json or html' },
  output: { arity: 'one', value: 'FILE', help: 'write the comparison to FILE instead of stdout' },
  store: { arity: 'one', value: 'URL', help: 'store to look run ids and commits up in (default $TOKENBENCH_STORE or sqlite:./tokenbench-results/tokenbench.db)' },
  help: { arity: 'none', help: 'show this help' },
};

export const COMPARE_HELP = `Usage: tokenbench compare BASELINE CANDIDATE [flags]

Each side is a result file, a run id (or its first characters) in the store, a git commit
whose latest run is in the store, or group:ID (the runs of a sharded job as one). Configs are matched by hash (or paired with --pair).
Both sides may instead be folders of rounds, one result file per round with the same names on both
sides (examples/ci/gate.sh runs base and head in turns): each round's median is paired with the
other side's of the same round, so load that changes between rounds cancels. For each
metric (TTFT, ITL, e2e, tokens/s, decode tokens/s): the medians, the change (Hodges-Lehmann
ratio) with its 95% interval, the Mann-Whitney U p-value, the smallest change the runs could
detect, and a verdict. A regression is a change with p < 0.05 (adjusted by Holm over the pair's
five metrics, which are judged together) whose estimate lies past the threshold in the bad
direction. When the runs are too noisy to detect a change of the threshold's
size, it says so and how many iterations would, and a change past the threshold whose interval
reaches inside it is 'too noisy', not a regression.

${formatFlags(COMPARE_FLAGS)}

Exit codes: 0 no regression, 1 a significant regression, 2 bad input.`;

export function parseThreshold(text: string | undefined): number {
  if (text === undefined) return 0.05;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const v = m ? Number(m[1]) / (m[2] === '%' ? 100 : 1) : NaN;
  if (!Number.isFinite(v) || v < 0 || v >= 10) throw new InputError('usage', `compare: --threshold must be a percentage like 5% or a fraction like 0.05, got '${text}'`);
  return v;
}

export async function compareCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, COMPARE_FLAGS, 'compare');
  if (args.flags.has('help')) {
    process.stdout.write(`${COMPARE_HELP}\n`);
    return 0;
  }
  if (args.positionals.length !== 2) throw new InputError('usage', `compare: give BASELINE and CANDIDATE (got ${args.positionals.length}); see 'tokenbench compare --help'`);
  const format = single(args, 'format', 'compare') ?? 'text';
  if (!['text', 'markdown', 'json', 'html'].includes(format)) throw new InputError('usage', `compare: --format must be text, markdown, json or html, got '${format}'`);
  const threshold = parseThreshold(single(args, 'threshold', 'compare'));
  const store = single(args, 'store', 'compare');
  const [a, b] = args.positionals as [string, string];
  const { baseline, candidate, byRound } = await resolveSides(a, b, store);
  const comparison = compareRuns(baseline, candidate, { threshold, pairs: args.flags.get('pair'), byRound });
  const text =
    format === 'json'
      ? `${JSON.stringify(comparison, null, 1)}\n`
      : format === 'markdown'
        ? `${formatComparisonMarkdown(comparison)}\n`
        : format === 'html'
          ? comparisonReportHtml(comparison, baseline, candidate)
          : `${formatComparisonText(comparison, formatTable)}\n`;
  const output = single(args, 'output', 'compare');
  if (output) {
    writeFileSync(output, text);
    process.stderr.write(`Comparison: ${output}\n`);
  } else process.stdout.write(text);
  return comparison.regressions > 0 ? 1 : 0;
}
