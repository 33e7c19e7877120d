/**
 * Errors with a stable `kind` that the CLI maps to messages and exit codes.
 * Input errors (exit 2) are raised before anything is measured; run-time errors are recorded in
 * the result of the benchmark they happened in.
 */

/** Kinds of bad input: the user must change something before running again (exit code 2). */
export type InputErrorKind = 'config' | 'config_file' | 'model' | 'usage' | 'store' | 'result_file' | 'dependency';

/** Kinds of run-time failure, recorded per benchmark (exit code 1). */
export type RunErrorKind =
  | 'engine_load'
  | 'engine_generate'
  | 'token_count'
  | 'request_failed'
  | 'parts_missing'
  | 'out_of_memory'
  | 'interrupted'
  | 'internal';

export type ErrorKind = InputErrorKind | RunErrorKind;

/** Base class of every error tokenbench raises on purpose. */
export class TokenbenchError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenbenchError';
  }
}

/** Bad input: one line naming the field or file, what was wrong and what is allowed. */
export class InputError extends TokenbenchError {
  constructor(kind: InputErrorKind, message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = 'InputError';
  }
}

/** A benchmark that failed while running; the runner records it and goes on with the others. */
export class RunError extends TokenbenchError {
  constructor(kind: RunErrorKind, message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = 'RunError';
  }
}

/** The message of any thrown value, on one line. */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').trim();
}

/** Classifies an unexpected error thrown by an engine during a phase of a benchmark. */
export function classifyRunError(err: unknown, phase: 'load' | 'generate'): RunError {
  if (err instanceof RunError) return err;
  const message = errorMessage(err);
  if (/out of memory|bad_alloc|allocation failed|ENOMEM|Cannot allocate/i.test(message)) {
    return new RunError('out_of_memory', message, { cause: err });
  }
  return new RunError(phase === 'load' ? 'engine_load' : 'engine_generate', message, { cause: err });
}
