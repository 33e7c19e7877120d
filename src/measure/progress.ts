/**
 * Progress on stderr: a bar per phase on a terminal, plain log lines otherwise, nothing with
 * --quiet. Called only between iterations, never inside a timed window.
 */
import type { BenchmarkResult } from '../results/schema.js';

export type Phase = 'load' | 'validity' | 'warmup' | 'measure';

export interface ProgressReporter {
  benchmarkStart(index: number, total: number, name: string): void;
  phaseStart(phase: Phase, steps: number): void;
  /** One step (iteration) of the phase done, with the new tokens it made. */
  step(tokens: number): void;
  phaseEnd(phase: Phase, ms: number): void;
  benchmarkEnd(result: BenchmarkResult): void;
  /** run --interleave: the measure phase of all configs at once, `steps` iterations in all (optional: reporters written before it keep working). */
  roundsStart?(rounds: number, configs: number, steps: number): void;
  message(text: string): void;
}

export const silentProgress: ProgressReporter = {
  benchmarkStart() {},
  phaseStart() {},
  step() {},
  phaseEnd() {},
  benchmarkEnd() {},
  roundsStart() {},
  message() {},
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A median in ms, or '-' where there is none (ITL of one-token generations). */
const p50Ms = (stats: { p50: number } | null | undefined, digits: number): string => (stats ? `${stats.p50.toFixed(digits)} ms` : '-');

function outcome(result: BenchmarkResult): string {
  if (result.status === 'ok') return `ok (TTFT p50 ${p50Ms(result.summary?.ttft_ms, 2)}, ITL p50 ${p50Ms(result.summary?.itl_ms, 3)})`;
  return `${result.status}${result.error ? `: ${result.error.kind}: ${result.error.message}` : ''}`;
}

/** One line per phase and per benchmark: for logs and CI. */
export class LogProgress implements ProgressReporter {
  private prefix = '';
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  benchmarkStart(index: number, total: number, name: string): void {
    this.prefix = `[${index + 1}/${total}]`;
    this.out.write(`${this.prefix} ${name}\n`);
  }
  phaseStart(): void {}
  step(): void {}
  phaseEnd(phase: Phase, ms: number): void {
    this.out.write(`${this.prefix}   ${phase} done in ${seconds(ms)}\n`);
  }
  benchmarkEnd(result: BenchmarkResult): void {
    this.out.write(`${this.prefix}   ${outcome(result)}\n`);
  }
  roundsStart(rounds: number, configs: number): void {
    this.prefix = '[interleaved]';
    this.out.write(`${this.prefix} ${rounds} rounds, one iteration of each of ${configs} configs in turn\n`);
  }
  message(text: string): void {
    this.out.write(`${text}\n`);
  }
}

/** A redrawn bar per phase, for terminals: steps done, tokens/s so far and time left. */
export class TtyProgress implements ProgressReporter {
  private phase: Phase = 'load';
  private steps = 0;
  private done = 0;
  private tokens = 0;
  private startedAt = 0;
  private prefix = '';
  constructor(
    private readonly out: Pick<NodeJS.WriteStream, 'write'> = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {}
  benchmarkStart(index: number, total: number, name: string): void {
    this.prefix = `[${index + 1}/${total}]`;
    this.out.write(`${this.prefix} ${name}\n`);
  }
  phaseStart(phase: Phase, steps: number): void {
    this.phase = phase;
    this.steps = steps;
    this.done = 0;
    this.tokens = 0;
    this.startedAt = this.now();
    this.draw();
  }
  step(tokens: number): void {
    this.done++;
    this.tokens += tokens;
    this.draw();
  }
  phaseEnd(phase: Phase, ms: number): void {
    this.out.write(`\r\x1b[2K${this.prefix}   ${phase.padEnd(8)} ${seconds(ms)}\n`);
  }
  benchmarkEnd(result: BenchmarkResult): void {
    this.out.write(`${this.prefix}   ${outcome(result)}\n`);
  }
  roundsStart(rounds: number, configs: number, steps: number): void {
    this.prefix = '[interleaved]';
    this.out.write(`${this.prefix} ${rounds} rounds, one iteration of each of ${configs} configs in turn\n`);
    this.phaseStart('measure', steps);
  }
  message(text: string): void {
    this.out.write(`\r\x1b[2K${text}\n`);
  }
  private draw(): void {
    const width = 30;
    const filled = this.steps > 0 ? Math.round((this.done / this.steps) * width) : 0;
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const elapsed = this.now() - this.startedAt;
    const rate = this.done > 0 && elapsed > 0 ? `, ${((this.tokens * 1000) / elapsed).toFixed(1)} tok/s, ${seconds((elapsed / this.done) * (this.steps - this.done)).replace(/\.\d+ s$/, ' s')} left` : '';
    this.out.write(`\r\x1b[2K${this.prefix}   ${this.phase.padEnd(8)} [${bar}] ${this.done}/${this.steps}${rate}`);
  }
}
