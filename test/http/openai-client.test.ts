/**
 * The OpenAI client against the scripted server: every metric against the server's schedule and
 * its own log of when it wrote each chunk, every token source, every failure classification.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { OpenAiClient, type OpenAiApi, type RequestResult } from '../../src/http/openai-client.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

async function send(model: string, n = 8, api: OpenAiApi = 'completions', opts: { logprobs?: boolean; usage?: boolean; idleMs?: number; url?: string; busyPoll?: boolean } = {}): Promise<RequestResult> {
  const client = new OpenAiClient(
    { url: opts.url ?? server.url, model, api, apiKey: null, ignoreEos: true, logprobs: opts.logprobs ?? true, usage: opts.usage ?? true, idleTimeoutMs: opts.idleMs ?? 10_000, totalTimeoutMs: 20_000, busyPoll: opts.busyPoll ?? false },
    1,
  );
  try {
    return await client.send({ text: 'a b c d' }, n);
  } finally {
    await client.close();
  }
}

const logOf = (r: RequestResult) => {
  const entry = server.log.find((e) => e.id === r.reading.responseId);
  assert.ok(entry, 'the server logged the request');
  return entry;
};

test('metrics follow the schedule: TTFT, ITL and every stamp after the server wrote the chunk', async () => {
  const r = await send('ttft=40,itl=8', 10);
  assert.equal(r.reading.failure, null);
  assert.equal(r.reading.source, 'logprobs');
  assert.equal(r.reading.outputTokens, 10);
  const m = r.metrics;
  assert.ok(m);
  // scheduled: 40 ms after the request arrived, then every 8 ms; timers may only be late, so
  // these are lower bounds, and the stamps are checked against the server's write log below
  assert.ok((m.ttft_ms as number) >= 40, `ttft ${m.ttft_ms}`);
  assert.equal(m.ttft_ms, m.token_ms[0]);
  assert.equal(m.itl_ms, ((m.token_ms[9] as number) - (m.token_ms[0] as number)) / 9);
  for (let k = 1; k < 10; k++) assert.ok((m.token_ms[k] as number) > (m.token_ms[k - 1] as number), `token ${k} stamped after token ${k - 1}`);
  assert.ok((m.ttfb_ms as number) < (m.ttft_ms as number));
  assert.equal(m.ttfo_ms, m.ttft_ms);
  assert.ok(m.e2e_ms >= (m.last_token_ms as number));
  // causality against the server's own write log (one clock for both): each token event arrived after it was written
  const log = logOf(r);
  const written = log.written_ns.map(BigInt).filter((_, i) => (log.tokens[i] as number) > 0);
  const t0 = r.exchange.t0 as bigint;
  assert.equal(written.length, 10);
  for (const [k, w] of written.entries()) {
    const stamp = t0 + BigInt(Math.round((m.token_ms[k] as number) * 1e6));
    assert.ok(stamp >= w, `token ${k} stamped before the server wrote it`);
  }
  assert.ok(BigInt(log.arrived_ns) > t0, 't0 is before the request reached the server');
});

test('chat: a role-only first chunk is not a token; reasoning is a token but not output (TTFT < TTFO)', async () => {
  const r = await send('ttft=10,itl=6,role_first=1,reasoning=3', 8, 'chat');
  assert.equal(r.reading.failure, null);
  const m = r.metrics as NonNullable<RequestResult['metrics']>;
  assert.equal(r.reading.outputTokens, 8);
  assert.ok((m.ttft_ms as number) >= 10, 'the role chunk at 0 ms is not the first token');
  // one token per chunk: the first output is the 4th token's read, three reads after the first token
  assert.equal(m.ttft_ms, m.token_ms[0]);
  assert.equal(m.ttfo_ms, m.token_ms[3]);
  assert.ok((m.ttfo_ms as number) > (m.ttft_ms as number));
  assert.equal(r.reading.text.startsWith(' t3'), true);
});

test('token counts: logprobs, then usage deltas, then final usage spread, then one per chunk', async () => {
  const viaLogprobs = await send('per_chunk=3,itl=4', 10);
  assert.equal(viaLogprobs.reading.source, 'logprobs');
  assert.deepEqual(viaLogprobs.reading.tokensPerArrival.filter((k) => k > 0), [3, 3, 3, 1]);
  const viaUsage = await send('per_chunk=3,itl=4,logprobs=0,usage=continuous', 10);
  assert.equal(viaUsage.reading.source, 'usage_delta');
  assert.deepEqual(viaUsage.reading.tokensPerArrival.filter((k) => k > 0), [3, 3, 3, 1]);
  const viaFinal = await send('per_chunk=3,itl=4,logprobs=0,usage=final', 10);
  assert.equal(viaFinal.reading.source, 'final_usage');
  assert.equal(viaFinal.reading.outputTokens, 10);
  assert.deepEqual(viaFinal.reading.tokensPerArrival.filter((k) => k > 0), [3, 3, 2, 2]);
  const viaChunks = await send('itl=3,logprobs=0,usage=none', 6, 'completions', { usage: false });
  assert.equal(viaChunks.reading.source, 'chunks');
  assert.equal(viaChunks.reading.outputTokens, 6);
  // 3 tokens in a chunk: 3 stamps spread over the gap since the previous chunk
  const t = (viaLogprobs.metrics as NonNullable<RequestResult['metrics']>).token_ms;
  assert.equal(t[0], t[1]);
  assert.ok(Math.abs((t[4] as number) - (t[3] as number) - ((t[5] as number) - (t[2] as number)) / 3) < 1e-6);
  assert.equal(viaLogprobs.reading.promptTokens, 4);
});

test('a server that stops early is a success with fewer tokens, found by the count check', async () => {
  const r = await send('eos_at=5', 8);
  assert.equal(r.reading.failure, null);
  assert.equal(r.reading.outputTokens, 5);
});

test('failures are classified, never thrown', async () => {
  const kinds: [string, string, RegExp][] = [
    ['fail=status,status=429', 'http_status', /^HTTP 429: scripted status 429$/],
    ['fail=error_event,fail_at=2', 'server_error', /scripted failure/],
    ['fail=malformed,fail_at=1', 'malformed', /not JSON/],
    ['fail=cut,fail_at=3', 'truncated', /cut after 3 events/],
  ];
  for (const [model, kind, message] of kinds) {
    const r = await send(model, 8);
    assert.equal(r.reading.failure?.kind, kind, model);
    assert.match(r.reading.failure?.message ?? '', message, model);
  }
  const partial = await send('fail=error_event,fail_at=2', 8);
  assert.equal(partial.reading.outputTokens, 2, 'tokens before the error are still counted');
  const stall = await send('fail=stall,fail_at=2', 8, 'completions', { idleMs: 300 });
  assert.equal(stall.reading.failure?.kind, 'timeout');
  const slowHead = await send('first_byte=1500', 4, 'completions', { idleMs: 300 });
  assert.equal(slowHead.reading.failure?.kind, 'timeout');
  const refused = await send('x', 4, 'completions', { url: 'http://127.0.0.1:1/v1' });
  assert.equal(refused.reading.failure?.kind, 'connect');
  assert.equal(refused.metrics, null, 'never written: no t0, no metrics');
  const notFound = await send('x', 4, 'completions', { url: `${server.url.replace('/v1', '')}/nope` });
  assert.equal(notFound.reading.failure?.kind, 'http_status');
});

test('a request whose reused connection the server closed before answering is sent again and timed from the second send; one cut after a response byte is not', async () => {
  const client = new OpenAiClient(
    { url: server.url, model: 'drop_reused=1,drop_ms=300,ttft=20,itl=5', api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, busyPoll: false },
    1,
  );
  try {
    const first = await client.send({ text: 'a b c d' }, 4);
    assert.equal(first.retries, 0);
    const before = process.hrtime.bigint();
    const again = await client.send({ text: 'a b c d' }, 4);
    const waited = Number(process.hrtime.bigint() - before) / 1e6;
    assert.equal(again.reading.failure, null);
    assert.equal(again.retries, 1);
    // the first send was held 300 ms and dropped: the metrics are the second send's own
    assert.ok(waited >= 300, `${waited} ms`);
    assert.ok((again.metrics?.ttft_ms as number) < 250, `TTFT ${again.metrics?.ttft_ms} ms includes the dropped send`);
    assert.ok(Number((again.exchange.t0 as bigint) - before) / 1e6 >= 300, 't0 is taken again for the second send');
    const served = server.log.filter((e) => e.id === again.reading.responseId);
    assert.equal(served.length, 1, 'answered once');
  } finally {
    await client.close();
  }
  // cut after the first event: a failure, never sent again (a second answer would be counted twice)
  const cut = await send('fail=cut,fail_at=1', 4);
  assert.equal(cut.reading.failure?.kind, 'truncated');
  assert.equal(cut.retries, 0);
});

test('a chunk sent together with the end of the connection is counted, and the request is truncated', async () => {
  // reads are held until the check phase (read-stamps.ts): the end must not overtake them
  for (const [model, tokens] of [['ttft=5,itl=2,fail=fin,fail_at=3', 3], ['ttft=5,itl=2,fail=reset,fail_at=3', null]] as const) {
    for (let i = 0; i < 5; i++) {
      const r = await send(model, 8);
      assert.equal(r.reading.failure?.kind, 'truncated', model);
      // after a reset the kernel may drop what it had not yet handed over, so only the FIN case is exact
      if (tokens !== null) assert.equal(r.reading.outputTokens, tokens, model);
      assert.ok(r.reading.outputTokens >= 2, `${model}: ${r.reading.outputTokens} tokens`);
    }
  }
});

test('busy polling holds the event loop awake while a request is in flight, and lets go after', async () => {
  const immediates = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
  const pending = send('ttft=300,itl=2', 4, 'completions', { busyPoll: true });
  for (let i = 0; i < 5; i++) await nextTurn();
  assert.ok(immediates() > 0, 'polling while the request waits for its first token');
  const r = await pending;
  assert.equal(r.reading.failure, null);
  assert.equal(r.reading.outputTokens, 4);
  for (let i = 0; i < 3; i++) await nextTurn();
  assert.equal(immediates(), 0, 'the loop may sleep again');
  const entry = logOf(r);
  for (const [j, arrival] of r.reading.eventArrivals.entries()) {
    assert.ok((r.exchange.arrivals[arrival] as bigint) >= BigInt(entry.written_ns[j] as string), 'never stamped before the server wrote it');
  }
});

test('a slow first byte shows in TTFB and TTFT; a stream without [DONE] but with a finish_reason is clean', async () => {
  const r = await send('first_byte=60,ttft=70,done=0', 4);
  assert.equal(r.reading.failure, null);
  assert.ok((r.metrics?.ttfb_ms as number) >= 60);
  assert.ok((r.metrics?.ttft_ms as number) >= 70);
});

test('a clean stream without a token is no_tokens, and says what the stream did carry', async () => {
  const r = await send('eos_at=0', 4);
  assert.equal(r.reading.failure?.kind, 'no_tokens');
  assert.match(r.reading.failure?.message ?? '', /^the stream carried no tokens \(2 events, \d+ reads, \[DONE\], usage completion_tokens 0; last event: \{"id":"cmpl-\d+".*"completion_tokens":0/);
});
