/** compare, import, history and report through the CLI, on real runs of the tiny model. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BenchmarkResult, type IterationRecord, type RunResult, RunResultSchema } from '../../src/results/schema.js';
import { readResult, runCli, tempDir } from '../helpers.js';

const dir = tempDir();
const store = `sqlite:${join(dir, 'store.db')}`;
const RUN = ['run', '--warmup', '1', '--iterations', '10', '--sequence-length', '16', '--new-tokens', '32', '--no-gpu-monitoring', '--quiet', '--store', store];

let runs: Promise<[string, string]> | undefined;
/** Two runs of the same configs, stored and written to files. */
function twoRuns(): Promise<[string, string]> {
  runs ??= (async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    for (const out of [a, b]) {
      const r = await runCli([...RUN, '--batch-size', '1', '2', '--output', out]);
      assert.equal(r.code, 0, r.stderr);
    }
    return [a, b];
  })();
  return runs;
}

const read = (p: string): RunResult => RunResultSchema.parse(JSON.parse(readFileSync(p, 'utf8')));

test('compare: files, run ids and formats; a real slowdown fails the gate', async () => {
  const [a, b] = await twoRuns();
  const same = await runCli(['compare', a, a, '--store', store]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /no significant regression past 5\.0%/);
  const byId = await runCli(['compare', read(a).run_id.slice(0, 8), read(b).run_id, '--store', store, '--format', 'json']);
  const json = JSON.parse(byId.stdout) as { regressions: number; pairs: { metrics: { verdict: string; p_value: number }[] }[] };
  assert.equal(json.pairs.length, 2);
  assert.equal(json.pairs[0]?.metrics.length, 5);
  // two runs of the same configs may differ by chance: the exit code must follow what was found
  const slower = json.pairs.flatMap((p) => p.metrics).filter((m) => m.verdict === 'slower').length;
  assert.equal(json.regressions, slower);
  assert.equal(byId.code, slower > 0 ? 1 : 0, byId.stderr);

  // the candidate: every iteration slower than the slowest baseline one by 30% (no overlap)
  const slow = read(a);
  for (const bm of slow.benchmarks) {
    const worst = (k: 'e2e_ms' | 'ttft_ms' | 'itl_ms'): number => Math.max(...bm.iterations.map((it) => it[k]));
    const least = (k: 'tokens_per_s' | 'decode_tokens_per_s'): number => Math.min(...bm.iterations.map((it) => it[k]));
    const limits = { e2e_ms: worst('e2e_ms'), ttft_ms: worst('ttft_ms'), itl_ms: worst('itl_ms'), tokens_per_s: least('tokens_per_s'), decode_tokens_per_s: least('decode_tokens_per_s') };
    for (const it of bm.iterations) {
      for (const k of ['e2e_ms', 'ttft_ms', 'itl_ms'] as const) it[k] = limits[k] * 1.3 + it[k] * 0.01;
      for (const k of ['tokens_per_s', 'decode_tokens_per_s'] as const) it[k] = limits[k] / 1.3 - it[k] * 0.001;
    }
  }
  const slowPath = join(dir, 'slow.json');
  writeFileSync(slowPath, JSON.stringify(slow));
  const gate = await runCli(['compare', a, slowPath, '--format', 'markdown']);
  assert.equal(gate.code, 1, gate.stderr);
  assert.match(gate.stdout, /^### tokenbench: /);
  assert.match(gate.stdout, /\| ITL ms \| [\d.]+ \| [\d.]+ \| \+[\d.]+% \[\+[\d.]+%, \+[\d.]+%\] \| [\d.<]+ \| unpaired \| slower \|/);
  assert.match(gate.stdout, /10 significant regression\(s\) past 5\.0%/);
  // a threshold past every change found lets the same slowdown through (set from the changes
  // themselves: an outlier iteration can make the constructed slowdown far larger than 30%)
  const changes = JSON.parse((await runCli(['compare', a, slowPath, '--format', 'json'])).stdout) as { pairs: { metrics: { change_ci95: [number, number] }[] }[] };
  const largest = Math.max(...changes.pairs.flatMap((p) => p.metrics.flatMap((m) => m.change_ci95.map(Math.abs))));
  // --threshold stops below 1000%; a baseline outlier 8x its median (a hiccup of a loaded machine
  // in a few-ms iteration) makes the constructed change larger than any threshold can be
  if (largest < 9.8) {
    const lenient = await runCli(['compare', a, slowPath, '--threshold', `${Math.ceil(largest * 100) + 10}%`]);
    assert.equal(lenient.code, 0, lenient.stdout);
  }

  // two different configs paired by name
  const names = read(a).benchmarks.map((x) => x.config.name);
  const paired = await runCli(['compare', a, b, '--pair', `${names[0]}=${names[1]}`]);
  assert.match(paired.stdout, / -> /);
  assert.equal(paired.code, /\bslower\b/.test(paired.stdout) ? 1 : 0, paired.stdout + paired.stderr);
});

test('compare and report: bad input is one line and exit code 2, nothing modified', async () => {
  const [a] = await twoRuns();
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ hello: 'world' }));
  const newer = join(dir, 'newer.json');
  writeFileSync(newer, JSON.stringify({ ...JSON.parse(readFileSync(a, 'utf8')), schema: 'tokenbench.run/v2' }));
  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, 'not a database '.repeat(500));
  const hash = createHash('sha256').update(readFileSync(corrupt)).digest('hex');
  const noCommon = read(a);
  for (const bm of noCommon.benchmarks) bm.config.hash = 'f'.repeat(64);
  const disjoint = join(dir, 'disjoint.json');
  writeFileSync(disjoint, JSON.stringify(noCommon));
  const oneEach = read(a);
  for (const bm of oneEach.benchmarks) bm.iterations = bm.iterations.slice(0, 1);
  const thin = join(dir, 'thin.json');
  writeFileSync(thin, JSON.stringify(oneEach));
  const names = read(a).benchmarks.map((bm) => bm.config.name);
  const cases: [string[], RegExp][] = [
    [['compare', a, other], /result file .*other\.json: not a tokenbench result/],
    [['compare', a, newer], /schema tokenbench\.run\/v2 is not one this version reads \(tokenbench\.run\/v1\)/],
    [['compare', a, 'deadbeef', '--store', 'postgres://x:y@127.0.0.1:9/db'], /store postgres:\/\/x:\*\*\*@127\.0\.0\.1:9\/db: .*ECONNREFUSED/],
    [['compare', a, 'deadbeef', '--store', `sqlite:${corrupt}`], /file is not a database/],
    [['compare', a, disjoint], /no config in common \(by hash\); pair configs by name with --pair NAME_A=NAME_B/],
    [['compare', a, a, '--threshold', 'lots'], /--threshold must be a percentage like 5%/],
    [['compare', a, thin], new RegExp(`compare: ${names.join(', ')}: on both sides, but a comparison needs at least 2 measured iterations`)],
    [['compare', a, a, '--pair', 'foo=bar'], new RegExp(`--pair foo=bar: no split NAME_A=NAME_B .* \\(baseline: ${names.join(', ')}; candidate: ${names.join(', ')}\\)`)],
    [['compare', a, 'nosuchrun', '--store', store], /'nosuchrun' is not a result file, a run id or a git commit in store/],
    [['report', other], /not a tokenbench result/],
    [['history', '--store', `sqlite:${join(dir, 'missing.db')}`], /no such database file/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(createHash('sha256').update(readFileSync(corrupt)).digest('hex'), hash);
});

