/** A load value's config: the openai engine's fields plus the load settings, named and hashed. */
import { basename } from 'node:path';
import type { NamedConfig } from '../config/fields.js';
import { configHash } from '../config/hash.js';
import { modelSlug } from '../config/naming.js';
import type { LoadSettings } from '../results/schema.js';

export type LoadConfig = NamedConfig & { load: LoadSettings };

/** Significant digits of a rate in a value's name (a searched rate such as 6.5625 reads 6.56). */
const RATE_DIGITS = 3;

/** `x` to `digits` significant digits. */
export function roundSignificant(x: number, digits = RATE_DIGITS): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

/** The config of one load value: `fields` (a name and hash, if any, are replaced) with `load`, named by its value and hashed. */
export function loadValueConfig(fields: Omit<NamedConfig, 'name' | 'hash'> & { name?: string; hash?: string }, load: LoadSettings): LoadConfig {
  const { name: _name, hash: _hash, load: _load, ...rest } = fields as NamedConfig & { load?: LoadSettings };
  const config = { ...rest, load };
  const label =
    load.mode === 'closed'
      ? `c${load.concurrency}`
      : load.sessions
        ? `sessions-r${load.request_rate}${load.sessions.think_time_ms > 0 ? `-think${load.sessions.think_time_ms}` : ''}`
        : load.trace
        ? `trace-${basename(load.trace.path).replace(/\.jsonl?$/, '')}${load.trace.speed !== 1 ? `-x${load.trace.speed}` : ''}`
        : `r${load.request_rate}-${load.arrival}${load.arrival === 'gamma' ? `${load.burstiness}` : ''}`;
  return { ...config, name: `load-${label}-s${config.sequence_length}_n${config.num_tokens_to_generate}-${modelSlug(config.model)}`, hash: configHash(config as unknown as NamedConfig) } as LoadConfig;
}
