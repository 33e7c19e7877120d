/**
 * `load --find-max-rate` and `--find-max-concurrency` through the CLI against a scripted server of
 * known capacity (K slots, one FIFO queue, fixed prefill and per-token time): the answer is checked
 * against a simulation of that queue over the very schedules the probes sent.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CapacityPoint } from '../../src/results/schema.js';
import { freePort, readResult, runCli, tempDir } from '../helpers.js';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-openai-server.js';
import { simulatedMaxRate, type SlotServer } from '../support/slot-queue.js';

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The slot server as the log saw it: service (slot taken to last token written, plus the end) and first token (slot to first write, plus the way to the client). */
function measuredSlotServer(slots: number, from: number): SlotServer {
  const served = server.log.slice(from).filter((e) => e.slot_ns !== undefined && e.written_ns.length > 0);
  const slot = (e: (typeof served)[number]): bigint => BigInt(e.slot_ns as string);
  const service = served.map((e) => Number(BigInt(e.written_ns.at(-1) as string) - slot(e)) / 1e6);
  const first = served.map((e) => Number(BigInt(e.written_ns[0] as string) - slot(e)) / 1e6);
  // the usage event and [DONE] follow the last token in the same turn; the client reads within a few tenths of a ms on loopback
  return { slots, serviceMs: mean(service) + 0.2, firstTokenMs: mean(first) + 0.5 };
}

