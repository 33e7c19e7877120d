/**
 * The page a browser engine runs generation in: it imports transformers.js's browser build (which
 * bundles onnxruntime-web) from the page server, loads the model from it with remote models off,
 * and exposes `window.tokenbench` to the driver. Every clock reading of a generation (t0, t1 and
 * one stamp per step, the prompt echo skipped) is taken here with performance.now(), so the
 * page's own costs are inside the measured times, as users of the page would see them.
 */

/** What the page's load() takes. */
export interface PageLoadOptions {
  device: string;
  dtype: string;
  threads: number;
  /** onnxruntime-web's WASM build: the base name of its .mjs and .wasm files under /ort/. */
  wasmFile: string;
}

/** What the page says about itself after load(). */
export interface PageFacts {
  transformersVersion: string;
  crossOriginIsolated: boolean;
  /** WASM threads onnxruntime-web was told to use (1 when the page is not isolated). */
  threads: number;
  hardwareConcurrency: number;
  /** navigator.gpu's adapter, when the device is webgpu. */
  webgpu: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null;
  eosIds: number[];
}

/** One generation in page time (ms of the page's performance.now()). */
export interface PageGeneration {
  t0: number;
  t1: number;
  stamps: number[];
  /** The output sequences, row-major, with their dims. */
  sequences: number[];
  dims: [number, number];
}

/** What the page's longTasks() says: its generate() windows and the long tasks, in page ms; null where the browser reports no long tasks. */
export type PageLongTasks = { windows: [number, number][]; tasks: [number, number][] } | null;

/** The page's HTML; its script module defines window.tokenbench and then sets window.tokenbenchReady. */
export const PAGE_HTML = `<!doctype html>
<meta charset="utf-8"><title>tokenbench</title>
<script type="module">
import * as tf from '/transformers/transformers.js';
let model;
// the main thread's long tasks (over 50 ms) as the browser reports them, and the generate() windows they may fall in
const longTasks = [];
const windows = [];
let observer = null;
try {
  observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => [e.startTime, e.startTime + e.duration])));
  observer.observe({ type: 'longtask' });
} catch {
  observer = null;
}
/** The token-id rows as transformers.js's input tensors. */
function inputsOf(rows) {
  const width = rows[0].length;
  const ids = new BigInt64Array(rows.length * width);
  rows.forEach((row, r) => row.forEach((id, i) => (ids[r * width + i] = BigInt(id))));
  return { input_ids: new tf.Tensor('int64', ids, [rows.length, width]), attention_mask: new tf.Tensor('int64', new BigInt64Array(rows.length * width).fill(1n), [rows.length, width]) };
}
window.tokenbench = {
  async load(o) {
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    tf.env.localModelPath = '/models/';
    tf.env.useBrowserCache = false;
    tf.env.useWasmCache = false;
    const wasm = tf.env.backends.onnx.wasm;
    wasm.numThreads = o.threads;
    wasm.wasmPaths = { mjs: '/ort/' + o.wasmFile + '.mjs', wasm: '/ort/' + o.wasmFile + '.wasm' };
    let webgpu = null;
    if (o.device === 'webgpu') {
      const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
      if (!adapter) throw new Error('this browser has no WebGPU adapter (navigator.gpu ' + (navigator.gpu ? 'gave none' : 'is missing') + ')');
      const info = adapter.info ?? {};
      webgpu = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter) };
      // float16 weights and activations need the adapter's shader-f16 (SwiftShader has none)
      if ((o.dtype === 'fp16' || o.dtype === 'q4f16') && !adapter.features.has('shader-f16')) {
        throw new Error('the WebGPU adapter (' + (webgpu.architecture || webgpu.vendor || 'unnamed') + ') has no shader-f16, which dtype ' + o.dtype + ' needs; fp32, q8, int8, uint8, q4 and bnb4 run on it');
      }
    }
    model = await tf.AutoModelForCausalLM.from_pretrained('model', { device: o.device, dtype: o.dtype });
    const eos = model.generation_config?.eos_token_id;
    return {
      transformersVersion: tf.env.version,
      crossOriginIsolated: self.crossOriginIsolated,
      threads: wasm.numThreads,
      hardwareConcurrency: navigator.hardwareConcurrency,
      webgpu,
      eosIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    };
  },
  async generate(rows, n) {
    const { input_ids, attention_mask } = inputsOf(rows);
    const stamps = [];
    let echoed = false;
    // transformers.js's first put() is the prompt echo, then one per step
    const streamer = { put() { if (echoed) stamps.push(performance.now()); else echoed = true; }, end() {} };
    const t0 = performance.now();
    const out = await model.generate({ input_ids, attention_mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer });
    const t1 = performance.now();
    windows.push([t0, t1]);
    return { t0, t1, stamps, sequences: Array.from(out.data, Number), dims: out.dims };
  },
  // the same generation without stamps, with a streamer that does nothing or none at all: the
  // baselines of bench/browser-engine.ts's harness overhead
  async bareGenerate(rows, n, withStreamer) {
    const { input_ids, attention_mask } = inputsOf(rows);
    const streamer = withStreamer ? { put() {}, end() {} } : undefined;
    const t0 = performance.now();
    await model.generate({ input_ids, attention_mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer });
    return { t0, t1: performance.now() };
  },
  // the KV cache against recomputation (src/engines/cache-check.ts): each step's last-position logits
  // inside generate() (a logits processor sees them before any other), then the same sequence run whole
  async cacheCheck(rows, n) {
    const { input_ids, attention_mask } = inputsOf(rows);
    const cached = [];
    const out = await model.generate({ input_ids, attention_mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, logits_processor: [(ids, logits) => { cached.push(Array.from(logits.data)); return logits; }] });
    const width = rows[0].length;
    const tokens = Array.from(out.data, Number).slice(width, width + n);
    const recomputed = [];
    const recomputedTokens = [];
    for (let i = 0; i < n; i++) {
      const seq = [...rows[0], ...tokens.slice(0, i)];
      const o = await model(inputsOf([seq]));
      const [, S, V] = o.logits.dims;
      const row = Array.from(o.logits.data.slice((S - 1) * V, S * V));
      recomputed.push(row);
      recomputedTokens.push(row.indexOf(Math.max(...row)));
    }
    return { cached, recomputed, tokens, recomputedTokens };
  },
  // the generate() windows so far and the main thread's long tasks, in page ms (src/browser/page-costs.ts takes the share)
  longTasks() {
    if (!observer) return null;
    longTasks.push(...observer.takeRecords().map((e) => [e.startTime, e.startTime + e.duration]));
    return { windows, tasks: longTasks };
  },
  async dispose() {
    await model?.dispose();
    model = undefined;
  },
};
window.tokenbenchReady = true;
</script>
`;
