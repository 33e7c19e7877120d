/** The llama-cpp engine end to end through the CLI on the tiny synthetic GGUF, on CPU, 1 thread. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunResultSchema } from '../../src/results/schema.js';
import { runCli, tempDir } from '../helpers.js';

const RUN = ['run', '--engine', 'llama-cpp', '--engine-option', 'threads=1', '--warmup', '1', '--iterations', '3', '--sequence-length', '24', '--new-tokens', '16', '--no-gpu-monitoring', '--quiet'];

test('tiny GGUF in f16, q8_0 and q4_0: exact token counts, increasing stamps, batch > 1 with per-row stamps, flush between iterations', async () => {
  const out = join(tempDir(), 'r.json');
  const r = await runCli([...RUN, '--batch-size', '1', '3', '--dtype', 'f16', 'q8_0', 'q4_0', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = RunResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(run.benchmarks.length, 6);
  for (const b of run.benchmarks) {
    assert.equal(b.status, 'ok', b.error?.message);
    assert.equal(b.engine?.name, 'llama-cpp');
    assert.match(b.engine?.version ?? '', /^node-llama-cpp 3\.21\.1$/);
    assert.equal(b.engine?.dtype, b.config.dtype);
    assert.equal(b.model?.source, 'synthetic');
    // what it takes to run it again: the build and every setting in effect, the weights by hash
    const s = b.engine?.settings ?? {};
    assert.match(String(s.llama_cpp_release), /^ggml-org\/llama\.cpp@b\d+$|^[\w.-]+\/[\w.-]+@[\w.-]+$/, JSON.stringify(s));
    assert.equal(s.n_threads, 1);
    assert.equal(s.n_ubatch, s.n_batch);
    assert.ok((s.n_ctx as number) >= 24 + 16, `n_ctx ${s.n_ctx}`);
    assert.equal(s.flash_attn, 'false');
    assert.equal(s.n_gpu_layers, 0);
    assert.match(String(s.system_info), /CPU/);
    const gguf = b.model?.path as string;
    assert.equal(s.file_bytes, statSync(gguf).size);
    assert.ok((s.model_bytes as number) > 0 && (s.model_bytes as number) <= (s.file_bytes as number), `${s.model_bytes} of ${s.file_bytes}`);
    assert.equal(s.model_sha256, createHash('sha256').update(readFileSync(gguf)).digest('hex'));
    assert.ok((s.model_params as number) > 0);
    const samples = new Set<string>();
    for (const it of b.iterations) {
      assert.deepEqual(it.new_tokens, Array(b.config.batch_size).fill(16));
      assert.equal(it.token_ms.length, 16);
      for (let k = 1; k < 16; k++) assert.ok((it.token_ms[k] as number) > (it.token_ms[k - 1] as number));
      assert.equal(it.token_ms_by_row?.length, b.config.batch_size);
      for (const row of it.token_ms_by_row ?? []) {
        assert.equal(row.length, 16);
        // the step stamp is when the last row got its token of that step
        row.forEach((t, k) => assert.ok(t <= (it.token_ms[k] as number)));
      }
      samples.add(it.output_sample);
    }
    // greedy from the same prompt: the same output every iteration, so the history was cleared
    assert.equal(samples.size, 1);
  }
});

test('bad GGUF files and unavailable devices: one clear line, exit code 2', async () => {
  const dir = tempDir();
  const good = join(dir, 'good.gguf');
  // build the tiny GGUF through a run, then copy it out of the cache
  const out = join(dir, 'r.json');
  const built = await runCli([...RUN, '--iterations', '1', '--output', out]);
  assert.equal(built.code, 0, built.stderr);
  const path = RunResultSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).benchmarks[0]?.model?.path as string;
  copyFileSync(path, good);
  const truncated = join(dir, 'truncated.gguf');
  copyFileSync(good, truncated);
  truncateSync(truncated, Math.floor(statSync(good).size / 2));
  const header = join(dir, 'header.gguf');
  copyFileSync(good, header);
  truncateSync(header, 200);
  const notGguf = join(dir, 'not.gguf');
  writeFileSync(notGguf, 'PK\u0003\u0004 this is a zip, not a model');
  const cases: [string[], RegExp][] = [
    [['--model', truncated], /truncated GGUF file: \d+ bytes, its tensors need \d+/],
    [['--model', header], /unreadable GGUF header|truncated GGUF file/],
    [['--model', notGguf], /not a GGUF file \(it starts with "PK\\u0003\\u0004", not "GGUF"\)/],
    [['--model', dir], /llama-cpp needs a \.gguf file, got a folder/],
    [['--device', 'cuda'], /device 'cuda' is not available to llama-cpp on this machine/],
    [['--device', 'tpu'], /device 'tpu' is not one engine llama-cpp knows; allowed: cpu, cuda, vulkan, metal, auto/],
    [['--model', 'someone/some-model'], /llama-cpp loads a local \.gguf file or synthetic:<preset>, not a hub id/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([...RUN, ...args, '--output-dir', join(dir, 'none')]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  const ok = await runCli([...RUN, '--iterations', '1', '--model', good, '--output', join(dir, 'ok.json')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(RunResultSchema.parse(JSON.parse(readFileSync(join(dir, 'ok.json'), 'utf8'))).benchmarks[0]?.model?.source, 'local');
});

test('one sweep over both engines on the same synthetic shape', async () => {
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['run', '--engine', 'transformers-js', 'llama-cpp', '--engine-option', 'threads=1', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '8', '--no-gpu-monitoring', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = RunResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  // the tiny preset by hand: embeddings 1024 * 64 (tied) + 2 layers * (q 64*64 + k, v 64*32 each
  // + o 64*64 + gate, up, down 64*172 each + 2 norms of 64) + the final norm 64 = 156,480
  assert.deepEqual(run.benchmarks.map((b) => [b.engine?.name, b.model?.parameters]), [
    ['transformers-js', 156_480],
    ['llama-cpp', 156_480],
  ]);
});
