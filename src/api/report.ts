/** `report()`: the self-contained HTML report of a run, as `tokenbench report` writes it. */
import { readLoadChartData, runReportHtml } from '../report/html.js';
import { type KeptPercentile, parsePercentiles } from '../report/load-figures.js';
import type { RunResult } from '../results/schema.js';
import { resolveRun } from './run-source.js';

export interface ReportApiOptions {
  /** Load runs: the percentiles of the latency table, of 50, 90, 95, 99 (default all four). */
  percentiles?: readonly number[];
  /** The store run ids, commits and groups are looked up in. */
  store?: string;
}

/** The report's HTML (one file that opens offline) of a result, a result file, a run id, a commit or group:ID. */
export async function report(run: RunResult | string, options: ReportApiOptions = {}): Promise<string> {
  const percentiles: readonly KeptPercentile[] = parsePercentiles('report', options.percentiles?.map(String));
  const result = typeof run === 'string' ? await resolveRun(run, options.store) : run;
  await readLoadChartData(result);
  return runReportHtml(result, percentiles);
}
