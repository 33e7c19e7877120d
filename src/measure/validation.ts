/** Every generate() must give exactly num_tokens_to_generate new tokens in every row. */
import { RunError } from '../util/errors.js';

/** Throws a `token_count` RunError when the steps or any row's new tokens differ from `expected`. */
export function validateTokenCounts(expected: number, steps: number, rowTokens: readonly number[], batchSize: number): void {
  if (rowTokens.length !== batchSize) {
    throw new RunError('token_count', `expected ${batchSize} sequences, the engine returned ${rowTokens.length}`);
  }
  const bad = rowTokens.findIndex((n) => n !== expected);
  if (bad >= 0) {
    throw new RunError(
      'token_count',
      `expected ${expected} new tokens in every sequence, sequence ${bad} got ${rowTokens[bad]} (all: ${rowTokens.join(', ')})`,
    );
  }
  if (steps !== expected) {
    throw new RunError('token_count', `expected ${expected} streamed generation steps, the streamer saw ${steps}`);
  }
}
