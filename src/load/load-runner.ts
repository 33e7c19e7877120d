/**
 * One load run against a server: warmup requests, then a closed loop (N workers, each sending its
 * next request as soon as its last one ends) or an open loop (requests sent on a schedule computed
 * up front, whether or not earlier ones have finished). Every request keeps when it was due, when
 * it was actually written and the delay between, so time spent waiting to be sent is never hidden.
 */
import { type Shard, shareOf } from '../config/shard.js';
import { holdLoopAwake } from '../http/busy-poll.js';
import { httpRequestRecord, type RequestResult } from '../http/openai-client.js';
import { msBetween } from '../results/metrics.js';
import type { LoadRequestRecord, LoadSettings } from '../results/schema.js';
import { rampSchedule, scheduleOf } from './arrivals.js';
import { EventLoopLag, type LoopLag } from './event-loop-lag.js';
import type { LoadPrompt } from './prompts.js';
import type { LoadSender } from './replicas.js';

export interface LoadRun {
  /** Every measured request by index; empty when they went to `onRecord` instead. */
  requests: LoadRequestRecord[];
  /** Open loop: the drawn schedule (ms), this part's entries when it is a part; closed loop: null. */
  schedule: number[] | null;
  cpuMs: number;
  lag: LoopLag;
  /** When the measured phase began (process.hrtime, ns): every request time counts from it. */
  originNs: bigint;
  /** --ramp-up: what was sent while the rate rose (in no figure); null without a ramp. */
  ramp: { duration_s: number; requests: number; ok: number } | null;
}