test('import (tokenbench and benchmark_v2 files) and history', async () => {
  const [a] = await twoRuns();
  const v2 = join(dir, 'HuggingFaceTB_SmolLM2-135M_benchmark_20250101_120000.json');
  const e2e = [1.2, 1.25, 1.22, 1.21];
  writeFileSync(
    v2,
    JSON.stringify({
      abc123: {
        metadata: { timestamp: '2025-01-01T12:00:00', commit_id: 'cafe1234', hardware_info: { cpu_count: 16, gpu_name: 'H200' } },
        measurements: { e2e_latency: e2e, time_to_first_token: [0.05, 0.06, 0.05, 0.05], inter_token_latency: [0.009, 0.0095, 0.0092, 0.0091], shape_and_decoded_outputs: ['(1, 256) | hello'], gpu_metrics: null, timestamps: null },
        config: { name: 'w5_i4-unmonitored-b1_s128_n128-flash_attention_2', warmup_iterations: 5, measurement_iterations: 4, gpu_monitoring: false, batch_size: 1, sequence_length: 128, num_tokens_to_generate: 128, attn_implementation: 'flash_attention_2', device: 'cuda', dtype: 'torch.bfloat16' },
      },
    }),
  );
  const importStore = `sqlite:${join(dir, 'imported.db')}`;
  const r = await runCli(['import', a, v2, '--store', importStore]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /benchmark_v2, 1 benchmarks/);
  const h = await runCli(['history', '--config', 'w5_i4-unmonitored-b1_s128_n128-flash_attention_2', '--metric', 'itl_ms', '--json', '--store', importStore]);
  assert.equal(h.code, 0, h.stderr);
  const rows = JSON.parse(h.stdout) as { p50: number; n: number; git_commit: string }[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.n, 4);
  assert.ok(Math.abs((rows[0]?.p50 as number) - 9.15) < 1e-9); // median of 9, 9.5, 9.2, 9.1 ms
  assert.equal(rows[0]?.git_commit, 'cafe1234');
  const all = await runCli(['history', '--store', store]);
  const allJson = JSON.parse((await runCli(['history', '--store', store, '--json'])).stdout) as { run_id: string }[];
  const runs = new Set(allJson.map((row) => row.run_id)).size;
  assert.ok(allJson.length > runs, 'some runs have several configs');
  assert.match(all.stdout, new RegExp(`${allJson.length} config result\\(s\\) from ${runs} run\\(s\\) in sqlite:`), 'runs counted as runs, not rows');
  const bad = await runCli(['import', a, join(dir, 'nope.json'), '--store', importStore]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nope\.json: not found/);

  // the same file again: still one run of it
  const again = await runCli(['import', v2, '--store', importStore]);
  assert.equal(again.code, 0, again.stderr);
  const twice = await runCli(['history', '--config', 'w5_i4-unmonitored-b1_s128_n128-flash_attention_2', '--metric', 'itl_ms', '--json', '--store', importStore]);
  assert.equal((JSON.parse(twice.stdout) as unknown[]).length, 1, 'importing a file twice keeps one run');
  // a string among the latencies is bad input naming the file, config and index, and nothing is written
  const fresh = `sqlite:${join(dir, 'fresh.db')}`;
  const broken = join(dir, 'broken_benchmark.json');
  const entry = JSON.parse(readFileSync(v2, 'utf8')) as { abc123: { measurements: { e2e_latency: unknown[] } } };
  entry.abc123.measurements.e2e_latency[2] = '1.3';
  writeFileSync(broken, JSON.stringify(entry));
  const stringy = await runCli(['import', a, broken, '--store', fresh]);
  assert.equal(stringy.code, 2, stringy.stderr);
  assert.equal(stringy.stderr.trim().split('\n').length, 1);
  assert.match(stringy.stderr, /broken_benchmark\.json: config abc123: measurements\.e2e_latency\[2\] must be a number of seconds >= 0, got "1\.3"/);
  const none = await runCli(['history', '--store', fresh]);
  assert.match(none.stdout + none.stderr, /0 run\(s\)|no store|no such/);
});

