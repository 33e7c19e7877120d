/** Prompt numbering and tokenizer shapes (pure parts of src/http/server-prompts.ts and server-dialect.ts). */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parsePromptReuse } from '../../src/config/prompt-reuse.js';
import { cachedPromptTokens, serverTimings, TOKENIZER_SHAPES } from '../../src/http/server-dialect.js';
import { OpenAiClient, type OpenAiApi } from '../../src/http/openai-client.js';
import { promptTokens, ServerPrompts } from '../../src/http/server-prompts.js';
import { DEFAULT_TEXT } from '../../src/synth/default-text.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-openai-server.js';

const pool = Array.from({ length: 40 }, (_, i) => 100 + i);
const alphabet = [1, 2, 3];

test('unique prompts: the digits of k in base D, least significant first, then the body; exact length', () => {
  const unique = { mode: 'unique' } as const;
  // k = 0..2: one digit, all different first tokens
  assert.deepEqual([0, 1, 2].map((k) => promptTokens(pool, alphabet, unique, k, 6)[0]), [1, 2, 3]);
  // k = 5 = 2 + 1*3: digits [3, 2]; k = 11 = 2 + 0*3 + 1*9: digits [3, 1, 2]
  assert.deepEqual(promptTokens(pool, alphabet, unique, 5, 6).slice(0, 2), [3, 2]);
  assert.deepEqual(promptTokens(pool, alphabet, unique, 11, 6).slice(0, 3), [3, 1, 2]);
  for (const k of [0, 5, 11, 1000]) assert.equal(promptTokens(pool, alphabet, unique, k, 6).length, 6);
  // any two of many prompts differ within their first ceil(log_D(k)) tokens
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) seen.add(promptTokens(pool, alphabet, unique, k, 6).slice(0, 5).join(','));
  assert.equal(seen.size, 200);
});

test('unique prompts: each body starts at its own place in the pool, so prompts differ past their digits too', () => {
  const big = Array.from({ length: 1000 }, (_, i) => 5000 + i);
  const unique = { mode: 'unique' } as const;
  const starts = Array.from({ length: 10 }, (_, k) => {
    const p = promptTokens(big, alphabet, unique, k, 40);
    return p.find((t) => t >= 5000);
  });
  assert.equal(new Set(starts).size, 10, `body starts ${starts.join(', ')}`);
});

test('repeat and prefix=N: the same prompt every time, or the same first N tokens and then unique', () => {
  assert.deepEqual(promptTokens(pool, alphabet, { mode: 'repeat' }, 7, 4), [100, 101, 102, 103]);
  assert.deepEqual(promptTokens(pool, alphabet, { mode: 'repeat' }, 8, 4), [100, 101, 102, 103]);
  const a = promptTokens(pool, alphabet, { mode: 'prefix', tokens: 3 }, 0, 8);
  const b = promptTokens(pool, alphabet, { mode: 'prefix', tokens: 3 }, 1, 8);
  assert.deepEqual(a.slice(0, 3), [100, 101, 102]);
  assert.deepEqual(b.slice(0, 3), [100, 101, 102]);
  assert.deepEqual([a[3], b[3]], [1, 2]);
  assert.deepEqual([parsePromptReuse('prefix=12'), parsePromptReuse('unique'), parsePromptReuse('prefix=0'), parsePromptReuse('cache')], [{ mode: 'prefix', tokens: 12 }, { mode: 'unique' }, null, null]);
});

test("tokenizer shapes: llama.cpp's empty answer to a vLLM body is no answer; TGI's list of objects", () => {
  const [vllm, llama, tgi] = TOKENIZER_SHAPES;
  assert.deepEqual(vllm?.tokens({ tokens: [], count: 0 }), [], 'an empty list is read, and the client takes it as no answer for a non-empty text');
  assert.deepEqual(vllm?.tokens({ tokens: [5, 6], count: 2, max_model_len: 10 }), [5, 6]);
  assert.deepEqual(llama?.tokenizeBody('m', 'hi'), { content: 'hi', add_special: false });
  assert.deepEqual(tgi?.tokens([{ id: 7, text: 'a', start: 0, stop: 1 }, { id: 9, text: 'b', start: 1, stop: 2 }]), [7, 9]);
  assert.equal(tgi?.tokens({ tokens: [1] }), null);
  assert.equal(llama?.text({ content: 'abc' }), 'abc');
});

