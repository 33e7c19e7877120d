/**
 * One export format: what `tokenbench export RUN --format F` writes. Formats are one file each
 * (csv.ts, markdown.ts, jsonl.ts), as hyperfine's exporters are; `EXPORTERS` names them.
 */
import type { RunResult } from '../results/schema.js';

export interface Exporter {
  /** What the format is, for --help. */
  readonly description: string;
  /** Writes `run` piece by piece through `write` (a load run's records are read one at a time, never all held). */
  export(run: RunResult, write: (text: string) => void): Promise<void>;
}