test('export: a run as CSV, Markdown and JSON Lines, to stdout or a file; a load run\'s records one line each, read from its records file; bad input writes nothing', async () => {
  const { startScriptedServer } = await import('../support/scripted-openai-server.js');
  const dir = tempDir();
  const result = join(dir, 'r.json');
  const r = await runCli(['run', '--warmup', '1', '--iterations', '3', '--sequence-length', '8', '--new-tokens', '4', '--model', 'synthetic:tiny', '--quiet', '--no-store', '--output', result]);
  assert.equal(r.code, 0, r.stderr);
  const csv = await runCli(['export', result, '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout.trim().split('\n');
  assert.equal(rows[0], 'config,status,metric,unit,n,mean,sd,p50,p90,p95,p99');
  const run = JSON.parse(readFileSync(result, 'utf8')) as RunResult;
  const ttft = run.benchmarks[0]?.summary?.ttft_ms;
  assert.ok(rows.includes(`${run.benchmarks[0]?.config.name},ok,ttft_ms,ms,3,${ttft?.mean},${ttft?.std},${ttft?.p50},${ttft?.p90},${ttft?.p95},${ttft?.p99}`), rows.join('\n'));
  const md = join(dir, 'r.md');
  const m = await runCli(['export', result, '--format', 'md', '-o', md]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(readFileSync(md, 'utf8'), /\| config \| status \| n \| TTFT ms p50 \|/);
  const jsonl = await runCli(['export', result, '--format', 'jsonl']);
  assert.equal(jsonl.stdout.trim().split('\n').length, 3, 'one line per measured iteration');

  const server = await startScriptedServer();
  try {
    const loadResult = join(dir, 'l.json');
    const l = await runCli(['load', '--url', server.url, '--model', 'ttft=2,itl=1', '--no-model-check', '--concurrency', '2', '--requests', '7', '--output-len', '4', '--input-len', '8', '--no-store', '--quiet', '--output', loadResult]);
    assert.equal(l.code, 0, l.stderr);
    const lines = (await runCli(['export', loadResult, '--format', 'jsonl'])).stdout.trim().split('\n').map((x) => JSON.parse(x) as { kind: string; index: number });
    assert.equal(lines.length, 7);
    assert.deepEqual(lines.map((x) => x.index).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(lines.every((x) => x.kind === 'request'));
  } finally {
    await server.close();
  }
  for (const [args, message] of [
    [['export', result, '--format', 'xml', '-o', join(dir, 'x.out')], /^tokenbench: export: --format must be one of csv, md, jsonl, benchmark-v2, got 'xml'$/],
    [['export', result], /^tokenbench: export: --format must be one of csv, md, jsonl, benchmark-v2, got none$/],
    [['export', join(dir, 'nope.json'), '--format', 'csv', '-o', join(dir, 'x.out')], /nope\.json/],
  ] as const) {
    const bad = await runCli([...args]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr.trim(), message);
    assert.ok(!readdirSync(dir).some((f) => f.startsWith('x.out')), 'nothing written');
  }
});

test('benchmark-v2 round trip: export in the Hub layout, import it back, the same figures for every iteration', async () => {
  const dir = tempDir();
  const result = join(dir, 'r.json');
  const r = await runCli(['run', '--warmup', '1', '--iterations', '3', '--batch-size', '1', '2', '--sequence-length', '8', '--new-tokens', '5', '--model', 'synthetic:tiny', '--quiet', '--no-store', '--output', result]);
  assert.equal(r.code, 0, r.stderr);
  const hub = join(dir, 'benchmark_run_20261207_000000.jsonl');
  const e = await runCli(['export', result, '--format', 'benchmark-v2', '-o', hub]);
  assert.equal(e.code, 0, e.stderr);
  const original = readResult(result);
  // benchmark_v2's row: the config hash, then config, measurements (seconds) and metadata
  const rows = readFileSync(hub, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { benchmark_config_hash: string; config: Record<string, unknown>; measurements: { e2e_latency: number[]; time_to_first_token: number[]; inter_token_latency: number[]; timestamps: number[][][]; shape_and_decoded_outputs: string[] }; metadata: { model_id: string; success: boolean } });
  assert.equal(rows.length, 2);
  for (const [i, row] of rows.entries()) {
    const b = original.benchmarks[i] as BenchmarkResult;
    assert.deepEqual(Object.keys(row), ['benchmark_config_hash', 'config', 'measurements', 'metadata']);
    assert.equal(row.benchmark_config_hash, b.config.hash);
    assert.equal(row.config.batch_size, b.config.batch_size);
    assert.equal(row.metadata.model_id, 'synthetic:tiny');
    assert.deepEqual(row.measurements.e2e_latency, b.iterations.map((it) => it.e2e_ms / 1000));
    assert.equal(row.measurements.timestamps[0]?.length, b.config.batch_size, 'one list of token times per row');
    assert.equal(row.measurements.timestamps[0]?.[0]?.length, 5);
    assert.match(row.measurements.shape_and_decoded_outputs[0] as string, new RegExp(`^\\(${b.config.batch_size}, 13\\) \\| `));
  }
  const store = `sqlite:${join(dir, 'store.db')}`;
  const imported = await runCli(['import', hub, '--store', store]);
  assert.equal(imported.code, 0, imported.stderr);
  const runId = /run ([0-9a-f-]{36}) \(benchmark_v2, 2 benchmarks\)/.exec(imported.stdout)?.[1];
  assert.ok(runId, imported.stdout);
  const back = await runCli(['export', runId, '--format', 'jsonl', '--store', store]);
  assert.equal(back.code, 0, back.stderr);
  const iterations = back.stdout.trim().split('\n').map((l) => JSON.parse(l) as IterationRecord & { config_hash: string });
  assert.equal(iterations.length, 6);
  const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} against ${b}`);
  for (const b of original.benchmarks) {
    const mine = iterations.filter((it) => it.config_hash === b.config.hash);
    assert.equal(mine.length, 3, `${b.config.name} keeps its hash through the round trip`);
    mine.forEach((it, k) => {
      const was = b.iterations[k] as IterationRecord;
      for (const key of ['e2e_ms', 'ttft_ms', 'itl_ms', 'tokens_per_s', 'decode_tokens_per_s'] as const) close(it[key], was[key], `${b.config.name} iteration ${k} ${key}`);
    });
  }
  // a run with no iterations (a load run) has nothing this layout holds: one line, exit 2, nothing written
  const loadOnly = join(dir, 'empty.json');
  writeFileSync(loadOnly, JSON.stringify({ ...original, benchmarks: [] }));
  const none = await runCli(['export', loadOnly, '--format', 'benchmark-v2', '-o', join(dir, 'none.jsonl')]);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr.trim(), /^tokenbench: export: --format benchmark-v2 holds measured iterations, and run [0-9a-f]{8} has none/);
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('none.jsonl')), 'nothing written');
});

test('report: a sweep\'s configs by what differs (the full name in a tooltip and a table), a monitor problem every config shares said once', async () => {
  const dir = tempDir();
  const out = join(dir, 'r.json');
  const noGpu = { TOKENBENCH_MONITOR_NICE: '0', TOKENBENCH_NVML_LIB: '/nonexistent/libnvidia-ml.so.1', TOKENBENCH_AMDSMI_LIB: '/nonexistent/libamd_smi.so', TOKENBENCH_ZE_LIB: '/nonexistent/libze_loader.so.1', PATH: '/usr/bin:/bin' };
  const r = await runCli(['run', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--batch-size', '1', '2', '--no-store', '--quiet', '--output', out], { env: noGpu });
  assert.equal(r.code, 0, r.stderr);
  const run = readResult(out);
  const reason = run.benchmarks[0]?.monitor?.reason as string;
  assert.ok(reason && run.benchmarks.every((b) => b.monitor?.reason === reason), 'both configs have the same monitor problem');
  const html = join(dir, 'r.html');
  assert.equal((await runCli(['report', out, '-o', html])).code, 0);
  const text = readFileSync(html, 'utf8');
  const escaped = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  assert.equal(text.split(escaped).length - 1, 1, 'the monitor\'s reason appears once');
  assert.match(text, /monitor, in every config: no_devices/);
  for (const [i, b] of run.benchmarks.entries()) {
    assert.ok(text.includes(`<td title="${b.config.name}">batch_size=${b.config.batch_size}</td>`), `summary row ${i}: short name, full name as its tooltip`);
    assert.ok(text.includes(`<h2 id="b${i}" title="${b.config.name}">batch_size=${b.config.batch_size}</h2>`), `section ${i} heading`);
    assert.ok(text.includes(`<td>hash</td><td>${b.config.hash}</td>`), `section ${i}: every field of the config in its table`);
  }
});
