/** The terminal progress line: steps, tokens/s so far and time left, from a clock the test sets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogProgress, type ProgressReporter, TtyProgress } from '../../src/measure/progress.js';
import type { BenchmarkResult } from '../../src/results/schema.js';

test('progress bar: steps done, tokens per second over the phase so far, time left at the pace so far', () => {
  let now = 0;
  let written = '';
  const p = new TtyProgress({ write: (s: string) => ((written += s), true) } as never, () => now);
  p.benchmarkStart(0, 2, 'cfg');
  p.phaseStart('measure', 4);
  now = 2000;
  p.step(256); // 256 tokens in 2 s; 3 steps left at 2 s each
  const line = written.split('\r\x1b[2K').at(-1) ?? '';
  assert.equal(line, '[1/2]   measure  [########......................] 1/4, 128.0 tok/s, 6 s left');
  now = 3000;
  p.step(256); // 512 tokens in 3 s; 2 steps left at 1.5 s each
  assert.match(written.split('\r\x1b[2K').at(-1) ?? '', /2\/4, 170\.7 tok\/s, 3 s left$/);

  // a phase that starts late on the clock: the pace is measured from its own start
  now = 10_000;
  p.phaseStart('warmup', 2);
  assert.equal(written.split('\r\x1b[2K').at(-1), '[1/2]   warmup   [..............................] 0/2');
  now = 10_500;
  p.step(64);
  assert.equal(written.split('\r\x1b[2K').at(-1), '[1/2]   warmup   [###############...............] 1/2, 128.0 tok/s, 0 s left');
});

const okResult = { status: 'ok', summary: { ttft_ms: { p50: 12.345 }, itl_ms: { p50: 3.21049 } } } as unknown as BenchmarkResult;
const failedResult = { status: 'failed', error: { kind: 'oom', message: 'out of memory' } } as unknown as BenchmarkResult;
const skippedResult = { status: 'skipped' } as unknown as BenchmarkResult;
/** One token per generation: no ITL. */
const oneTokenResult = { status: 'ok', summary: { ttft_ms: { p50: 2 }, itl_ms: null } } as unknown as BenchmarkResult;

test('log progress: one plain line per benchmark, phase and outcome, for logs and CI', () => {
  let written = '';
  let now = 0;
  const p: ProgressReporter = new LogProgress({ write: (s: string) => ((written += s), true) } as never, () => now);
  p.benchmarkStart(2, 5, 'cfg');
  p.phaseStart('measure', 4);
  now = 3000;
  p.step(100);
  p.phaseEnd('measure', 1234);
  p.benchmarkEnd(okResult);
  p.benchmarkEnd(failedResult);
  p.benchmarkEnd(skippedResult);
  p.benchmarkEnd(oneTokenResult);
  p.message('note');
  assert.equal(
    written,
    // the first measured iteration took 3 s; no plan given: 5 configs x 4 iterations x 3 s = 60 s
    '[3/5] cfg\nestimate: 20 iterations over 5 configs x 3.0 s (the first one) = about 60 s in all\n[3/5]   measure done in 1.23 s\n[3/5]   ok (TTFT p50 12.35 ms, ITL p50 3.210 ms)\n[3/5]   failed: oom: out of memory\n[3/5]   skipped\n[3/5]   ok (TTFT p50 2.00 ms, ITL p50 -)\nnote\n',
  );
});

test('log progress without a terminal: a line every 5 s within a long phase, with what is done, the time so far and what is left; the estimate once, warmup counted', () => {
  let written = '';
  let now = 0;
  const p: ProgressReporter = new LogProgress({ write: (s: string) => ((written += s), true) } as never, () => now);
  // two configs of 2 warmup and 100 measured iterations each, as the runner plans them
  p.plan?.(204);
  p.benchmarkStart(0, 2, 'cfg');
  p.phaseStart('warmup', 2);
  now = 4000;
  p.step(1);
  now = 8000;
  p.step(1); // the last step: the phase's end line says the rest
  p.phaseEnd('warmup', 8000);
  written = '';
  p.phaseStart('measure', 100);
  for (let i = 1; i <= 10; i++) {
    now = 8000 + 1500 * i; // 1.5 s an iteration: a line at 6 s (4 done) and at 12 s (8 done)
    p.step(1);
  }
  assert.equal(
    written,
    'estimate: 204 iterations over 2 configs x 1.5 s (the first one) = about 5.1 min in all\n' +
      '[1/2]   measure 4/100, 6.0 s so far, about 2.4 min left\n' +
      '[1/2]   measure 8/100, 12 s so far, about 2.3 min left\n',
  );
  // the estimate is said once per run, not per config
  written = '';
  p.benchmarkStart(1, 2, 'cfg2');
  p.phaseStart('measure', 100);
  now += 1500;
  p.step(1);
  assert.equal(written, '[2/2] cfg2\n');
});

test('terminal progress: phase ends, outcomes and messages clear the bar first', () => {
  let now = 0;
  let written = '';
  const p = new TtyProgress({ write: (s: string) => ((written += s), true) } as never, () => now);
  p.benchmarkStart(0, 1, 'cfg');
  p.phaseStart('warmup', 0);
  assert.equal(written, '[1/1] cfg\n\r\x1b[2K[1/1]   warmup   [..............................] 0/0');
  written = '';
  p.phaseEnd('warmup', 500);
  p.message('hello');
  p.benchmarkEnd(failedResult);
  assert.equal(written, '\r\x1b[2K[1/1]   warmup   0.50 s\n\r\x1b[2Khello\n[1/1]   failed: oom: out of memory\n');
  // no rate before the first step or over no time
  p.phaseStart('measure', 2);
  p.step(10);
  assert.match(written, /1\/2$/);
  now = 1000;
  p.step(10);
  assert.match(written, /\[#{30}\] 2\/2, 20\.0 tok\/s, 0 s left$/);
});

test('interleaved rounds: one line for the rounds, then the measure phase of all configs under their own prefix', () => {
  let logged = '';
  const log: ProgressReporter = new LogProgress({ write: (s: string) => ((logged += s), true) } as never);
  log.benchmarkStart(1, 2, 'b');
  log.roundsStart?.(20, 2, 40);
  log.phaseEnd('measure', 1500);
  assert.equal(logged, '[2/2] b\n[interleaved] 20 rounds, one iteration of each of 2 configs in turn\n[interleaved]   measure done in 1.50 s\n');
  let drawn = '';
  let now = 0;
  const tty = new TtyProgress({ write: (s: string) => ((drawn += s), true) } as never, () => now);
  tty.roundsStart(20, 2, 40);
  now = 1000;
  tty.step(8);
  // all configs were warmed up before the rounds: the estimate is the rounds' iterations at the first one's time
  assert.equal(drawn, `[interleaved] 20 rounds, one iteration of each of 2 configs in turn\n\r\x1b[2K[interleaved]   measure  [${'.'.repeat(30)}] 0/40\r\x1b[2Kestimate: 40 iterations x 1.0 s (the first one) = about 40 s in all\n\r\x1b[2K[interleaved]   measure  [${'#'.repeat(1)}${'.'.repeat(29)}] 1/40, 8.0 tok/s, 39 s left`);
});
