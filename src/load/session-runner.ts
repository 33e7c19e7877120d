/**
 * A multi-turn load run: sessions start on the open-loop schedule (one arrival per session), and
 * within a session turn k is due when turn k-1's reply has ended plus the think time; it carries the
 * whole chat so far (the conversation's system message, every earlier user message and the reply
 * actually received, in order) and nothing of tokenbench's own. Every turn is one request record (its session and turn named), due
 * when its think time passed, so a late send shows as its dispatch delay. A turn that fails ends its
 * session; its later turns, and those a stop or the end of the run cut, are recorded as never sent.
 */
import type { ChatMessage } from '../http/openai-client.js';
import { holdLoopAwake } from '../http/busy-poll.js';
import type { LoadRequestRecord, LoadSettings } from '../results/schema.js';
import { msBetween } from '../results/metrics.js';
import { scheduleOf } from './arrivals.js';
import { EventLoopLag } from './event-loop-lag.js';
import { type LoadRun, type LoadRunOptions, loadRequestRecord, untilDue } from './load-runner.js';
import type { LoadSender } from './replicas.js';
import type { SessionSpec } from './sessions.js';

/** The record of a turn that was never sent: why, and when it was given up. */
function unsent(index: number, session: number, turn: number, maxTokens: number, atMs: number, kind: string, message: string): LoadRequestRecord {
  return {
    t0_ms: atMs,
    status: null,
    ok: false,
    failure: { kind, message },
    ttfb_ms: null,
    ttft_ms: null,
    ttfo_ms: null,
    last_token_ms: null,
    e2e_ms: null,
    itl_ms: null,
    output_tokens: 0,
    input_tokens: null,
    prompt_tokens: null,
    token_source: 'chunks',
    reads: 0,
    response_id: null,
    index,
    max_tokens: maxTokens,
    scheduled_ms: atMs,
    dispatch_delay_ms: null,
    ttft_from_schedule_ms: null,
    e2e_from_schedule_ms: null,
    token_ms: [],
    session,
    turn,
  };
}

export async function runSessions(sender: LoadSender, sessions: readonly SessionSpec[], s: LoadSettings, options: LoadRunOptions = {}): Promise<LoadRun> {
  const { signal, part } = options;
  const cut = options.cut ?? signal;
  const thinkNs = BigInt(Math.round((s.sessions?.think_time_ms ?? 0) * 1e6));
  // session i starts at the schedule's i-th arrival; a part runs the sessions i with i mod count = index
  const starts = scheduleOf({ ...s, requests: Math.min(s.requests ?? sessions.length, sessions.length) });
  const firstIndex: number[] = [];
  sessions.reduce((n, spec, i) => ((firstIndex[i] = n), n + spec.turns.length), 0);
  const mine = [...starts.entries()].filter(([i]) => !part || i % part.count === part.index);
  await options.beforeMeasure?.();

  const release = sender.target.busyPoll ? holdLoopAwake() : null;
  const requests: LoadRequestRecord[] = [];
  const keep = (r: LoadRequestRecord): void => (options.onRecord ? options.onRecord(r) : void requests.push(r));
  let done = 0;
  const lag = new EventLoopLag();
  lag.start();
  const cpu0 = process.cpuUsage();
  const origin = process.hrtime.bigint();
  const stopAt = s.duration_s === null ? null : origin + BigInt(Math.round(s.duration_s * 1e9));

  const session = async (i: number, startMs: number): Promise<void> => {
    const spec = sessions[i] as SessionSpec;
    // the conversation's own system message, if it has one; nothing of tokenbench's
    const history: ChatMessage[] = spec.system === null ? [] : [{ role: 'system', content: spec.system }];
    let due = origin + BigInt(Math.round(startMs * 1e6));
    for (const [k, turn] of spec.turns.entries()) {
      const index = (firstIndex[i] as number) + k;
      if (!signal?.aborted) await untilDue(due, sender.target.busyPoll);
      const stopped = signal?.aborted ? 'interrupted' : stopAt !== null && process.hrtime.bigint() >= stopAt ? 'not_attempted' : null;
      if (stopped) {
        const at = msBetween(origin, process.hrtime.bigint());
        spec.turns.slice(k).forEach((t, j) => keep(unsent(index + j, i, k + j, t.outputTokens, at, stopped, stopped === 'interrupted' ? 'the run was stopped before this turn' : 'the run ended before this turn')));
        return;
      }
      const messages: ChatMessage[] = [...history, { role: 'user', content: turn.user }];
      const r = await sender.send({ messages }, turn.outputTokens, cut, { wholeText: true });
      keep({ ...loadRequestRecord(r, origin, due, index, { inputTokens: null, overhead: null, outputTokens: turn.outputTokens }), session: i, turn: k });
      options.onRequest?.(++done, r.reading.outputTokens);
      if (r.reading.failure !== null) {
        // without its reply the conversation cannot go on
        const at = msBetween(origin, r.exchange.endedAt);
        spec.turns.slice(k + 1).forEach((t, j) => keep(unsent(index + 1 + j, i, k + 1 + j, t.outputTokens, at, 'session_ended', `turn ${k} failed (${r.reading.failure?.kind}): the session cannot go on without its reply`)));
        return;
      }
      history.push({ role: 'user', content: turn.user }, { role: 'assistant', content: r.reading.text });
      due = r.exchange.endedAt + thinkNs;
    }
  };

  const running: Promise<void>[] = [];
  try {
    for (const [i, atMs] of mine) {
      // after a stop every session left is recorded at once as never sent
      if (!signal?.aborted) await untilDue(origin + BigInt(Math.round(atMs * 1e6)), sender.target.busyPoll);
      running.push(session(i, atMs));
    }
    await Promise.all(running);
  } finally {
    release?.();
  }
  const cpu = process.cpuUsage(cpu0);
  const loopLag = lag.stop();
  requests.sort((a, b) => a.index - b.index);
  // every turn has its record, sent or not: the count scheduled is the records', not an arrival schedule's
  return { requests, schedule: null, cpuMs: (cpu.user + cpu.system) / 1000, lag: loopLag, originNs: origin, ramp: null };
}
