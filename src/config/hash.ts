/** The config hash: sha256 of the canonical JSON of the config without its name. */
import { createHash } from 'node:crypto';
import type { BenchmarkConfig } from './fields.js';

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the canonical JSON; a `name` field, if present, is left out. */
export function configHash(config: BenchmarkConfig | (BenchmarkConfig & { name?: string })): string {
  const { name: _name, ...rest } = config as BenchmarkConfig & { name?: string };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
