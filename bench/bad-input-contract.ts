/**
 * The contract for bad input and faults, case by case through the built CLI: bad input is exit 2
 * with one line on stderr and nothing written; a fault keeps what was measured and says what was
 * not saved. Prints a table: case, exit code (expected), stderr lines, files written, verdict.
 * Cases that need what this machine lacks (root for tmpfs mounts, PostgreSQL, the llama-server
 * build) say so instead of passing.
 *
 *   npm run build && npx tsx bench/bad-input-contract.ts
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pg from 'pg';
import { ResultStore } from '../src/results/store/store.js';
import { CLI, type CliResult, runCli, TEST_CACHE_DIR, tempDir } from '../test/helpers.js';
import { startLlamaServer } from '../test/support/llama-server.js';
import { postgresTestUrl } from '../test/support/postgres.js';
import { startScriptedServer } from '../test/support/scripted-openai-server.js';

type Outcome = Pick<CliResult, 'code' | 'stdout' | 'stderr'>;

interface Case {
  name: string;
  /** Exit code the contract asks for. */
  expect: number;
  run: (dir: string) => Promise<Outcome>;
  /** Files the case may write (bad input: none). */
  mayWrite?: boolean;
  /** Any further check; a problem, or null. */
  check?: (dir: string, o: Outcome) => Promise<string | null> | string | null;
}

