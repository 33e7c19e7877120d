/**
 * The OpenAI client against the scripted server: every metric against the server's schedule and
 * its own log of when it wrote each chunk, every token source, every failure classification.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { after, before, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { httpRequestRecord, OpenAiClient, type OpenAiApi, type RequestResult, requestBody } from '../../src/http/openai-client.js';
import { classifyTransportError, type Exchange, failedOnStaleConnection } from '../../src/http/stream-request.js';
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

test('what ended a request, by the error undici gave: timeouts, the interrupt, no connection, a response cut short', () => {
  const err = (code: string, name = 'Error'): Error & { code?: string } => Object.assign(new Error('m'), { code, name });
  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) assert.equal(classifyTransportError(err(code), true, true).kind, 'timeout', code);
  assert.equal(classifyTransportError(err('UND_ERR_ABORTED'), true, true).kind, 'interrupted');
  assert.equal(classifyTransportError(err('', 'AbortError'), true, true).kind, 'interrupted');
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']) {
    assert.equal(classifyTransportError(err(code), true, true).kind, 'connect', `${code} after the head is still no connection`);
  }
  assert.deepEqual(classifyTransportError(err('ECONNRESET'), true, true), { kind: 'truncated', message: 'ECONNRESET: m' });
  assert.equal(classifyTransportError(err('ECONNRESET'), true, false).kind, 'connect', 'reset before the head: the connection failed');
  assert.equal(classifyTransportError(err('ECONNRESET'), false, true).kind, 'connect', 'never sent');
  assert.deepEqual(classifyTransportError(err(''), true, true), { kind: 'truncated', message: 'm' });
});

test('a stale connection is one reused, failed to connect, written, and answered with nothing at all', () => {
  const stale: Exchange = { t0: 1n, headersAt: null, reused: true, status: null, arrivals: new BigInt64Array(0), eventCount: 0, leftover: '', errorBody: '', end: { kind: 'connect', message: '' }, endedAt: 2n };
  assert.equal(failedOnStaleConnection(stale), true);
  for (const [what, change] of [
    ['a new connection', { reused: false }],
    ['another end', { end: { kind: 'truncated', message: '' } }],
    ['never written', { t0: null }],
    ['a head arrived', { headersAt: 3n }],
    ['a status', { status: 200 }],
    ['a byte read', { arrivals: BigInt64Array.of(3n) }],
  ] as const) {
    assert.equal(failedOnStaleConnection({ ...stale, ...change } as Exchange), false, what);
  }
});

test('a long stream: every one of its 150 reads stamped, in order', async () => {
  const r = await send('ttft=1,itl=1', 150);
  assert.equal(r.reading.outputTokens, 150);
  assert.ok(r.exchange.arrivals.length >= 100, `${r.exchange.arrivals.length} reads`);
  for (let i = 1; i < r.exchange.arrivals.length; i++) assert.ok((r.exchange.arrivals[i] as bigint) >= (r.exchange.arrivals[i - 1] as bigint), `read ${i} in order`);
});

test('the request body asks for exactly N tokens, in the API\'s own shape', () => {
  const target = { url: 'http://x/v1', model: 'm', api: 'completions' as OpenAiApi, apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 1, totalTimeoutMs: 1, busyPoll: false };
  assert.deepEqual(requestBody(target, { ids: [5, 6] }, 4), {
    model: 'm', stream: true, max_tokens: 4, temperature: 0, prompt: [5, 6], logprobs: 1, ignore_eos: true, min_tokens: 4,
    stream_options: { include_usage: true, continuous_usage_stats: true },
  });
  assert.deepEqual(requestBody({ ...target, logprobs: false, ignoreEos: false, usage: false }, { text: 'hi' }, 3), { model: 'm', stream: true, max_tokens: 3, temperature: 0, prompt: 'hi' });
  const chat = { ...target, api: 'chat' as OpenAiApi };
  assert.deepEqual(requestBody(chat, { text: 'hi' }, 2).messages, [{ role: 'user', content: 'hi' }]);
  assert.equal(requestBody(chat, { text: 'hi' }, 2).logprobs, true);
  assert.equal('logprobs' in requestBody({ ...chat, logprobs: false }, { text: 'hi' }, 2), false, 'no logprobs asked when not wanted');
  const history = [{ role: 'user' as const, content: 'a' }, { role: 'assistant' as const, content: 'b' }, { role: 'user' as const, content: 'c' }];
  assert.deepEqual(requestBody(chat, { messages: history }, 2).messages, history, 'a multi-turn chat as it is');
  assert.equal(requestBody(target, { messages: history }, 2).prompt, 'a\nb\nc', 'completions: the messages as one text');
});

test('a request\'s record: its times after the origin given, counts, the server\'s own account; a request never written has t0 0 and no times', async () => {
  const r = await send('ttft=2,itl=1', 4);
  const rec = httpRequestRecord(r, (r.exchange.t0 as bigint) - 1_000_000n, 10, 2);
  assert.equal(rec.t0_ms, 1);
  assert.deepEqual([rec.ok, rec.failure, rec.status, rec.output_tokens, rec.input_tokens, rec.prompt_overhead_tokens, rec.retries, rec.reads], [true, null, 200, 4, 10, 2, 0, r.exchange.arrivals.length]);
  assert.deepEqual([rec.ttfb_ms, rec.ttft_ms, rec.ttfo_ms, rec.last_token_ms, rec.e2e_ms, rec.itl_ms], [r.metrics?.ttfb_ms, r.metrics?.ttft_ms, r.metrics?.ttfo_ms, r.metrics?.last_token_ms, r.metrics?.e2e_ms, r.metrics?.itl_ms]);
  assert.deepEqual([rec.prompt_tokens, rec.token_source, rec.response_id, rec.served_model], [r.reading.promptTokens, r.reading.source, r.reading.responseId, r.reading.model]);
  const never = await send('ttft=1', 2, 'completions', { url: 'http://127.0.0.1:1/v1' });
  const none = httpRequestRecord(never, 0n, null, null);
  assert.deepEqual([none.t0_ms, none.ok, none.failure?.kind, none.ttft_ms, none.e2e_ms, none.reads], [0, false, 'connect', null, null, 0]);
});

test('the path: completions or chat/completions below the base URL, a trailing slash or not; the API key as a bearer token', async () => {
  const plain = await send('ttft=1,itl=1', 2, 'completions', { url: `${server.url}/` });
  assert.equal(plain.reading.failure, null, 'a base URL with a trailing slash');
  const slashes = await send('ttft=1,itl=1', 2, 'completions', { url: `${server.url}//` });
  assert.equal(slashes.reading.failure, null, 'or two');
  assert.deepEqual([logOf(plain).content_type, logOf(plain).accept], ['application/json', 'text/event-stream'], 'a JSON body, an event stream asked for');
  assert.equal(logOf(plain).messages, undefined, 'completions: a prompt, no messages');
  const chat = await send('ttft=1,itl=1', 2, 'chat');
  assert.deepEqual(logOf(chat).messages, [{ role: 'user', content: 'a b c d' }]);
  assert.equal(logOf(chat).authorization, undefined, 'no key, no header');
  const keyed = new OpenAiClient({ url: server.url, model: 'ttft=1,itl=1', api: 'completions', apiKey: 'sk-test', ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: false }, 1);
  const r = await keyed.send({ text: 'a' }, 2);
  await keyed.close();
  assert.equal(logOf(r).authorization, 'Bearer sk-test');
});

test('the run\'s interrupt cuts a request in flight (interrupted, not failed by the server); one with no end in its total time is a timeout', async () => {
  const cut = new AbortController();
  const client = new OpenAiClient({ url: server.url, model: 'ttft=5,itl=50', api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 300, busyPoll: false }, 2);
  try {
    setTimeout(() => cut.abort(), 120);
    const r = await client.send({ text: 'a' }, 20, cut.signal);
    assert.equal(r.reading.failure?.kind, 'interrupted');
    assert.ok(r.reading.outputTokens >= 1 && r.reading.outputTokens < 20, `${r.reading.outputTokens} tokens before the cut`);
    const slow = await client.send({ text: 'a' }, 20);
    assert.equal(slow.reading.failure?.kind, 'timeout', slow.reading.failure?.message);
    assert.equal(slow.reading.failure?.message, 'no end within 300 ms');
  } finally {
    await client.close();
  }
});

test('after one stale connection the client asks every later request\'s connection to close: none is sent again', async () => {
  const client = new OpenAiClient({ url: server.url, model: 'ttft=1,itl=1,drop_reused=1', api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: false }, 1);
  try {
    const first = await client.send({ text: 'a' }, 2);
    const second = await client.send({ text: 'a' }, 2);
    assert.deepEqual([first.retries, first.reading.failure], [0, null], 'a new connection');
    assert.deepEqual([second.retries, second.reading.failure], [1, null], 'the kept-alive connection was closed: sent again');
    const third = await client.send({ text: 'a' }, 2);
    const fourth = await client.send({ text: 'a' }, 2);
    assert.deepEqual([third.retries, fourth.retries, third.reading.failure, fourth.reading.failure], [0, 0, null, null], 'from then on each on a connection of its own');
  } finally {
    await client.close();
  }
});

test('a question on a kept-alive connection the server closed underneath it is asked again and answered; from then on every connection is asked to close', async () => {
  const model = 'ttft=1,itl=1,drop_reused=1';
  const client = new OpenAiClient({ url: server.url, model, api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: false }, 1);
  const asked = (path: string): number => server.questions.filter((q) => q.path === path && (q.body as { model?: unknown }).model === model).length;
  try {
    const first = await client.send({ text: 'a' }, 2);
    assert.deepEqual([first.retries, first.reading.failure], [0, null], 'a new connection');
    // the question goes on the stream's kept-alive connection, which the server closes unanswered
    assert.equal((await client.tokenize('a b c'))?.length, 3, 'answered on a new connection');
    assert.equal(asked('/tokenize'), 1, 'answered once');
    assert.equal(await client.detokenize([1, 2]), 'w1 w2', 'the next question is answered at the first try');
    const next = await client.send({ text: 'a' }, 2);
    assert.deepEqual([next.retries, next.reading.failure], [0, null], 'a stream after it is on a connection of its own');
  } finally {
    await client.close();
  }
  // refused, not closed underneath: asked once, no answer
  const refused = new OpenAiClient({ url: 'http://127.0.0.1:1/v1', model, api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: false }, 1);
  try {
    assert.equal(await refused.tokenize('a b c'), null);
  } finally {
    await refused.close();
  }
});

test('a question whose every connection is closed or reset under it is asked 4 times, then has no answer; one that times out is asked once', async () => {
  for (const how of ['fin', 'reset', 'silent'] as const) {
    let connections = 0;
    const raw = createNetServer((socket) => {
      connections++;
      socket.on('error', () => undefined);
      if (how !== 'silent') socket.once('data', () => (how === 'fin' ? socket.end() : socket.resetAndDestroy()));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const { port } = raw.address() as AddressInfo;
    const client = new OpenAiClient({ url: `http://127.0.0.1:${port}/v1`, model: 'm', api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 200, totalTimeoutMs: 1_000, busyPoll: false }, 1);
    try {
      assert.equal(await client.tokenize('a b c'), null, how);
      // every tokenizer shape is tried in turn, each question on its own tries
      const shapes = 3;
      assert.equal(connections, how === 'silent' ? shapes : shapes * 4, `${how}: connections`);
    } finally {
      await client.close();
      raw.close();
    }
  }
});
