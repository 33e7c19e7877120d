/**
 * transformers.js where it mostly runs: in a browser. One headless Chromium (playwright-core) per
 * run, kept in the run's scope and shared by the configs that ask for the same executable and
 * flags; each config gets a fresh browser context with one page, served from loopback by
 * src/browser/page-server.ts with cross-origin isolation. Generation runs in the page on
 * onnxruntime-web (devices wasm and webgpu), and t0, t1 and every step are stamped there
 * (src/browser/page.ts). The page's clock is measured against this process's by round trips before
 * and after the config; the offset only places the page's stamps on the run's timeline (differences
 * are the page's own), and a config whose offset moved more than 0.5 ms says so. The page's own
 * costs inside generate() are its long tasks and its garbage collections (from the browser's trace).
 * Tokenizing and decoding run here, on the same tokenizer files.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type BrowserHandle, launchBrowser } from '../browser/browser-handle.js';
import { PAGE_MARK_PREFIX } from '../browser/gc-trace.js';
import { costInWindows, type Interval } from '../browser/page-costs.js';
import { type PageFacts, type PageGeneration, type PageLoadOptions, type PageLongTasks, PAGE_HTML } from '../browser/page.js';
import { type PageServer, startPageServer } from '../browser/page-server.js';
import type { BenchmarkConfig } from '../config/fields.js';
import { type ClockOffset, clockOffsetByRoundTrips } from '../util/clock-offset.js';
import { errorMessage, InputError, RunError } from '../util/errors.js';
import type { CacheCheckRows } from './cache-check.js';
import type { BrowserFacts, Engine, EngineContext, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engine.js';
import { newTokensOfSequences, onnxFileFacts, transformersModelOf } from './transformers-js.js';
import { installedVersion } from '../util/optional-package.js';

type Transformers = typeof import('@huggingface/transformers');
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;

/** Debian's Chromium: the default browser (else TOKENBENCH_BROWSER or the engine option `browser`). */
export const DEFAULT_BROWSER = '/usr/bin/chromium';

/** Flags for a quiet headless browser that asks nothing of the network. */
const BASE_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** onnxruntime-web's WASM builds, by the name the engine option `wasm_build` gives them. */
export const WASM_BUILDS: Readonly<Record<string, string>> = {
  plain: 'ort-wasm-simd-threaded',
  asyncify: 'ort-wasm-simd-threaded.asyncify',
  jsep: 'ort-wasm-simd-threaded.jsep',
  jspi: 'ort-wasm-simd-threaded.jspi',
};

/** The address the page's network check asks for: TEST-NET-1 (RFC 5737), never routed. */
const NETWORK_PROBE = 'http://192.0.2.1/tokenbench-network-check';

/** A clock offset that moved more than this over a config is flagged (ms). */
const OFFSET_MOVED_LIMIT_MS = 0.5;

/** How far outside this process's readings around it the page's mark may fall in the trace and the clocks still be one (ms). */
const MARK_SLACK_MS = 1;

/** Round trips per clock offset measurement. */
const OFFSET_TRIPS = 40;

