/** The summary of a load run: the usual statistics over its successful requests, and what the run achieved. */
import type { PromptReuse } from '../config/prompt-reuse.js';
import { EXACT_VALUES_LIMIT, MetricSink, type SinkStats } from './metric-sink.js';
import { type IterationMetrics, meetsSlo, metricsFromMs, perSecond, promptMismatch, rateOver, ratePerS } from './metrics.js';
import type { LoadRequestRecord, LoadSettings, LoadSummary, ServerCheck, Summary } from './schema.js';
import { ServerCheckTally } from './server-check.js';
import { quantileSorted, sortAscending } from './statistics.js';
import { SummaryTally } from './summary.js';

export interface ClientCost {
  cpuMs: number;
  lag: { p50: number; p99: number; max: number };
  warning: string | null;
  /** Chunks streamed through the client's own code before measuring (client-warmup.ts); absent where unknown. */
  warmupChunks?: number;
}

/** The per-iteration metrics of a request that succeeded with N >= 2 tokens (what a summary or a comparison is made of); null for any other. */
export function requestMeasure(r: LoadRequestRecord): IterationMetrics | null {
  return r.ok && r.token_ms.length >= 2 && r.e2e_ms !== null ? metricsFromMs(r.e2e_ms, r.token_ms, 1) : null;
}

/** The standard summary (TTFT, ITL, e2e, tokens/s) over the requests that succeeded with N >= 2 tokens. */
export function summarizeRequests(requests: readonly LoadRequestRecord[]): Summary | null {
  const tally = new SummaryTally();
  for (const r of requests) {
    const m = requestMeasure(r);
    if (m) tally.add(m);
  }
  return tally.count > 0 ? tally.summary() : null;
}

/** Per-request values kept for the load statistics, and which requests each is taken over. */
const LOAD_STATS = {
  ttfb_ms: { over: 'ok', value: (r: LoadRequestRecord) => r.ttfb_ms },
  ttfo_ms: { over: 'ok', value: (r: LoadRequestRecord) => r.ttfo_ms },
  dispatch_delay_ms: { over: 'sent', value: (r: LoadRequestRecord) => r.dispatch_delay_ms },
  ttft_from_schedule_ms: { over: 'ok', value: (r: LoadRequestRecord) => r.ttft_from_schedule_ms },
  e2e_from_schedule_ms: { over: 'ok', value: (r: LoadRequestRecord) => r.e2e_from_schedule_ms },
} as const;

type LoadStatKey = keyof typeof LOAD_STATS;

/**
 * What a load run achieved, one request at a time as they end, so that a run of any length is
 * summarised in the same memory: counts, the window, goodput, the load statistics, the standard
 * summary and the server check (exact up to `limit` values per metric, from sketches past it).
 */
export class LoadTally {
  private requests = 0;
  private sent = 0;
  private ok = 0;
  private late = 0;
  private interrupted = 0;
  private shortOutputs = 0;
  private promptMismatches = 0;
  private good = 0;
  private outputTokens = 0;
  private inputTokens = 0;
  private allTokens = 0;
  private firstStart = Infinity;
  private lastStart = -Infinity;
  private lastEnd = -Infinity;
  private readonly failures: Record<string, number> = {};
  private readonly notSent: Record<string, number> = {};
  private readonly sinks: Record<LoadStatKey, MetricSink>;
  private readonly measures: SummaryTally;
  private readonly check: ServerCheckTally;
  /** The failure of the lowest-indexed request that failed. */
  firstFailure: { index: number; failure: NonNullable<LoadRequestRecord['failure']> } | null = null;
  /** Several --url values: a tally of each replica's own requests. */
  private readonly replicas: LoadTally[];
  /** --multi-turn: a tally of each turn's requests, and each session's span and whether a turn of it failed. */
  private readonly turns = new Map<number, LoadTally>();
  private readonly spans = new Map<number, { first: number; last: number; failed: boolean }>();
  private readonly check0: { reuse: PromptReuse; model: string };
  private readonly limit: number;

  constructor(
    private readonly settings: LoadSettings,
    check: { reuse: PromptReuse; model: string },
    limit = EXACT_VALUES_LIMIT,
  ) {
    this.sinks = Object.fromEntries(Object.keys(LOAD_STATS).map((k) => [k, new MetricSink(k, limit)])) as Record<LoadStatKey, MetricSink>;
    this.measures = new SummaryTally(limit);
    this.check = new ServerCheckTally(check.reuse, check.model);
    const urls = settings.replicas?.urls ?? [];
    this.replicas = urls.map(() => new LoadTally({ ...settings, replicas: null }, check, limit));
    this.check0 = check;
    this.limit = limit;
  }

