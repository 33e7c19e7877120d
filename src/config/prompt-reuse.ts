import type { BenchmarkConfig } from './fields.js';

/** How much of its prompt a request to a server shares with earlier ones (engine option `prompt_reuse`). */
export type PromptReuse = { mode: 'unique' } | { mode: 'repeat' } | { mode: 'prefix'; tokens: number };

/** `unique`, `repeat` or `prefix=N` (N >= 1); null for anything else. */
export function parsePromptReuse(text: string): PromptReuse | null {
  if (text === 'unique' || text === 'repeat') return { mode: text };
  const m = /^prefix=(\d+)$/.exec(text);
  const n = m ? Number(m[1]) : 0;
  return n >= 1 && Number.isSafeInteger(n) ? { mode: 'prefix', tokens: n } : null;
}

/** A config's prompt reuse (engine option prompt_reuse; default unique). */
export function promptReuseOf(config: BenchmarkConfig): PromptReuse {
  const value = config.engine_options.prompt_reuse;
  return (typeof value === 'string' ? parsePromptReuse(value) : null) ?? { mode: 'unique' };
}
