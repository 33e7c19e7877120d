/**
 * The client's warm-up: responses streamed on loopback through the measured path, read as whole
 * responses of tokens in every API shape and client setting, nothing sent to the server under test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { streamClientWarmup, WARMUP_CHUNKS, WARMUP_RESPONSES, warmClientPath } from '../../src/http/client-warmup.js';
import type { OpenAiTarget } from '../../src/http/openai-client.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

const targetOf = (api: OpenAiTarget['api'], logprobs = true, usage = true): OpenAiTarget => ({ url: server.url, model: 'ttft=1,itl=1', api, apiKey: 'secret', ignoreEos: true, logprobs, usage, idleTimeoutMs: 5_000, totalTimeoutMs: 10_000, busyPoll: true });

test('every response of the warm-up is read whole, as tokens, in both APIs and with or without logprobs and usage; none reaches the server under test', async () => {
  for (const api of ['completions', 'chat'] as const) {
    for (const [logprobs, usage] of [[true, true], [false, true], [false, false]] as const) {
      assert.equal(await streamClientWarmup(targetOf(api, logprobs, usage)), WARMUP_RESPONSES * WARMUP_CHUNKS, `${api}, logprobs ${logprobs}, usage ${usage}`);
    }
  }
  assert.deepEqual([server.log.length, server.questions.length], [0, 0], 'nothing sent to the target');
});

test('an interrupted warm-up stops; once per process and API; TOKENBENCH_CLIENT_WARMUP=0 streams nothing', async () => {
  const cut = new AbortController();
  cut.abort();
  assert.equal(await streamClientWarmup(targetOf('completions'), cut.signal), 0);
  const first = await warmClientPath(targetOf('completions'));
  assert.equal(first, WARMUP_RESPONSES * WARMUP_CHUNKS);
  // streamed again, an interrupted warm-up would read nothing: the first one's answer shows it was not
  assert.equal(await warmClientPath(targetOf('completions'), cut.signal), first, 'not streamed again');
  process.env.TOKENBENCH_CLIENT_WARMUP = '0';
  try {
    assert.equal(await warmClientPath(targetOf('chat')), 0);
  } finally {
    delete process.env.TOKENBENCH_CLIENT_WARMUP;
  }
});