/** Runs the CLI in `dir` (so default outputs land there, the store too); `onStderr` sees the child as it runs. */
function cli(dir: string, args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<Outcome> {
  return runCli(args, { cwd: dir, env: { TOKENBENCH_STORE: `sqlite:${join(dir, 'store.db')}` }, ...(onStderr ? { onStderr } : {}) });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

const QUICK = ['--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--no-gpu-monitoring'];
const run = (extra: string[]) => (dir: string) => cli(dir, ['run', ...QUICK, ...extra]);
const file = (name: string, text: string | Buffer) => (dir: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const mount = (options: string): string | null => {
  const d = tempDir('tokenbench-bench-fs-');
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', d]).status === 0 ? d : null;
};

async function main(): Promise<void> {
  const server = await startScriptedServer();
  const models = await startScriptedServer(0, undefined, ['served-a']);
  const synthModel = tempDir('tokenbench-bench-model-');
  spawnSync(process.execPath, [CLI, 'synth', '--preset', 'tiny', '--layers', '1', '--vocab', '512', '--out', join(synthModel, 'm'), '--force'], { env: { ...process.env, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR } });
  const model = join(synthModel, 'm');
  /** A copy of the synthetic folder with one file changed. */
  const broken = (change: (m: string) => void) => (dir: string): string => {
    const m = join(dir, 'model');
    spawnSync('cp', ['-r', model, m]);
    change(m);
    return m;
  };
  const full = mount('size=16k');
  if (full) spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'filler')}`, 'bs=1k', 'count=64'], { stdio: 'ignore' });
  const readOnly = mount('ro,size=16k');
  const pgUrl = postgresTestUrl();
  const v2 = (e2e: unknown[]) => JSON.stringify({ h: { metadata: {}, measurements: { e2e_latency: e2e, time_to_first_token: [0.01, 0.01], inter_token_latency: [0.001, 0.001] }, config: { batch_size: 1, sequence_length: 8, num_tokens_to_generate: 4 } } });

  const cases: Case[] = [
    // data loss
    { name: 'synth --out . in a folder with notes.txt and src/', expect: 2, run: (d) => (mkdirSync(join(d, 'src')), file('notes.txt', 'keep')(d), cli(d, ['synth', '--out', '.'])), check: (d) => (existsSync(join(d, 'notes.txt')) && existsSync(join(d, 'src')) ? null : 'deleted the user\'s files') },
    { name: 'synth --out naming an existing file', expect: 2, run: (d) => cli(d, ['synth', '--out', file('model.txt', 'keep')(d)]), check: (d) => (readFileSync(join(d, 'model.txt'), 'utf8') === 'keep' ? null : 'replaced the file') },
    { name: 'synth --out a folder of the user, --force', expect: 2, run: (d) => (file('notes.txt', 'keep')(d), cli(d, ['synth', '--out', '.', '--force'])) },
    { name: '--output-dir on a read-only file system', expect: readOnly ? 2 : -1, run: (d) => (readOnly ? cli(d, ['run', ...QUICK, '--output-dir', readOnly]) : Promise.resolve({ code: -1, stdout: '', stderr: 'needs root to mount a tmpfs\n' })) },
    { name: '--output-dir that is a file', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--output-dir', file('results', 'x')(d)]) },
    { name: 'disk full (ENOSPC) during a sweep', expect: full ? 3 : -1, mayWrite: true, run: (d) => (full ? cli(d, ['run', ...QUICK, '--batch-size', '1', '2', '--output-dir', full]) : Promise.resolve({ code: -1, stdout: '', stderr: 'needs root to mount a tmpfs\n' })), check: async (d, o) => {
      if (!full) return null;
      const s = await ResultStore.open(`sqlite:${join(d, 'store.db')}`);
      const [id] = await s.findRuns('');
      const stored = await s.getRun(id as string);
      await s.close();
      return stored.benchmarks.length === 2 && stored.finished_at && /NOT SAVED/.test(o.stderr) ? null : 'store lacks the configs, or no NOT SAVED line';
    } },
    { name: 'PostgreSQL gone during a sweep', expect: pgUrl ? 3 : -1, mayWrite: true, run: (d) => {
      if (!pgUrl) return Promise.resolve({ code: -1, stdout: '', stderr: 'no PostgreSQL here\n' });
      const url = new URL(pgUrl);
      url.searchParams.set('application_name', `bench-${process.pid}`);
      let killed = false;
      return cli(d, ['run', ...QUICK, '--batch-size', '1', '2', '3', '--store', url.toString()], (text) => {
        if (killed || !/\[2\/3\]/.test(text)) return;
        killed = true;
        const admin = new pg.Client({ connectionString: pgUrl });
        void admin.connect().then(() => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`bench-${process.pid}`])).finally(() => admin.end());
      });
    }, check: (d, o) => (/internal error|\n\s+at /.test(o.stderr) ? 'stack trace' : null) },
    { name: 'SIGTERM during a run', expect: 143, mayWrite: true, run: (d) => {
      let sent = false;
      return cli(d, ['run', '--warmup', '0', '--iterations', '100000', '--sequence-length', '8', '--new-tokens', '4', '--no-gpu-monitoring', '--output', join(d, 'r.json')], (text, child) => {
        if (sent || !/validity done/.test(text)) return;
        sent = true;
        setTimeout(() => child.kill('SIGTERM'), 300);
      });
    }, check: (d) => (JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')).benchmarks[0]?.status === 'interrupted' ? null : 'current config not recorded as interrupted') },
    { name: 'monitor -- CMD piped to head -2', expect: 141, run: async () => {
      const r = spawnSync('bash', ['-c', `node ${CLI} monitor --interval-ms 5 -- sleep 30 | head -2 >/dev/null; exit \${PIPESTATUS[0]}`], { encoding: 'utf8', timeout: 25_000 });
      return { code: r.status, stdout: '', stderr: r.stderr };
    } },
    { name: 'import: a string among benchmark_v2 latencies', expect: 2, run: (d) => cli(d, ['import', file('v2.json', v2([0.1, '0.2']))(d)]) },
    { name: 'import: the same benchmark_v2 file twice', expect: 0, mayWrite: true, run: async (d) => {
      const f = file('v2.json', v2([0.1, 0.2]))(d);
      await cli(d, ['import', f]);
      return cli(d, ['import', f]);
    }, check: async (d) => {
      const h = await cli(d, ['history', '--json']);
      return new Set((JSON.parse(h.stdout) as { run_id: string }[]).map((r) => r.run_id)).size === 1 ? null : 'two runs';
    } },
    // accepted although wrong
    { name: '--dtype fp99', expect: 2, run: run(['--dtype', 'fp99']) },
    { name: 'dtype: bogus in a file', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.yaml', 'dtype: bogus\n')(d)]) },
    { name: 'batch_size: "2" in a file', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.json', '{"batch_size": "2"}')(d)]) },
    { name: 'a JSON key given twice', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.json', '{"batch_size": 1, "batch_size": 2}')(d)]) },
    { name: '--batch-size 0x2', expect: 2, run: run(['--batch-size', '0x2']) },
    { name: '--batch-size 1,,2', expect: 2, run: run(['--batch-size', '1,,2']) },
    { name: '--devices nvidia:9', expect: 2, run: (d) => cli(d, ['run', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--devices', 'nvidia:9']) },
    { name: 'load --burstiness with a closed loop', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--concurrency', '2', '--burstiness', '0.5']) },
    { name: 'load --max-concurrency with a closed loop', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--concurrency', '2', '--max-concurrency', '4']) },
    // caught only after loading, before
    { name: 'sequence_length past max positions', expect: 2, run: run(['--sequence-length', '4096']) },
    { name: '--new-tokens 1e9', expect: 2, run: run(['--new-tokens', '1e9']) },
    { name: '--device tpu', expect: 2, run: run(['--device', 'tpu']) },
    { name: 'model folder without tokenizer.json', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', broken((m) => spawnSync('rm', [join(m, 'tokenizer.json')]))(d)]) },
    { name: 'corrupt ONNX file', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', broken((m) => writeFileSync(join(m, 'onnx', 'model.onnx'), 'garbage'))(d)]) },
    { name: 'truncated ONNX file', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', broken((m) => writeFileSync(join(m, 'onnx', 'model.onnx'), readFileSync(join(m, 'onnx', 'model.onnx')).subarray(0, 5000)))(d)]) },
    { name: 'corrupt config.json', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', broken((m) => writeFileSync(join(m, 'config.json'), '{"hidden_size": 6'))(d)]) },
    { name: 'truncated tokenizer.json', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', broken((m) => writeFileSync(join(m, 'tokenizer.json'), readFileSync(join(m, 'tokenizer.json')).subarray(0, 200)))(d)]) },
    // (synthetic models have q8 since issue 13: `--dtype q8` on one is good input now; fp99 below is the bad dtype)
    { name: '--dtype fp16 on a folder without it', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--model', model, '--dtype', 'fp16']) },
    // never stops
    { name: 'batch_size 1000000', expect: 2, run: run(['--batch-size', '1000000']) },
    { name: 'load --output-len 1e9', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--output-len', '1e9']) },
    { name: 'load --output-len past the served context (real llama-server)', expect: 2, run: async (d) => {
      const llama = await startLlamaServer({ parallel: 1 });
      try {
        return await cli(d, ['load', '--url', llama.url, '--model', llama.model, '--output-len', '100000']);
      } finally {
        await llama.stop();
      }
    } },
    // unclear
    { name: 'a binary YAML file', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.yaml', readFileSync(process.execPath).subarray(0, 400))(d)]), check: (_d, o) => ([...o.stderr].some((ch) => ch.charCodeAt(0) < 9) ? 'raw bytes printed' : null) },
    { name: '.inf in a YAML file', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.yaml', 'monitor_interval_ms: .inf\n')(d)]), check: (_d, o) => (/got null/.test(o.stderr) ? 'says null' : null) },
    { name: '.nan in a YAML file', expect: 2, run: (d) => cli(d, ['run', '--config', file('c.yaml', 'batch_size: .nan\n')(d)]), check: (_d, o) => (/got null/.test(o.stderr) ? 'says null' : null) },
    { name: 'a model not served (GET /v1/models)', expect: 2, run: (d) => cli(d, ['run', '--engine', 'openai', '--url', models.url, '--model', 'other']) },
    { name: 'compare --pair foo=bar', expect: 2, mayWrite: true, run: async (d) => {
      await cli(d, ['run', ...QUICK, '--output', join(d, 'a.json')]);
      return cli(d, ['compare', join(d, 'a.json'), join(d, 'a.json'), '--pair', 'foo=bar']);
    }, check: (_d, o) => (/baseline: w0_i2/.test(o.stderr) ? null : 'names not listed') },
    { name: 'compare runs of one iteration', expect: 2, mayWrite: true, run: async (d) => {
      await cli(d, ['run', '--warmup', '0', '--iterations', '1', '--sequence-length', '8', '--new-tokens', '4', '--no-gpu-monitoring', '--output', join(d, 'a.json')]);
      return cli(d, ['compare', join(d, 'a.json'), join(d, 'a.json')]);
    }, check: (_d, o) => (/at least 2 measured iterations/.test(o.stderr) ? null : 'does not say why') },
    // issue 26's list, and what the same checking found
    { name: 'load --concurrency 0x2', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--concurrency', '0x2']) },
    { name: 'load --requests 9007199254740993 (past 2^53)', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--requests', '9007199254740993']) },
    { name: '--batch-size 9007199254740993 (past 2^53)', expect: 2, run: run(['--batch-size', '9007199254740993']) },
    { name: 'load --slo ttft twice', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--slo', 'ttft=1s', 'ttft=2s']) },
    { name: 'load --slo ttft=0', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--slo', 'ttft=0ms']) },
    { name: 'load --meet-timeout without --shard or --workers', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--meet-timeout', '5']) },
    { name: 'load --prompt-reuse prefix=N past the prompt', expect: 2, run: (d) => cli(d, ['load', '--url', server.url, '--model', 'm', '--input-len', '16', '--prompt-reuse', 'prefix=32']) },
    { name: 'run --shard without a group', expect: 2, run: run(['--shard', '0/2']) },
    { name: 'run --shard with --no-store', expect: 2, run: run(['--shard', '0/2', '--group', 'g', '--no-store']) },
    { name: 'TOKENBENCH_SHARD_COUNT alone', expect: 2, run: (d) => runCli(['run', ...QUICK], { cwd: d, env: { TOKENBENCH_STORE: `sqlite:${join(d, 'store.db')}`, TOKENBENCH_SHARD_COUNT: '4' } }) },
    { name: 'SLURM_ARRAY_TASK_ID 0x1', expect: 2, run: (d) => runCli(['run', ...QUICK, '--group', 'g'], { cwd: d, env: { TOKENBENCH_STORE: `sqlite:${join(d, 'store.db')}`, SLURM_ARRAY_TASK_ID: '0x1', SLURM_ARRAY_TASK_COUNT: '4' } }) },
    { name: 'SLURM_ARRAY_TASK_ID 1e0', expect: 2, run: (d) => runCli(['run', ...QUICK, '--group', 'g'], { cwd: d, env: { TOKENBENCH_STORE: `sqlite:${join(d, 'store.db')}`, SLURM_ARRAY_TASK_ID: '1e0', SLURM_ARRAY_TASK_COUNT: '4' } }) },
    { name: 'history --group with a bad id', expect: 2, run: (d) => cli(d, ['history', '--group', 'bad id!']) },
    { name: 'a browser path that is a folder', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--engine', 'transformers-js-browser', '--engine-option', `browser=${d}`]) },
    { name: 'a browser path without the run bit', expect: 2, run: (d) => cli(d, ['run', ...QUICK, '--engine', 'transformers-js-browser', '--engine-option', `browser=${file('chrome', '#!/bin/sh\n')(d)}`]) },
    { name: '--device cuda without CUDA (transformers-js)', expect: 2, run: run(['--device', 'cuda']) },
    { name: 'import of a result whose records file is missing', expect: 2, mayWrite: true, run: async (d) => {
      const out = join(d, 'l.json');
      await cli(d, ['load', '--url', server.url, '--model', 'ttft=2,itl=1', '--requests', '4', '--no-store', '--quiet', '--output', out]);
      spawnSync('rm', [join(d, 'l.requests-0.jsonl')]);
      return cli(d, ['import', out, '--store', `sqlite:${join(d, 'fresh.db')}`]);
    }, check: (d) => (existsSync(join(d, 'fresh.db')) ? 'created the database first' : null) },
    { name: 'report of a result whose records file was cut', expect: 2, mayWrite: true, run: async (d) => {
      const out = join(d, 'l.json');
      await cli(d, ['load', '--url', server.url, '--model', 'ttft=2,itl=1', '--requests', '6', '--no-store', '--quiet', '--output', out]);
      const records = join(d, 'l.requests-0.jsonl');
      writeFileSync(records, readFileSync(records, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
      return cli(d, ['report', out, '-o', join(d, 'r.html')]);
    }, check: (d) => (existsSync(join(d, 'r.html')) ? 'wrote a report from the records left' : null) },
    { name: 'a hub id without a network', expect: 1, mayWrite: true, run: run(['--model', 'HuggingFaceTB/SmolLM2-135M']), check: (_d, o) => (/cannot download it from the Hugging Face hub \(network/.test(o.stdout) ? null : 'unclear') },
  ];

  const rows: string[][] = [];
  let failed = 0;
  for (const c of cases) {
    const dir = tempDir('tokenbench-contract-');
    const before = new Set(filesUnder(dir));
    const o = await c.run(dir);
    const written = filesUnder(dir).filter((f) => !before.has(f) && !['notes.txt', 'model.txt', 'results', 'v2.json', 'c.yaml', 'c.json', 'store.db', 'chrome'].includes(f) && !f.startsWith('model/') && !f.startsWith('src/'));
    const lines = o.stderr.trim() === '' ? 0 : o.stderr.trim().split('\n').length;
    const problems: string[] = [];
    if (c.expect === -1) problems.push(`not run: ${o.stderr.trim()}`);
    else {
      if (o.code !== c.expect) problems.push(`exit ${o.code}, expected ${c.expect}`);
      if (c.expect === 2 && lines !== 1) problems.push(`${lines} stderr lines`);
      if (!c.mayWrite && written.length > 0) problems.push(`wrote ${written.join(', ')}`);
      if (/\n\s+at /.test(o.stderr)) problems.push('stack trace');
      const extra = await c.check?.(dir, o);
      if (extra) problems.push(extra);
    }
    if (problems.length > 0 && c.expect !== -1) failed++;
    rows.push([c.name, `${o.code} (${c.expect === -1 ? '-' : c.expect})`, String(lines), String(written.length), problems.length === 0 ? 'meets the contract' : problems.join('; ')]);
  }
  await server.close();
  await models.close();
  for (const m of [full, readOnly]) if (m) spawnSync('umount', [m]);
  const header = ['case', 'exit (expected)', 'stderr lines', 'files written', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const line of [header, widths.map((w) => '-'.repeat(w)), ...rows]) process.stdout.write(`${line.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')}\n`);
  process.stdout.write(`\n${cases.length} cases, ${failed} break the contract\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
