/**
 * Load runs as benchmarks: one benchmark per swept value (a concurrency or a request rate), each
 * with its per-request records and load summary, saved to the result file after every value.
 */
import { promptReuseOf } from '../config/prompt-reuse.js';
import { describeServer, openAiTarget } from '../engines/openai.js';
import { warmClientPath } from '../http/client-warmup.js';
import { OpenAiClient } from '../http/openai-client.js';
import { LoadTally } from '../results/load-summary.js';
import { RecordsSink } from '../results/request-records.js';
import type { BenchmarkResult, LoadRequestRecord, LoadSettings, RunResult } from '../results/schema.js';
import type { ResultStore } from '../results/store/store.js';
import { RunRecorder } from '../results/recorder.js';
import { errorMessage, RunError } from '../util/errors.js';
import type { Shard } from '../config/shard.js';
import { lagWarning } from './event-loop-lag.js';
import { holdOffMemoryReducer } from './memory-reducer.js';
import { runLoad, settingsOfPart } from './load-runner.js';
import type { PartStart } from './rendezvous.js';
import { rampSchedule, readTraceOnce } from './arrivals.js';
import { datasetPrompts, type LoadPrompt, syntheticPrompts, tracePrompts } from './prompts.js';
import { Replicas } from './replicas.js';
import { runSessions } from './session-runner.js';
import { datasetSessions, syntheticSessions } from './sessions.js';
import { randomSalt } from './trace.js';
import type { LoadConfig } from './load-config.js';

export type { LoadConfig } from './load-config.js';


export interface LoadProgress {
  start(index: number, total: number, name: string, planned: number | null): void;
  /** A measured request finished (`outputTokens` of its own); called while others are in flight: keep it cheap. */
  request(done: number, outputTokens: number): void;
  end(result: BenchmarkResult): void;
  message(text: string): void;
}

export interface LoadOptions {
  outputPath?: string;
  store?: ResultStore;
  progress: LoadProgress;
  signal?: AbortSignal;
  /** Cuts requests in flight (default: `signal`): the second Ctrl-C. */
  cut?: AbortSignal;
  /** Each failure to save the result file or the store is appended here. */
  unsaved?: string[];
  /** Also sees every measured request's record as it ends (the capacity search judges a probe from them). */
  observe?: (record: LoadRequestRecord) => void;
  /** load --shard: this process runs one part of each value, and meets the other parts before measuring; `salt` numbers a trace's blocks alike in every part. */
  part?: { shard: Shard; meet: (config: LoadConfig) => Promise<PartStart>; salt: (config: LoadConfig) => number };
}

/** A load value whose successful requests are fewer than this share of those scheduled is failed (docs/metrics.md). */
export const MIN_OK_FRACTION = 0.9;

/** How many prompts a run needs: every request once, warmups included (duration-bounded runs cycle). */
function promptCount(s: LoadSettings): number {
  const measured = s.requests ?? Math.min(10_000, Math.ceil((s.request_rate ?? 50) * (s.duration_s ?? 60)));
  // a ramp sends about rate·seconds/2, each a prompt of its own (a part draws fewer than the whole)
  const ramp = s.mode === 'open' && s.ramp_up_s ? Math.ceil(rampSchedule(s.request_rate ?? 1, s.arrival === 'trace' ? 'poisson' : s.arrival, s.burstiness, s.seed, s.ramp_up_s).length * 1.5) + 16 : 0;
  return Math.max(1, measured + s.warmup_requests + ramp);
}

