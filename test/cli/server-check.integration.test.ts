/**
 * What a real server taught (issue: llama-server in the tests), against the scripted server where
 * it can make a case happen on demand: unique prompts, stale keep-alive connections retried once,
 * the served model checked, cache reports against the reuse asked, one failure account.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readResult, readResultWithRecords, runCli, tempDir } from '../helpers.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-openai-server.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});


async function takeLog(s: ScriptedServer): Promise<{ prompt: number[] | string }[]> {
  const res = await fetch(`${s.url.replace(/\/v1$/, '')}/_log?clear=1`);
  return (await res.json()) as { prompt: number[] | string }[];
}

test('run --engine openai: every request of a run has its own prompt, from the first token; prompt reuse on purpose is recorded', async () => {
  await takeLog(server);
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'ttft=2,itl=15', '--sequence-length', '16', '--new-tokens', '4', '--warmup', '2', '--iterations', '3', '--batch-size', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const prompts = (await takeLog(server)).map((e) => e.prompt).filter((p): p is number[] => Array.isArray(p) && p.length === 16);
  // the calibration probe, the validity run, 2 warmups and 3 iterations, 2 rows each
  assert.equal(prompts.length, 1 + 2 * (1 + 2 + 3));
  assert.equal(new Set(prompts.map((p) => p[0])).size, prompts.length, 'first tokens all differ');
  assert.equal(readResult(out).benchmarks[0]?.server_check?.prompt_reuse, 'unique');

  for (const [mode, shared] of [['repeat', 16], ['prefix=5', 5]] as const) {
    const rr = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'ttft=2,itl=15', '--sequence-length', '16', '--new-tokens', '4', '--warmup', '0', '--iterations', '3', '--prompt-reuse', mode, '--no-store', '--quiet', '--output', out]);
    assert.equal(rr.code, 0, rr.stderr);
    const again = (await takeLog(server)).map((e) => e.prompt).filter((p): p is number[] => Array.isArray(p) && p.length === 16);
    const first = again[0] as number[];
    for (const p of again.slice(1)) {
      assert.deepEqual(p.slice(0, shared), first.slice(0, shared), mode);
      if (shared < 16) assert.notEqual(p[shared], first[shared], `${mode}: differs after the shared prefix`);
    }
    const b = readResult(out).benchmarks[0];
    assert.equal(b?.config.engine_options.prompt_reuse, mode);
    assert.equal(b?.server_check?.prompt_reuse, mode);
  }
  const bad = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'm', '--prompt-reuse', 'prefix=0', '--no-store']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /prompt_reuse must be unique, repeat or prefix=N \(N >= 1\), got 'prefix=0'/);
});

test('a request on a reused connection that the server closed before answering is sent once more, and then every request asks for its connection to close; never sent again after a response byte', async () => {
  const out = join(tempDir(), 'l.json');
  // drop_reused: every request that arrives on a connection that carried one before is dropped
  const r = await runCli(['load', '--url', server.url, '--model', 'drop_reused=1,ttft=2,itl=15', '--concurrency', '1', '--requests', '6', '--warmup-requests', '1', '--output-len', '4', '--input-len', '8', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.load?.counts.ok, 6);
  // the first went out on a reused connection that the server had closed, and was sent again; from
  // then on the client asks for each connection to close (as this server does anyway): no more retries
  // (the one retry can fall in the calibration or the warmup, before the measured requests)
  const retries = b?.requests?.map((q) => q.retries ?? 0) ?? [];
  assert.ok(retries.slice(1).every((n) => n === 0), `retries ${retries.join(', ')}`);
  assert.equal(b?.server_check?.retries, retries[0]);
  if (retries[0] === 1) assert.match(r.stdout, /1 requests were sent again after the server closed their reused connection/);

  // a retried request waits from when it was due: the dropped send's 300 ms count in its from-due latency, not in its TTFT
  const late = await runCli(['load', '--url', server.url, '--model', 'drop_reused=1,drop_ms=300,ttft=5,itl=5', '--request-rate', '5', '--requests', '4', '--warmup-requests', '0', '--output-len', '4', '--input-len', '8', '--no-store', '--quiet', '--output', out]);
  assert.equal(late.code, 0, late.stderr + late.stdout);
  const retried = (await readResultWithRecords(out)).benchmarks[0]?.requests?.filter((q) => (q.retries ?? 0) > 0) ?? [];
  for (const q of retried) {
    assert.ok((q.ttft_ms as number) < 250, `TTFT ${q.ttft_ms} ms`);
    assert.ok((q.ttft_from_schedule_ms as number) - (q.ttft_ms as number) >= 300, `from due ${q.ttft_from_schedule_ms} ms, TTFT ${q.ttft_ms} ms`);
  }

  // a stream cut after its first chunk is a failure, not a retry
  const cut = await runCli(['load', '--url', server.url, '--model', 'fail=cut,fail_at=1', '--concurrency', '1', '--requests', '3', '--warmup-requests', '1', '--output-len', '4', '--input-len', '8', '--no-store', '--quiet', '--output', out]);
  assert.equal(cut.code, 1);
  const c = (await readResultWithRecords(out)).benchmarks[0];
  assert.deepEqual(c?.requests?.map((q) => [q.failure?.kind, q.retries]), [['truncated', 0], ['truncated', 0], ['truncated', 0]]);
});

test('the served model is checked against GET /v1/models: not listed is exit 2 with the names; no endpoint is a warning', async () => {
  const listing = await startScriptedServer(0, undefined, ['served-a', 'served-b']);
  try {
    const out = join(tempDir(), 'r.json');
    const wrong = await runCli(['run', '--engine', 'openai', '--url', listing.url, '--model', 'other', '--no-store', '--output', out]);
    assert.equal(wrong.code, 2);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    assert.match(wrong.stderr, /model 'other' is not served at http:\/\/127\.0\.0\.1:\d+\/v1: it lists 'served-a', 'served-b' \(--no-model-check skips this check\)/);
    const wrongLoad = await runCli(['load', '--url', listing.url, '--model', 'other', '--no-store', '--output', out]);
    assert.equal(wrongLoad.code, 2);
    assert.match(wrongLoad.stderr, /it lists 'served-a', 'served-b'/);
    const skipped = await runCli(['run', '--engine', 'openai', '--url', listing.url, '--model', 'other', '--no-model-check', '--sequence-length', '8', '--new-tokens', '4', '--warmup', '0', '--iterations', '1', '--no-store', '--quiet', '--output', out]);
    assert.equal(skipped.code, 0, skipped.stderr);
    const listed = await runCli(['run', '--engine', 'openai', '--url', listing.url, '--model', 'served-a', '--sequence-length', '8', '--new-tokens', '4', '--warmup', '0', '--iterations', '1', '--no-store', '--output', out]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.doesNotMatch(listed.stderr, /not checked/);
    assert.deepEqual(readResult(out).benchmarks[0]?.server_check?.served_models, ['served-a'], 'the model each response named');
  } finally {
    await listing.close();
  }
  const out = join(tempDir(), 'r.json');
  const unlisted = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'ttft=2', '--sequence-length', '8', '--new-tokens', '4', '--warmup', '0', '--iterations', '1', '--no-store', '--output', out]);
  assert.equal(unlisted.code, 0, unlisted.stderr);
  assert.match(unlisted.stderr, /\/v1\/models answered 404: the model name 'ttft=2' was not checked against the server/);
});

test('cache reports are checked against the prompt reuse asked for', async () => {
  const out = join(tempDir(), 'r.json');
  // 12 of 16 prompt tokens "from cache" although every prompt is unique
  const hit = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'cached=12,ttft=2,itl=15', '--sequence-length', '16', '--new-tokens', '4', '--warmup', '0', '--iterations', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(hit.code, 0, hit.stderr + hit.stdout);
  assert.match(hit.stdout, /the server served part of a unique prompt from its cache in 2 of 2 requests \(prompt tokens it processed itself: 25\.0%\)/);
  const check = readResult(out).benchmarks[0]?.server_check;
  assert.equal(check?.cache_contradictions, 2);
  assert.equal(check?.processed_prompt_fraction, 0.25);
  // repeat asked, but the server says it cached nothing
  const none = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'cached=0,ttft=2,itl=15', '--sequence-length', '16', '--new-tokens', '4', '--warmup', '0', '--iterations', '2', '--prompt-reuse', 'repeat', '--no-store', '--quiet', '--output', out]);
  assert.equal(none.code, 0, none.stderr + none.stdout);
  assert.match(none.stdout, /reported no cache use although prompt_reuse is repeat in 2 of 2 requests/);
});

test('load: one failure account when the server goes away mid-run: scheduled = sent + never sent, sent = ok + failed; mostly failed is a failed value', async () => {
  const doomed = await startScriptedServer();
  const out = join(tempDir(), 'l.json');
  // the server stops while the measured requests run (it is in this process: its log is at hand)
  const watch = setInterval(() => {
    if (doomed.log.filter((e) => e.done).length >= 5) {
      clearInterval(watch);
      void doomed.close();
    }
  }, 1);
  const r = await runCli(['load', '--url', doomed.url, '--model', 'ttft=5,itl=5', '--concurrency', '2', '--requests', '20', '--warmup-requests', '0', '--output-len', '4', '--input-len', '8', '--no-store', '--output', out]);
  clearInterval(watch);
  await doomed.close();
  const b = readResult(out).benchmarks[0];
  const c = b?.load?.counts;
  assert.ok(c, r.stderr);
  const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((a, n) => a + n, 0);
  assert.equal(c.scheduled, 20);
  assert.equal(c.scheduled, c.sent + c.dropped);
  assert.equal(c.sent, c.ok + c.failed);
  assert.equal(sum(b?.load?.failures), c.failed);
  assert.equal(sum(b?.load?.not_sent), c.dropped);
  assert.ok(c.ok < 18, `${c.ok} ok: the server went away`);
  assert.equal(b?.status, 'failed');
  assert.equal(r.code, 1);
  assert.match(b?.error?.message ?? '', /of 20 scheduled requests succeeded, under 90%/);
  assert.match(r.stdout, new RegExp(`20 scheduled = ${c.sent} sent \\+ ${c.dropped} never sent`));
});

test('a server without a tokenizer endpoint: words calibrated against its prompt count, mismatches counted in run and load alike', async () => {
  const out = join(tempDir(), 'r.json');
  // 2 tokens per word and 3 more per prompt: the probes find both, so 16 tokens are 8 words
  const model = 'no_tokenize=1,word_tokens=2,template=3,ttft=2,itl=15';
  const r = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', model, '--sequence-length', '16', '--new-tokens', '4', '--warmup', '0', '--iterations', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const http = readResult(out).benchmarks[0]?.iterations.flatMap((it) => it.http ?? []) ?? [];
  assert.deepEqual(http.map((h) => [h.input_tokens, h.prompt_overhead_tokens, h.prompt_tokens]), [[16, 3, 19], [16, 3, 19]]);
  const l = await runCli(['load', '--url', server.url, '--model', model, '--concurrency', '2', '--requests', '4', '--input-len', '16', '--output-len', '4', '--no-store', '--quiet', '--output', out]);
  assert.equal(l.code, 0, l.stderr + l.stdout);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.load?.counts.prompt_mismatches, 0);
  assert.deepEqual([...new Set(b?.requests?.map((q) => q.prompt_tokens))], [19]);
  // 15 tokens asked is 7.5 words: whole words cannot make it, and every request says so
  const odd = await runCli(['load', '--url', server.url, '--model', model, '--concurrency', '2', '--requests', '4', '--input-len', '15', '--output-len', '4', '--no-store', '--output', out]);
  assert.equal(odd.code, 0, odd.stderr);
  assert.equal(readResult(out).benchmarks[0]?.load?.counts.prompt_mismatches, 4);
  assert.match(odd.stdout, /the server counted 19 prompt tokens in 4 of 4 requests, asked 15 \+ 3 it adds to every prompt/);
});