test("server timings: llama.cpp's timings object; the server's ITL is predicted_ms over predicted_n - 1 steps", () => {
  const chunk = { timings: { cache_n: 3, prompt_n: 125, prompt_ms: 40.5, predicted_n: 5, predicted_ms: 10, predicted_per_token_ms: 2.5 } };
  assert.deepEqual(serverTimings(chunk), { prompt_ms: 40.5, prompt_n: 125, cache_n: 3, predicted_n: 5, predicted_ms: 10, itl_ms: 2.5 });
  assert.equal(serverTimings({ usage: {} }), null);
  assert.equal(cachedPromptTokens(chunk), 3);
  assert.equal(cachedPromptTokens({ usage: { prompt_tokens: 9, prompt_tokens_details: { cached_tokens: 4 } } }), 4);
  assert.equal(cachedPromptTokens({ usage: { prompt_tokens: 9 } }), null);
});

describe('ServerPrompts against the scripted server', () => {
  let server: ScriptedServer;
  const clients: OpenAiClient[] = [];
  before(async () => {
    server = await startScriptedServer();
  });
  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });
  const clientOf = (model: string, api: OpenAiApi = 'completions'): OpenAiClient => {
    const c = new OpenAiClient({ url: server.url, model, api, apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, busyPoll: false }, 2);
    clients.push(c);
    return c;
  };
  const UNIQUE = { mode: 'unique' } as const;

  test('with a tokenizer: token ids of exactly the length asked, each prompt new from its first tokens; the template measured by a probe', async () => {
    const source = await ServerPrompts.create(clientOf('ttft=1,itl=1,template=3'), UNIQUE, 64);
    assert.equal(source.sendsIds, true);
    const a = (await source.take(20)).ids as number[];
    const b = (await source.take(20)).ids as number[];
    assert.equal(a.length, 20);
    assert.equal(b.length, 20);
    assert.notDeepEqual(a.slice(0, 4), b.slice(0, 4), 'two prompts differ in their first tokens');
    assert.deepEqual([await source.calibrate(20), source.lengthBy], [{ overhead: 3, wordsPerToken: 1 }, 'exact']);
    const repeat = await ServerPrompts.create(clientOf('ttft=1,itl=1'), { mode: 'repeat' }, 64);
    assert.deepEqual(await repeat.take(12), await repeat.take(12), 'repeat: the same prompt every time');
  });

  test('blocks: block h the same tokens wherever it appears, different ids different from the first token, the rest unique; token ids only', async () => {
    const source = await ServerPrompts.create(clientOf('ttft=1,itl=1'), UNIQUE, 512);
    const salt = 2 ** 41;
    const a = (source.blocks([1, 2], 700, salt, 512).ids ?? []) as number[];
    const b = (source.blocks([1, 3], 600, salt, 512).ids ?? []) as number[];
    const c = (source.blocks([4, 2], 1024, salt, 512).ids ?? []) as number[];
    const long = (source.blocks([1], 600, salt, 512).ids ?? []) as number[];
    const again = (source.blocks([1], 600, salt, 512).ids ?? []) as number[];
    assert.deepEqual([a.length, b.length, c.length, long.length], [700, 600, 1024, 600]);
    assert.deepEqual(a.slice(0, 512), b.slice(0, 512), 'block 1 at the start of both');
    assert.deepEqual(a.slice(512, 700), c.slice(512, 700), 'block 2 at position 512 in both');
    assert.notEqual(b[512], a[512], 'blocks 3 and 2 differ from their first token');
    assert.notEqual(c[0], a[0], 'blocks 4 and 1 differ from their first token');
    assert.deepEqual(long.slice(0, 512), a.slice(0, 512));
    assert.notDeepEqual(long.slice(512, 520), again.slice(512, 520), 'past its blocks a prompt is its own');
    const words = await ServerPrompts.create(clientOf('ttft=1,itl=1,no_tokenize=1'), UNIQUE, 64);
    assert.equal(words.sendsIds, false);
    assert.throws(() => words.blocks([1], 10, salt, 512), /token-id prompts/);
  });

  test('without a tokenizer: words, as many per token as the server\'s own count says (calibrated by two probes), and its fixed part', async () => {
    const source = await ServerPrompts.create(clientOf('ttft=1,itl=1,no_tokenize=1,word_tokens=2,template=1'), UNIQUE, 64);
    assert.deepEqual([await source.calibrate(16), source.lengthBy], [{ overhead: 1, wordsPerToken: 0.5 }, 'calibrated_words']);
    const p = await source.take(10);
    assert.equal(p.ids, undefined);
    assert.equal((p.text as string).split(' ').length, 5, '10 tokens are 5 words here');
    const plain = await ServerPrompts.create(clientOf('ttft=1,itl=1,no_tokenize=1'), UNIQUE, 64);
    assert.equal(((await plain.take(7)).text as string).split(' ').length, 7, 'uncalibrated: a word a token');
    // the default text ends with line breaks: no empty word may come of it, as a digit either (the
    // first digit of consecutive prompts runs through every word of the alphabet: fewer than 400)
    for (let i = 0; i < 400; i++) assert.ok(((await plain.take(3)).text as string).split(' ').every((w) => /^\S+$/.test(w)), 'three words, none empty');
    const same = await ServerPrompts.create(clientOf('ttft=1,itl=1,no_tokenize=1'), { mode: 'repeat' }, 64);
    assert.ok(((await same.take(5)).text as string).split(' ').every((w) => /^\S+$/.test(w)), 'the repeated prompt too');
  });

  test('chat with a tokenizer: text whose count inside the chat template is exactly the length asked', async () => {
    const client = clientOf('ttft=1,itl=1,template=2', 'chat');
    const source = await ServerPrompts.create(client, UNIQUE, 64);
    const info = await source.calibrate(12);
    assert.equal(source.lengthBy, 'exact');
    // the template's own tokens: what the server counts for an empty message (2 of the script's, and its message's wrapping)
    assert.equal(info.overhead, await client.chatPromptTokens(''));
    const text = (await source.take(12)).text as string;
    const whole = await client.chatPromptTokens(text);
    const empty = await client.chatPromptTokens('');
    assert.equal((whole as number) - (empty as number), 12, `${text}`);
  });
});

