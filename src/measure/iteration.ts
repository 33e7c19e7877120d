/**
 * One timed iteration: t0 -> generate -> t1, then validation and the record. Nothing but the
 * generate() call sits between the two clock readings.
 */
import type { Engine, GenerateResult, PreparedInputs } from '../engines/engine.js';
import { iterationMetrics, msBetween } from '../results/metrics.js';
import type { IterationRecord } from '../results/schema.js';
import type { TokenStamper } from './streamer.js';
import { validateTokenCounts } from './validation.js';

export interface TimedGeneration {
  t0: bigint;
  t1: bigint;
  stamps: bigint[];
  output: GenerateResult;
}

/** Runs generate() between two clock readings, stamping every step. */
export async function timedGenerate(engine: Engine, inputs: PreparedInputs, newTokens: number, stamper: TokenStamper): Promise<TimedGeneration> {
  stamper.reset();
  const t0 = process.hrtime.bigint();
  const output = await engine.generate(inputs, newTokens, stamper);
  const t1 = process.hrtime.bigint();
  if (output.timing) return { t0: output.timing.t0, t1: output.timing.t1, stamps: output.timing.stepStamps, output };
  return { t0, t1, stamps: stamper.stampList(), output };
}

/** Checks a generation's token counts (throws a `token_count` RunError) and makes its record. */
export function recordIteration(
  index: number,
  run: TimedGeneration,
  stepCount: number,
  expectedTokens: number,
  batchSize: number,
  decode: (ids: readonly number[]) => string,
): IterationRecord {
  validateTokenCounts(expectedTokens, stepCount, run.output.newTokens, batchSize);
  const m = iterationMetrics(run.t0, run.t1, run.stamps, batchSize);
  return {
    index,
    t0_ns: run.t0.toString(),
    e2e_ms: m.e2e_ms,
    ttft_ms: m.ttft_ms,
    itl_ms: m.itl_ms,
    tokens_per_s: m.tokens_per_s,
    decode_tokens_per_s: m.decode_tokens_per_s,
    token_ms: m.token_ms,
    ...(run.output.rowStamps ? { token_ms_by_row: run.output.rowStamps.map((row) => row.map((s) => msBetween(run.t0, s))) } : {}),
    new_tokens: run.output.newTokens,
    output_sample: run.output.firstRowText ?? decode(run.output.firstRowIds.slice(0, 32)),
    // filled in by the runner once the monitor's samples of the phase are collected
    monitor: { status: 'disabled', reason: 'gpu_monitoring is off', samples: [] },
    ...(run.output.http ? { http: run.output.http } : {}),
  };
}