export interface LoadRunOptions {
  /** Stops sending: no request is started once it is aborted. */
  signal?: AbortSignal;
  /** Cuts the requests in flight (default: `signal`); they are recorded as interrupted. */
  cut?: AbortSignal;
  /**
   * One part of a load run split over processes or machines (--shard): an open loop sends the
   * requests j of the whole run's schedule with j mod count = index; a closed loop runs its share
   * of the workers and of the requests. Every part draws the same schedule and prompts from the seed.
   */
  part?: Shard;
  /** Called after the warmup; the measured phase starts when it resolves (the parts' agreed instant). */
  beforeMeasure?: () => Promise<void>;
  /** Called after every finished measured request: how many are done, and its output tokens. */
  onRequest?: (done: number, outputTokens: number) => void;
  /** Takes every measured request's record as it ends; when given, records are not kept in memory (a run of hours). */
  onRecord?: (record: LoadRequestRecord) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until `due` (ns). Timers run on libuv's millisecond clock, so a busy-polling run sleeps
 * only to within 2 ms of the due time and then watches the clock turn by turn.
 */
export async function untilDue(due: bigint, busyPoll: boolean): Promise<void> {
  for (let wait = Number(due - process.hrtime.bigint()) / 1e6; wait > 0; wait = Number(due - process.hrtime.bigint()) / 1e6) {
    if (!busyPoll) await sleep(wait);
    else if (wait > 2) await sleep(wait - 2);
    else await nextTurn();
  }
}

/**
 * Runs `count` requests through `workers` closed-loop workers, until `stopAt` (ns) if given. The
 * k-th request gets index `indexOf(k)` (a part's own indexes in the whole run).
 */
async function closedLoop(workers: number, count: number | null, stopAt: bigint | null, signal: AbortSignal | undefined, send: (i: number, due: bigint) => Promise<void>, indexOf: (k: number) => number = (k) => k): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const now = process.hrtime.bigint();
      if ((count !== null && next >= count) || (stopAt !== null && now >= stopAt) || signal?.aborted) return;
      await send(indexOf(next++), now);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

/**
 * The settings of one part of a load run, as it runs and is summarised: its share of the rate, the
 * workers, the requests and the warmups (the whole run's settings when there are no parts). The
 * schedule is still drawn for the whole run.
 */
export function settingsOfPart(s: LoadSettings, part: Shard | undefined): LoadSettings {
  if (!part) return s;
  const share = (n: number): number => shareOf(n, part);
  return {
    ...s,
    request_rate: s.request_rate === null ? null : s.request_rate / part.count,
    concurrency: s.concurrency === null ? null : share(s.concurrency),
    requests: s.requests === null ? null : share(s.requests),
    warmup_requests: share(s.warmup_requests),
    max_concurrency: s.max_concurrency === null ? null : share(s.max_concurrency),
  };
}

/** The record of request `index` of a load run: its own timings, and those from when it was due (`due`, ns), all after `origin`. */
export function loadRequestRecord(r: RequestResult & { replica?: number }, origin: bigint, due: bigint, index: number, p: Pick<LoadPrompt, 'inputTokens' | 'overhead' | 'outputTokens'>): LoadRequestRecord {
  const base = httpRequestRecord(r, origin, p.inputTokens, p.overhead);
  const scheduled = msBetween(origin, due);
  const sent = r.exchange.t0 !== null;
  const delay = sent ? base.t0_ms - scheduled : null;
  return {
    ...base,
    t0_ms: sent ? base.t0_ms : scheduled,
    index,
    max_tokens: p.outputTokens,
    scheduled_ms: scheduled,
    dispatch_delay_ms: delay,
    ttft_from_schedule_ms: delay !== null && base.ttft_ms !== null ? delay + base.ttft_ms : null,
    e2e_from_schedule_ms: delay !== null && base.e2e_ms !== null ? delay + base.e2e_ms : null,
    token_ms: r.metrics?.token_ms ?? [],
    ...(r.replica !== undefined ? { replica: r.replica } : {}),
  };
}

export async function runLoad(client: LoadSender, prompts: readonly LoadPrompt[], s: LoadSettings, options: LoadRunOptions = {}): Promise<LoadRun> {
  const { signal, part } = options;
  const cut = options.cut ?? signal;
  const promptFor = (i: number): LoadPrompt => prompts[i % prompts.length] as LoadPrompt;
  const own = settingsOfPart(s, part);
  // an open loop's send times (this part's entries of the whole schedule), drawn before the clock starts
  const mine = s.mode === 'open' ? [...scheduleOf(s).entries()].filter(([i]) => !part || i % part.count === part.index) : [];

  // warmup: opens the pool's connections and wakes the server; nothing is recorded
  const warmWorkers = Math.max(1, Math.min(own.warmup_requests, own.concurrency ?? own.max_concurrency ?? 16));
  await closedLoop(warmWorkers, own.warmup_requests, null, signal, async (i) => {
    // from the end of the list: a warmup must not put a measured prompt in the server's prefix cache
    const p = promptFor(prompts.length - 1 - (i % prompts.length));
    await client.send(p.prompt, p.outputTokens, cut);
  });
  await options.beforeMeasure?.();

  // busy polling covers the ramp and the whole measured phase, so send times are not late by a wake-up either
  const release = client.target.busyPoll ? holdLoopAwake() : null;
  // the ramp: sent from here, the rate rising to the target; the measured phase starts as it ends,
  // with its requests still in flight (the point of a ramp: the server is loaded when measuring starts)
  const rampS = s.mode === 'open' ? (s.ramp_up_s ?? null) : null;
  const rampOk = { sent: 0, ok: 0 };
  const rampFlight: Promise<void>[] = [];
  let rampEnd: bigint | null = null;
  if (rampS !== null) {
    const start = process.hrtime.bigint();
    rampEnd = start + BigInt(Math.round(rampS * 1e9));
    const times = rampSchedule(own.request_rate ?? 1, s.arrival === 'trace' ? 'poisson' : s.arrival, s.burstiness, s.seed + (part?.index ?? 0), rampS);
    for (const [j, atMs] of times.entries()) {
      await untilDue(start + BigInt(Math.round(atMs * 1e6)), client.target.busyPoll);
      if (signal?.aborted) break;
      // from the end of the list, past the warmups' prompts: no measured prompt is sent early
      const p = promptFor(prompts.length - 1 - own.warmup_requests - j);
      rampOk.sent++;
      rampFlight.push(client.send(p.prompt, p.outputTokens, cut).then((r) => void (r.reading.failure === null ? rampOk.ok++ : undefined)));
    }
    await untilDue(rampEnd, client.target.busyPoll);
  }
  const requests: LoadRequestRecord[] = [];
  let done = 0;
  const lag = new EventLoopLag();
  lag.start();
  const cpu0 = process.cpuUsage();
  const origin = rampEnd ?? process.hrtime.bigint();

  const send = async (index: number, due: bigint): Promise<void> => {
    const p = promptFor(index);
    const r = await client.send(p.prompt, p.outputTokens, cut);
    const record = loadRequestRecord(r, origin, due, index, p);
    if (options.onRecord) options.onRecord(record);
    else requests.push(record);
    options.onRequest?.(++done, r.reading.outputTokens);
  };

  let schedule: number[] | null = null;
  const stopAt = s.duration_s === null ? null : origin + BigInt(Math.round(s.duration_s * 1e9));
  try {
    if (s.mode === 'closed') {
      await closedLoop(own.concurrency ?? 1, own.requests, stopAt, signal, send, part ? (k) => part.index + k * part.count : undefined);
    } else {
      schedule = mine.map(([, atMs]) => atMs);
      const inFlight: Promise<void>[] = [];
      for (const [i, atMs] of mine) {
        const due = origin + BigInt(Math.round(atMs * 1e6));
        // requests already overdue go at once, so lateness never accumulates
        await untilDue(due, client.target.busyPoll);
        if (signal?.aborted) break;
        inFlight.push(send(i, due));
      }
      await Promise.all(inFlight);
    }
    await Promise.all(rampFlight);
  } finally {
    release?.();
  }

  const cpu = process.cpuUsage(cpu0);
  const loopLag = lag.stop();
  requests.sort((a, b) => a.index - b.index);
  const ramp = rampS === null ? null : { duration_s: rampS, requests: rampOk.sent, ok: rampOk.ok };
  return { requests, schedule, cpuMs: (cpu.user + cpu.system) / 1000, lag: loopLag, originNs: origin, ramp };
}
