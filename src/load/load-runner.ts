/**
 * One load run against a server: warmup requests, then a closed loop (N workers, each sending its
 * next request as soon as its last one ends) or an open loop (requests sent on a schedule computed
 * up front, whether or not earlier ones have finished). Every request keeps when it was due, when
 * it was actually written and the delay between, so time spent waiting to be sent is never hidden.
 */
import { holdLoopAwake } from '../http/busy-poll.js';
import { httpRequestRecord, type OpenAiClient } from '../http/openai-client.js';
import { msBetween } from '../results/metrics.js';
import type { LoadRequestRecord, LoadSettings } from '../results/schema.js';
import { arrivalSchedule } from './arrivals.js';
import { EventLoopLag, type LoopLag } from './event-loop-lag.js';
import type { LoadPrompt } from './prompts.js';

export interface LoadRun {
  requests: LoadRequestRecord[];
  /** Open loop: the drawn schedule (ms); closed loop: null. */
  schedule: number[] | null;
  cpuMs: number;
  lag: LoopLag;
}

export interface LoadRunOptions {
  signal?: AbortSignal;
  /** Called after every finished measured request: how many are done, and its output tokens. */
  onRequest?: (done: number, outputTokens: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until `due` (ns). Timers run on libuv's millisecond clock, so a busy-polling run sleeps
 * only to within 2 ms of the due time and then watches the clock turn by turn.
 */
async function untilDue(due: bigint, busyPoll: boolean): Promise<void> {
  for (let wait = Number(due - process.hrtime.bigint()) / 1e6; wait > 0; wait = Number(due - process.hrtime.bigint()) / 1e6) {
    if (!busyPoll) await sleep(wait);
    else if (wait > 2) await sleep(wait - 2);
    else await nextTurn();
  }
}

/** Runs `count` requests through `workers` closed-loop workers, until `stopAt` (ns) if given. */
async function closedLoop(workers: number, count: number | null, stopAt: bigint | null, signal: AbortSignal | undefined, send: (i: number, due: bigint) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const now = process.hrtime.bigint();
      if ((count !== null && next >= count) || (stopAt !== null && now >= stopAt) || signal?.aborted) return;
      await send(next++, now);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

export async function runLoad(client: OpenAiClient, prompts: readonly LoadPrompt[], s: LoadSettings, options: LoadRunOptions = {}): Promise<LoadRun> {
  const { signal } = options;
  const promptFor = (i: number): LoadPrompt => prompts[i % prompts.length] as LoadPrompt;

  // warmup: opens the pool's connections and wakes the server; nothing is recorded
  const warmWorkers = Math.max(1, Math.min(s.warmup_requests, s.concurrency ?? s.max_concurrency ?? 16));
  await closedLoop(warmWorkers, s.warmup_requests, null, signal, async (i) => {
    // from the end of the list: a warmup must not put a measured prompt in the server's prefix cache
    const p = promptFor(prompts.length - 1 - (i % prompts.length));
    await client.send(p.prompt, p.outputTokens, signal);
  });

  // busy polling covers the whole measured phase, so send times are not late by a wake-up either
  const release = client.target.busyPoll ? holdLoopAwake() : null;
  const requests: LoadRequestRecord[] = [];
  const lag = new EventLoopLag();
  lag.start();
  const cpu0 = process.cpuUsage();
  const origin = process.hrtime.bigint();

  const send = async (index: number, due: bigint): Promise<void> => {
    const p = promptFor(index);
    const r = await client.send(p.prompt, p.outputTokens, signal);
    const base = httpRequestRecord(r, origin, p.inputTokens, p.overhead);
    const scheduled = msBetween(origin, due);
    const sent = r.exchange.t0 !== null;
    const delay = sent ? base.t0_ms - scheduled : null;
    requests.push({
      ...base,
      t0_ms: sent ? base.t0_ms : scheduled,
      index,
      max_tokens: p.outputTokens,
      scheduled_ms: scheduled,
      dispatch_delay_ms: delay,
      ttft_from_schedule_ms: delay !== null && base.ttft_ms !== null ? delay + base.ttft_ms : null,
      e2e_from_schedule_ms: delay !== null && base.e2e_ms !== null ? delay + base.e2e_ms : null,
      token_ms: r.metrics?.token_ms ?? [],
    });
    options.onRequest?.(requests.length, r.reading.outputTokens);
  };

  let schedule: number[] | null = null;
  const stopAt = s.duration_s === null ? null : origin + BigInt(Math.round(s.duration_s * 1e9));
  try {
    if (s.mode === 'closed') {
      await closedLoop(s.concurrency ?? 1, s.requests, stopAt, signal, send);
    } else {
      schedule = arrivalSchedule({ rate: s.request_rate ?? 1, arrival: s.arrival, burstiness: s.burstiness, seed: s.seed, requests: s.requests, durationS: s.duration_s });
      const inFlight: Promise<void>[] = [];
      for (const [i, atMs] of schedule.entries()) {
        const due = origin + BigInt(Math.round(atMs * 1e6));
        // requests already overdue go at once, so lateness never accumulates
        await untilDue(due, client.target.busyPoll);
        if (signal?.aborted) break;
        inFlight.push(send(i, due));
      }
      await Promise.all(inFlight);
    }
  } finally {
    release?.();
  }

  const cpu = process.cpuUsage(cpu0);
  const loopLag = lag.stop();
  requests.sort((a, b) => a.index - b.index);
  return { requests, schedule, cpuMs: (cpu.user + cpu.system) / 1000, lag: loopLag };
}
