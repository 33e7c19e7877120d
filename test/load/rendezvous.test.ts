/**
 * The parts of a sharded load run meeting in a real store (a SQLite file, the PostgreSQL server):
 * one agreed instant for all, on the server's clock, after the last part registered; a part that
 * never comes fails the config after the wait, naming how many came.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { meetParts, serverClockOffset } from '../../src/load/rendezvous.js';
import { ResultStore } from '../../src/results/store/store.js';
import { RunError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';
import { freshPostgresUrl, postgresServer } from '../support/postgres.js';
import { needs } from '../support/requirements.js';

const postgres = needs(postgresServer());

async function threePartsMeet(url: string): Promise<void> {
  // one connection per part, opened one after the other (better-sqlite3 is synchronous: in one
  // process, a second connection waiting on the first's migration would block the first too)
  const stores: ResultStore[] = [];
  for (let i = 0; i < 3; i++) stores.push(await ResultStore.open(url));
  try {
    const started: number[] = [];
    const meetings = await Promise.all(
      stores.map(async (store, index) => {
        // the parts come one after the other, 100 ms apart
        await new Promise((resolve) => setTimeout(resolve, 100 * index));
        const m = await meetParts(store, 'job-7', 'hash-a', { index, count: 3 }, { host: `host${index}`, leadMs: 300, pollMs: 20 });
        started.push(performance.now());
        return m;
      }),
    );
    assert.equal(new Set(meetings.map((m) => m.start_at)).size, 1, 'one agreed instant');
    for (const m of meetings) {
      // every part waited for the last one and then the lead time (less what the clocks cannot
      // resolve: the server stamps registrations to its clock's step, the offset is uncertain)
      assert.ok(m.waited_ms >= 300 - 2 * m.clock_uncertainty_ms, `part ${m.index} waited ${m.waited_ms} ms (uncertainty ${m.clock_uncertainty_ms} ms)`);
      assert.ok(m.start_late_ms >= 0 && m.clock_uncertainty_ms > 0, JSON.stringify(m));
    }
    assert.deepEqual(meetings.map((m) => [m.index, m.count]), [[0, 3], [1, 3], [2, 3]]);
    // the first part, registered 200 ms before the last, waited that much longer
    assert.ok((meetings[0]?.waited_ms as number) > (meetings[2]?.waited_ms as number), JSON.stringify(meetings.map((m) => m.waited_ms)));
    // one machine, one clock: the offset to the server is what its uncertainty allows
    const { offsetMs, uncertaintyMs } = await serverClockOffset(stores[0] as ResultStore);
    assert.ok(Math.abs(offsetMs) <= uncertaintyMs + 1, `offset ${offsetMs} +- ${uncertaintyMs} ms`);

    // a part that never comes: the config fails after the wait (not before it), saying how many came
    const waitFrom = performance.now();
    await assert.rejects(
      meetParts(stores[0] as ResultStore, 'job-7', 'hash-b', { index: 0, count: 2 }, { host: 'h', timeoutMs: 200, pollMs: 20 }),
      (e: unknown) => e instanceof RunError && e.kind === 'parts_missing' && e.message === '1 of 2 parts of group job-7 registered within 0 s; the measured phase never started',
    );
    assert.ok(performance.now() - waitFrom >= 200, `gave up after ${performance.now() - waitFrom} ms of a 200 ms wait`);
    // a registration older than the wait is an earlier run's: not counted
    await (stores[1] as ResultStore).registerLoadPart('job-7', 'hash-d', { index: 1, count: 2 }, 'h');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await assert.rejects(meetParts(stores[0] as ResultStore, 'job-7', 'hash-d', { index: 0, count: 2 }, { host: 'h', timeoutMs: 300, pollMs: 20 }), (e: unknown) => e instanceof RunError && e.kind === 'parts_missing' && e.message.startsWith('1 of 2 parts'));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(meetParts(stores[1] as ResultStore, 'job-7', 'hash-c', { index: 1, count: 2 }, { host: 'h', signal: controller.signal }), (e: unknown) => e instanceof RunError && e.kind === 'interrupted' && e.message === 'interrupted by the user while waiting for the other parts');
  } finally {
    for (const s of stores) await s.close();
  }
}

test('load parts meet in SQLite: one agreed instant after the last registration, a missing part named, an interrupt honoured', async () => {
  await threePartsMeet(`sqlite:${join(tempDir(), 'parts.db')}`);
});

test('load parts meet in PostgreSQL, on its clock', postgres.options, async () => {
  postgres.check();
  await threePartsMeet(await freshPostgresUrl());
});

test('a store whose clock runs 5 s ahead of this machine, or behind: the offset is measured with its sign, and the part starts the lead time after its registration by this machine\'s clock', async () => {
  for (const skewMs of [5000, -5000]) {
    const store = await ResultStore.open(`sqlite:${join(tempDir(), 'skew.db')}`);
    // the same store read through a clock that is skewMs off: its now and the registrations it stamps
    const skewed = new Proxy(store, {
      get(target, key) {
        if (key === 'serverNowMs') return async () => (await target.serverNowMs()) + skewMs;
        if (key === 'loadPartsRegistered') {
          return async (...args: Parameters<ResultStore['loadPartsRegistered']>) => {
            const [group, hash, count, sinceMs] = args;
            const seen = await target.loadPartsRegistered(group, hash, count, sinceMs - skewMs);
            return { ...seen, lastMs: seen.lastMs === null ? null : seen.lastMs + skewMs };
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      const { offsetMs, uncertaintyMs } = await serverClockOffset(skewed);
      assert.ok(Math.abs(offsetMs - skewMs) <= uncertaintyMs + 1, `offset ${offsetMs} +- ${uncertaintyMs} ms for a clock ${skewMs} ms off`);
      const m = await meetParts(skewed, 'skew', `hash-${skewMs}`, { index: 0, count: 1 }, { host: 'h', leadMs: 300, pollMs: 20 });
      // the wrong sign would start 10 s late (ahead) or at once, about 10 s past the instant (behind)
      assert.ok(m.waited_ms >= 300 - 2 * m.clock_uncertainty_ms - 20 && m.waited_ms < 3000, `waited ${m.waited_ms} ms for a lead of 300 ms (clock ${skewMs} ms off)`);
      assert.ok(m.start_late_ms < 1000, `started ${m.start_late_ms} ms late`);
    } finally {
      await store.close();
    }
  }
});
