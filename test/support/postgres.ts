/**
 * The PostgreSQL server the store tests use: TOKENBENCH_TEST_PG_URL when set (.ci/run sets it),
 * else Debian's PostgreSQL started on loopback by start-postgres.sh; undefined without one.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Requirement } from './requirements.js';

let cached: string | undefined | null = null;

export function postgresTestUrl(): string | undefined {
  if (cached !== null) return cached;
  cached = process.env.TOKENBENCH_TEST_PG_URL;
  if (!cached) {
    try {
      const script = fileURLToPath(new URL('./start-postgres.sh', import.meta.url));
      cached = execFileSync('bash', [script], { encoding: 'utf8', timeout: 60_000 }).trim() || undefined;
    } catch {
      cached = undefined;
    }
  }
  return cached;
}

/** A real PostgreSQL server, for `needs`. */
export function postgresServer(): Requirement {
  return { what: 'PostgreSQL', missing: postgresTestUrl() ? null : 'none here: .ci/run installs and starts it (or set TOKENBENCH_TEST_PG_URL)' };
}

/** A URL of the test server whose tables go into a new, empty schema: each caller its own store. */
export async function freshPostgresUrl(): Promise<string> {
  const base = postgresTestUrl() as string;
  const schema = `t${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  return `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}
