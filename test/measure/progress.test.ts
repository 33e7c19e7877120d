/** The terminal progress line: steps, tokens/s so far and time left, from a clock the test sets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtyProgress } from '../../src/measure/progress.js';

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
});