  /** How many requests were added. */
  get count(): number {
    return this.requests;
  }

  add(r: LoadRequestRecord): void {
    if (r.replica !== undefined) this.replicas[r.replica]?.add(r);
    if (r.turn !== undefined && this.settings.sessions) {
      let t = this.turns.get(r.turn);
      if (!t) this.turns.set(r.turn, (t = new LoadTally({ ...this.settings, replicas: null, sessions: null }, this.check0, this.limit)));
      t.add(r);
    }
    if (r.session !== undefined && this.settings.sessions) {
      const span = this.spans.get(r.session) ?? { first: Infinity, last: -Infinity, failed: false };
      span.failed ||= !r.ok;
      if (r.dispatch_delay_ms !== null) {
        span.first = Math.min(span.first, r.t0_ms);
        span.last = Math.max(span.last, r.t0_ms + (r.e2e_ms ?? 0));
      }
      this.spans.set(r.session, span);
    }
    this.requests++;
    const sent = r.dispatch_delay_ms !== null;
    if (r.failure && sent && r.failure.kind === 'interrupted') {
      // cut by the run's interrupt: the server was not at fault
      this.interrupted++;
    } else if (r.failure) {
      // one account: scheduled = sent + dropped (never sent), sent = ok + failed (by kind) + interrupted
      const into = sent ? this.failures : this.notSent;
      into[r.failure.kind] = (into[r.failure.kind] ?? 0) + 1;
      if (!this.firstFailure || r.index < this.firstFailure.index) this.firstFailure = { index: r.index, failure: r.failure };
    }
    if (sent) {
      this.sent++;
      this.firstStart = Math.min(this.firstStart, r.t0_ms);
      this.lastStart = Math.max(this.lastStart, r.t0_ms);
      this.lastEnd = Math.max(this.lastEnd, r.t0_ms + (r.e2e_ms ?? 0));
      if ((r.dispatch_delay_ms as number) > this.settings.late_ms) this.late++;
    }
    if (r.ok) {
      this.ok++;
      this.outputTokens += r.output_tokens;
      this.inputTokens += r.prompt_tokens ?? r.input_tokens ?? 0;
      if (r.output_tokens !== r.max_tokens) this.shortOutputs++;
    }
    for (const [key, { over, value }] of Object.entries(LOAD_STATS) as [LoadStatKey, (typeof LOAD_STATS)[LoadStatKey]][]) {
      const v = over === 'ok' ? (r.ok ? value(r) : null) : sent ? value(r) : null;
      if (v !== null) this.sinks[key].add(v);
    }
    const measure = requestMeasure(r);
    if (measure) this.measures.add(measure);
    if (promptMismatch(r)) this.promptMismatches++;
    if (meetsSlo(r, this.settings.slo)) this.good++;
    this.allTokens += r.output_tokens;
    this.check.add(r);
  }

  /** The standard summary (TTFT, ITL, e2e, tokens/s) over the requests that succeeded with N >= 2 tokens. */
  summary(): Summary | null {
    return this.measures.count > 0 ? this.measures.summary() : null;
  }

  serverCheck(): ServerCheck | null {
    return this.check.result();
  }