describe('ServerPrompts where the server counts differently', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer();
  });
  after(async () => {
    await server.close();
  });
  const clientOf = (model: string, api: OpenAiApi = 'completions'): OpenAiClient =>
    new OpenAiClient({ url: server.url, model, api, apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, busyPoll: false }, 2);

  test('chat where each word is two tokens: ids are dropped until the text counts exactly the length asked', async () => {
    const client = clientOf('ttft=1,itl=1,word_tokens=2', 'chat');
    const source = await ServerPrompts.create(client, { mode: 'unique' }, 64);
    await source.calibrate(12);
    const text = (await source.take(12)).text as string;
    assert.equal((await client.chatPromptTokens(text)) as number - ((await client.chatPromptTokens('')) as number), 12, text);
    assert.ok(text.split(' ').length < 12, 'fewer words than tokens');
    await client.close();
  });

  test('a /tokenize that answers an empty list is no tokenizer: words; a chat server that cannot detokenize gets words, a completions one still ids', async () => {
    const empty = clientOf('ttft=1,itl=1,empty_tokenize=1');
    const a = await ServerPrompts.create(empty, { mode: 'unique' }, 64);
    assert.equal(a.sendsIds, false);
    assert.equal(await empty.tokenize('one two'), null);
    assert.equal(((await a.take(6)).text as string).split(' ').length, 6);
    await empty.close();
    const chat = clientOf('ttft=1,itl=1,no_detokenize=1', 'chat');
    const b = await ServerPrompts.create(chat, { mode: 'unique' }, 64);
    assert.equal(b.sendsIds, false);
    assert.equal(typeof (await b.take(5)).text, 'string');
    await b.calibrate(8);
    assert.equal(b.lengthBy, 'calibrated_words', 'words, calibrated against the count');
    await chat.close();
    const completions = clientOf('ttft=1,itl=1,no_detokenize=1');
    const c = await ServerPrompts.create(completions, { mode: 'unique' }, 64);
    assert.equal(c.sendsIds, true, 'ids need no detokenizer when sent as they are');
    assert.equal((await c.take(5)).ids?.length, 5);
    await completions.close();
  });

  test('ids are the server\'s token ids, exact for long prompts too; blocks only where ids are sent', async () => {
    const c = clientOf('ttft=1,itl=1');
    const source = await ServerPrompts.create(c, { mode: 'unique' }, 3000);
    const a = (await source.take(3000)).ids as number[];
    const b = (await source.take(3000)).ids as number[];
    assert.deepEqual([a.length, b.length], [3000, 3000]);
    assert.ok(a.every((t) => Number.isInteger(t)), 'integers');
    const known = new Set(await c.tokenize(DEFAULT_TEXT));
    assert.ok(a.every((t) => known.has(t)), "every id one the server's tokenizer gives for the default text");
    const poolText = server.questions.filter((q) => q.path === '/tokenize').map((q) => String((q.body as { prompt?: string }).prompt ?? '')).reduce((x, y) => (y.length > x.length ? y : x), '');
    const defaultWords = new Set(DEFAULT_TEXT.split(/\s+/));
    const poolWords = poolText.split(/\s+/);
    assert.ok(poolWords.every((w) => defaultWords.has(w)), 'the pool is copies of the default text, word for word');
    assert.ok(poolWords.length >= 4 * 3000 && poolWords.length <= 4 * 3000 + 2 * defaultWords.size * 2, `a pool of about 4 times the longest prompt (${poolWords.length} words)`);
    assert.notDeepEqual(a.slice(0, 8), b.slice(0, 8));
    await c.close();
    const chat = clientOf('ttft=1,itl=1', 'chat');
    const n = server.questions.length;
    const viaText = await ServerPrompts.create(chat, { mode: 'unique' }, 64);
    assert.equal(viaText.sendsIds, false, 'chat sends text');
    assert.deepEqual(server.questions.slice(n).filter((q) => q.path === '/detokenize').map((q) => (q.body as { tokens: number[] }).tokens.length), [4], 'whether the server detokenizes, asked of 4 ids');
    assert.throws(() => viaText.blocks([1], 10, 2 ** 41, 8), /token-id prompts/);
    await chat.close();
  });

  test('chat: a prompt taken before calibrating is the ids\' text as it is, nothing counted; a length the server cannot count exactly stops after 8 tries', async () => {
    const chat = clientOf('ttft=1,itl=1,template=2', 'chat');
    const source = await ServerPrompts.create(chat, { mode: 'unique' }, 64);
    let n = server.questions.length;
    const text = (await source.take(12)).text as string;
    assert.equal(text.split(' ').length, 12);
    assert.deepEqual(server.questions.slice(n).map((q) => q.path), ['/detokenize'], 'no count asked');
    await chat.close();
    // each word two tokens: an odd length is never counted exactly
    const odd = clientOf('ttft=1,itl=1,word_tokens=2', 'chat');
    const twice = await ServerPrompts.create(odd, { mode: 'unique' }, 64);
    await twice.calibrate(12);
    n = server.questions.length;
    const close = (await twice.take(13)).text as string;
    const counted = ((await odd.chatPromptTokens(close)) as number) - ((await odd.chatPromptTokens('')) as number);
    assert.ok(Math.abs(counted - 13) <= 1, `${counted} tokens for 13`);
    assert.equal(server.questions.slice(n).filter((q) => q.path === '/detokenize').length, 8, 'eight tries');
    await odd.close();
  });

  test('chat: a server whose /detokenize stops answering after the start fails the prompt, saying so, rather than sending an empty one', async () => {
    const chat = clientOf('ttft=1,itl=1,detokenize_for=2', 'chat');
    const source = await ServerPrompts.create(chat, { mode: 'unique' }, 64);
    assert.equal(typeof (await source.take(6)).text, 'string', 'the first prompt: its text');
    await assert.rejects(source.take(6), (err: Error & { kind?: string }) => err.kind === 'request_failed' && /stopped answering \/detokenize/.test(err.message));
    await chat.close();
  });

  test('chat: a server that stops counting chat prompts after the start fails the prompt, saying so, rather than sending one of a length it did not check', async () => {
    const chat = clientOf('ttft=1,itl=1,template=2,chat_count_for=1', 'chat');
    const source = await ServerPrompts.create(chat, { mode: 'unique' }, 64);
    // the template's own count is the one answer; the probe's prompt then finds no count
    await assert.rejects(source.calibrate(6), (err: Error & { kind?: string }) => err.kind === 'request_failed' && /stopped counting chat prompts/.test(err.message));
    await chat.close();
  });

  test('how lengths were made: exact ids, a chat counted in its template, ids as text with no chat count, calibrated words, words; and the tokenizer the client found', async () => {
    const cases = [
      ['ttft=1,itl=1', 'completions', 'exact', 'vllm'],
      ['ttft=1,itl=1,template=2', 'chat', 'exact', 'vllm'],
      ['ttft=1,itl=1,chat_count_for=0', 'chat', 'unchecked_chat', 'vllm'],
      ['ttft=1,itl=1,no_tokenize=1', 'completions', 'calibrated_words', null],
      ['ttft=1,itl=1,no_tokenize=1,usage=none', 'completions', 'words', null],
    ] as const;
    for (const [model, api, lengthBy, tokenizer] of cases) {
      const client = clientOf(model, api);
      const source = await ServerPrompts.create(client, { mode: 'unique' }, 32);
      await source.calibrate(16);
      assert.deepEqual([source.lengthBy, client.tokenizerName], [lengthBy, tokenizer], `${model}, ${api}`);
      await client.close();
    }
  });

  test('calibration: completions ask no chat count; word probes at least as long as the prompts (8 words at least); a count that does not grow calibrates nothing', async () => {
    const ids = clientOf('ttft=1,itl=1,template=1');
    const a = await ServerPrompts.create(ids, { mode: 'unique' }, 64);
    const n = server.questions.length;
    await a.calibrate(16);
    assert.ok(server.questions.slice(n).every((q) => !JSON.stringify(q.body).includes('messages')), 'no chat count asked');
    await ids.close();
    for (const [length, probes] of [[16, [16, 32]], [3, [8, 16]]] as const) {
      const words = clientOf('ttft=1,itl=1,no_tokenize=1');
      const source = await ServerPrompts.create(words, { mode: 'unique' }, 64);
      const logged = server.log.length;
      await source.calibrate(length);
      assert.deepEqual(server.log.slice(logged).map((e) => String(e.prompt).split(' ').length), probes, `probes for ${length}`);
      await words.close();
    }
    const cut = clientOf('ttft=1,itl=1,no_tokenize=1,prompt_count=5');
    const c = await ServerPrompts.create(cut, { mode: 'unique' }, 64);
    assert.deepEqual([await c.calibrate(16), c.lengthBy], [{ overhead: null, wordsPerToken: 1 }, 'words']);
    await cut.close();
  });

  test('a server that reports no prompt count: nothing is calibrated, words stay one a token', async () => {
    const ids = clientOf('ttft=1,itl=1,usage=none,logprobs=0');
    const a = await ServerPrompts.create(ids, { mode: 'unique' }, 64);
    assert.deepEqual([await a.calibrate(16), a.lengthBy], [{ overhead: null, wordsPerToken: 1 }, 'exact']);
    await ids.close();
    const words = clientOf('ttft=1,itl=1,usage=none,logprobs=0,no_tokenize=1');
    const b = await ServerPrompts.create(words, { mode: 'unique' }, 64);
    assert.deepEqual([await b.calibrate(16), b.lengthBy], [{ overhead: null, wordsPerToken: 1 }, 'words']);
    assert.equal(((await b.take(9)).text as string).split(' ').length, 9);
    await words.close();
  });
});

