/**
 * JSON Lines: one line per measured iteration (run) or request (load), each naming its config by
 * name and hash, for jq, DuckDB or a data frame. A load run's records are read one at a time from
 * wherever they are (inline, a records file, the store).
 */
import { requestRecords } from '../results/request-records.js';
import type { BenchmarkResult, RunResult } from '../results/schema.js';
import type { Exporter } from './exporter.js';

export const jsonlExporter: Exporter = {
  description: 'JSON Lines, one line per measured iteration or request, each naming its config',
  async export(run: RunResult, write: (text: string) => void): Promise<void> {
    for (const b of run.benchmarks as BenchmarkResult[]) {
      const head = { run_id: run.run_id, config: b.config.name, config_hash: b.config.hash };
      for (const it of b.iterations) write(`${JSON.stringify({ ...head, kind: 'iteration', ...it })}\n`);
      for await (const r of requestRecords(b)) write(`${JSON.stringify({ ...head, kind: 'request', ...r })}\n`);
    }
  },
};
