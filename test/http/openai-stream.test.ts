/**
 * The stream reader on its own, event by event: what each kind of bad stream is called and what
 * its message says, without a server in between.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpErrorMessage, OpenAiStreamReader, type StreamReading } from '../../src/http/openai-stream.js';
import type { Exchange, TransportEnd } from '../../src/http/stream-request.js';

const chunk = (content: string, extra: Record<string, unknown> = {}, finish: string | null = null): string =>
  JSON.stringify({ id: 'r1', model: 'm', choices: [{ delta: { content }, finish_reason: finish }], ...extra });

/** Feeds `events` (one read each, or the arrival given) and finishes the exchange. */
function read(events: (string | { data: string; event?: string; arrival?: number })[], over: Partial<Exchange> = {}): StreamReading {
  const reader = new OpenAiStreamReader();
  events.forEach((e, i) => {
    const ev = typeof e === 'string' ? { data: e } : e;
    reader.event({ arrival: ev.arrival ?? i, event: ev.event ?? null, data: ev.data });
  });
  const end: TransportEnd = { kind: 'complete' };
  return reader.finish({
    t0: 0n,
    headersAt: 0n,
    reused: false,
    status: 200,
    arrivals: new BigInt64Array(events.length),
    eventCount: events.length,
    leftover: '',
    errorBody: '',
    end,
    endedAt: 0n,
    ...over,
  });
}

test('a clean stream: tokens per read, the first output, id and model from the first chunk that has them', () => {
  const r = read([chunk('a'), JSON.stringify({ id: 'r2', model: 'other', choices: [{ delta: { content: 'b' }, finish_reason: null }] }), chunk('', {}, 'stop'), '[DONE]']);
  assert.equal(r.failure, null);
  assert.deepEqual(Array.from(r.tokensPerArrival), [1, 1, 0, 0]);
  assert.deepEqual([r.outputTokens, r.firstTokenArrival, r.firstOutputArrival, r.text, r.responseId, r.model, r.source], [2, 0, 0, 'ab', 'r1', 'm', 'chunks']);
});

test('error events and error objects are server_error with the server\'s message; other bad chunks are malformed', () => {
  assert.deepEqual(read([chunk('a'), { event: 'error', data: 'the model crashed' }]).failure, { kind: 'server_error', message: 'error event: the model crashed' });
  assert.deepEqual(read([chunk('a'), { event: 'error', data: '{"message":"overloaded"}' }]).failure, { kind: 'server_error', message: 'error event: overloaded' });
  assert.deepEqual(read([JSON.stringify({ error: { message: 'context too long', code: 400 } })]).failure, { kind: 'server_error', message: 'error event: context too long' });
  assert.deepEqual(read([JSON.stringify({ error: 'plain words' })]).failure, { kind: 'server_error', message: 'error event: {"error":"plain words"}' });
  // an error field that is null is no error
  assert.equal(read([chunk('a', { error: null }, 'stop')]).failure, null);
  assert.deepEqual(read(['not json at all']).failure, { kind: 'malformed', message: 'chunk is not JSON: not json at all' });
  assert.deepEqual(read(['[1, 2]']).failure, { kind: 'malformed', message: 'chunk is not a JSON object: [1, 2]' });
  assert.deepEqual(read(['"text"']).failure, { kind: 'malformed', message: 'chunk is not a JSON object: "text"' });
  // the first failure stands; tokens that came before it still count
  const r = read([chunk('a'), 'bad', { event: 'error', data: 'later' }, chunk('b')]);
  assert.deepEqual([r.failure?.kind, r.outputTokens], ['malformed', 1]);
});

