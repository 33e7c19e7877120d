/** `tokenbench report RUN [-o report.html]`: the self-contained HTML report of a run. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { report } from '../api/report.js';
import { parsePercentiles } from '../report/load-figures.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';
import { resolveRun } from '../api/run-source.js';

export const REPORT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  output: { arity: 'one', value: 'FILE', help: 'the HTML file (default report-<run id>.html)' },
  group: { arity: 'one', value: 'ID', help: 'the runs of this group as one (the same as RUN group:ID)' },
  store: { arity: 'one', value: 'URL', help: 'store to look run ids and commits up in' },
  percentiles: { arity: 'many', value: 'P', help: 'load runs: the percentiles of the latency table, of 50, 90, 95, 99 (default all four)' },
  help: { arity: 'none', help: 'show this help' },
};

export const REPORT_HELP = `Usage: tokenbench report RUN [-o report.html]
       tokenbench report --group ID [-o report.html]

RUN is a result file, a run id in the store, a git commit, or group:ID (the runs of a sharded
job as one; what is missing is said on stderr). The report is one HTML file that
opens offline: summary, token timelines, ITL gap histogram and CDF, TTFT and e2e distributions,
device readings on the token time axis, sweep plots, run metadata; for load runs the totals
and latency tables the console prints, and for a rate or concurrency sweep or a capacity search
the latency-throughput curves (SLO limits and the capacity marked) and the Pareto front.

${formatFlags(REPORT_FLAGS)}`;

export async function reportCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv.map((a) => (a === '-o' ? '--output' : a)), REPORT_FLAGS, 'report');
  if (args.flags.has('help')) {
    process.stdout.write(`${REPORT_HELP}\n`);
    return 0;
  }
  const group = single(args, 'group', 'report');
  const specs = [...args.positionals, ...(group !== undefined ? [`group:${group}`] : [])];
  if (specs.length !== 1) throw new InputError('usage', `report: give one RUN (a result file, run id, commit or group:ID) or --group ID; see 'tokenbench report --help'`);
  const percentiles = parsePercentiles('report', args.flags.get('percentiles'));
  const run = await resolveRun(specs[0] as string, single(args, 'store', 'report'));
  const output = resolve(single(args, 'output', 'report') ?? `report-${run.group ?? run.run_id.slice(0, 8)}.html`);
  writeFileSync(output, await report(run, { percentiles }));
  process.stdout.write(`Report: ${output}\n`);
  return 0;
}
