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
  assert.equal(r.promptTokens, null, 'no usage, no prompt count');
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
  assert.deepEqual(read(['null']).failure, { kind: 'malformed', message: 'chunk is not a JSON object: null' });
  assert.deepEqual(read([{ event: 'error', data: 'null' }]).failure, { kind: 'server_error', message: 'error event: null' });
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
  const zeroUsage = read([chunk('', { usage: { completion_tokens: 0 } }), '[DONE]']);
  assert.deepEqual(zeroUsage.failure?.message, `the stream carried no tokens (2 events, 2 reads, [DONE], usage completion_tokens 0; last event: ${chunk('', { usage: { completion_tokens: 0 } })})`);
  // no chunk bore a token: no source of counts applies, whatever usage said
  assert.equal(zeroUsage.source, 'chunks');
  assert.equal(read([chunk('', {}, 'stop'), '[DONE]']).source, 'chunks');
  // without a finish_reason, without any event but [DONE], with a long last event: the message cuts it at 200
  assert.deepEqual(read(['[DONE]']).failure?.message, 'the stream carried no tokens (1 events, 1 reads, [DONE]; last event: )');
  assert.deepEqual(read(['{"id":"r"}', chunk('', {}, 'stop')]).failure?.message, `the stream carried no tokens (2 events, 2 reads, a finish_reason; last event: ${chunk('', {}, 'stop')})`);
  const longEvent = JSON.stringify({ id: 'x'.repeat(300), choices: [] });
  assert.deepEqual(read([longEvent, '[DONE]']).failure?.message, `the stream carried no tokens (2 events, 2 reads, [DONE]; last event: ${longEvent.slice(0, 200)})`);
  assert.deepEqual(read([chunk('a'), '[DONE]'], { leftover: `data: ${'y'.repeat(300)}` }).failure?.message, `stream ended inside an event: data: ${'y'.repeat(114)}`);
  // a choice without a finish_reason field has not finished either
  assert.equal(read([JSON.stringify({ choices: [{ text: 'hi' }] })]).failure?.kind, 'truncated');
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
  // a usage-only chunk without a choice (here counting ahead) does not move the count, nor does a
  // chunk without usage (a role) between two that have it; a later usage without prompt_tokens
  // keeps the prompt count
  const role = JSON.stringify({ choices: [{ delta: { role: 'assistant' }, finish_reason: null }] });
  const byUsage = read([usage('a', 2), JSON.stringify({ usage: { completion_tokens: 4 }, choices: [] }), role, usage('b', 5), JSON.stringify({ choices: [], usage: { completion_tokens: 5 } }), '[DONE]']);
  assert.deepEqual([byUsage.source, Array.from(byUsage.tokensPerArrival), byUsage.promptTokens], ['usage_delta', [2, 0, 0, 3, 0, 0], 9]);
  // a first chunk that counts 0 is still a count
  const fromZero = read([usage('a', 0), usage('b', 2), '[DONE]']);
  assert.deepEqual([fromZero.source, Array.from(fromZero.tokensPerArrival)], ['usage_delta', [0, 2, 0]]);
  // usage on some bearing chunks only: the last count spread over all of them
  const someUsage = read([usage('a', 2), chunk('b'), '[DONE]']);
  assert.deepEqual([someUsage.source, Array.from(someUsage.tokensPerArrival)], ['final_usage', [1, 1, 0]]);
  // the final usage stays when later chunks have none
  const byFinal = read([chunk('a'), chunk('b'), chunk('c'), JSON.stringify({ choices: [], usage: { completion_tokens: 7 } }), chunk('', {}, 'stop'), '[DONE]']);
  assert.deepEqual([byFinal.source, Array.from(byFinal.tokensPerArrival), byFinal.promptTokens], ['final_usage', [3, 2, 2, 0, 0, 0], null]);
  // logprobs on some chunks only are no source; a chunk whose logprobs list is empty has 0 tokens
  // (not the first token), one with logprobs and empty text has its tokens (a special token)
  const someLp = read([lp(2), chunk('b'), '[DONE]']);
  assert.deepEqual([someLp.source, Array.from(someLp.tokensPerArrival)], ['chunks', [1, 1, 0]]);
  const lpOf = (content: string, n: number): string => JSON.stringify({ choices: [{ delta: { content }, logprobs: { content: Array(n).fill({}) }, finish_reason: null }] });
  const emptyLp = read([lpOf('a', 0), lpOf('b', 2), lpOf('', 1), '[DONE]']);
  assert.deepEqual([emptyLp.source, Array.from(emptyLp.tokensPerArrival), emptyLp.firstTokenArrival, emptyLp.firstOutputArrival], ['logprobs', [0, 2, 1, 0], 1, 0]);
  // a logprobs object with neither list counts nothing
  const noList = read([JSON.stringify({ choices: [{ delta: { content: 'a' }, logprobs: {}, finish_reason: 'stop' }] })]);
  assert.deepEqual([noList.source, noList.outputTokens], ['chunks', 1]);
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
  assert.equal(httpErrorMessage(500, 'null'), 'HTTP 500: null');
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
  // usage without completion_tokens is no count: one token a chunk
  assert.deepEqual([r.source, r.outputTokens], ['chunks', 3]);
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
  for (const kind of ['connect', 'timeout', 'interrupted'] as const) {
    const r = read([chunk('a')], { end: { kind, message: `${kind} happened` }, status: kind === 'connect' ? null : 200 });
    assert.deepEqual(r.failure, { kind, message: `${kind} happened` });
    assert.equal(r.outputTokens, 1, 'the tokens that did arrive are counted');
  }
  const status = read([], { status: 503, errorBody: '{"error":{"message":"overloaded"}}' });
  assert.deepEqual([status.failure?.kind, status.source, status.outputTokens], ['http_status', 'chunks', 0]);
  assert.equal(read([], { status: 199 }).failure?.kind, 'http_status');
  assert.equal(read([], { status: 300 }).failure?.kind, 'http_status');
  assert.notEqual(read([chunk('a', {}, 'stop')], { status: 299 }).failure?.kind, 'http_status');
});
