/**
 * The benchmark loop in process, with an engine of the test's own (scripted-engine.ts): the real
 * runner, stamper, validation, metrics and summary around an engine whose every step and token
 * count the test decides. The runs with the device monitor are in runner-monitor.test.ts (they
 * start its process). Real engines are measured by the CLI tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandConfigs } from '../../src/config/sweep.js';
import type { Engine, EngineFactory, GenerateResult } from '../../src/engines/engine.js';
import { newRunResult, runBenchmark, runBenchmarks } from '../../src/measure/runner.js';
import { exactLengthRows } from '../../src/measure/inputs.js';
import { DEFAULT_TEXT } from '../../src/synth/default-text.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Phase, type ProgressReporter, silentProgress } from '../../src/measure/progress.js';
import { runConfigs } from '../../src/index.js';
import { InputError } from '../../src/util/errors.js';
import { config, interleavedConfigs, type Log, run, scriptedEngine, taggedEngine } from './scripted-engine.js';

test('a run: load, prompts of exactly the length asked, one validity run, the warmups, the measured iterations, each flushed; disposed once', async () => {
  const started = performance.now();
  const { result, log } = await run({ stepMs: 1 }, { batch_size: 2 });
  const wall = performance.now() - started;
  // every phase took no longer than the whole run
  for (const phase of ['load', 'validity', 'warmup', 'measure'] as const) assert.ok((result.phases_ms[phase] as number) <= wall, `${phase} ${result.phases_ms[phase]} > ${wall}`);
  assert.equal('server_check' in result, false, 'no requests to a server: no server check');
  assert.equal(result.status, 'ok', JSON.stringify(result.error));
  assert.deepEqual(log.calls, ['load', 'prepare', ...Array(1 + 2 + 3).fill(['generate', 'flush']).flat(), 'dispose']);
  assert.equal(log.prompts.length, 1);
  assert.deepEqual(log.prompts[0]?.map((row) => row.length), [5, 5], 'sequence_length 5 in every row');
  assert.deepEqual(result.validity, { new_tokens: [4, 4], output_sample: 'w1 w2 w3 w4' });
  assert.deepEqual(result.engine?.name, 'scripted');
  assert.equal(result.model?.parameters, 42);
  assert.equal(result.iterations.length, 3);
  assert.deepEqual(result.iterations.map((it) => it.index), [0, 1, 2]);
  for (const it of result.iterations) {
    assert.equal(it.token_ms.length, 4);
    // 1 ms of work before every step: each stamp at least 1 ms after the one before
    for (let k = 1; k < 4; k++) assert.ok((it.token_ms[k] as number) - (it.token_ms[k - 1] as number) >= 1, `gap ${k}: ${it.token_ms}`);
    assert.ok((it.token_ms[0] as number) >= 1 && it.e2e_ms >= (it.token_ms[3] as number));
    assert.equal(it.ttft_ms, it.token_ms[0]);
    assert.equal(it.tokens_per_s, (2 * 4) / (it.e2e_ms / 1000));
    assert.deepEqual(it.new_tokens, [4, 4]);
    assert.equal(it.monitor.status, 'disabled');
  }
  for (const phase of ['load', 'validity', 'warmup', 'measure'] as const) assert.ok((result.phases_ms[phase] as number) >= 0, phase);
  assert.ok((result.phases_ms.measure as number) >= 3 * 4, 'three iterations of four 1 ms steps');
  assert.equal(result.summary?.e2e_ms?.n, 3);
  assert.equal(result.summary?.e2e_ms?.p50, [...result.iterations.map((it) => it.e2e_ms)].sort((a, b) => a - b)[1]);
  assert.equal(result.monitor, null);
});

test('an engine that comes up short of tokens fails the config in the validity run, saying which row, and is disposed', async () => {
  const { result, log } = await run({ rowTokens: (asked, batch) => Array.from({ length: batch }, (_, r) => (r === 1 ? asked - 1 : asked)) }, { batch_size: 2 });
  assert.equal(result.status, 'failed');
  assert.deepEqual(result.error, { kind: 'token_count', message: 'validity: expected 4 new tokens in every sequence, sequence 1 got 3 (all: 4, 3)' });
  assert.equal(log.generateCalls, 1, 'nothing measured after a short validity run');
  assert.equal(log.calls.at(-1), 'dispose');
  assert.deepEqual(result.iterations, []);
  assert.equal(result.summary, null);
});

test('short in a measured iteration: the iterations before it are kept and summarised, the config failed', async () => {
  // calls: 0 validity, 1-2 warmup, 3-5 measured; the 5th call (measured iteration 1) streams 3 steps
  const { result } = await run({ steps: (asked, call) => (call === 4 ? asked - 1 : asked) });
  assert.equal(result.status, 'failed');
  assert.deepEqual(result.error, { kind: 'token_count', message: 'measure: expected 4 streamed generation steps, the streamer saw 3' });
  assert.equal(result.iterations.length, 1);
  assert.equal(result.summary?.e2e_ms?.n, 1);
});

test('more steps than tokens asked is as wrong as fewer', async () => {
  const { result } = await run({ steps: (asked) => asked + 1 });
  assert.equal(result.error?.kind, 'token_count');
  assert.equal(result.error?.message, 'validity: expected 4 streamed generation steps, the streamer saw 5');
});

test('a load that throws is engine_load; an engine error mid-run is engine_generate, out of memory is its own kind', async () => {
  const load = await run({ loadError: new Error('no such file') });
  assert.deepEqual(load.result.error, { kind: 'engine_load', message: 'load: no such file' });
  assert.deepEqual(load.log.calls, ['load', 'dispose']);
  const mid = await run({ generateError: { call: 2, error: new Error('kernel died') } });
  assert.deepEqual(mid.result.error, { kind: 'engine_generate', message: 'warmup: kernel died' });
  const oom = await run({ generateError: { call: 3, error: new Error('CUDA out of memory') } });
  assert.deepEqual(oom.result.error, { kind: 'out_of_memory', message: 'measure: CUDA out of memory' });
  assert.equal(oom.result.status, 'failed');
});

test('an iteration that fails because of the interrupt (a browser closed by the same Ctrl-C) makes the config interrupted, not failed', async () => {
  const controller = new AbortController();
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  // the abort comes, then generate() fails under it, as a page whose browser went away does
  const factory = scriptedEngine(
    {
      steps: (asked, call) => {
        if (call !== 4) return asked;
        controller.abort();
        throw new Error('Target page, context or browser has been closed');
      },
    },
    log,
  );
  const result = await runBenchmark(config(), { cacheDir: '/nonexistent', engineFactory: factory, signal: controller.signal });
  assert.equal(result.status, 'interrupted');
  assert.equal(result.error?.kind, 'interrupted');
  assert.equal(result.error?.message, 'measure: interrupted by the user (then Target page, context or browser has been closed)');
  assert.ok(result.iterations.length >= 1, 'the iterations finished before are kept');
  // without the interrupt the same error fails the config
  const plain = scriptedEngine({ generateError: { call: 4, error: new Error('Target page, context or browser has been closed') } }, { calls: [], generateCalls: 0, prompts: [] });
  assert.equal((await runBenchmark(config(), { cacheDir: '/nonexistent', engineFactory: plain })).status, 'failed');
});

test('an abort stops before the next iteration: interrupted, with what was measured kept', async () => {
  const controller = new AbortController();
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const factory = scriptedEngine({ steps: (asked, call) => (call === 4 && controller.abort(), asked) }, log);
  const result = await runBenchmark(config(), { cacheDir: '/nonexistent', engineFactory: factory, signal: controller.signal });
  assert.equal(result.status, 'interrupted');
  assert.deepEqual(result.error, { kind: 'interrupted', message: 'measure: interrupted by the user' });
  assert.equal(result.iterations.length, 2, 'the iteration running when the abort came is finished and kept');
  assert.equal(log.generateCalls, 5);
});

test('runBenchmarks: every config in order, progress told of each; configs after an interrupt are skipped, not run', async () => {
  const configs = expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 0, measurement_iterations: 2, sequence_length: 3, num_tokens_to_generate: 2, gpu_monitoring: false, batch_size: [1, 2, 3] }, where: 'test' }]);
  const controller = new AbortController();
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const events: string[] = [];
  const progress: ProgressReporter = {
    benchmarkStart: (i, total, name) => events.push(`start ${i}/${total} ${name}`),
    phaseStart: (phase: Phase) => events.push(`phase ${phase}`),
    step: () => undefined,
    phaseEnd: () => undefined,
    benchmarkEnd: (b) => {
      events.push(`end ${b.status}`);
      if (b.config.batch_size === 2) controller.abort();
    },
    message: (text) => events.push(`message ${text}`),
  };
  const result = await runBenchmarks(configs, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, log), signal: controller.signal, progress });
  assert.deepEqual(result.benchmarks.map((b) => [b.config.batch_size, b.status]), [[1, 'ok'], [2, 'ok'], [3, 'skipped']]);
  assert.deepEqual(result.benchmarks[2]?.error, { kind: 'interrupted', message: 'not run: the run was interrupted' });
  assert.ok(result.finished_at);
  assert.deepEqual(events.filter((e) => e.startsWith('start')), [`start 0/3 ${configs[0]?.name}`, `start 1/3 ${configs[1]?.name}`]);
  assert.deepEqual(events.filter((e) => e.startsWith('phase')).slice(0, 4), ['phase load', 'phase validity', 'phase warmup', 'phase measure']);
});

test('what a run records beside the metrics: an output sample of 32 tokens, the placeholder monitor of an unmonitored config, tokens told per iteration, the engine\'s notes; a failed load leaves every phase unmeasured', async () => {
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const steps: number[] = [];
  const messages: string[] = [];
  const progress: ProgressReporter = { ...silentProgress, step: (tokens) => steps.push(tokens), message: (text) => messages.push(text) };
  const noting: EngineFactory = (cfg, context) => {
    const engine = scriptedEngine({}, log)(cfg, context);
    return { ...engine, load: async () => (context.notify?.('model built in the cache'), engine.load()) };
  };
  const result = await runBenchmark(config({ num_tokens_to_generate: 40, batch_size: 2, measurement_iterations: 2, warmup_iterations: 1 }), { cacheDir: '/nonexistent', engineFactory: noting, progress });
  assert.equal(result.status, 'ok');
  const first32 = Array.from({ length: 32 }, (_, i) => `w${i + 1}`).join(' ');
  for (const it of result.iterations) {
    assert.equal(it.output_sample, first32);
    assert.deepEqual(it.monitor, { status: 'disabled', reason: 'gpu_monitoring is off', samples: [] });
  }
  // the validity run, the warmup and 2 measured iterations: 2 rows of 40 tokens each
  assert.deepEqual(steps, [80, 80, 80, 80]);
  assert.deepEqual(messages, ['model built in the cache']);

  const failed = await run({ loadError: new Error('no such model') });
  assert.equal(failed.result.status, 'failed');
  assert.deepEqual(failed.result.phases_ms, { load: null, validity: null, warmup: null, measure: null });
});

test('the library: runConfigs measures an engine of your own through the same runner', async () => {
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const result = await runConfigs([{ model: 'my-model', batch_size: [1, 2], warmup_iterations: 0, measurement_iterations: 2, num_tokens_to_generate: 3, sequence_length: 4, gpu_monitoring: false }], { engineFactory: scriptedEngine({}, log) });
  assert.deepEqual(result.benchmarks.map((b) => [b.config.model, b.config.batch_size, b.status, b.iterations.length]), [
    ['my-model', 1, 'ok', 2],
    ['my-model', 2, 'ok', 2],
  ]);
  assert.equal(log.generateCalls, 2 * 3);
});

test('--interleave: all configs loaded and warmed up first, then one iteration of each per round, the order rotated', async () => {
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const order: number[] = [];
  const events: string[] = [];
  const progress: ProgressReporter = { ...silentProgress, plan: (n) => events.push(`plan ${n}`), roundsStart: (rounds, configs, steps) => events.push(`rounds ${rounds} ${configs} ${steps}`), benchmarkEnd: (b) => events.push(`end ${b.config.batch_size}`) };
  const result = await runBenchmarks(interleavedConfigs(), { cacheDir: '/nonexistent', engineFactory: taggedEngine({}, log, order), interleave: true, progress });
  // loads (negative) with their validity run and warmup, then rounds: 1 2 3 | 2 3 1 | (3 is done) 1 2
  assert.deepEqual(order, [-1, 1, 1, -2, 2, 2, -3, 3, 3, 1, 2, 3, 2, 3, 1, 1, 2]);
  assert.equal(result.interleaved, true);
  // the plan, before the first: 1 warmup each and 3 + 3 + 2 measured iterations
  assert.deepEqual(events, ['plan 11', 'rounds 3 3 8', 'end 1', 'end 2', 'end 3']);
  assert.deepEqual(result.benchmarks.map((b) => [b.config.batch_size, b.status, b.iterations.map((it) => it.index)]), [[1, 'ok', [0, 1, 2]], [2, 'ok', [0, 1, 2]], [3, 'ok', [0, 1]]]);
  // every model stays loaded until the last round: no dispose before the last generate
  assert.ok(log.calls.indexOf('dispose') > log.calls.lastIndexOf('generate'));
  // round i of each config lies between round i - 1 and round i + 1 of the others
  const t0 = (batch: number, i: number): bigint => BigInt(result.benchmarks.find((b) => b.config.batch_size === batch)?.iterations[i]?.t0_ns ?? '0');
  for (let i = 1; i < 3; i++) for (const a of [1, 2]) for (const b of [1, 2]) assert.ok(t0(a, i) > t0(b, i - 1), `round ${i} of ${a} after round ${i - 1} of ${b}`);
  for (const b of result.benchmarks) {
    assert.ok((b.phases_ms.measure ?? 0) > 0 && b.summary?.e2e_ms?.n === b.config.measurement_iterations);
    const iterationsMs = b.iterations.reduce((s, it) => s + it.e2e_ms, 0);
    assert.ok((b.phases_ms.measure as number) >= iterationsMs, 'the measure phase is the sum of its own iterations, not the rounds');
  }
});

test('--interleave: a config that fails to load is recorded at once, the others go on; an interrupt stops every config where it is', async () => {
  const order: number[] = [];
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const failing: EngineFactory = (config, context) => {
    const engine = taggedEngine({}, log, order)(config, context);
    return config.batch_size === 2 ? { ...engine, load: async () => Promise.reject(new Error('CUDA out of memory')) } : engine;
  };
  const first = await runBenchmarks(interleavedConfigs(), { cacheDir: '/nonexistent', engineFactory: failing, interleave: true });
  assert.deepEqual(first.benchmarks.map((b) => [b.config.batch_size, b.status, b.iterations.length]), [[2, 'failed', 0], [1, 'ok', 3], [3, 'ok', 2]]);
  assert.equal(first.benchmarks[0]?.error?.kind, 'out_of_memory');

  // stopped during the second round (after 5 measured iterations): 3 and 2 have 2 each, 1 has 1 more to go
  const controller = new AbortController();
  const stopOrder: number[] = [];
  const stopped = await runBenchmarks(interleavedConfigs(), {
    cacheDir: '/nonexistent',
    engineFactory: taggedEngine({}, { calls: [], generateCalls: 0, prompts: [] }, stopOrder, (n) => n === 3 * 2 + 5 && controller.abort()),
    interleave: true,
    signal: controller.signal,
  });
  assert.deepEqual(
    stopped.benchmarks.map((b) => [b.config.batch_size, b.status, b.iterations.length]),
    [[1, 'interrupted', 1], [2, 'interrupted', 2], [3, 'ok', 2]],
  );
  assert.equal(stopped.benchmarks[0]?.summary?.e2e_ms?.n, 1);
  assert.match(stopped.benchmarks[0]?.error?.message ?? '', /^measure: interrupted by the user$/);
});

test('--interleave: configs asking for different monitor intervals are bad input, before anything runs', async () => {
  const log: Log = { calls: [], generateCalls: 0, prompts: [] };
  const configs = [...interleavedConfigs({ gpu_monitoring: true, monitor_interval_ms: 50 }).slice(0, 1), ...interleavedConfigs({ gpu_monitoring: true, monitor_interval_ms: 20 }).slice(2)];
  await assert.rejects(
    runBenchmarks(configs, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, log), interleave: true }),
    (e: unknown) => e instanceof InputError && e.kind === 'usage' && e.message === 'run --interleave: the configs ask for monitor intervals of 50, 20 ms; interleaved configs share one monitor, so give one --monitor-interval-ms',
  );
  assert.deepEqual(log.calls, []);
});

test('the run header names the tool; an engine that keeps its own clock (HTTP) is measured on its readings, with its requests checked', async () => {
  const header = newRunResult(new Date('2026-01-02T03:04:05Z'));
  assert.deepEqual([header.tool.name, header.started_at, header.finished_at, header.benchmarks], ['tokenbench', '2026-01-02T03:04:05.000Z', null, []]);
  const t0 = 1_000_000_000n;
  const request = { t0_ms: 0, status: 200, ok: true, failure: null, ttfb_ms: 1, ttft_ms: 2, ttfo_ms: 2, last_token_ms: 8, e2e_ms: 9, itl_ms: 2, output_tokens: 4, input_tokens: 5, prompt_tokens: 6, token_source: 'logprobs', reads: 4, response_id: 'r' };
  const engine: EngineFactory = (config, context) => ({
    ...scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] })(config, context),
    async generate(): Promise<GenerateResult> {
      // the runner's sink sees nothing: the engine stamped the reads itself
      return {
        newTokens: [4],
        firstRowIds: [],
        firstRowText: 'from the server',
        timing: { t0, t1: t0 + 9_000_000n, stepStamps: [t0 + 2_000_000n, t0 + 4_000_000n, t0 + 6_000_000n, t0 + 8_000_000n] },
        rowStamps: [[t0 + 2_000_000n, t0 + 4_000_000n, t0 + 6_000_000n, t0 + 8_000_000n]],
        http: [request as never],
      };
    },
  });
  const result = await runBenchmark(config({ warmup_iterations: 0, measurement_iterations: 2 }), { cacheDir: '/nonexistent', engineFactory: engine });
  assert.equal(result.status, 'ok', JSON.stringify(result.error));
  const it = result.iterations[0];
  assert.deepEqual([it?.t0_ns, it?.e2e_ms, it?.ttft_ms, it?.itl_ms, it?.token_ms, it?.token_ms_by_row, it?.output_sample], ['1000000000', 9, 2, 2, [2, 4, 6, 8], [[2, 4, 6, 8]], 'from the server']);
  assert.equal(it?.http?.length, 1);
  // the server counted 6 prompt tokens for the 5 asked: the check says so
  assert.equal(result.server_check?.requests, 2);
  assert.equal(result.server_check?.prompt_mismatches, 2);
});

test('prompts: the default text repeated until the tokenizer gives enough, even when tokens merge across copies; a tokenizer that gives nothing fails the load', async () => {
  const base = scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] })(config(), { cacheDir: '/nonexistent', notify: () => undefined });
  // 100 tokens for the text alone, but only 10 per copy once copies are joined
  let calls = 0;
  const merging: Engine = {
    ...base,
    async tokenize(text) {
      calls++;
      const n = text === DEFAULT_TEXT ? 100 : Math.round((10 * text.length) / DEFAULT_TEXT.length);
      return Array.from({ length: n }, (_, i) => i + 1);
    },
  };
  const rows = await exactLengthRows(merging, 150, 2);
  assert.deepEqual(rows.map((r) => r.length), [150, 150]);
  assert.deepEqual(rows[0]?.slice(0, 3), [1, 2, 3]);
  assert.ok(calls > 3, 'more copies were added one by one');
  const silent: Engine = { ...base, tokenize: async () => [] };
  await assert.rejects(exactLengthRows(silent, 8, 1), { name: 'RunError', kind: 'engine_load', message: 'the tokenizer gives no tokens for the default text' } as never);
});

test('--interleave: a config that fails mid-rounds stays failed when the run is then stopped; an abort while loading skips the rest', async () => {
  const controller = new AbortController();
  const order: number[] = [];
  const failing: EngineFactory = (config, context) => {
    const engine = taggedEngine({}, { calls: [], generateCalls: 0, prompts: [] }, order, (n) => n === 6 + 4 && controller.abort())(config, context);
    let calls = 0;
    return config.batch_size !== 2
      ? engine
      : {
          ...engine,
          async generate(inputs, n, sink) {
            // validity, warmup, then its first measured iteration fails
            if (++calls === 3) throw new Error('kernel died');
            return engine.generate(inputs, n, sink);
          },
        };
  };
  const stopped = await runBenchmarks(interleavedConfigs(), { cacheDir: '/nonexistent', engineFactory: failing, interleave: true, signal: controller.signal });
  assert.deepEqual(
    stopped.benchmarks.map((b) => [b.config.batch_size, b.status, b.error?.kind ?? null]),
    [
      [1, 'interrupted', 'interrupted'],
      [2, 'failed', 'engine_generate'],
      [3, 'ok', null],
    ],
  );

  const early = new AbortController();
  const events: string[] = [];
  const progress: ProgressReporter = { ...silentProgress, benchmarkStart: (_i, _n, name) => events.push(name), phaseEnd: (phase) => events.push(`end ${phase}`) };
  const loading = await runBenchmarks(interleavedConfigs(), {
    cacheDir: '/nonexistent',
    engineFactory: taggedEngine({}, { calls: [], generateCalls: 0, prompts: [] }, [], (n) => n === 1 && early.abort()),
    interleave: true,
    signal: early.signal,
    progress,
  });
  // the first config stops after its validity run and is recorded at once; the others never start
  assert.deepEqual(loading.benchmarks.map((b) => [b.config.batch_size, b.status]), [[1, 'interrupted'], [2, 'skipped'], [3, 'skipped']]);
  assert.deepEqual(events, [loading.benchmarks[0]?.config.name, 'end load', 'end validity']);
});

test('--interleave: no config loaded means no rounds; a progress reporter without roundsStart still works', async () => {
  const events: string[] = [];
  // every phase's time lies between 0 and the time since the run began
  const started = performance.now();
  const progress: ProgressReporter = {
    benchmarkStart: () => undefined,
    phaseStart: () => undefined,
    step: () => undefined,
    phaseEnd: (phase, ms) => events.push(`end ${phase} ${ms >= 0 && ms <= performance.now() - started}`),
    benchmarkEnd: () => undefined,
    message: () => undefined,
  };
  const ok = await runBenchmarks(interleavedConfigs(), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }), interleave: true, progress });
  const wall = performance.now() - started;
  assert.deepEqual(ok.benchmarks.map((b) => b.status), ['ok', 'ok', 'ok']);
  assert.equal(events.filter((e) => e === 'end measure true').length, 1);
  for (const b of ok.benchmarks) assert.ok((b.phases_ms.measure as number) <= wall, `${b.phases_ms.measure} > ${wall}`);
  events.length = 0;
  const rounds: string[] = [];
  const none = await runBenchmarks(interleavedConfigs(), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ loadError: new Error('gone') }, { calls: [], generateCalls: 0, prompts: [] }), interleave: true, progress: { ...progress, roundsStart: () => rounds.push('rounds') } });
  assert.deepEqual(none.benchmarks.map((b) => b.status), ['failed', 'failed', 'failed']);
  assert.deepEqual([rounds, events.filter((e) => e.startsWith('end measure'))], [[], []]);
});

test('a result file that cannot be written: the run goes on, the failure is told to progress and listed as unsaved', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-runner-'));
  const messages: string[] = [];
  const unsaved: string[] = [];
  // a folder where the file should be
  const run = await runBenchmarks(interleavedConfigs().slice(0, 1), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }), outputPath: dir, unsaved, progress: { ...silentProgress, message: (text) => messages.push(text) } });
  assert.equal(run.benchmarks[0]?.status, 'ok');
  assert.equal(unsaved.length, 1);
  assert.deepEqual(messages, unsaved);
  assert.match(unsaved[0] ?? '', /^result file .*: cannot write it \(EISDIR\); the summary below is all that is kept$/);
});
