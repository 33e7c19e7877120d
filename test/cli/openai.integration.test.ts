/** `run --engine openai` and `load` through the CLI, against the scripted server in this process. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RunResultSchema } from '../../src/results/schema.js';
import { readResult, readResultWithRecords, runCli, tempDir } from '../helpers.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';
import { installedVersion } from '../../src/util/optional-package.js';

const undiciVersion = installedVersion('undici');

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});


test('run --engine openai: the same iterations, records and statistics as in-process engines', async () => {
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'ttft=25,itl=4', '--sequence-length', '12', '--new-tokens', '6', '--warmup', '1', '--iterations', '3', '--batch-size', '1', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = readResult(out);
  assert.equal(run.benchmarks.length, 2);
  for (const b of run.benchmarks) {
    assert.equal(b.status, 'ok');
    assert.equal(b.model?.source, 'server');
    assert.equal(b.iterations.length, 3);
    for (const it of b.iterations) {
      assert.equal(it.http?.length, b.config.batch_size, 'one request per row');
      assert.equal(it.token_ms.length, 6);
      assert.ok(it.ttft_ms >= 25, `ttft ${it.ttft_ms}`);
      for (const h of it.http ?? []) {
        assert.equal(h.ok, true);
        assert.equal(h.prompt_tokens, 12, 'exact prompt length through the server tokenizer');
        assert.equal(h.token_source, 'logprobs');
        assert.equal(h.output_tokens, 6);
      }
      if (b.config.batch_size === 2) assert.equal(it.token_ms_by_row?.length, 2);
    }
    // the server writes every 4 ms, but a busy machine can read late and then quickly: no bound on
    // the client's ITL holds, so the summary is checked against its iterations instead
    const itls = b.iterations.map((it) => it.itl_ms as number).sort((x, y) => x - y);
    assert.ok(itls.every((x) => x > 0));
    assert.equal(b.summary?.itl_ms?.p50, itls[1]);
  }
});

test('run --engine openai: a server that stops early fails the token count; a missing URL is bad input', async () => {
  const out = join(tempDir(), 'r.json');
  const short = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'eos_at=3', '--new-tokens', '6', '--warmup', '0', '--iterations', '1', '--no-store', '--quiet', '--output', out]);
  assert.equal(short.code, 1);
  assert.equal(readResult(out).benchmarks[0]?.error?.kind, 'token_count');
  const unstreamed = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'one_write=1', '--new-tokens', '4', '--warmup', '0', '--iterations', '1', '--no-store', '--quiet', '--output', out]);
  assert.equal(unstreamed.code, 1);
  assert.match(readResult(out).benchmarks[0]?.error?.message ?? '', /all 4 tokens of a request in one read: it does not stream them/);
  // tokens a server adds to every prompt (a template) are calibrated by a probe, not flagged
  const templated = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'template=5', '--sequence-length', '12', '--new-tokens', '4', '--warmup', '0', '--iterations', '2', '--busy-poll', '--no-store', '--quiet', '--output', out]);
  assert.equal(templated.code, 0, templated.stderr);
  assert.doesNotMatch(templated.stdout, /the server counted/);
  const t = readResult(out).benchmarks[0];
  assert.equal(t?.config.engine_options.busy_poll, true);
  assert.deepEqual([...new Set(t?.iterations.flatMap((it) => it.http ?? []).map((h) => [h.prompt_tokens, h.prompt_overhead_tokens].join('+')))], ['17+5']);
  assert.equal(t?.server_check?.prompt_mismatches, 0);
  // a count that differs from the calibrated one is flagged
  const miscounted = await runCli(['run', '--engine', 'openai', '--url', server.url, '--model', 'miscount=3', '--sequence-length', '12', '--new-tokens', '4', '--warmup', '0', '--iterations', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(miscounted.code, 0, miscounted.stderr);
  assert.match(miscounted.stdout, /the server counted 15 prompt tokens in 2 of 2 requests, asked 12\n/);
  assert.equal(readResult(out).benchmarks[0]?.server_check?.prompt_mismatches, 2, 'the measured iterations');
  const noUrl = await runCli(['run', '--engine', 'openai', '--model', 'm', '--no-store']);
  assert.equal(noUrl.code, 2);
  assert.equal(noUrl.stderr.trim().split('\n').length, 1);
  assert.match(noUrl.stderr, /needs the server's URL: --url/);
  const badUrl = await runCli(['run', '--engine', 'openai', '--url', 'localhost:8000', '--model', 'm', '--no-store']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /engine option url must be an http:\/\/ or https:\/\/ URL, got 'localhost:8000'/);
});

test('load --json: closed-loop sweep, per-request records, goodput and a valid result', async () => {
  const out = join(tempDir(), 'l.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'ttft=10,itl=2', '--concurrency', '1', '4', '--requests', '12', '--input-len', '16', '--output-len', '5', '--slo', 'ttft=5s', 'tpot=1s', '--no-store', '--json', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const printed = RunResultSchema.parse(JSON.parse(r.stdout));
  const run = await readResultWithRecords(out);
  assert.equal(printed.run_id, run.run_id);
  assert.deepEqual(run.benchmarks.map((b) => b.config.load?.concurrency), [1, 4]);
  for (const b of run.benchmarks) {
    assert.equal(b.requests?.length, 12);
    assert.equal(b.load?.counts.ok, 12);
    assert.equal(b.load?.goodput?.fraction, 1);
    assert.equal(b.load?.counts.prompt_mismatches, 0);
    assert.equal(b.load?.client.warmup_chunks, 48 * 64, 'the client warmed on loopback before measuring (once per process: every value says so)');
    assert.deepEqual(b.engine?.settings, { http_client: `undici ${undiciVersion}`, connections: b.config.load?.concurrency, tokenizer: 'vllm', prompt_lengths: 'exact' });
    assert.ok(b.summary?.ttft_ms && b.summary.ttft_ms.n === 12);
    for (const q of b.requests ?? []) assert.equal(q.prompt_tokens, 16);
  }
  assert.match(r.stderr, /concurrency 4\s+ok\s+12\/12/);
  // load runs compare like any other: matched by hash, on their successful requests
  const again = join(tempDir(), 'l2.json');
  assert.equal((await runCli(['load', '--url', server.url, '--model', 'ttft=10,itl=2', '--concurrency', '1', '4', '--requests', '12', '--input-len', '16', '--output-len', '5', '--slo', 'ttft=5s', 'tpot=1s', '--no-store', '--quiet', '--output', again])).code, 0);
  const cmp = await runCli(['compare', out, again, '--format', 'json']);
  const report = JSON.parse(cmp.stdout) as { regressions: number; pairs: { n_baseline: number; metrics: { verdict: string }[] }[] };
  assert.deepEqual(report.pairs.map((p) => p.n_baseline), [12, 12]);
  // two runs of the same load may differ by chance: the exit code must follow what was found
  assert.equal(report.regressions, report.pairs.flatMap((p) => p.metrics).filter((m) => m.verdict === 'slower').length);
  assert.equal(cmp.code, report.regressions > 0 ? 1 : 0, cmp.stderr);
});

test('load: open loop on a chat dataset; bad input is one line and exit 2; an unreachable server is a failed value', async () => {
  const dir = tempDir();
  const data = join(dir, 'prompts.jsonl');
  writeFileSync(data, `${JSON.stringify({ conversations: [{ from: 'human', value: 'hello there' }, { from: 'gpt', value: 'hi' }] })}\n${JSON.stringify({ prompt: 'one two three', output_len: 3 })}\n`);
  const out = join(dir, 'l.json');
  const r = await runCli(['load', '--url', server.url, '--api', 'chat', '--model', 'ttft=5,itl=1', '--request-rate', '50', '--arrival', 'poisson', '--seed', '3', '--requests', '10', '--dataset', data, '--output-len', '4', '--busy-poll', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.load?.counts.ok, 10);
  assert.equal(b?.config.engine_options.busy_poll, true, 'the busy polling a run used is kept with its config');
  assert.deepEqual(b?.requests?.slice(0, 2).map((q) => q.max_tokens), [4, 3]);
  assert.ok(b?.load?.schedule_rate);

  const bad: [string[], RegExp][] = [
    [['--slo', 'ttft=fast'], /--slo takes ttft=, tpot= or e2e=/],
    [['--concurrency', '2', '--request-rate', '5'], /not both/],
    [['--request-rate', '0'], /--request-rate must be a number > 0, written in decimal; got '0'/],
    [['--concurrency', '0x2'], /--concurrency must be an integer >= 1 \(at most 9007199254740991\), written in decimal; got '0x2'/],
    [['--requests', '9007199254740993'], /--requests must be an integer >= 1 \(at most 9007199254740991\)/],
    [['--arrival', 'weibull', '--request-rate', '1'], /--arrival must be one of constant, poisson, gamma/],
    [['--concurrency', '2', '--burstiness', '0.5'], /--burstiness applies to an open loop \(--request-rate\)/],
    [['--concurrency', '2', '--max-concurrency', '4'], /--max-concurrency applies to an open loop/],
    [['--output-len', '1e9'], /--output-len must be at most 1048576 tokens, got 1000000000/],
  ];
  for (const [flags, message] of bad) {
    const res = await runCli(['load', '--url', server.url, '--model', 'm', '--no-store', ...flags]);
    assert.equal(res.code, 2, flags.join(' '));
    assert.equal(res.stderr.trim().split('\n').length, 1);
    assert.match(res.stderr, message);
  }
  writeFileSync(data, '{"prompt": "ok"}\n{"nothing": 1}\n');
  const badData = await runCli(['load', '--url', server.url, '--model', 'm', '--dataset', data, '--no-store', '--quiet', '--output', out]);
  assert.equal(badData.code, 2);
  assert.match(badData.stderr, /prompts\.jsonl:2: no prompt/);

  const down = await runCli(['load', '--url', 'http://127.0.0.1:1/v1', '--model', 'm', '--requests', '3', '--warmup-requests', '0', '--no-store', '--quiet', '--output', out]);
  assert.equal(down.code, 1);
  const failed = readResult(out).benchmarks[0];
  assert.equal(failed?.status, 'failed');
  // never sent is not failed: scheduled = sent + never sent, sent = ok + failed
  assert.deepEqual(failed?.load?.failures, {});
  assert.deepEqual(failed?.load?.not_sent, { connect: 3 });
  assert.deepEqual(failed?.load?.counts && [failed.load.counts.scheduled, failed.load.counts.sent, failed.load.counts.dropped, failed.load.counts.ok, failed.load.counts.failed], [3, 0, 3, 0, 0]);
  assert.match(failed?.error?.message ?? '', /0 of 3 scheduled requests succeeded, under 90% \(3 connect\)/);
});

test('run --engine openai over HTTPS: reads held for stamping work on TLS sockets too, in both client modes', async () => {
  // hosted APIs are HTTPS: a self-signed certificate made here, trusted through NODE_EXTRA_CA_CERTS
  const dir = tempDir();
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const tlsServer = await startScriptedServer(0, { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') });
  try {
    assert.match(tlsServer.url, /^https:/);
    for (const extra of [[], ['--busy-poll']]) {
      const out = join(dir, `r${extra.length}.json`);
      const r = await runCli(['run', '--engine', 'openai', '--url', tlsServer.url, '--model', 'ttft=15,itl=4', '--sequence-length', '8', '--new-tokens', '6', '--warmup', '1', '--iterations', '2', '--batch-size', '2', ...extra, '--no-store', '--quiet', '--output', out], { env: { NODE_EXTRA_CA_CERTS: cert } });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const b = readResult(out).benchmarks[0];
      assert.equal(b?.status, 'ok');
      for (const h of b?.iterations.flatMap((it) => it.http ?? []) ?? []) {
        assert.equal(h.ok, true);
        assert.equal(h.output_tokens, 6);
        assert.equal(h.prompt_tokens, 8);
        assert.ok((h.ttft_ms as number) >= 15, `ttft ${h.ttft_ms}`);
        assert.ok(h.reads > 1, 'streamed, not read in one piece');
      }
      // no ITL-against-schedule check here: the in-process TLS server runs late under load, and
      // test/http checks stamps against the server's own write log
      assert.ok((b?.summary?.itl_ms?.p50 as number) > 0);
    }
  } finally {
    await tlsServer.close();
  }
});
