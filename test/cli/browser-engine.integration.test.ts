/**
 * Engine transformers-js-browser in the real headless Chromium: WASM at 1 and 2 threads, WebGPU on
 * SwiftShader, Node and browser in one sweep, the page's clock, nothing asked of the network, and
 * the browser gone after the run, after a kill -9 of tokenbench, and a browser that dies mid-run
 * failing only its own config. One browser serves the run's configs; each gets a fresh page.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { maxRelativeLogitGap } from '../../src/engines/cache-check.js';
import { DEFAULT_BROWSER, TransformersJsBrowserEngine } from '../../src/engines/transformers-js-browser.js';
import { expandConfigs } from '../../src/config/sweep.js';
import type { BenchmarkResult } from '../../src/results/schema.js';
import { installedVersion } from '../../src/util/optional-package.js';
import { readResult, runCli, TEST_CACHE_DIR, tempDir } from '../helpers.js';
import { needs } from '../support/requirements.js';

const chromium = needs({ what: 'Chromium', missing: existsSync(DEFAULT_BROWSER) ? null : `no ${DEFAULT_BROWSER}: .ci/run installs Debian's chromium` });

/** A flag Chromium ignores, that finds this test's browser processes. */
const marker = (name: string): string => `--tokenbench-test=${name}-${process.pid}`;

