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
  /** Before the first config: the run's iterations in all, warmup and measured, over every config (for the estimate). */
  plan?(iterations: number): void;
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

/** How often a log without a terminal says where a phase stands (CI logs, `| tee`). */
export const LOG_EVERY_MS = 5000;

/** A duration for people: seconds (tenths under ten) under two minutes, else minutes, else hours. */
export function roughDuration(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

/**
 * What the whole run will take, said once after the first measured iteration: every iteration of
 * the run (warmup and measured, over all configs, as planned) at that iteration's time. Loading and
 * the validity check are left out, so it is a lower bound where they are slow.
 */
export class RunEstimate {
  private said = false;
  private configs = 0;
  private planned: number | null = null;
  private interleaved = false;
  constructor(private readonly say: (text: string) => void) {}
  plan(iterations: number): void {
    this.planned = iterations;
  }
  benchmarkStart(total: number): void {
    this.configs = total;
  }
  /** run --interleave: every config is loaded and warmed up; one measure phase of all their iterations is left. */
  rounds(): void {
    this.interleaved = true;
  }
  /** The first measured iteration took `ms`, of a measure phase of `steps`. */
  firstStep(ms: number, steps: number): void {
    const total = this.interleaved ? steps : (this.planned ?? this.configs * steps);
    if (this.said || total < 2) return;
    this.said = true;
    const over = this.configs > 1 && !this.interleaved ? ` over ${this.configs} configs` : '';
    this.say(`estimate: ${total} iterations${over} x ${roughDuration(ms)} (the first one) = about ${roughDuration(total * ms)} in all`);
  }
}

/** One line per phase and per benchmark, and a line every few seconds within a long phase: for logs and CI. */
export class LogProgress implements ProgressReporter {
  private prefix = '';
  private phase: Phase = 'load';
  private steps = 0;
  private done = 0;
  private startedAt = 0;
  private lastLine = 0;
  private readonly estimate: RunEstimate;
  constructor(
    private readonly out: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.estimate = new RunEstimate((text) => this.out.write(`${text}\n`));
  }
  plan(iterations: number): void {
    this.estimate.plan(iterations);
  }
  benchmarkStart(index: number, total: number, name: string): void {
    this.prefix = `[${index + 1}/${total}]`;
    this.estimate.benchmarkStart(total);
    this.out.write(`${this.prefix} ${name}\n`);
  }
  phaseStart(phase: Phase, steps: number): void {
    this.phase = phase;
    this.steps = steps;
    this.done = 0;
    this.startedAt = this.lastLine = this.now();
  }
  step(): void {
    this.done++;
    const now = this.now();
    if (this.phase === 'measure' && this.done === 1) this.estimate.firstStep(now - this.startedAt, this.steps);
    if (now - this.lastLine < LOG_EVERY_MS || this.done >= this.steps) return;
    this.lastLine = now;
    const elapsed = now - this.startedAt;
    this.out.write(`${this.prefix}   ${this.phase} ${this.done}/${this.steps}, ${roughDuration(elapsed)} so far, about ${roughDuration((elapsed / this.done) * (this.steps - this.done))} left\n`);
  }
  phaseEnd(phase: Phase, ms: number): void {
    this.out.write(`${this.prefix}   ${phase} done in ${seconds(ms)}\n`);
  }
  benchmarkEnd(result: BenchmarkResult): void {
    this.out.write(`${this.prefix}   ${outcome(result)}\n`);
  }
  roundsStart(rounds: number, configs: number, steps: number): void {
    this.prefix = '[interleaved]';
    this.out.write(`${this.prefix} ${rounds} rounds, one iteration of each of ${configs} configs in turn\n`);
    this.estimate.rounds();
    this.phaseStart('measure', steps);
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
  private readonly estimate: RunEstimate;
  constructor(
    private readonly out: Pick<NodeJS.WriteStream, 'write'> = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.estimate = new RunEstimate((text) => this.message(text));
  }
  plan(iterations: number): void {
    this.estimate.plan(iterations);
  }
  benchmarkStart(index: number, total: number, name: string): void {
    this.prefix = `[${index + 1}/${total}]`;
    this.estimate.benchmarkStart(total);
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
    if (this.phase === 'measure' && this.done === 1) this.estimate.firstStep(this.now() - this.startedAt, this.steps);
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
    this.estimate.rounds();
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