test('how a stream ends: [DONE] or a finish_reason; cut, inside an event, or without tokens', () => {
  assert.equal(read([chunk('a'), chunk('b', {}, 'length')]).failure, null);
  assert.deepEqual(read([chunk('a'), chunk('b')]).failure, { kind: 'truncated', message: 'stream ended without [DONE] or a finish_reason after 2 events' });
  assert.deepEqual(read([chunk('a')], { end: { kind: 'truncated', message: 'socket hang up' } }).failure, { kind: 'truncated', message: 'stream cut after 1 events: socket hang up' });
  assert.deepEqual(read([chunk('a'), '[DONE]'], { leftover: '  data: {"choi  ' }).failure, { kind: 'malformed', message: 'stream ended inside an event: data: {"choi' });
  assert.equal(read([chunk('a'), '[DONE]'], { leftover: ' \n' }).failure, null);
  assert.deepEqual(read([chunk('', {}, 'stop'), '[DONE]']).failure, {
    kind: 'no_tokens',
    message: 'the stream carried no tokens (2 events, 2 reads, a finish_reason, [DONE]; last event: ' + chunk('', {}, 'stop') + ')',
  });
  assert.deepEqual(read([chunk('', { usage: { completion_tokens: 0 } }), '[DONE]']).failure?.message, `the stream carried no tokens (2 events, 2 reads, [DONE], usage completion_tokens 0; last event: ${chunk('', { usage: { completion_tokens: 0 } })})`);
  // the transport's own end comes first, and so does an HTTP status
  assert.deepEqual(read([chunk('a')], { end: { kind: 'timeout', message: 'no byte for 5 s' } }).failure, { kind: 'timeout', message: 'no byte for 5 s' });
  assert.deepEqual(read([], { status: 503, errorBody: '{"error":{"message":"busy"}}' }).failure, { kind: 'http_status', message: 'HTTP 503: busy' });
  assert.deepEqual(read([chunk('a'), '[DONE]'], { status: 199 }).failure?.kind, 'http_status');
  assert.equal(read([chunk('a'), '[DONE]'], { status: 299 }).failure, null);
});

test('what counts as a token: visible text, reasoning and tool calls; not a role or empty strings', () => {
  const delta = (d: Record<string, unknown>): string => JSON.stringify({ choices: [{ delta: d, finish_reason: null }] });
  const r = read([delta({ role: 'assistant' }), delta({ reasoning_content: 'hm' }), delta({ reasoning: 'hm' }), delta({ tool_calls: [{ id: 1 }] }), delta({ tool_calls: [] }), delta({ content: '' }), delta({ reasoning: '' }), chunk('x', {}, 'stop')]);
  assert.deepEqual(Array.from(r.tokensPerArrival), [0, 1, 1, 1, 0, 0, 0, 1]);
  assert.deepEqual([r.firstTokenArrival, r.firstOutputArrival, r.text], [1, 7, 'x']);
  // completions: choices[0].text
  const c = read([JSON.stringify({ choices: [{ text: 'hi', finish_reason: null }] }), JSON.stringify({ choices: [{ text: '', finish_reason: 'stop' }] })]);
  assert.deepEqual([c.outputTokens, c.text], [1, 'hi']);
  // the text kept for the record stops near 200 characters
  const long = read([chunk('x'.repeat(150)), chunk('y'.repeat(150)), chunk('z', {}, 'stop')]);
  assert.equal(long.text, 'x'.repeat(150) + 'y'.repeat(50));
});

test('token counts from logprobs (chat content and reasoning), usage deltas, a final usage spread evenly', () => {
  const lp = (n: number, reasoning = 0): string => JSON.stringify({ choices: [{ delta: { content: 't' }, logprobs: { content: Array(n).fill({}), ...(reasoning ? { reasoning: Array(reasoning).fill({}) } : {}) }, finish_reason: null }] });
  const byLogprobs = read([lp(2), lp(3, 1), '[DONE]']);
  assert.deepEqual([byLogprobs.source, Array.from(byLogprobs.tokensPerArrival)], ['logprobs', [2, 4, 0]]);
  const completionsLp = read([JSON.stringify({ choices: [{ text: 'ab', logprobs: { tokens: ['a', 'b'] }, finish_reason: 'stop' }] })]);
  assert.deepEqual([completionsLp.source, completionsLp.outputTokens], ['logprobs', 2]);
  const usage = (content: string, n: number): string => JSON.stringify({ choices: [{ delta: { content }, finish_reason: null }], usage: { completion_tokens: n, prompt_tokens: 9 } });
  // a usage-only chunk without a choice does not move the count
  const byUsage = read([usage('a', 2), JSON.stringify({ usage: { completion_tokens: 2 }, choices: [] }), usage('b', 5), '[DONE]']);
  assert.deepEqual([byUsage.source, Array.from(byUsage.tokensPerArrival), byUsage.promptTokens], ['usage_delta', [2, 0, 3, 0], 9]);
  const byFinal = read([chunk('a'), chunk('b'), chunk('c'), JSON.stringify({ choices: [], usage: { completion_tokens: 7 } }), '[DONE]']);
  assert.deepEqual([byFinal.source, Array.from(byFinal.tokensPerArrival)], ['final_usage', [3, 2, 2, 0, 0]]);
  // two chunks in one read add up
  const oneRead = read([{ data: chunk('a'), arrival: 0 }, { data: chunk('b', {}, 'stop'), arrival: 0 }], { arrivals: new BigInt64Array(1) });
  assert.deepEqual(Array.from(oneRead.tokensPerArrival), [2]);
});