/** Browser processes started with the flag `flag` (not tokenbench itself, whose arguments name it too). */
function processesWith(flag: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '--', `chromium.*${flag}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when none
  }
}

async function gone(text: string, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (processesWith(text).length === 0) return true;
  return false;
}

/** Every iteration made exactly `n` tokens, with one stamp per step, each after the one before. */
function checkIterations(b: BenchmarkResult, n: number): void {
  assert.equal(b.status, 'ok', JSON.stringify(b.error));
  assert.ok(b.iterations.length > 0);
  for (const it of b.iterations) {
    assert.deepEqual(it.new_tokens, [n]);
    assert.equal(it.token_ms.length, n);
    it.token_ms.forEach((t, k) => assert.ok(k === 0 ? t > 0 : t >= (it.token_ms[k - 1] as number), `step ${k}: ${t}`));
    assert.ok(it.e2e_ms >= (it.token_ms.at(-1) as number));
  }
}

test('wasm in headless Chromium at 1 and 2 threads: N tokens every iteration, page stamps, isolation, the threads asked, no request off the page server (after a probe off it was refused at load), the clock measured, the browser gone after', chromium.options, async () => {
  chromium.check();
  const out = join(tempDir(), 'b.json');
  const flag = marker('wasm');
  const r = await runCli(['run', '--engine', 'transformers-js-browser', '--engine-option', 'threads=1,2', `browser_flags=${flag}`, '--warmup', '1', '--iterations', '4', '--sequence-length', '16', '--new-tokens', '12', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = readResult(out);
  assert.deepEqual(run.benchmarks.map((b) => b.config.engine_options.threads), [1, 2]);
  for (const b of run.benchmarks) {
    checkIterations(b, 12);
    const facts = b.engine?.browser;
    assert.ok(facts, 'the browser facts are kept');
    assert.deepEqual([b.engine?.name, b.engine?.device, facts.cross_origin_isolated, facts.threads, facts.wasm_build, facts.webgpu, facts.external_requests], ['transformers-js-browser', 'wasm', true, b.config.engine_options.threads, 'plain', null, []]);
    assert.match(facts.browser, /^chromium \d+\./);
    // what it takes to run it again: the onnxruntime-web the page was served, its provider, the model file
    const s = b.engine?.settings ?? {};
    assert.deepEqual([s.onnxruntime_web, s.execution_provider], [installedVersion('onnxruntime-web'), 'wasm'], JSON.stringify(s));
    assert.ok(typeof s.file_bytes === 'number' && s.file_bytes > 0 && /^[0-9a-f]{64}$/.test(String(s.model_sha256)), JSON.stringify(s));
    // the page's clock against this process's, before and after: both measured, the move stated
    assert.ok(Number.isFinite(facts.clock_offset_ms) && facts.clock_uncertainty_ms > 0 && facts.clock_uncertainty_ms < 50);
    assert.ok(facts.clock_offset_after_ms !== null && facts.clock_moved_ms !== null && facts.clock_moved_ms >= 0);
    assert.equal(facts.clock_note === null, facts.clock_moved_ms <= 0.5);
    // the main thread's long tasks inside generate(): measured, a share of the generate time
    const long = facts.long_tasks;
    assert.ok(long && long.generate_ms > 0 && long.share !== null && long.share >= 0 && long.share <= 1, JSON.stringify(long));
    // and its garbage collections there, from the browser's trace, over the same generate() time
    const gc = facts.gc;
    assert.ok(gc && gc.share !== null && gc.share >= 0 && gc.share <= 1 && gc.major_collections <= gc.collections, JSON.stringify(gc));
    assert.ok(Math.abs(gc.generate_ms - long.generate_ms) < 1, `${gc.generate_ms} against ${long.generate_ms}`);
  }
  // one browser for the run: the second config opened its page in the first one's browser
  assert.deepEqual(run.benchmarks.map((b) => b.engine?.browser?.browser_reused), [false, true]);
  assert.ok(await gone(flag, 5000), 'no browser process is left after the run');
});

test('webgpu on SwiftShader: the software adapter named as a fallback, N tokens every iteration; gc_trace=false leaves the browser untraced', chromium.options, async () => {
  chromium.check();
  const out = join(tempDir(), 'g.json');
  const r = await runCli(['run', '--engine', 'transformers-js-browser', '--device', 'webgpu', '--engine-option', 'gc_trace=false', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const b = readResult(out).benchmarks[0] as BenchmarkResult;
  checkIterations(b, 4);
  // untraced, as asked: no GC figures, and none printed
  assert.equal(b.engine?.browser?.gc, null);
  assert.doesNotMatch(r.stdout, /garbage collection/);
  assert.deepEqual([b.engine?.device, b.engine?.browser?.wasm_build, b.engine?.browser?.webgpu?.fallback, b.engine?.browser?.webgpu?.architecture], ['webgpu', 'asyncify', true, 'swiftshader']);
  assert.match(r.stdout, /WebGPU ran on a software fallback adapter \(swiftshader\): a path check, not a GPU's speed/);
});

test('Node and browser in one sweep, side by side; a dtype or browser that cannot run is refused before anything runs', chromium.options, async () => {
  chromium.check();
  const out = join(tempDir(), 's.json');
  const r = await runCli(['run', '--engine', 'transformers-js', 'transformers-js-browser', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--no-store', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = readResult(out);
  assert.deepEqual(run.benchmarks.map((b) => [b.engine?.name, b.engine?.device, b.status]), [['transformers-js', 'cpu', 'ok'], ['transformers-js-browser', 'wasm', 'ok']]);
  assert.match(r.stdout, /transformers-js-cpu-fp32-synthetic-tiny\s+ok/);
  assert.match(r.stdout, /transformers-js-browser-wasm-fp32-synthetic-tiny\s+ok/);
  // the report says what the page ran on and cost itself, for the browser config alone
  const html = join(tempDir(), 's.html');
  assert.equal((await runCli(['report', out, '-o', html])).code, 0);
  const notes = readFileSync(html, 'utf8').match(/<p class="note">in the page: [^<]*<\/p>/g) ?? [];
  assert.equal(notes.length, 1, notes.join('\n'));
  assert.match(notes[0] as string, /in the page: chromium \d+[^;]*; WASM build plain, 1 thread\(s\), cross-origin isolated; main thread in long tasks [\d.]+% of generate\(\); in garbage collection [\d.]+% \(\d+ collections, \d+ major\); page clock moved [\d.]+ ms over the config/);

  const dtype = await runCli(['run', '--engine', 'transformers-js-browser', '--dtype', 'fp99', '--iterations', '1', '--no-store', '--output', join(tempDir(), 'x.json')]);
  assert.equal(dtype.code, 2);
  assert.equal(dtype.stderr.trim().split('\n').length, 1, dtype.stderr);
  assert.match(dtype.stderr, /dtype 'fp99' is not one engine transformers-js-browser knows; allowed: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4$/m);
  const nowhere = await runCli(['run', '--engine', 'transformers-js-browser', '--engine-option', 'browser=/nonexistent/chromium', '--iterations', '1', '--no-store', '--output', join(tempDir(), 'y.json')]);
  assert.equal(nowhere.code, 2);
  assert.equal(nowhere.stderr.trim(), "tokenbench: engine transformers-js-browser: no browser at /nonexistent/chromium; install Debian's chromium (apt-get install chromium), or give its path in TOKENBENCH_BROWSER or --engine-option browser=PATH");
  const hub = await runCli(['run', '--engine', 'transformers-js-browser', '--model', 'HuggingFaceTB/SmolLM2-135M', '--iterations', '1', '--no-store', '--output', join(tempDir(), 'h.json')]);
  assert.equal(hub.code, 2, hub.stderr);
  assert.match(hub.stderr, /model HuggingFaceTB\/SmolLM2-135M: the browser engine loads a local folder or synthetic:<preset>, not a hub id/);
  const device = await runCli(['run', '--engine', 'transformers-js-browser', '--device', 'cpu', '--iterations', '1', '--no-store', '--output', join(tempDir(), 'z.json')]);
  assert.equal(device.code, 2);
  assert.match(device.stderr, /wasm, webgpu/);
});

test('synthetic models in q8, q4 and bnb4 on Node and in the browser: N tokens every iteration, the file of each dtype', chromium.options, async () => {
  chromium.check();
  const out = join(tempDir(), 'q.json');
  const r = await runCli(['run', '--engine', 'transformers-js', 'transformers-js-browser', '--dtype', 'q8', 'q4', 'bnb4', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '6', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = readResult(out);
  assert.deepEqual(run.benchmarks.map((b) => `${b.engine?.name} ${b.engine?.dtype}`).sort(), ['transformers-js bnb4', 'transformers-js q4', 'transformers-js q8', 'transformers-js-browser bnb4', 'transformers-js-browser q4', 'transformers-js-browser q8']);
  for (const b of run.benchmarks) checkIterations(b, 6);
  const folder = run.benchmarks[0]?.model?.path as string;
  for (const file of ['model_quantized.onnx', 'model_q4.onnx', 'model_bnb4.onnx']) assert.ok(existsSync(join(folder, 'onnx', file)), file);
});

test('in the page, the KV cache of every synthetic dtype gives what recomputation without it gives', chromium.options, async () => {
  chromium.check();
  for (const dtype of ['fp32', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'fp16', 'q4f16']) {
    const [config] = expandConfigs([{ fields: { engine: 'transformers-js-browser', model: 'synthetic:tiny', dtype, sequence_length: 8, num_tokens_to_generate: 6 }, where: 'test' }]);
    assert.ok(config);
    const engine = new TransformersJsBrowserEngine(config, { cacheDir: TEST_CACHE_DIR });
    await engine.load();
    try {
      const rows = await engine.cacheCheck(await engine.prepare([[5, 17, 99, 3, 250, 41, 7, 600]]), 6);
      assert.equal(rows.cached.length, 6);
      assert.deepEqual(rows.tokens, rows.recomputedTokens, dtype);
      // rounding for fp32 and 4-bit weights, float16's for fp16; 8-bit quantizes activations over the whole input
      const gap = maxRelativeLogitGap(rows);
      const tolerance = ({ fp32: 1e-5, q4: 1e-5, bnb4: 1e-5, fp16: 5e-3, q4f16: 5e-3 } as Record<string, number>)[dtype] ?? 2e-2;
      assert.ok(gap < tolerance, `${dtype}: ${gap}`);
    } finally {
      await engine.dispose();
    }
  }
});

test('fp16 and q4f16 on a WebGPU adapter without shader-f16 (SwiftShader): refused before anything runs, saying so; the engine refuses them at load too', chromium.options, async () => {
  chromium.check();
  const dir = tempDir();
  const out = join(dir, 'f.json');
  const r = await runCli(['run', '--engine', 'transformers-js-browser', '--device', 'webgpu', '--dtype', 'q4', 'fp16', '--warmup', '0', '--iterations', '1', '--sequence-length', '8', '--new-tokens', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tokenbench: engine transformers-js-browser, device webgpu, dtype fp16: the WebGPU adapter of \S+ \(swiftshader\) has no shader-f16, which fp16 needs; fp32, q8, int8, uint8, q4 and bnb4 run on it$/m);
  assert.equal(existsSync(out), false, 'nothing ran, nothing written');
  // a library caller that skips the checks: the page refuses at load
  const [config] = expandConfigs([{ fields: { engine: 'transformers-js-browser', device: 'webgpu', model: 'synthetic:tiny', dtype: 'q4f16', sequence_length: 8, num_tokens_to_generate: 2 }, where: 'test' }]);
  assert.ok(config);
  const engine = new TransformersJsBrowserEngine(config, { cacheDir: TEST_CACHE_DIR });
  try {
    await assert.rejects(engine.load(), /the WebGPU adapter \(swiftshader\) has no shader-f16, which dtype q4f16 needs; fp32, q8, int8, uint8, q4 and bnb4 run on it/);
  } finally {
    await engine.dispose();
  }
});

test('kill -9 of tokenbench mid-run: its browser goes with it', chromium.options, async () => {
  chromium.check();
  const flag = marker('kill');
  let killed = false;
  const r = await runCli(['run', '--engine', 'transformers-js-browser', '--engine-option', `browser_flags=${flag}`, '--warmup', '0', '--iterations', '100000', '--sequence-length', '8', '--new-tokens', '4', '--no-store', '--output', join(tempDir(), 'k.json')], {
    onStderr: (text, child) => {
      // the page is up and generating: the browser is running
      if (!killed && /validity done/.test(text) && processesWith(flag).length > 0) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.ok(await gone(flag, 10_000), `browser processes left after kill -9: ${processesWith(flag).join(', ')}`);
});

test('a browser that dies mid-run fails its own config with what happened; the next config runs', chromium.options, async () => {
  chromium.check();
  const out = join(tempDir(), 'd.json');
  const first = marker('dies');
  let killed = false;
  const r = await runCli(['run', '--engine', 'transformers-js-browser', '--engine-option', `browser_flags=${first}`, '--warmup', '0', '--iterations', '60', '--new-tokens', '64', '8', '--sequence-length', '8', '--no-store', '--output', out], {
    onStderr: (text) => {
      if (!killed && /\[1\/2\].*validity done/.test(text)) {
        killed = true;
        for (const pid of processesWith(first)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
  });
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const [a, b] = readResult(out).benchmarks as [BenchmarkResult, BenchmarkResult];
  assert.equal(a.status, 'failed');
  assert.equal(a.error?.kind, 'engine_generate');
  assert.match(a.error?.message ?? '', /^(validity|warmup|measure): in the browser: (the browser went away|the page crashed|.*has been closed)/);
  checkIterations(b, 8);
  // the run's browser died with the first config: the second started a new one
  assert.equal(b.engine?.browser?.browser_reused, false);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} in the real browser: while measuring, the config is interrupted with its iterations; between measure done and its end, the config is kept whole; the browser gone; exit ${code}`, chromium.options, async () => {
    chromium.check();
    const flag = marker(`signal-${signal}`);
    const base = ['run', '--engine', 'transformers-js-browser', '--engine-option', `browser_flags=${flag}`, 'gc_trace=false', '--warmup', '0', '--sequence-length', '8', '--new-tokens', '4', '--no-store'];
    // while the second config measures
    const out = join(tempDir(), 'r.json');
    let sent = false;
    const r = await runCli([...base, '--iterations', '3', '100000', '--output', out], {
      onStderr: (text, child) => {
        if (!sent && /\[2\/2\][^\n]*\n[\s\S]*validity done/.test(text)) {
          sent = true;
          setTimeout(() => child.kill(signal), 300);
        }
      },
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, code, r.stderr);
    const run = readResult(out);
    assert.deepEqual(run.benchmarks.map((b) => b.status), ['ok', 'interrupted'], r.stderr);
    assert.equal(run.benchmarks[1]?.error?.kind, 'interrupted');
    assert.ok((run.benchmarks[1]?.iterations.length ?? 0) > 0, 'the iterations it finished are kept');
    assert.ok(run.finished_at);
    assert.ok(await gone(flag, 10_000), 'the browser is gone');

    // in the window after the first config's measure phase, before its end
    const late = join(tempDir(), 'late.json');
    let lateSent = false;
    const l = await runCli([...base, '--iterations', '3', '100000', '--output', late], {
      onStderr: (text, child) => {
        if (!lateSent && /\[1\/2\][\s\S]*measure done/.test(text)) {
          lateSent = true;
          child.kill(signal);
        }
      },
    });
    assert.ok(lateSent, l.stderr);
    assert.equal(l.code, code, l.stderr);
    // the first config had measured all it was asked: kept whole; the second never ran
    assert.deepEqual(readResult(late).benchmarks.map((b) => [b.status, b.iterations.length]), [['ok', 3], ['skipped', 0]], l.stderr);
    assert.ok(await gone(flag, 10_000), 'the browser is gone');
  });
}
