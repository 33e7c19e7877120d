/**
 * One load value measured in parts (load --shard) read as one run: every part's requests together,
 * summarised again over the whole run's schedule, so that rates, goodput and percentiles are of
 * all requests and not an average of the parts'. Each part's request times count from its own
 * start, which the parts agreed on (rendezvous.ts): they line up within the skew each part recorded.
 */
import type { NamedConfig } from '../config/fields.js';
import { promptReuseOf } from '../config/prompt-reuse.js';
import { LoadTally } from '../results/load-summary.js';
import { requestRecords, setRecordSource } from '../results/request-records.js';
import type { BenchmarkResult, LoadSummary } from '../results/schema.js';
import { scheduleOf } from './arrivals.js';

/** The parts of one load value (each a benchmark with its requests), as one benchmark; the records are read one at a time. */
export async function mergeLoadParts(parts: readonly BenchmarkResult[]): Promise<BenchmarkResult> {
  const first = parts[0];
  if (!first) throw new RangeError('no part to merge');
  const settings = first.config.load;
  if (!settings) return first;
  const tally = new LoadTally(settings, { reuse: promptReuseOf(first.config as NamedConfig), model: first.config.model });
  for (const p of parts) for await (const r of requestRecords(p)) tally.add(r);
  const schedule = settings.mode === 'open' ? scheduleOf(settings) : null;
  const clients = parts.map((p) => p.load?.client).filter((c): c is LoadSummary['client'] => c !== undefined);
  const worst = (k: 'p50' | 'p99' | 'max'): number => Math.max(0, ...clients.map((c) => c.event_loop_lag_ms[k]));
  const load = tally.load(schedule, {
    cpuMs: clients.reduce((sum, c) => sum + c.cpu_ms, 0),
    lag: { p50: worst('p50'), p99: worst('p99'), max: worst('max') },
    warning: clients.find((c) => c.warning !== null)?.warning ?? null,
    // each part warmed its own process: the least warmed says what every part had at least
    ...(clients.length > 0 && clients.every((c) => c.warmup_chunks !== undefined) ? { warmupChunks: Math.min(...clients.map((c) => c.warmup_chunks as number)) } : {}),
  });
  const failed = parts.find((p) => p.status !== 'ok');
  const merged: BenchmarkResult = {
    ...first,
    status: failed ? failed.status : 'ok',
    error: failed ? failed.error : null,
    request_count: tally.count,
    load,
    summary: tally.summary(),
    server_check: tally.serverCheck(),
  };
  delete merged.requests;
  delete merged.requests_file;
  // the merged records are the parts' records, part after part
  setRecordSource(merged, async function* () {
    for (const p of parts) yield* requestRecords(p);
  });
  return merged;
}
