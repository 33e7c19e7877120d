/**
 * A Markdown table for a pull request or an issue. llama.cpp configs get llama-bench's columns
 * (model, size, params, backend, threads, test, t/s), one row for prompt processing (pp) and one
 * for generation (tg), so a table sits beside llama-bench's; other configs the figures tokenbench
 * leads with; load values their request rates and latencies.
 */
import { existsSync, statSync } from 'node:fs';
import { promptTokensPerS } from '../results/metrics.js';
import type { BenchmarkResult, RunResult } from '../results/schema.js';
import { mean, variance } from '../results/statistics.js';
import type { Exporter } from './exporter.js';

/** A table cell: pipes escaped, line breaks flattened. */
const cell = (v: string | number): string => String(v).replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

const row = (cells: readonly (string | number)[]): string => `| ${cells.map(cell).join(' | ')} |\n`;

const table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string =>
  rows.length === 0 ? '' : `${row(header)}|${header.map(() => '---').join('|')}|\n${rows.map(row).join('')}\n`;

/** mean ± sd to 2 decimals, as llama-bench prints t/s; '-' without values. */
export function meanPlusMinusSd(values: readonly number[]): string {
  if (values.length === 0) return '-';
  const sd = values.length > 1 ? Math.sqrt(variance(values)) : 0;
  return `${mean(values).toFixed(2)} ± ${sd.toFixed(2)}`;
}

/** Bytes as llama-bench prints a model's size: GiB from 1 GiB, else MiB. */
export function sizeText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

/** A parameter count as llama-bench prints it: 1.24 B, 494.03 M, 1.20 K. */
export function paramsText(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(2)} K`;
}

function fileSize(path: string | null | undefined): string {
  return path && existsSync(path) && statSync(path).isFile() ? sizeText(statSync(path).size) : '-';
}

const ok = (b: BenchmarkResult): boolean => b.status === 'ok';

function llamaRows(benchmarks: readonly BenchmarkResult[]): (string | number)[][] {
  return benchmarks.flatMap((b) => {
    const c = b.config;
    const its = b.iterations;
    const common = [b.model?.id ?? c.model, fileSize(b.model?.path), b.model?.parameters ? paramsText(b.model.parameters) : '-', c.device.toUpperCase(), String(c.engine_options.threads ?? '-')];
    return [
      [...common, `pp${c.sequence_length}`, meanPlusMinusSd(its.filter((it) => it.ttft_ms > 0).map((it) => promptTokensPerS(it.ttft_ms, c.batch_size, c.sequence_length)))],
      [...common, `tg${c.num_tokens_to_generate}`, meanPlusMinusSd(its.map((it) => it.decode_tokens_per_s))],
    ];
  });
}

const f = (x: number | null | undefined, digits: number): string => (x === null || x === undefined ? '-' : x.toFixed(digits));

export const markdownExporter: Exporter = {
  description: "a Markdown table (llama.cpp configs in llama-bench's columns)",
  async export(run: RunResult, write: (text: string) => void): Promise<void> {
    const benchmarks = run.benchmarks as BenchmarkResult[];
    const llama = benchmarks.filter((b) => b.config.engine === 'llama-cpp' && !b.load && ok(b));
    const loads = benchmarks.filter((b) => b.load);
    const others = benchmarks.filter((b) => !llama.includes(b) && !loads.includes(b));
    write(`### tokenbench ${run.run_id.slice(0, 8)}${run.git ? ` at ${run.git.commit.slice(0, 12)}${run.git.dirty ? ' (dirty)' : ''}` : ''}\n\n`);
    write(table(['model', 'size', 'params', 'backend', 'threads', 'test', 't/s'], llamaRows(llama)));
    write(
      table(
        ['config', 'status', 'n', 'TTFT ms p50', 'ITL ms p50', 'e2e ms p50', 'tokens/s mean ± sd'],
        others.map((b) => [b.config.name, b.status, b.iterations.length, f(b.summary?.ttft_ms?.p50, 2), f(b.summary?.itl_ms?.p50, 3), f(b.summary?.e2e_ms?.p50, 1), meanPlusMinusSd(b.iterations.map((it) => it.tokens_per_s))]),
      ),
    );
    write(
      table(
        ['value', 'status', 'ok/sent', 'req/s', 'output tok/s', 'TTFT ms p50/p99', 'e2e ms p50/p99'],
        loads.map((b) => {
          const l = b.load as NonNullable<BenchmarkResult['load']>;
          return [b.config.name, b.status, `${l.counts.ok}/${l.counts.sent}`, f(l.request_throughput, 2), f(l.output_throughput, 1), `${f(b.summary?.ttft_ms?.p50, 1)} / ${f(b.summary?.ttft_ms?.p99, 1)}`, `${f(b.summary?.e2e_ms?.p50, 0)} / ${f(b.summary?.e2e_ms?.p99, 0)}`];
        }),
      ),
    );
    if (llama.length > 0) write('pp: prompt tokens / TTFT, which holds the first token too; tg: generated tokens / decode time (docs/metrics.md)\n');
  },
};
