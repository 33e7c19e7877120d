/**
 * A headless browser started by playwright-core, with the trace of its garbage collections
 * (gc-trace.ts) running from the start. One serves all the configs of a run that ask for the same
 * executable and flags (each config gets a fresh browser context and page in it); playwright talks
 * to it over a pipe, so a kill -9 of tokenbench takes it along.
 */
import type { Browser } from 'playwright-core';
import { GcTrace } from './gc-trace.js';

export interface BrowserHandle {
  readonly browser: Browser;
  /** null where the browser cannot trace, or was asked not to. */
  readonly gc: GcTrace | null;
  /** Configs that have opened a page in this browser so far. */
  pagesOpened: number;
  close(): Promise<void>;
}

/** A browser of `executable` with `args`, its collections traced when `traceGc`. */
export async function launchBrowser(executable: string, args: readonly string[], traceGc: boolean): Promise<BrowserHandle> {
  const { chromium } = await import('playwright-core');
  // tokenbench handles Ctrl-C and SIGTERM itself (finish or cut the config, save, then close the
  // browser): Playwright's own handlers would close the browser under the iteration in flight
  const browser = await chromium.launch({ executablePath: executable, headless: true, args: [...args], handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const gc = traceGc ? await GcTrace.start(browser) : null;
  return {
    browser,
    gc,
    pagesOpened: 0,
    async close() {
      await gc?.stop();
      await browser.close().catch(() => undefined);
    },
  };
}
