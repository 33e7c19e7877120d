/** The export formats on hand-made runs: every field by hand, quoting, llama-bench's columns, one line per record. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { csvExporter, csvField } from '../../src/export/csv.js';
import { jsonlExporter } from '../../src/export/jsonl.js';
import { markdownExporter, meanPlusMinusSd, paramsText, sizeText } from '../../src/export/markdown.js';
import { promptTokensPerS } from '../../src/results/metrics.js';
import type { BenchmarkResult, RunResult } from '../../src/results/schema.js';
import { tempDir } from '../helpers.js';

const stats = (p50: number) => ({ n: 4, mean: p50 + 0.5, std: 0.25, min: p50 - 1, p50, p90: p50 + 1, p95: p50 + 2, p99: p50 + 3, max: p50 + 4, ci95_mean: [0, 1], ci95_median: [0, 1] });

async function exported(exporter: typeof csvExporter, run: RunResult): Promise<string> {
  let text = '';
  await exporter.export(run, (t) => (text += t));
  return text;
}

const llamaRun = (modelPath: string): RunResult =>
  ({
    run_id: 'abcdef12-0000',
    git: { commit: '0123456789abcdef', branch: 'main', dirty: false },
    benchmarks: [
      {
        config: { name: 'llama, "q8"', hash: 'h1', engine: 'llama-cpp', model: 'm.gguf', device: 'cpu', batch_size: 1, sequence_length: 512, num_tokens_to_generate: 128, engine_options: { threads: 2 } },
        status: 'ok',
        model: { id: 'm.gguf', source: 'local', parameters: 494_030_000, path: modelPath, build_ms: 0 },
        // TTFT 100 and 200 ms of 512 prompt tokens: 5120 and 2560 t/s; decode 40 and 50 t/s
        iterations: [
          { index: 0, ttft_ms: 100, decode_tokens_per_s: 40, tokens_per_s: 30 },
          { index: 1, ttft_ms: 200, decode_tokens_per_s: 50, tokens_per_s: 35 },
        ],
        summary: { ttft_ms: stats(150), itl_ms: null, itl_gap_ms: null, e2e_ms: stats(3000), tokens_per_s: null, decode_tokens_per_s: null },
      },
    ],
  }) as unknown as RunResult;

test('csv: a header, then one row per config and metric with values; names with commas and quotes quoted as RFC 4180 says', async () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "q8"'), '"say ""q8"""');
  assert.equal(csvField(null), '');
  assert.equal(csvField(1.5), '1.5');
  const text = await exported(csvExporter, llamaRun('/nonexistent'));
  assert.equal(
    text,
    'config,status,metric,unit,n,mean,sd,p50,p90,p95,p99\n' +
      '"llama, ""q8""",ok,ttft_ms,ms,4,150.5,0.25,150,151,152,153\n' +
      '"llama, ""q8""",ok,e2e_ms,ms,4,3000.5,0.25,3000,3001,3002,3003\n',
  );
});

test("md: llama.cpp configs in llama-bench's columns, pp and tg rows with mean ± sd by hand", async () => {
  assert.equal(promptTokensPerS(100, 1, 512), 5120);
  assert.equal(promptTokensPerS(250, 2, 16), 128);
  assert.equal(meanPlusMinusSd([5120, 2560]), `3840.00 ± ${Math.sqrt(((5120 - 3840) ** 2 + (2560 - 3840) ** 2) / 1).toFixed(2)}`);
  assert.equal(meanPlusMinusSd([]), '-');
  assert.equal(sizeText(1.5 * 2 ** 30), '1.50 GiB');
  assert.equal(sizeText(5 * 2 ** 20), '5.00 MiB');
  assert.equal(paramsText(1_240_000_000), '1.24 B');
  assert.equal(paramsText(494_030_000), '494.03 M');
  const gguf = join(tempDir(), 'm.gguf');
  writeFileSync(gguf, Buffer.alloc(3 * 2 ** 20));
  const lines = (await exported(markdownExporter, llamaRun(gguf))).split('\n');
  assert.equal(lines[0], '### tokenbench abcdef12 at 0123456789ab');
  assert.equal(lines[2], '| model | size | params | backend | threads | test | t/s |');
  assert.equal(lines[3], '|---|---|---|---|---|---|---|');
  assert.equal(lines[4], '| m.gguf | 3.00 MiB | 494.03 M | CPU | 2 | pp512 | 3840.00 ± 1810.19 |');
  assert.equal(lines[5], '| m.gguf | 3.00 MiB | 494.03 M | CPU | 2 | tg128 | 45.00 ± 7.07 |');
  assert.match(lines[7] ?? '', /^pp: prompt tokens \/ TTFT/);
});

test('jsonl: one line per iteration and per request, each naming its run and config', async () => {
  const run = llamaRun('/nonexistent');
  const load = {
    config: { name: 'load a|b', hash: 'h2' },
    status: 'ok',
    iterations: [],
    requests: [{ index: 0, ok: true }, { index: 1, ok: false }],
  } as unknown as BenchmarkResult;
  run.benchmarks.push(load);
  const lines = (await exported(jsonlExporter, run)).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l.run_id, l.config, l.config_hash, l.kind, l.index]),
    [
      ['abcdef12-0000', 'llama, "q8"', 'h1', 'iteration', 0],
      ['abcdef12-0000', 'llama, "q8"', 'h1', 'iteration', 1],
      ['abcdef12-0000', 'load a|b', 'h2', 'request', 0],
      ['abcdef12-0000', 'load a|b', 'h2', 'request', 1],
    ],
  );
  assert.equal(lines[2]?.ok, true);
});
