/** What the lag warning says: what the lag did to the stamps, and what would help, by who held the CPU. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lagWarning } from '../../src/load/event-loop-lag.js';

test('the lag warning names the cause: the client busy itself, or other processes holding the CPU', () => {
  const lag = { p50: 0.4, p99: 6.5, max: 12 };
  assert.equal(lagWarning({ p50: 0.2, p99: 1.9, max: 3 }, 0.9), null);
  const busy = lagWarning(lag, 0.85) ?? '';
  assert.match(busy, /lagged 6\.50 ms at p99 \(max 12\.0 ms\), so a chunk could be stamped \(and a request sent\) up to that much late/);
  assert.match(busy, /the client was busy itself \(85% of a core\): spread the streams over processes with --workers N/);
  const starved = lagWarning(lag, 0.12) ?? '';
  assert.match(starved, /not busy itself \(12% of a core\), so other processes on this machine held the CPU: run on a quieter machine/);
  assert.doesNotMatch(starved, /--workers/);
  assert.match(lagWarning(lag) ?? '', /--workers/);
});
