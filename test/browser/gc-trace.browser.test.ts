/**
 * The browser's trace of garbage collections, in the real headless Chromium: a page is found by its
 * mark on this process's clock, its collections fall where it allocated, and another page's
 * collections are not its own.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../../src/browser/browser-handle.js';
import { PAGE_MARK_PREFIX } from '../../src/browser/gc-trace.js';
import { costInWindows, type Interval } from '../../src/browser/page-costs.js';
import { DEFAULT_BROWSER } from '../../src/engines/transformers-js-browser.js';
import { needs } from '../support/requirements.js';

const chromium = needs({ what: 'Chromium', missing: existsSync(DEFAULT_BROWSER) ? null : `no ${DEFAULT_BROWSER}: .ci/run installs Debian's chromium` });

const nodeMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Runs `fn` in the page; returns the window around it on this process's clock. */
async function windowOf(page: Page, fn: () => void): Promise<Interval> {
  const a = nodeMs();
  await page.evaluate(fn);
  return [a, nodeMs()];
}

/** Allocates short-lived objects for a while: young-generation collections. */
function churn(): void {
  let keep: unknown[] = [];
  for (let i = 0; i < 3e6; i++) {
    keep.push({ i, a: [i] });
    if (keep.length > 1e5) keep = [];
  }
}

test('a page is found in the trace by its mark, on this process clock; its collections fall where it allocated, and not where another page did', chromium.options, async () => {
  chromium.check();
  const handle = await launchBrowser(DEFAULT_BROWSER, ['--headless', '--no-sandbox', '--disable-gpu'], true);
  try {
    assert.ok(handle.gc, 'Chromium can trace');
    const [one, other] = await Promise.all([0, 1].map(async () => (await handle.browser.newContext()).newPage()));
    const name = `${PAGE_MARK_PREFIX}test-${process.pid}`;
    const otherName = `${name}-other`;
    const before = nodeMs();
    await (one as Page).evaluate((n) => void performance.mark(n), name);
    const after = nodeMs();
    await (other as Page).evaluate((n) => void performance.mark(n), otherName);
    const quiet = await windowOf(one as Page, () => undefined);
    const busy = await windowOf(one as Page, churn);
    const othersBusy = await windowOf(other as Page, churn);
    await handle.gc.read();
    const where = handle.gc.pageOf(name);
    const otherWhere = handle.gc.pageOf(otherName);
    assert.ok(where && otherWhere, 'the marks are in the trace');
    assert.ok(where.atMs >= before - 1 && where.atMs <= after + 1, `the mark at ${where.atMs} falls between ${before} and ${after}: the trace's clock is this process's`);
    assert.notEqual(where.pid, otherWhere.pid, 'each context has its own renderer');
    const taken = handle.gc.takeCollections(where);
    const othersTaken = handle.gc.takeCollections(otherWhere);
    assert.ok(taken && othersTaken, 'nothing was lost');
    const count = (w: Interval, t: typeof taken): number => costInWindows([w], t.collections.map((c) => c.interval)).count;
    const inBusy = costInWindows([busy], taken.collections.map((c) => c.interval));
    assert.ok(inBusy.count > 0 && inBusy.cost_ms > 0, `collections while the page allocated: ${JSON.stringify(inBusy)}`);
    assert.ok(costInWindows([busy], taken.gcWork).cost_ms <= busy[1] - busy[0]);
    assert.equal(count(quiet, taken), 0, 'none while it did nothing');
    // the other page's collections are its own: many while it allocated, where the first page (idle, or finishing its own) has at most a few
    assert.ok(count(othersBusy, othersTaken) > 2 * count(othersBusy, taken), `${count(othersBusy, othersTaken)} against ${count(othersBusy, taken)}`);
    // taken once: a second take finds nothing of that page
    assert.deepEqual(handle.gc.takeCollections(where)?.collections, []);
  } finally {
    await handle.close();
  }
  assert.equal(handle.browser.isConnected(), false);
});