  /** What the run achieved over its window, first send to last end. */
  load(schedule: readonly number[] | null, client: ClientCost): LoadSummary {
    const settings = this.settings;
    const windowMs = this.sent > 0 ? this.lastEnd - this.firstStart : 0;
    // a closed loop bounded by a count schedules that many; one bounded by a duration, what it started
    const counted = settings.mode === 'closed' && settings.duration_s === null ? (settings.requests ?? 0) : 0;
    const scheduled = schedule ? schedule.length : Math.max(this.requests, counted);
    const notSent = { ...this.notSent };
    if (scheduled > this.requests) notSent.not_attempted = scheduled - this.requests;
    const slo = settings.slo;
    const hasSlo = slo.ttft_ms !== null || slo.tpot_ms !== null || slo.e2e_ms !== null;
    const stat = (k: LoadStatKey): SinkStats | null => this.sinks[k].stats();
    return {
      window_s: windowMs / 1000,
      target_rate: settings.mode === 'open' ? settings.request_rate : null,
      schedule_rate: schedule ? ratePerS(schedule) : null,
      achieved_rate: rateOver(this.sent, this.firstStart, this.lastStart),
      request_throughput: perSecond(this.ok, windowMs),
      output_throughput: perSecond(this.outputTokens, windowMs),
      total_throughput: perSecond(this.inputTokens + this.outputTokens, windowMs),
      tokens: { input: this.inputTokens, output: this.outputTokens },
      counts: {
        scheduled,
        sent: this.sent,
        ok: this.ok,
        failed: this.sent - this.ok - this.interrupted,
        interrupted: this.interrupted,
        dropped: scheduled - this.sent,
        late: this.late,
        short_outputs: this.shortOutputs,
        prompt_mismatches: this.promptMismatches,
      },
      failures: { ...this.failures },
      not_sent: notSent,
      // errors stay in the denominator: a server that fails fast must not look good
      goodput: hasSlo ? { slo, good: this.good, fraction: this.requests > 0 ? this.good / this.requests : 0, rate: perSecond(this.good, windowMs) } : null,
      stats: { ttfb_ms: stat('ttfb_ms'), ttfo_ms: stat('ttfo_ms'), dispatch_delay_ms: stat('dispatch_delay_ms'), ttft_from_schedule_ms: stat('ttft_from_schedule_ms'), e2e_from_schedule_ms: stat('e2e_from_schedule_ms') },
      client: {
        cpu_ms: client.cpuMs,
        cpu_us_per_token: this.allTokens > 0 ? (client.cpuMs * 1000) / this.allTokens : null,
        event_loop_lag_ms: client.lag,
        warning: client.warning,
        ...(client.warmupChunks !== undefined ? { warmup_chunks: client.warmupChunks } : {}),
      },
      ...(this.replicas.length > 0 ? { replicas: this.replicaFigures() } : {}),
      ...(this.settings.sessions ? this.sessionFigures() : {}),
    };
  }

  /** --multi-turn: each turn's figures (TTFT by turn shows what a prefix cache does for the history), and the sessions'. */
  private sessionFigures(): Pick<LoadSummary, 'turns' | 'sessions'> {
    const pair = (x: { p50: number; p99: number } | null | undefined): { p50: number; p99: number } | null => (x ? { p50: x.p50, p99: x.p99 } : null);
    const turns = [...this.turns.entries()]
      .sort(([a], [b]) => a - b)
      .map(([turn, t]) => ({ turn, sent: t.sent, ok: t.ok, ttft_ms: pair(t.summary()?.ttft_ms), e2e_ms: pair(t.summary()?.e2e_ms) }));
    const durations = sortAscending([...this.spans.values()].filter((x) => !x.failed).map((x) => (x.last - x.first) / 1000));
    return {
      turns,
      sessions: {
        count: this.spans.size,
        completed: durations.length,
        duration_s: durations.length > 0 ? { p50: quantileSorted(durations, 0.5), p99: quantileSorted(durations, 0.99) } : null,
      },
    };
  }

  /** Each replica's own figures: its requests, throughput over its own window, TTFT and e2e. */
  private replicaFigures(): NonNullable<LoadSummary['replicas']> {
    const urls = this.settings.replicas?.urls ?? [];
    return this.replicas.map((t, i) => {
      const windowMs = t.sent > 0 ? t.lastEnd - t.firstStart : 0;
      const summary = t.summary();
      const pair = (x: { p50: number; p99: number } | null | undefined): { p50: number; p99: number } | null => (x ? { p50: x.p50, p99: x.p99 } : null);
      return {
        url: urls[i] as string,
        sent: t.sent,
        ok: t.ok,
        failed: t.sent - t.ok - t.interrupted,
        request_throughput: perSecond(t.ok, windowMs),
        output_throughput: perSecond(t.outputTokens, windowMs),
        ttft_ms: pair(summary?.ttft_ms),
        e2e_ms: pair(summary?.e2e_ms),
      };
    });
  }
}

/** A tally of `requests` (all in memory: tests, small runs). */
function tallyOf(requests: readonly LoadRequestRecord[], settings: LoadSettings): LoadTally {
  const tally = new LoadTally(settings, { reuse: { mode: 'unique' }, model: '' });
  for (const r of requests) tally.add(r);
  return tally;
}

/** What a load run achieved over its window, first send to last end. */
export function summarizeLoad(requests: readonly LoadRequestRecord[], settings: LoadSettings, schedule: readonly number[] | null, client: ClientCost): LoadSummary {
  return tallyOf(requests, settings).load(schedule, client);
}
