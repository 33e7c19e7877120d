/** The CLI end to end on the tiny synthetic model: result file, metrics, bad input, Ctrl-C. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunResult, RunResultSchema } from '../../src/results/schema.js';
import { runCli, tempDir } from '../helpers.js';

const SMALL_RUN = ['--warmup', '1', '--iterations', '4', '--sequence-length', '16', '--new-tokens', '8', '--quiet'];

function readResult(path: string): RunResult {
  return RunResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

test('a run writes a valid result file whose records follow the metric definitions', async () => {
  const out = join(tempDir(), 'result.json');
  const r = await runCli(['run', ...SMALL_RUN, '--batch-size', '1', '2', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), `Results: ${out}`);
  assert.match(r.stdout, /TTFT ms p50\/p95\s+ITL ms p50\/p95\s+e2e ms p50\/p95\s+tok\/s p50\/p95/);
  assert.match(r.stdout, /percentiles: linear interpolation between order statistics/);

  const run = readResult(out);
  assert.equal(run.benchmarks.length, 2);
  assert.ok(run.finished_at);
  assert.equal(run.tool.name, 'tokenbench');
  assert.ok(run.host.cpu_count >= 1);
  for (const b of run.benchmarks) {
    assert.equal(b.status, 'ok');
    assert.equal(b.engine?.name, 'transformers-js');
    assert.match(b.engine?.version ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(b.model?.source, 'synthetic');
    assert.ok((b.model?.parameters ?? 0) > 0);
    // what it takes to run it again: onnxruntime's version, the provider, settings left to onnxruntime said so, the weights by hash
    const settings = b.engine?.settings ?? {};
    assert.match(String(settings.onnxruntime_node), /^\d+\.\d+\.\d+/);
    assert.equal(settings.execution_provider, 'cpu');
    assert.equal(settings.intra_op_threads, 'onnxruntime default');
    const onnx = join(b.model?.path as string, 'onnx', 'model.onnx');
    assert.equal(settings.file_bytes, statSync(onnx).size);
    assert.equal(settings.model_sha256, createHash('sha256').update(readFileSync(onnx)).digest('hex'));
    assert.deepEqual(b.validity?.new_tokens, Array(b.config.batch_size).fill(8));
    for (const p of ['load', 'validity', 'warmup', 'measure'] as const) assert.ok((b.phases_ms[p] ?? -1) >= 0);
    assert.equal(b.iterations.length, 4);
    for (const it of b.iterations) {
      assert.equal(it.token_ms.length, 8);
      assert.deepEqual(it.new_tokens, Array(b.config.batch_size).fill(8));
      for (let k = 1; k < it.token_ms.length; k++) assert.ok((it.token_ms[k] as number) > (it.token_ms[k - 1] as number), 'stamps strictly increase');
      assert.equal(it.ttft_ms, it.token_ms[0]);
      assert.ok(Math.abs(it.itl_ms - ((it.token_ms[7] as number) - (it.token_ms[0] as number)) / 7) < 1e-9);
      assert.ok((it.token_ms[7] as number) <= it.e2e_ms);
      assert.ok(Math.abs(it.tokens_per_s - (b.config.batch_size * 8) / (it.e2e_ms / 1000)) < 1e-6);
    }
    const s = b.summary;
    assert.ok(s?.e2e_ms && s.itl_ms && s.ttft_ms && s.itl_gap_ms);
    assert.equal(s.e2e_ms.n, 4);
    assert.equal(s.itl_gap_ms.n, 4 * 7);
    const e2e = b.iterations.map((it) => it.e2e_ms).sort((x, y) => x - y);
    assert.equal(s.e2e_ms.min, e2e[0]);
    assert.equal(s.e2e_ms.max, e2e[3]);
    assert.ok(Math.abs(s.e2e_ms.p50 - ((e2e[1] as number) + (e2e[2] as number)) / 2) < 1e-9);
    assert.ok(Math.abs(s.itl_ms.mean - b.iterations.reduce((a, it) => a + it.itl_ms, 0) / 4) < 1e-9);
  }
  assert.notEqual(run.benchmarks[0]?.config.hash, run.benchmarks[1]?.config.hash);
});

test('--json prints the whole result on stdout; progress lines go to stderr', async () => {
  const dir = tempDir();
  const r = await runCli(['run', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--json', '--output-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const run = RunResultSchema.parse(JSON.parse(r.stdout));
  assert.equal(run.benchmarks[0]?.iterations.length, 2);
  assert.match(r.stderr, /\[1\/1\] w0_i2-monitored-b1_s8_n4-transformers-js-cpu-fp32-synthetic-tiny/);
  assert.match(r.stderr, /measure done in/);
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  assert.match(files[0] ?? '', /^run-\d{8}-\d{6}-[0-9a-f]{8}\.json$/);
  assert.equal(r.stderr.trim().split('\n').at(-1), `Results: ${join(dir, files[0] ?? '')}`);
});

test('--interleave: configs take turns round by round; compare --pair inside the run is paired by round', async () => {
  const out = join(tempDir(), 'interleaved.json');
  const r = await runCli(['run', '--warmup', '1', '--iterations', '5', '--sequence-length', '16', '--new-tokens', '8', '--batch-size', '1', '2', '--no-gpu-monitoring', '--no-store', '--interleave', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\[interleaved\] 5 rounds, one iteration of each of 2 configs in turn$/m);
  const run = readResult(out);
  assert.equal(run.interleaved, true);
  const [a, b] = run.benchmarks;
  assert.deepEqual([a?.status, b?.status, a?.iterations.length, b?.iterations.length], ['ok', 'ok', 5, 5]);
  // round i of one config starts after round i - 1 of the other ended: they alternate
  const t0 = (x: typeof a, i: number): bigint => BigInt(x?.iterations[i]?.t0_ns ?? '0');
  for (let i = 1; i < 5; i++) assert.ok(t0(a, i) > t0(b, i - 1) && t0(b, i) > t0(a, i - 1), `round ${i}`);
  const compared = await runCli(['compare', out, out, '--pair', `${a?.config.name}=${b?.config.name}`, '--format', 'json']);
  assert.ok(compared.code === 0 || compared.code === 1, compared.stderr);
  const json = JSON.parse(compared.stdout) as { pairs: { metrics: { method: string }[] }[] };
  assert.deepEqual([...new Set(json.pairs[0]?.metrics.map((m) => m.method))], ['paired']);
});

test('a failing config is recorded; the others still run; exit code 1', async () => {
  const dir = tempDir();
  // the second config's server is not there: that passes every check before running, then fails to load
  const config = join(dir, 'two.json');
  writeFileSync(config, JSON.stringify([{ sequence_length: 16, num_tokens_to_generate: 8 }, { engine: 'openai', model: 'm', engine_options: { url: 'http://127.0.0.1:1/v1' } }]));
  const out = join(dir, 'r.json');
  const r = await runCli(['run', '--config', config, '--warmup', '1', '--iterations', '4', '--quiet', '--output', out]);
  assert.equal(r.code, 1, r.stderr);
  const run = readResult(out);
  assert.deepEqual(run.benchmarks.map((b) => b.status), ['ok', 'failed']);
  assert.equal(run.benchmarks[1]?.error?.kind, 'engine_load');
  assert.match(run.benchmarks[1]?.error?.message ?? '', /connect/);
  assert.match(r.stdout, /failed \(engine_load\)/);
});

test('--config FILE with flags: a flag overrides the file\'s field, the file keeps the rest; same hash as those fields from flags alone', async () => {
  const dir = tempDir();
  const config = join(dir, 'base.yaml');
  writeFileSync(config, 'sequence_length: 12\nnum_tokens_to_generate: 6\nbatch_size: 4\nwarmup_iterations: 3\nmeasurement_iterations: 5\ngpu_monitoring: false\n');
  const out = join(dir, 'r.json');
  const r = await runCli(['run', '--config', config, '--batch-size', '1', '2', '--warmup', '0', '--iterations', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = readResult(out);
  // --batch-size 1 2 replaces the file's 4 (a sweep of two), --warmup and --iterations its 3 and 5
  assert.deepEqual(run.benchmarks.map((b) => [b.config.batch_size, b.config.sequence_length, b.config.num_tokens_to_generate, b.config.warmup_iterations, b.config.measurement_iterations]), [
    [1, 12, 6, 0, 2],
    [2, 12, 6, 0, 2],
  ]);
  for (const b of run.benchmarks) assert.equal(b.iterations.length, 2);
  const flagsOnly = join(dir, 'f.json');
  const f = await runCli(['run', '--sequence-length', '12', '--new-tokens', '6', '--batch-size', '1', '2', '--warmup', '0', '--iterations', '2', '--no-gpu-monitoring', '--no-store', '--quiet', '--output', flagsOnly]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(readResult(flagsOnly).benchmarks.map((b) => [b.config.name, b.config.hash]), run.benchmarks.map((b) => [b.config.name, b.config.hash]));
  // a bad override names the command line, not the file
  const bad = await runCli(['run', '--config', config, '--batch-size', '0', '--no-store', '--output', join(dir, 'bad.json')]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim(), `tokenbench: command line (over config file ${config}): batch_size must be an integer >= 1, got '0'`);
});

test('bad input: one line, exit code 2, no stack trace, no result file', async () => {
  const dir = tempDir();
  const notAModel = join(dir, 'not-a-model');
  mkdirSync(notAModel);
  const badConfig = join(dir, 'bad.yaml');
  writeFileSync(badConfig, 'batch_size: 2\nwarmup: 3\n');
  // stores that cannot be opened are found before anything is measured; the file is left as it was
  const notADatabase = join(dir, 'notes.db');
  writeFileSync(notADatabase, 'my notes, not a database '.repeat(400));
  const notes = readFileSync(notADatabase);
  const cases: [string[], RegExp][] = [
    [['--store', `sqlite:${notADatabase}`], /^tokenbench: store sqlite:\S+notes\.db: .*file is not a database/],
    [['--store', 'postgres://nobody:secret@127.0.0.1:9/none'], /^tokenbench: store postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:9\/none: .*ECONNREFUSED/],
    [['--store', 'mysql://x'], /^tokenbench: store mysql:\/\/x: unknown store type; allowed: sqlite:PATH/],
    [['--new-tokens', '1'], /^tokenbench: command line: num_tokens_to_generate must be an integer >= 2, got '1'$/],
    [['--engine', 'vllm'], /engine must be one of transformers-js, transformers-js-browser, llama-cpp, openai, got 'vllm'/],
    [['--model', 'synthetic:huge'], /unknown synthetic preset 'huge': allowed are tiny, small, 1b/],
    [['--model', notAModel], /not a model folder \(missing config\.json and onnx\/\*\.onnx\)/],
    [['--model', './nowhere'], /model \.\/nowhere: no such file or folder/],
    [['--config', join(dir, 'missing.json')], /config file .*missing\.json: not found/],
    [['--config', badConfig], /config file .*bad\.yaml: unknown field 'warmup'; allowed: name, warmup_iterations/],
    [['--batchsize', '2'], /unknown option --batchsize/],
    [['--engine-option', 'threads=0'], /engine option threads must be an integer >= 1, got '0'/],
    [['--dtype', 'fp99'], /dtype 'fp99' is not one engine transformers-js knows; allowed: fp32, fp16/],
    [['--batch-size', '0x2'], /batch_size must be an integer >= 1, got '0x2'/],
    [['--batch-size', '1,,2'], /run: --batch-size has an empty value in '1,,2'/],
    [['--sequence-length', '2045'], /model synthetic:tiny: sequence_length \+ num_tokens_to_generate = 2173 exceeds the model's 2048 positions/],
    [['--new-tokens', '1e9'], /num_tokens_to_generate = 1000000128 exceeds the model's 2048 positions/],
    [['--batch-size', '1000000'], /batch_size 1000000 needs at least [\d.]+ GiB for its KV cache and logits; this machine has [\d.]+ GiB/],
    [['--device', 'tpu'], /device 'tpu' is not one engine transformers-js knows; allowed: cpu, cuda, dml, coreml, webgpu/],
    [['--interleave', '--monitor-interval-ms', '20', '50'], /^tokenbench: run --interleave: the configs ask for monitor intervals of 20, 50 ms; interleaved configs share one monitor, so give one --monitor-interval-ms$/],
  ];
  const outDir = join(dir, 'results');
  for (const [args, message] of cases) {
    const r = await runCli(['run', ...args, '--output-dir', outDir]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(existsSync(outDir), false, `${args.join(' ')} left ${outDir}`);
  }
  assert.equal(existsSync(outDir), false);
  assert.deepEqual(readFileSync(notADatabase), notes, 'the file that is not a database is untouched');
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'; commands: run, load, quick, synth/);
});

test('help and version', async () => {
  const help = await runCli(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--batch-size N\.\.\./);
  assert.match(help.stdout, /Exit codes: 0 all ok, 1 a config failed, 2 bad input \(nothing run\), 3 measured but not all saved/);
  const top = await runCli([]);
  assert.match(top.stdout, /Commands:\n\s+run/);
  const version = await runCli(['--version']);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('synth writes a model folder that a run loads', async () => {
  const dir = join(tempDir(), 'model');
  const s = await runCli(['synth', '--preset', 'tiny', '--layers', '1', '--vocab', '512', '--out', dir]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^l1_h64_a4_kv2_i172_v512_p2048_tied: 0\.\d+M parameters, seed 0/);
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['run', ...SMALL_RUN, '--model', dir, '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readResult(out).benchmarks[0]?.model?.source, 'local');
  const bad = await runCli(['synth', '--preset', 'nope']);
  assert.equal(bad.code, 2);
});

test('a hub id is refused before anything is written when it is neither in transformers.js\'s cache nor on a reachable hub; a cached copy loads offline', async () => {
  const dir = tempDir();
  const missing = await runCli(['run', ...SMALL_RUN, '--model', 'tokenbench-test/no-such-model', '--output-dir', join(dir, 'out'), '--store', join(dir, 'db', 't.db')]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^tokenbench: model tokenbench-test\/no-such-model: (not in transformers\.js's cache .* and the Hugging Face hub cannot be reached|the Hugging Face hub has no config\.json for it)/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.ok(!existsSync(join(dir, 'out')) && !existsSync(join(dir, 'db')), 'nothing written');
  // what an earlier download leaves: the files under <cache>/<id>/, where transformers.js looks first
  const cache = join(dirname(dirname(fileURLToPath(import.meta.resolve('@huggingface/transformers')))), '.cache');
  const id = `tokenbench-test/cached-${process.pid}`;
  try {
    const s = await runCli(['synth', '--preset', 'tiny', '--layers', '1', '--vocab', '512', '--out', join(cache, id)]);
    assert.equal(s.code, 0, s.stderr);
    const out = join(dir, 'r.json');
    const r = await runCli(['run', ...SMALL_RUN, '--model', id, '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readResult(out).benchmarks[0]?.model?.source, 'hub');
  } finally {
    rmSync(join(cache, 'tokenbench-test'), { recursive: true, force: true });
  }
});

test('synth --out never deletes what is not a tokenbench model: a file or a folder of the user is refused; --force replaces only a model folder', async () => {
  const root = tempDir();
  const mine = join(root, 'mine');
  mkdirSync(join(mine, 'src'), { recursive: true });
  writeFileSync(join(mine, 'notes.txt'), 'keep me');
  const file = join(root, 'file.txt');
  writeFileSync(file, 'keep me too');
  const synth = (out: string, ...extra: string[]) => runCli(['synth', '--preset', 'tiny', '--layers', '1', '--vocab', '512', '--out', out, ...extra]);
  for (const [out, reason] of [[mine, /is a folder with other files in it \(notes\.txt, src\); give a new or empty folder/], [file, /is a file, not a folder/]] as const) {
    for (const extra of [[], ['--force']]) {
      const r = await synth(out, ...extra);
      assert.equal(r.code, 2, `${out} ${extra.join(' ')}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, reason);
    }
  }
  assert.equal(readFileSync(join(mine, 'notes.txt'), 'utf8'), 'keep me');
  assert.ok(existsSync(join(mine, 'src')));
  assert.equal(readFileSync(file, 'utf8'), 'keep me too');
  // an empty folder is written into; a model folder is replaced only with --force
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal((await synth(empty)).code, 0);
  const again = await synth(empty);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a tokenbench model; --force replaces it/);
  const forced = await synth(empty, '--seed', '3', '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /seed 3/);
  // a model folder with a file of the user's in onnx/ is not replaced, --force or not
  writeFileSync(join(empty, 'onnx', 'notes.txt'), 'keep me');
  const mixed = await synth(empty, '--force');
  assert.equal(mixed.code, 2, mixed.stderr);
  assert.equal(readFileSync(join(empty, 'onnx', 'notes.txt'), 'utf8'), 'keep me');
});

test('a model folder is checked before loading: each missing or corrupt file named, dtypes it does not have refused', async () => {
  const dir = tempDir();
  const model = join(dir, 'model');
  assert.equal((await runCli(['synth', '--preset', 'tiny', '--layers', '1', '--vocab', '512', '--out', model])).code, 0);
  const expectBad = async (extra: string[], message: RegExp): Promise<void> => {
    const r = await runCli(['run', ...SMALL_RUN, '--model', model, ...extra, '--output-dir', join(dir, 'results')]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  };
  await expectBad(['--dtype', 'q8'], /dtype q8 needs onnx\/model_quantized\.onnx, which the folder does not have; its dtypes: fp32/);
  const onnx = join(model, 'onnx', 'model.onnx');
  const whole = readFileSync(onnx);
  writeFileSync(onnx, whole.subarray(0, 1000));
  await expectBad([], /onnx\/model\.onnx is not a whole ONNX file \(truncated: 1000 bytes, its fields need \d+\)/);
  writeFileSync(onnx, 'not an onnx file at all');
  await expectBad([], /onnx\/model\.onnx is not a whole ONNX file \(.*not an ONNX file\)/);
  writeFileSync(onnx, whole);
  const tokenizer = readFileSync(join(model, 'tokenizer.json'), 'utf8');
  writeFileSync(join(model, 'tokenizer.json'), tokenizer.slice(0, 100));
  await expectBad([], /tokenizer\.json is not valid JSON \(.+\); the file may be truncated/);
  rmSync(join(model, 'tokenizer.json'));
  await expectBad([], /tokenizer\.json is missing/);
  writeFileSync(join(model, 'tokenizer.json'), tokenizer);
  writeFileSync(join(model, 'config.json'), '{"num_hidden_layers": 1,');
  await expectBad([], /config\.json is not valid JSON/);
  assert.equal(existsSync(join(dir, 'results')), false, 'nothing written');
});

test('a synthetic model built on first use says so; the second run uses the cache quietly', async () => {
  const cache = tempDir();
  const args = ['run', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--model', 'synthetic:layers=1,vocab=512', '--cache-dir', cache, '--no-store', '--output', join(cache, 'r.json')];
  const first = await runCli(args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /building synthetic:layers=1,vocab=512 on first use \(kept in .*l1_h64_a4_kv2_i172_v512_p2048_tied-seed0\)/);
  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /building/);
});