test('an HTTP error body: the JSON message, else the text, squeezed and cut', () => {
  assert.equal(httpErrorMessage(400, '{"error":{"message":"bad  request"}}'), 'HTTP 400: bad request');
  assert.equal(httpErrorMessage(400, '{"message":"flat"}'), 'HTTP 400: flat');
  assert.equal(httpErrorMessage(400, '{"error":{"code":1}}'), 'HTTP 400: {"error":{"code":1}}');
  assert.equal(httpErrorMessage(500, '"quoted"'), 'HTTP 500: quoted');
  assert.equal(httpErrorMessage(502, '  <html>\n bad   gateway </html> '), 'HTTP 502: <html> bad gateway </html>');
  assert.equal(httpErrorMessage(500, ''), 'HTTP 500');
  assert.equal(httpErrorMessage(500, 'x'.repeat(400)), `HTTP 500: ${'x'.repeat(300)}`);
});

test('what the reader keeps: the first string id and model, cache and server timings from whichever chunk had them, 200 characters of text, long bad chunks cut', () => {
  const timings = { prompt_n: 8, prompt_ms: 4, cache_n: 3, predicted_n: 2, predicted_ms: 10 };
  const r = read([
    JSON.stringify({ id: 5, model: 7, choices: [{ delta: { content: 'a'.repeat(150) }, finish_reason: null }], usage: { prompt_tokens: 8, prompt_tokens_details: { cached_tokens: 4 } } }),
    JSON.stringify({ id: 'r2', model: 'm2', choices: [{ delta: { content: 'b'.repeat(100) }, finish_reason: null }], timings }),
    JSON.stringify({ id: 'r3', model: 'm3', choices: [{ delta: { content: 'c' }, finish_reason: 'stop' }] }),
    '[DONE]',
  ]);
  assert.equal(r.failure, null);
  // a number is not an id or a model name; the first string is kept
  assert.deepEqual([r.responseId, r.model], ['r2', 'm2']);
  assert.equal(r.promptTokens, 8);
  // later chunks without a cache report or timings do not erase earlier ones
  assert.equal(r.cachedTokens, 3, 'timings.cache_n of the second chunk replaces the first chunk\'s 4; the third has none');
  assert.equal(r.serverTimings?.prompt_n, 8);
  assert.equal(r.text, `${'a'.repeat(150)}${'b'.repeat(50)}`);
  // a null finish_reason is not an end: without [DONE] the stream is cut
  const cut = read([chunk('x'), chunk('y')]);
  assert.equal(cut.failure?.kind, 'truncated');
  // long bad chunks are cut in the message
  const long = 'z'.repeat(500);
  assert.equal(read([long]).failure?.message, `chunk is not JSON: ${'z'.repeat(120)}`);
  assert.equal(read([{ data: long, event: 'error' }]).failure?.message, `error event: ${'z'.repeat(300)}`);
  assert.equal(read([`[${'1,'.repeat(100)}1]`]).failure?.message, `chunk is not a JSON object: [${'1,'.repeat(59)}1`);
});

test('a transport that failed is named as it failed, before anything about the stream; a non-2xx status as http_status, a missing one never', () => {
  for (const kind of ['connect', 'timeout', 'aborted'] as const) {
    const r = read([chunk('a')], { end: { kind, message: `${kind} happened` }, status: kind === 'connect' ? null : 200 });
    assert.deepEqual(r.failure, { kind, message: `${kind} happened` });
    assert.equal(r.outputTokens, 1, 'the tokens that did arrive are counted');
  }
  assert.equal(read([], { status: 503, errorBody: '{"error":{"message":"overloaded"}}' }).failure?.kind, 'http_status');
  assert.equal(read([], { status: 199 }).failure?.kind, 'http_status');
  assert.equal(read([], { status: 300 }).failure?.kind, 'http_status');
  assert.notEqual(read([chunk('a', {}, 'stop')], { status: 299 }).failure?.kind, 'http_status');
});