test('--find-max-rate finds the capacity a simulation of the slot queue gives, within its precision and noise', async () => {
  const dir = tempDir();
  const out = join(dir, 'r.json');
  const from = server.log.length;
  const model = 'slots=2,ttft=15,itl=4';
  const requests = 150;
  const seed = 3;
  const r = await runCli(['load', '--url', server.url, '--model', model, '--no-model-check', '--input-len', '8', '--output-len', '6', '--find-max-rate', '--slo', 'ttft=45ms', '--slo-percentile', '90', '--max-rate-precision', '0.1', '--requests', String(requests), '--seed', String(seed), '--saturation-concurrency', '6', '--no-store', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = readResult(out);
  const c = run.capacity;
  assert.ok(c);
  assert.equal(c.status, 'found');
  assert.equal(c.search, 'rate');
  assert.equal(c.percentile, 90);
  assert.deepEqual(c.slo, { ttft_ms: 45, tpot_ms: null, e2e_ms: null });
  // every probe is a whole benchmark of the result, in order, saturation first
  assert.equal(c.points.length, run.benchmarks.length);
  assert.deepEqual(c.points.map((p) => p.benchmark), run.benchmarks.map((b) => b.config.name));
  assert.equal(c.points[0]?.kind, 'saturation');
  assert.equal(c.points[0]?.concurrency, 6);
  assert.ok(c.saturation_rps !== null && c.saturation_rps > 0);
  // the first probe offers the saturated throughput (to 3 digits), and every probe offers exactly its rate
  assert.equal(c.points[1]?.rate_rps, Number((c.saturation_rps as number).toPrecision(3)));
  for (const p of c.points.slice(1)) assert.ok(Math.abs((p.schedule_rate_rps as number) - (p.rate_rps as number)) < 1e-6, `probe ${p.probe} drew ${p.schedule_rate_rps} for ${p.rate_rps}`);
  const held = c.bracket.holds as number;
  const failed = c.bracket.fails as number;
  assert.equal(c.max_rate_rps, held);
  assert.ok(failed - held <= 0.1 * held, `bracket [${held}, ${failed}] within 10%`);

  const truth = simulatedMaxRate(measuredSlotServer(2, from), 45, requests, seed, 0.9);
  // the criterion: the truth lies within the answer's stated noise (its interval), widened by
  // the search's precision. The simulation leaves out the client's own delays (dispatch, reading),
  // which a busy machine makes a few ms: the real queue comes out a little slower than the simulated one
  const precision = 0.1;
  const [lo, hi] = c.interval ?? [NaN, null];
  assert.ok(truth >= lo * (1 - precision) && (hi === null || truth <= hi * (1 + precision)), `simulated capacity ${truth.toFixed(2)} req/s, noise interval [${lo}, ${hi}], bracket [${held}, ${failed}]`);
  // and the answer itself is near it: within 15% (seen here: 0.95-0.98 of the truth on a quiet machine, 0.94 under CI's load)
  assert.ok(Math.abs(held / truth - 1) <= 0.15, `found ${held} req/s against a simulated ${truth.toFixed(2)}`);
  // probes well below the truth held, and well above it failed
  const judged = c.points.filter((p): p is CapacityPoint & { rate_rps: number } => p.holds !== null && p.rate_rps !== null);
  for (const p of judged) {
    if (p.rate_rps < truth * 0.8) assert.equal(p.holds, true, `${p.rate_rps} req/s is well under ${truth.toFixed(2)}`);
    if (p.rate_rps > truth * 1.2) assert.equal(p.holds, false, `${p.rate_rps} req/s is well over ${truth.toFixed(2)}`);
  }
  assert.ok(judged.some((p) => p.holds) && judged.some((p) => !p.holds));
  // the console: each probe as it ends, the answer last
  assert.match(r.stderr, /probe 1 \(saturation\): concurrency 6/);
  assert.match(r.stderr, /probe 2: rate [\d.]+ req\/s .*TTFT p90 .* (holds|fails)/);
  assert.match(r.stdout, new RegExp(`Capacity: ${held} req/s \\(Poisson arrivals\\) with TTFT <= 45 ms for 90% of requests`));
  assert.match(r.stdout, /What limits it: at [\d.]+ req\/s: TTFT p90/);
  // every probe's records are beside the result
  assert.equal(readdirSync(dir).filter((f) => f.includes('.requests-')).length, run.benchmarks.length);
});

test('--find-max-concurrency: 2 slots of 35 ms hold 4 users at once within TTFT 60 ms, not 5', async () => {
  // a closed loop of c users on 2 slots with a fixed service of S = 35 ms moves in lockstep: every
  // S, two requests end and the next two waiting take their slots. Up to 2 users never wait (TTFT
  // about 15 ms); 3 and 4 wait one service for some or all requests (about 50 ms); from 5 on some
  // wait two (about 85 ms)
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'slots=2,ttft=15,itl=4', '--no-model-check', '--input-len', '8', '--output-len', '6', '--find-max-concurrency', '--slo', 'ttft=60ms', '--slo-percentile', '90', '--requests', '60', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const c = readResult(out).capacity;
  assert.ok(c);
  assert.equal(c.status, 'found');
  assert.deepEqual(c.points.map((p) => [p.concurrency, p.holds]), [[1, true], [2, true], [4, true], [8, false], [6, false], [5, false]]);
  assert.equal(c.max_concurrency, 4);
  assert.match(r.stdout, /Capacity: 4 users at once \(closed loop\) with TTFT <= 60 ms for 90% of requests/);
});

test('a search stopped with Ctrl-C keeps its probes and says where it stood', async () => {
  const out = join(tempDir(), 'r.json');
  let sent = false;
  const r = await runCli(['load', '--url', server.url, '--model', 'slots=2,ttft=15,itl=4', '--no-model-check', '--input-len', '8', '--output-len', '6', '--find-max-rate', '--slo', 'ttft=45ms', '--slo-percentile', '90', '--requests', '100', '--saturation-concurrency', '4', '--no-store', '--output', out], {
    onStderr: (text, child) => {
      if (!sent && /probe 2: rate/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(r.code, 130, r.stderr);
  const run = readResult(out);
  const c = run.capacity;
  assert.ok(c);
  assert.equal(c.status, 'interrupted');
  assert.ok(c.points.length >= 2, `${c.points.length} probes kept`);
  assert.equal(c.points.length, run.benchmarks.length);
  assert.match(c.answer, /^interrupted: /);
  assert.match(r.stdout, /Interrupted: /);
});

test('a capacity search refuses bad input: one line, exit 2, nothing written', async () => {
  const dir = tempDir();
  const base = ['load', '--url', server.url, '--model', 'ttft=5', '--no-store', '--output-dir', join(dir, 'out')];
  const cases: [string[], RegExp][] = [
    [['--find-max-rate'], /--find-max-rate needs the limits to hold: --slo/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--concurrency', '4'], /--find-max-rate chooses the rate itself; drop --concurrency/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--request-rate', '4'], /drop --request-rate/],
    [['--find-max-concurrency', '--slo', 'ttft=200ms', '--concurrency', '4'], /--find-max-concurrency chooses the concurrency itself/],
    [['--find-max-rate', '--find-max-concurrency', '--slo', 'ttft=200ms'], /not both/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--slo-percentile', '100'], /--slo-percentile must be in \(0, 100\)/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--slo-percentile', '0'], /--slo-percentile must be a number > 0/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--slo-percentile', '-5'], /--slo-percentile must be a number > 0/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--max-rate-precision', '1'], /--max-rate-precision must be in \(0, 1\)/],
    [['--find-max-concurrency', '--slo', 'ttft=200ms', '--max-rate-precision', '0.1'], /applies to --find-max-rate/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--saturation-concurrency', '0x10'], /--saturation-concurrency must be an integer >= 1 .* written in decimal; got '0x10'/],
    [['--find-max-rate', '--slo', 'ttft=200ms', '--workers', '2'], /--workers cannot be used with it/],
    [['--find-max-rate', '--slo', 'ttft=200ms', 'ttft=300ms'], /--slo gives ttft twice/],
    [['--slo-percentile', '90', '--request-rate', '2'], /--slo-percentile applies to a capacity search/],
    [['--find-max-concurrency', '--slo', 'ttft=200ms', '--arrival', 'constant'], /--arrival applies to an open loop/],
  ];
  for (const [flags, message] of cases) {
    const res = await runCli([...base, ...flags]);
    assert.equal(res.code, 2, `${flags.join(' ')}: ${res.stderr}`);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${flags.join(' ')}: one line, got ${res.stderr}`);
    assert.match(lines[0] as string, message, flags.join(' '));
    assert.equal(existsSync(join(dir, 'out')), false, `${flags.join(' ')}: nothing written`);
  }
});

test('quick finds the server on the ports given, picks its model and answers in plain words; no server is one line', async () => {
  const model = 'slots=2,ttft=15,itl=4';
  const listed = await startScriptedServer(0, undefined, [model]);
  try {
    const dir = tempDir();
    const closedPort = String(await freePort());
    // 64 tokens take about 267 ms a slot: 4 users wait one service (about 282 ms to the first token), 5 or more wait two for some (549 ms)
    const r = await runCli(['quick', '--ports', closedPort, String(listed.port), '--slo', 'ttft=400ms', '--no-store', '--output', join(dir, 'q.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Server: http://127\\.0\\.0\\.1:${listed.port}/v1, model ${model}$`, 'm'));
    assert.match(r.stdout, /^One user: first token in \d+ ms \(median\), [\d.]+ tokens\/s per request\.$/m);
    assert.match(r.stdout, /^Capacity: 4 users at once \(closed loop\) with TTFT <= 400 ms for 90% of requests \(from when each was due\).* With 4 at once it completed [\d.]+ requests\/s/m);
    assert.match(r.stdout, /^What limits it: at 5 users at once: TTFT p90/m);
    const c = readResult(join(dir, 'q.json')).capacity;
    assert.deepEqual(c?.points.map((p) => [p.concurrency, p.requests]), [[1, 10], [2, 10], [4, 12], [8, 24], [6, 18], [5, 15]]);
  } finally {
    await listed.close();
  }
  const none = await runCli(['quick', '--ports', String(await freePort()), '--no-store']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^tokenbench: quick: no OpenAI-compatible server listed a model on 127\.0\.0\.1 ports \d+; start one, or give --url\n$/);
});
