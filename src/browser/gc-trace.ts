/**
 * V8's garbage collections in a browser's pages, from the browser's own trace (the DevTools
 * protocol's Tracing, categories `v8` and `blink.user_timing`: a few events per collection, none
 * per step). A page cannot see its own collections; the trace can. Tracing is one per browser, so
 * the trace belongs to the browser (shared by the configs of a run) and is read by ending it and
 * starting it again, between configs, when no page is generating. A page is found in it by a
 * performance mark it makes with a name of its own (its process and main thread).
 *
 * The trace's timestamps are Chromium's monotonic clock in microseconds, which on Linux is this
 * process's (process.hrtime); each page's mark checks that, and a page where it does not hold has
 * no GC figures.
 */
import type { Browser, CDPSession } from 'playwright-core';
import type { Interval } from './page-costs.js';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  /** microseconds */
  ts: number;
  dur?: number;
}

/** Where a page's mark was seen in the trace: its renderer process and main thread, and when (ms). */
export interface PageInTrace {
  pid: number;
  tid: number;
  atMs: number;
}

/** One collection on a page's main thread (ms on the trace's clock). */
export interface Collection {
  interval: Interval;
  major: boolean;
}

const CATEGORIES = ['v8', 'blink.user_timing'];

/** The browser's trace buffer: a few hundred bytes per collection, so hours of a run; a read that overflowed it is known. */
const TRACE_BUFFER_KB = 64 * 1024;

/** The events that say a collection happened (one each); V8.GC* events nest inside them or are incremental steps. */
const COLLECTIONS = new Set(['MinorGC', 'MajorGC']);

/** Marks the pages make, so that they can be found in the trace. */
export const PAGE_MARK_PREFIX = 'tokenbench-page-';

const isGc = (e: TraceEvent): boolean => e.ph === 'X' && (COLLECTIONS.has(e.name) || e.name.startsWith('V8.GC'));

export class GcTrace {
  /** Only what is needed: collections and tokenbench's marks; the rest of each read is dropped. */
  private readonly events: TraceEvent[] = [];
  private running = false;
  /** The last read lost events (the browser's trace buffer filled): what it held is not complete. */
  private lossy = false;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Tracing.dataCollected', (data) => {
      // the protocol's typings say string values; the events are JSON with numbers
      for (const e of data.value as unknown as TraceEvent[]) if (isGc(e) || e.name.startsWith(PAGE_MARK_PREFIX)) this.events.push(e);
    });
  }

  /** A trace of the browser's collections, running; null where the browser cannot trace (not Chromium, say). */
  static async start(browser: Browser): Promise<GcTrace | null> {
    try {
      const trace = new GcTrace(await browser.newBrowserCDPSession());
      await trace.begin();
      return trace;
    } catch {
      return null;
    }
  }

  private async begin(): Promise<void> {
    await this.cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordUntilFull', traceBufferSizeInKb: TRACE_BUFFER_KB }, transferMode: 'ReportEvents' });
    this.running = true;
  }

  /** Ends the trace, takes in what it recorded, and starts it again (the browser sends events only when a trace ends). */
  async read(): Promise<void> {
    if (!this.running) return;
    await this.pause();
    await this.begin();
  }

  /** Ends the trace and takes in what it recorded; resume() starts it again (bench/browser-engine.ts weighs the trace's cost so). */
  async pause(): Promise<void> {
    if (!this.running) return;
    const complete = new Promise<boolean>((resolve) => this.cdp.once('Tracing.tracingComplete', (e) => resolve(e.dataLossOccurred === true)));
    this.running = false;
    await this.cdp.send('Tracing.end');
    this.lossy = await complete;
    // only the processes of tokenbench's pages matter (the browser has renderers of its own)
    const pages = new Set(this.events.filter((e) => e.name.startsWith(PAGE_MARK_PREFIX)).map((e) => e.pid));
    this.events.splice(0, this.events.length, ...this.events.filter((e) => pages.has(e.pid)));
  }

  async resume(): Promise<void> {
    if (!this.running) await this.begin();
  }

  /** Where the page that made mark `name` runs, once the trace holding the mark was read. */
  pageOf(name: string): PageInTrace | null {
    const mark = this.events.find((e) => e.name === name);
    return mark ? { pid: mark.pid, tid: mark.tid, atMs: mark.ts / 1000 } : null;
  }

  /** The collections on a page's main thread read so far, with their V8.GC* work (ms), and forgets them; null when the last read lost events. */
  takeCollections(page: PageInTrace): { collections: Collection[]; gcWork: Interval[] } | null {
    const mine = this.events.filter((e) => e.pid === page.pid && e.tid === page.tid && isGc(e));
    const kept = this.events.filter((e) => !(e.pid === page.pid && e.tid === page.tid));
    this.events.splice(0, this.events.length, ...kept);
    if (this.lossy) return null;
    const interval = (e: TraceEvent): Interval => [e.ts / 1000, (e.ts + (e.dur ?? 0)) / 1000];
    return {
      collections: mine.filter((e) => COLLECTIONS.has(e.name)).map((e) => ({ interval: interval(e), major: e.name === 'MajorGC' })),
      gcWork: mine.map(interval),
    };
  }

  async stop(): Promise<void> {
    if (this.running) await this.cdp.send('Tracing.end').catch(() => undefined);
    this.running = false;
    await this.cdp.detach().catch(() => undefined);
  }
}