/** Runs one swept value (benchmark `position` of the run) to a benchmark result; failures are recorded, never thrown. */
export async function runLoadBenchmark(config: LoadConfig, options: LoadOptions, position = 0): Promise<BenchmarkResult> {
  // before the prompts and the warm-up: V8's memory reducer would otherwise collect their garbage in the measured phase
  holdOffMemoryReducer();
  const s = config.load;
  // a part runs and is summarised on its share; the schedule and prompts are the whole run's
  const own = settingsOfPart(s, options.part?.shard);
  const target = openAiTarget(config);
  const result: BenchmarkResult = {
    config,
    status: 'ok',
    error: null,
    ...describeServer(config, target),
    phases_ms: { load: null, validity: null, warmup: null, measure: null },
    validity: null,
    iterations: [],
    summary: null,
    monitor: null,
  };
  // the pool: one connection per request in flight (closed loop), or as many as the open loop needs
  const pool = own.mode === 'closed' ? (own.concurrency ?? 1) : own.max_concurrency;
  const client = new OpenAiClient(target, pool);
  // several --url values: the first also makes the prompts (every replica serves the same model)
  const replicas = s.replicas ? new Replicas([client, ...s.replicas.urls.slice(1).map((url) => new OpenAiClient({ ...target, url }, pool))], s.replicas.route) : null;
  let partStart: PartStart | undefined;
  const tally = new LoadTally(own, { reuse: promptReuseOf(config), model: config.model });
  let records: RecordsSink | null = null;
  try {
    const started = performance.now();
    // multi-turn: sessions instead of prompts, each turn made from the chat so far as it goes
    const sessions = s.sessions
      ? s.sessions.source === 'dataset'
        ? datasetSessions(s.dataset as string, config.num_tokens_to_generate)
        : await syntheticSessions(client, s.requests ?? 100, s.sessions.turns ?? 1, config.sequence_length, config.num_tokens_to_generate)
      : null;
    const prompts: LoadPrompt[] = sessions
      ? []
      : s.trace
      ? await tracePrompts(client, readTraceOnce(s.trace.path, s.trace.sha256).entries.slice(0, s.requests ?? undefined), options.part?.salt(config) ?? randomSalt(), own.warmup_requests)
      : s.dataset
      ? datasetPrompts(s.dataset, config.num_tokens_to_generate)
      : await syntheticPrompts(client, { inputLen: config.sequence_length, outputLen: config.num_tokens_to_generate, rangeRatio: s.range_ratio, seed: s.seed, count: promptCount(s) }, promptReuseOf(config));
    result.engine = describeServer(config, target, { client, connections: pool, prompts: sessions ? 'sessions' : (prompts[0]?.lengthBy ?? 'dataset') }).engine;
    // before the warmup requests: the client's own code compiled, so the first measured chunks cost what the last do
    const warmupChunks = await warmClientPath(target, options.signal);
    result.phases_ms.load = performance.now() - started;
    records = await RecordsSink.create(options.outputPath, position);
    const keeper = records;
    const measureStart = performance.now();
    const part = options.part;
    const runOptions = {
      onRequest: (n: number, tokens: number) => options.progress.request(n, tokens),
      // every record is summarised and kept as it ends: nothing grows with the run but the file
      onRecord: (r: LoadRequestRecord) => {
        tally.add(r);
        keeper.keep(r);
        options.observe?.(r);
      },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.cut ? { cut: options.cut } : {}),
      ...(part ? { part: part.shard, beforeMeasure: async () => void (partStart = await part.meet(config)) } : {}),
    };
    const run = sessions ? await runSessions(replicas ?? client, sessions, s, runOptions) : await runLoad(replicas ?? client, prompts, s, runOptions);
    result.phases_ms.measure = performance.now() - measureStart;
    result.summary = tally.summary();
    result.server_check = tally.serverCheck();
    const measuredMs = result.phases_ms.measure ?? 0;
    const warning = lagWarning(run.lag, measuredMs > 0 ? run.cpuMs / measuredMs : null);
    if (warning) options.progress.message(warning);
    result.load = tally.load(run.schedule, { cpuMs: run.cpuMs, lag: run.lag, warning, warmupChunks });
    result.load.origin_ns = run.originNs.toString();
    if (run.ramp) {
      result.load.ramp = run.ramp;
      options.progress.message(`ramp: ${run.ramp.requests} requests over ${run.ramp.duration_s} s as the rate rose to the target (${run.ramp.ok} ok), sent before the measured phase and in none of its figures`);
    }
    if (partStart) result.load.part = partStart;
    if (options.signal?.aborted) {
      result.status = 'interrupted';
      result.error = { kind: 'interrupted', message: 'interrupted by the user' };
    } else if (result.load.counts.ok < MIN_OK_FRACTION * result.load.counts.scheduled) {
      const c = result.load.counts;
      const kinds = Object.entries({ ...result.load.failures, ...result.load.not_sent }).map(([k, n]) => `${n} ${k}`).join(', ');
      const first = tally.firstFailure?.failure;
      throw new RunError('request_failed', `${c.ok} of ${c.scheduled} scheduled requests succeeded, under ${MIN_OK_FRACTION * 100}% (${kinds})${first ? `; first: ${first.kind}: ${first.message}` : ''}`);
    }
  } catch (err) {
    result.status = 'failed';
    const kind = err instanceof RunError ? err.kind : 'internal';
    result.error = { kind, message: errorMessage(err) };
  } finally {
    await (replicas ?? client).close().catch(() => undefined);
    const unsaved = await records?.finish(result);
    if (unsaved) {
      options.progress.message(unsaved);
      options.unsaved?.push(unsaved);
    }
  }
  return result;
}

/** Runs every swept value in order, saving the result after each. */
export async function runLoadBenchmarks(configs: readonly LoadConfig[], options: LoadOptions, run: RunResult): Promise<RunResult> {
  const recorder = new RunRecorder(run, { outputPath: options.outputPath, store: options.store, message: (text) => options.progress.message(text), unsaved: options.unsaved });
  for (const [i, config] of configs.entries()) {
    if (options.signal?.aborted) break;
    options.progress.start(i, configs.length, config.name, config.load.requests);
    const result = await runLoadBenchmark(config, options, i);
    options.progress.end(result);
    await recorder.add(result);
  }
  await recorder.finish();
  return run;
}