/** The first line of a browser-side error, without the terminal colours playwright adds. */
function firstLine(err: unknown): string {
  // eslint-disable-next-line no-control-regex
  return (errorMessage(err).split('\n')[0] as string).replace(/\x1b\[[0-9;]*m/g, '').trim();
}

/** This process's monotonic clock in ms (the clock of process.hrtime.bigint()). */
const nodeMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The browser a config runs: the engine option, else TOKENBENCH_BROWSER, else Debian's Chromium. */
export function browserOf(config: BenchmarkConfig): string {
  const option = config.engine_options.browser;
  return typeof option === 'string' && option.length > 0 ? option : (process.env.TOKENBENCH_BROWSER ?? DEFAULT_BROWSER);
}

/** Refuses a browser that is not there, or not a program this user may run, before anything runs. */
export function checkBrowser(config: BenchmarkConfig): void {
  const path = browserOf(config);
  const hint = "install Debian's chromium (apt-get install chromium), or give its path in TOKENBENCH_BROWSER or --engine-option browser=PATH";
  if (!existsSync(path)) throw new InputError('config', `engine transformers-js-browser: no browser at ${path}; ${hint}`);
  if (statSync(path).isDirectory()) throw new InputError('config', `engine transformers-js-browser: ${path} is a folder, not a browser program; ${hint}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new InputError('config', `engine transformers-js-browser: ${path} is not executable (no run permission); chmod +x it, or ${hint}`);
  }
}

/** The flags a config's browser is started with. */
function browserArgs(config: BenchmarkConfig): string[] {
  const flags = config.engine_options.browser_flags;
  const extra = typeof flags === 'string' ? flags.split(/\s+/).filter(Boolean) : [];
  return [...BASE_FLAGS, ...(config.device === 'webgpu' ? ['--enable-unsafe-webgpu'] : ['--disable-gpu']), ...extra];
}

/** Dtypes that are float16 in the graph: on WebGPU they need the adapter's shader-f16. */
const HALF_DTYPES = new Set(['fp16', 'q4f16']);

/** What WebGPU adapter a browser gets: its name and whether it has shader-f16; null for none. */
type AdapterAnswer = { name: string; shaderF16: boolean } | null;

/** The answers of the browsers asked so far, by executable and flags (undefined: it could not be asked): each is started once to ask. */
const adapterAnswers = new Map<string, Promise<AdapterAnswer | undefined>>();

/** Starts the browser with these flags, asks a blank page of a loopback server (WebGPU needs a secure context) for its WebGPU adapter, and closes both. */
async function askWebGpuAdapter(executable: string, args: string[]): Promise<AdapterAnswer> {
  const server = await startPageServer('<!doctype html><title>tokenbench</title>', {});
  const handle = await launchBrowser(executable, args, false).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  try {
    const page = await handle.browser.newPage();
    await page.goto(`${server.origin}/`);
    return await page.evaluate(async () => {
      type Adapter = { info?: { vendor?: string; architecture?: string }; features: Set<string> };
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<Adapter | null> } } }).navigator.gpu;
      const adapter = gpu ? await gpu.requestAdapter() : null;
      return adapter ? { name: adapter.info?.architecture || adapter.info?.vendor || 'unnamed', shaderF16: adapter.features.has('shader-f16') } : null;
    });
  } finally {
    await handle.close();
    await server.close();
  }
}

/**
 * Refuses, before anything runs, a webgpu config whose browser gives no WebGPU adapter, or whose
 * dtype is float16 on an adapter without shader-f16 (SwiftShader's). A browser that cannot be
 * started here is left to fail its configs at load, saying why.
 */
export async function checkWebGpu(config: BenchmarkConfig): Promise<void> {
  if (config.device !== 'webgpu') return;
  const executable = browserOf(config);
  const args = browserArgs(config);
  const key = [executable, ...args].join('\u0000');
  if (!adapterAnswers.has(key)) adapterAnswers.set(key, askWebGpuAdapter(executable, args).catch(() => undefined));
  const adapter = await (adapterAnswers.get(key) as Promise<AdapterAnswer | undefined>);
  if (adapter === undefined) return;
  if (adapter === null) throw new InputError('config', `engine transformers-js-browser, device webgpu: ${executable} gives no WebGPU adapter (with flags ${args.join(' ')}); run on device wasm, or give the browser flags a GPU needs in --engine-option browser_flags`);
  if (HALF_DTYPES.has(config.dtype) && !adapter.shaderF16) throw new InputError('config', `engine transformers-js-browser, device webgpu, dtype ${config.dtype}: the WebGPU adapter of ${executable} (${adapter.name}) has no shader-f16, which ${config.dtype} needs; fp32, q8, int8, uint8, q4 and bnb4 run on it`);
}

/** The folder a package's main file is in (its dist/). */
function packageDist(name: string): string {
  return dirname(createRequire(import.meta.url).resolve(name));
}

export class TransformersJsBrowserEngine implements Engine {
  private tokenizer: Tokenizer | undefined;
  private handle: BrowserHandle | undefined;
  /** The browser was started for this config alone (no run scope): closed with it. */
  private ownBrowser = false;
  private browserContext: BrowserContext | undefined;
  private page: Page | undefined;
  private server: PageServer | undefined;
  private offset: ClockOffset | undefined;
  private crashed: string | null = null;
  private readonly onDisconnected = (): void => {
    this.crashed ??= 'the browser went away';
  };
  private readonly external: string[] = [];
  /** The generate() windows on this process's clock (ms): where the page's collections are counted. */
  private readonly windowsMs: Interval[] = [];
  /** The page's mark in the browser's trace, and this process's clock just before and after it was made. */
  private mark: { name: string; beforeMs: number; afterMs: number } | undefined;
  private eosIds: number[] = [];
  private engineInfo: EngineInfo;
  private modelInfo: ModelInfo;

  constructor(
    private readonly config: BenchmarkConfig,
    private readonly context: EngineContext,
  ) {
    this.engineInfo = { name: 'transformers-js-browser', version: 'unknown', device: config.device, dtype: config.dtype };
    this.modelInfo = { id: config.model, source: 'local', parameters: null, path: null, build_ms: 0 };
  }

  describe(): { engine: EngineInfo; model: ModelInfo } {
    return { engine: this.engineInfo, model: this.modelInfo };
  }

  private modelFolder(): string {
    const { location, local, info } = transformersModelOf(this.config, this.context);
    if (!local) throw new RunError('engine_load', `model ${info.id}: the browser engine loads a local folder or synthetic:<preset>, not a hub id`);
    this.modelInfo = info;
    return location;
  }

  async load(): Promise<void> {
    const folder = this.modelFolder();
    const o = this.config.engine_options;
    const device = this.config.device;
    const build = String(o.wasm_build ?? (device === 'webgpu' ? 'asyncify' : 'plain'));
    const threads = Number(o.threads ?? 1);
    const lib = await import('@huggingface/transformers');
    lib.env.allowRemoteModels = false;
    lib.env.allowLocalModels = true;
    lib.env.localModelPath = '';
    this.tokenizer = await lib.AutoTokenizer.from_pretrained(folder, { local_files_only: true });

    this.server = await startPageServer(PAGE_HTML, {
      '/transformers/': packageDist('@huggingface/transformers'),
      '/ort/': packageDist('onnxruntime-web'),
      '/models/model/': folder,
    });
    const origin = this.server.origin;
    const executable = browserOf(this.config);
    let handle: BrowserHandle;
    try {
      handle = await this.acquireBrowser(executable, browserArgs(this.config));
    } catch (err) {
      throw new RunError('engine_load', `browser ${executable}: cannot start it (${firstLine(err)})`);
    }
    this.handle = handle;
    const reused = handle.pagesOpened > 0;
    handle.pagesOpened++;
    let facts: PageFacts;
    try {
      facts = await this.openPage(origin, { device, dtype: this.config.dtype, threads, wasmFile: WASM_BUILDS[build] ?? (WASM_BUILDS.plain as string) });
      await this.markPage();
    } catch (err) {
      throw new RunError('engine_load', `in the browser: ${this.crashed ?? firstLine(err)}`);
    }
    this.eosIds = facts.eosIds;
    this.offset = await this.measureOffset();
    const browserFacts: BrowserFacts = {
      browser: `${handle.browser.browserType().name()} ${handle.browser.version()}`,
      browser_reused: reused,
      cross_origin_isolated: facts.crossOriginIsolated,
      threads: facts.threads,
      hardware_concurrency: facts.hardwareConcurrency,
      wasm_build: build,
      webgpu: facts.webgpu && { vendor: facts.webgpu.vendor, architecture: facts.webgpu.architecture, description: facts.webgpu.description, fallback: facts.webgpu.isFallbackAdapter },
      clock_offset_ms: this.offset.offsetMs,
      clock_uncertainty_ms: this.offset.uncertaintyMs,
      clock_offset_after_ms: null,
      clock_moved_ms: null,
      clock_note: null,
      external_requests: this.external,
      long_tasks: null,
      gc: null,
    };
    // what it takes to run it again beside the page's facts (engine.browser): the served onnxruntime-web and the model file
    const settings = { onnxruntime_web: installedVersion('onnxruntime-web'), execution_provider: device, ...(await onnxFileFacts(folder, this.config.dtype, this.context.cacheDir)) };
    this.engineInfo = { ...this.engineInfo, version: facts.transformersVersion, browser: browserFacts, settings };
  }

  /**
   * The run's browser for this executable and flags (started by the first config that asks, or again
   * when it died with an earlier one), or, outside a run, one for this config alone.
   */
  private async acquireBrowser(executable: string, args: string[]): Promise<BrowserHandle> {
    const scope = this.context.runScope;
    const traceGc = this.config.engine_options.gc_trace !== false;
    const launch = (): Promise<BrowserHandle> => launchBrowser(executable, args, traceGc);
    if (!scope) {
      this.ownBrowser = true;
      return launch();
    }
    const key = ['transformers-js-browser', executable, `gc_trace=${traceGc}`, ...args].join('\u0000');
    const close = (handle: BrowserHandle): Promise<void> => handle.close();
    const kept = await scope.keep(key, launch, close);
    if (kept.browser.isConnected()) return kept;
    await scope.drop(key);
    return scope.keep(key, launch, close);
  }

  /** A fresh context of the browser with one page of the page server, with transformers.js and the model loaded in it. */
  private async openPage(origin: string, options: PageLoadOptions): Promise<PageFacts> {
    const browser = (this.handle as BrowserHandle).browser;
    browser.on('disconnected', this.onDisconnected);
    this.browserContext = await browser.newContext();
    const page = await this.browserContext.newPage();
    this.page = page;
    page.on('crash', () => (this.crashed = 'the page crashed'));
    // nothing but the page server: anything else is refused and kept, to be seen in the result
    await page.route(
      (url) => url.origin !== origin,
      async (route) => {
        this.external.push(route.request().url());
        await route.abort();
      },
    );
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (globalThis as unknown as { tokenbenchReady?: boolean }).tokenbenchReady === true, undefined, { timeout: 60_000 });
    await this.checkNetworkRefused(page);
    return page.evaluate((opts) => (globalThis as unknown as { tokenbench: { load(o: unknown): Promise<PageFacts> } }).tokenbench.load(opts), options);
  }

  /** A mark of the page's own in the browser's trace, with this process's clock on both sides of it: how its collections are found and placed. */
  private async markPage(): Promise<void> {
    const name = `${PAGE_MARK_PREFIX}${randomUUID()}`;
    const beforeMs = nodeMs();
    await (this.page as Page).evaluate((n) => void performance.mark(n), name);
    this.mark = { name, beforeMs, afterMs: nodeMs() };
  }

  /**
   * Proves the refusal works before it is relied on: the page asks for an address off its server
   * (TEST-NET-1, which routes nowhere), which must be refused here and seen as refused there; it is
   * then not counted among the page's own requests.
   */
  private async checkNetworkRefused(page: Page): Promise<void> {
    const before = this.external.length;
    // a few seconds at most: unrouted, a request that got past the refusal would hang, not fail
    const answer = await page.evaluate((url) => fetch(url, { signal: AbortSignal.timeout(5000) }).then(() => 'reached', () => 'refused'), NETWORK_PROBE);
    const seen = this.external.slice(before).includes(NETWORK_PROBE);
    this.external.splice(before);
    if (answer !== 'refused' || !seen) throw new Error(`a request off the page server was ${answer === 'refused' ? 'refused, but not by tokenbench' : 'answered'}: the page's network is not under control`);
  }

  /** The same generation in the page without stamps (a streamer that does nothing, or none): its e2e (page ms), a baseline of bench/browser-engine.ts. */
  async bareGenerate(inputs: PreparedInputs, newTokens: number, withStreamer: boolean): Promise<number> {
    const g = await this.livePage().evaluate(([rows, n, s]) => (globalThis as unknown as { tokenbench: { bareGenerate(r: unknown, n: number, s: boolean): Promise<{ t0: number; t1: number }> } }).tokenbench.bareGenerate(rows, n, s), [inputs.rows, newTokens, withStreamer] as const);
    return g.t1 - g.t0;
  }

  /** The first row's greedy steps with the KV cache and recomputed without it, in the page (cache-check.ts). */
  cacheCheck(inputs: PreparedInputs, newTokens: number): Promise<CacheCheckRows> {
    return this.livePage().evaluate(([rows, n]) => (globalThis as unknown as { tokenbench: { cacheCheck(r: unknown, n: number): Promise<CacheCheckRows> } }).tokenbench.cacheCheck(rows, n), [inputs.rows, newTokens] as const);
  }

  /** The page's clock minus this process's monotonic clock (ms), by round trips. */
  measureOffset(): Promise<ClockOffset> {
    const page = this.livePage();
    return clockOffsetByRoundTrips(nodeMs, () => page.evaluate(() => performance.now()), OFFSET_TRIPS);
  }

  private livePage(): Page {
    if (this.crashed) throw new RunError('engine_generate', `browser engine: ${this.crashed}`);
    if (!this.page || !this.tokenizer) throw new RunError('internal', 'transformers-js-browser engine used before load()');
    return this.page;
  }

  async tokenize(text: string): Promise<number[]> {
    this.livePage();
    return (this.tokenizer as Tokenizer).encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return (this.tokenizer as Tokenizer).decode([...ids], { skip_special_tokens: false });
  }

  async prepare(rows: number[][]): Promise<PreparedInputs> {
    return { rows };
  }

  async generate(inputs: PreparedInputs, newTokens: number, _sink: TokenSink): Promise<GenerateResult> {
    const page = this.livePage();
    const offset = this.offset as ClockOffset;
    let g: PageGeneration;
    try {
      g = await page.evaluate(([rows, n]) => (globalThis as unknown as { tokenbench: { generate(r: unknown, n: number): Promise<PageGeneration> } }).tokenbench.generate(rows, n), [inputs.rows, newTokens] as const);
    } catch (err) {
      throw new RunError('engine_generate', `in the browser: ${this.crashed ?? firstLine(err)}`);
    }
    // page time to this process's clock: only where the run's timeline needs it (differences are the page's)
    const toNs = (pageMs: number): bigint => BigInt(Math.round((pageMs - offset.offsetMs) * 1e6));
    this.windowsMs.push([g.t0 - offset.offsetMs, g.t1 - offset.offsetMs]);
    const counted = newTokensOfSequences(g.sequences, g.dims, inputs.rows[0]?.length ?? 0, this.eosIds);
    return { ...counted, timing: { t0: toNs(g.t0), t1: toNs(g.t1), stepStamps: g.stamps.map(toNs) } };
  }

  async flush(): Promise<void> {
    // generate() disposes its KV cache when it returns, in the page as under Node
  }

  async dispose(): Promise<void> {
    try {
      if (this.page && !this.crashed && this.offset && this.engineInfo.browser) {
        const after = await this.measureOffset();
        const moved = Math.abs(after.offsetMs - this.offset.offsetMs);
        this.engineInfo.browser.clock_offset_after_ms = after.offsetMs;
        this.engineInfo.browser.clock_moved_ms = moved;
        if (moved > OFFSET_MOVED_LIMIT_MS) this.engineInfo.browser.clock_note = `the page's clock moved ${moved.toFixed(3)} ms against this process's over the config (more than ${OFFSET_MOVED_LIMIT_MS} ms): page stamps are placed on the run's timeline only that well`;
        const long = await this.page.evaluate(() => (globalThis as unknown as { tokenbench: { longTasks(): PageLongTasks } }).tokenbench.longTasks());
        const cost = long && costInWindows(long.windows, long.tasks);
        this.engineInfo.browser.long_tasks = cost && { generate_ms: cost.window_ms, long_task_ms: cost.cost_ms, long_tasks: cost.count, share: cost.share };
        this.engineInfo.browser.gc = await this.collections().catch(() => null);
      }
    } finally {
      (this.handle?.browser)?.off('disconnected', this.onDisconnected);
      await this.browserContext?.close().catch(() => undefined);
      if (this.ownBrowser) await this.handle?.close();
      await this.server?.close();
      this.page = undefined;
      this.browserContext = undefined;
      this.handle = undefined;
    }
  }

  /**
   * The page's collections inside its generate() calls, from the browser's trace (read now, between
   * configs); null where there is no trace, it lost events, or its clock is not this process's (the
   * page's mark fell outside the readings around it).
   */
  private async collections(): Promise<BrowserFacts['gc']> {
    const trace = this.handle?.gc;
    if (!trace || !this.mark) return null;
    await trace.read();
    const where = trace.pageOf(this.mark.name);
    if (!where) return null;
    const taken = trace.takeCollections(where);
    if (!taken || where.atMs < this.mark.beforeMs - MARK_SLACK_MS || where.atMs > this.mark.afterMs + MARK_SLACK_MS) return null;
    const work = costInWindows(this.windowsMs, taken.gcWork);
    const count = (major: boolean): number => costInWindows(this.windowsMs, taken.collections.filter((c) => !major || c.major).map((c) => c.interval)).count;
    return { generate_ms: work.window_ms, gc_ms: work.cost_ms, collections: count(false), major_collections: count(true), share: work.share };
  }
}

export function createTransformersJsBrowserEngine(config: BenchmarkConfig, context: EngineContext): Engine {
  return new TransformersJsBrowserEngine(config, context);
}