describe('the client\'s questions to the server', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer(0, undefined, ['a', 'b']);
  });
  after(async () => {
    await server.close();
  });
  const clientAt = (url: string, model = 'ttft=1,itl=1'): OpenAiClient => new OpenAiClient({ url, model, api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: false }, 1);

  test('tokenize and detokenize in the shape the server answered; a server without a tokenizer: null, and asked once', async () => {
    const c = clientAt(server.url);
    const ids = await c.tokenize('one two three');
    assert.equal(ids?.length, 3);
    assert.equal(await c.detokenize(ids as number[]), (ids as number[]).map((t) => `w${t}`).join(' '));
    assert.deepEqual(await c.tokenize(''), []);
    await c.close();
    const none = clientAt(server.url, 'no_tokenize=1');
    const before = server.log.length;
    assert.equal(await none.tokenize('one two'), null);
    assert.equal(await none.tokenize('three four'), null, 'still none');
    assert.equal(await none.detokenize([1, 2]), null);
    assert.equal(await none.chatPromptTokens('x'), null);
    assert.equal(server.log.length, before, 'no completion was sent to ask');
    await none.close();
  });

  test('a tokenizer is looked for once: every shape on the first text, then only the one that answered; none found, nothing more is asked', async () => {
    const asked = (): number => server.questions.length;
    const c = clientAt(server.url);
    let n = asked();
    assert.equal((await c.tokenize('one two'))?.length, 2);
    assert.deepEqual(server.questions.slice(n).map((q) => q.path), ['/tokenize'], "the first shape (vLLM's) answered");
    n = asked();
    await c.tokenize('three');
    await c.detokenize([11, 12]);
    assert.deepEqual(server.questions.slice(n), [
      { path: '/tokenize', body: { model: 'ttft=1,itl=1', prompt: 'three', add_special_tokens: false } },
      { path: '/detokenize', body: { model: 'ttft=1,itl=1', tokens: [11, 12] } },
    ], 'in the shape that answered');
    await c.close();
    const none = clientAt(server.url, 'no_tokenize=1');
    n = asked();
    assert.equal(await none.tokenize('one two'), null);
    assert.equal(asked() - n, TOKENIZER_SHAPES.length, 'each shape tried once');
    n = asked();
    assert.equal(await none.tokenize('three four'), null);
    assert.equal(await none.detokenize([1]), null);
    assert.equal(await none.chatPromptTokens('x'), null);
    assert.equal(asked(), n, 'nothing asked again');
    await none.close();
    const blank = clientAt(server.url);
    assert.deepEqual(await blank.tokenize('  '), [], 'a blank text is no tokens, an answer all the same');
    assert.equal((await blank.tokenize('five six'))?.length, 2);
    await blank.close();
  });

  test('a tokenizer that failed once is asked again; a blank text that nothing answered says nothing of the next', async () => {
    let failNext = false;
    let asked = 0;
    const flaky = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        asked++;
        const body = JSON.parse(text || '{}') as { prompt?: string };
        const down = failNext || (body.prompt ?? '').trim() === '';
        failNext = false;
        if (req.url !== '/tokenize' || typeof body.prompt !== 'string' || down) return void res.writeHead(503).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: body.prompt.split(' ').map((_, i) => i + 1) }));
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/v1`;
    const c = clientAt(url);
    try {
      assert.deepEqual(await c.tokenize('a b'), [1, 2]);
      failNext = true;
      assert.equal(await c.tokenize('c d'), null, 'down for a moment');
      assert.deepEqual(await c.tokenize('e f g'), [1, 2, 3], 'its shape kept: asked again');
      const b = clientAt(url);
      assert.equal(await b.tokenize('   '), null);
      asked = 0;
      assert.deepEqual(await b.tokenize('h i'), [1, 2], 'a blank text left unanswered did not make it a server without a tokenizer');
      assert.equal(asked, 1);
      await b.close();
    } finally {
      await c.close();
      await new Promise((r) => flaky.close(r));
    }
  });

  test("a TGI-shaped server: tokens from its list of objects, no /detokenize asked, the chat counted by /chat_tokenize; an answer out of 2xx is none", async () => {
    const paths: string[] = [];
    const tgi = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        paths.push(req.url ?? '');
        const body = JSON.parse(text || '{}') as { inputs?: string; messages?: unknown[] };
        const send = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/tokenize' && typeof body.inputs === 'string') {
          const list = body.inputs.split(' ').map((w, i) => ({ id: 7 + i, text: w, start: 0, stop: 0 }));
          return send(body.inputs.startsWith('s300') ? 300 : body.inputs.startsWith('s299') ? 299 : 200, list);
        }
        if (req.url === '/chat_tokenize') return send(200, { tokenize_response: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], templated_text: '' });
        if (req.url === '/v1/models') return send(299, { data: [{ id: 'tgi' }] });
        send(404, { error: 'no route' });
      });
    });
    await new Promise<void>((r) => tgi.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(tgi.address() as AddressInfo).port}/v1`;
    const c = clientAt(url);
    try {
      assert.deepEqual(await c.tokenize('a b c'), [7, 8, 9]);
      const before = paths.length;
      assert.equal(await c.detokenize([7, 8]), null);
      assert.equal(paths.length, before, 'TGI has no /detokenize: not asked');
      assert.equal(await c.chatPromptTokens('hi'), 4);
      for (const [text, ids, what] of [['s299 x', [7, 8], 'any 2xx status is an answer'], ['s300 x', null, 'a 3xx is not']] as const) {
        const fresh = clientAt(url);
        assert.deepEqual(await fresh.tokenize(text), ids, what);
        await fresh.close();
      }
      assert.deepEqual(await c.listModels().then((r) => (r.kind === 'listed' ? r.names : r)), ['tgi'], 'the models listed with a 2xx status');
    } finally {
      await c.close();
      await new Promise((r) => tgi.close(r));
    }
  });

  test('an answer that is not JSON is no list of models; a closed client reaches nothing', async () => {
    const html = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a proxy page</html>'));
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    const c = clientAt(`http://127.0.0.1:${(html.address() as AddressInfo).port}/v1`);
    try {
      assert.deepEqual(await c.listModels(), { kind: 'absent', status: 200 });
      assert.equal(await c.tokenize('a b'), null);
    } finally {
      await c.close();
      await new Promise((r) => html.close(r));
    }
    const closed = clientAt(server.url);
    await closed.close();
    assert.deepEqual(await closed.listModels(), { kind: 'unreachable' });
  });

  test('listModels: the names listed; no such endpoint is absent with its status; nothing listening is unreachable', async () => {
    const c = clientAt(server.url);
    const listed = await c.listModels();
    assert.equal(listed.kind, 'listed');
    assert.deepEqual(listed.kind === 'listed' ? listed.names : null, ['a', 'b']);
    await c.close();
    const bare = await startScriptedServer();
    const d = clientAt(bare.url);
    assert.deepEqual(await d.listModels(), { kind: 'absent', status: 404 });
    await d.close();
    await bare.close();
    const gone = clientAt(bare.url);
    assert.deepEqual(await gone.listModels(), { kind: 'unreachable' });
    await gone.close();
  });

  test('listModels reads each served name with its context: vLLM max_model_len, llama.cpp meta.n_ctx, aliases', async () => {
    // the answers of the two servers, as their documentation gives them
    const answer = { data: [{ id: 'v', max_model_len: 4096 }, { id: 'l', aliases: ['l2'], meta: { n_ctx: 8192 } }, { name: 'n' }], models: [] };
    // below /v2 the same list with a failing status: not a list of what is served
    const http = createServer((req, res) => res.writeHead(req.url?.startsWith('/v2') ? 500 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const c = clientAt(`http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`);
    try {
      const r = await c.listModels();
      assert.equal(r.kind, 'listed');
      if (r.kind !== 'listed') return;
      assert.deepEqual(r.names, ['v', 'l', 'l2', 'n']);
      assert.deepEqual([...r.context.entries()], [['v', 4096], ['l', 8192], ['l2', 8192]]);
      const failing = clientAt(`http://127.0.0.1:${(http.address() as AddressInfo).port}/v2`);
      assert.deepEqual(await failing.listModels(), { kind: 'absent', status: 500 });
      await failing.close();
    } finally {
      await c.close();
      await new Promise((r) => http.close(r));
    }
  });
});
