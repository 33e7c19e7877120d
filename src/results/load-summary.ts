/** The summary of a load run: the usual statistics over its successful requests, and what the run achieved. */
import { type IterationMetrics, meetsSlo, metricsFromMs, perSecond, promptMismatch, ratePerS } from './metrics.js';
import type { LoadRequestRecord, LoadSettings, LoadSummary, Summary } from './schema.js';
import { summarize } from './statistics.js';
import { summarizeIterations } from './summary.js';

export interface ClientCost {
  cpuMs: number;
  lag: { p50: number; p99: number; max: number };
  warning: string | null;
}

/** The per-iteration metrics of each request that succeeded with N >= 2 tokens (what a summary or a comparison is made of). */
export function requestMeasures(requests: readonly LoadRequestRecord[]): IterationMetrics[] {
  return requests.filter((r) => r.ok && r.token_ms.length >= 2 && r.e2e_ms !== null).map((r) => metricsFromMs(r.e2e_ms as number, r.token_ms, 1));
}

/** The standard summary (TTFT, ITL, e2e, tokens/s) over the requests that succeeded with N >= 2 tokens. */
export function summarizeRequests(requests: readonly LoadRequestRecord[]): Summary | null {
  const measured = requestMeasures(requests);
  return measured.length > 0 ? summarizeIterations(measured) : null;
}

const values = (requests: readonly LoadRequestRecord[], f: (r: LoadRequestRecord) => number | null): number[] =>
  requests.map(f).filter((v): v is number => v !== null);

/** What a load run achieved over its window, first send to last end. */
export function summarizeLoad(requests: readonly LoadRequestRecord[], settings: LoadSettings, schedule: readonly number[] | null, client: ClientCost): LoadSummary {
  const sent = requests.filter((r) => r.dispatch_delay_ms !== null);
  const ok = requests.filter((r) => r.ok);
  const starts = sent.map((r) => r.t0_ms);
  const ends = sent.map((r) => r.t0_ms + (r.e2e_ms ?? 0));
  const windowMs = sent.length > 0 ? Math.max(...ends) - Math.min(...starts) : 0;
  const outputTokens = ok.reduce((sum, r) => sum + r.output_tokens, 0);
  // one account: scheduled = sent + dropped (never sent), sent = ok + failed (by kind)
  const failures: Record<string, number> = {};
  const notSent: Record<string, number> = {};
  for (const r of requests) {
    const into = r.dispatch_delay_ms === null ? notSent : failures;
    if (r.failure) into[r.failure.kind] = (into[r.failure.kind] ?? 0) + 1;
  }
  // a closed loop bounded by a count schedules that many; one bounded by a duration, what it started
  const counted = settings.mode === 'closed' && settings.duration_s === null ? (settings.requests ?? 0) : 0;
  const scheduled = schedule ? schedule.length : Math.max(requests.length, counted);
  if (scheduled > requests.length) notSent.not_attempted = scheduled - requests.length;
  const slo = settings.slo;
  const hasSlo = slo.ttft_ms !== null || slo.tpot_ms !== null || slo.e2e_ms !== null;
  const good = requests.filter((r) => meetsSlo(r, slo)).length;
  const allTokens = requests.reduce((sum, r) => sum + r.output_tokens, 0);
  return {
    window_s: windowMs / 1000,
    target_rate: settings.mode === 'open' ? settings.request_rate : null,
    schedule_rate: schedule ? ratePerS(schedule) : null,
    achieved_rate: ratePerS(starts),
    request_throughput: perSecond(ok.length, windowMs),
    output_throughput: perSecond(outputTokens, windowMs),
    counts: {
      scheduled,
      sent: sent.length,
      ok: ok.length,
      failed: sent.length - ok.length,
      dropped: scheduled - sent.length,
      late: sent.filter((r) => (r.dispatch_delay_ms as number) > settings.late_ms).length,
      short_outputs: ok.filter((r) => r.output_tokens !== r.max_tokens).length,
      prompt_mismatches: requests.filter(promptMismatch).length,
    },
    failures,
    not_sent: notSent,
    // errors stay in the denominator: a server that fails fast must not look good
    goodput: hasSlo ? { slo, good, fraction: requests.length > 0 ? good / requests.length : 0, rate: perSecond(good, windowMs) } : null,
    stats: {
      ttfb_ms: summarize(values(ok, (r) => r.ttfb_ms)),
      ttfo_ms: summarize(values(ok, (r) => r.ttfo_ms)),
      dispatch_delay_ms: summarize(values(sent, (r) => r.dispatch_delay_ms)),
      ttft_from_schedule_ms: summarize(values(ok, (r) => r.ttft_from_schedule_ms)),
      e2e_from_schedule_ms: summarize(values(ok, (r) => r.e2e_from_schedule_ms)),
    },
    client: {
      cpu_ms: client.cpuMs,
      cpu_us_per_token: allTokens > 0 ? (client.cpuMs * 1000) / allTokens : null,
      event_loop_lag_ms: client.lag,
      warning: client.warning,
    },
  };
}
