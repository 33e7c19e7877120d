/** The PostgreSQL store's executor: one `pg` client; `?` placeholders become `$n`. */
import pg from 'pg';
import { type SqlExecutor, type SqlParam, toPostgresPlaceholders } from './sql.js';

export async function openPostgres(url: string, connectTimeoutMs = 5000): Promise<SqlExecutor> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  // a server that goes away emits 'error' on the idle client: keep it, so the next query fails
  // with it (reported once by the recorder) instead of crashing the run
  let lost: Error | null = null;
  client.on('error', (err: Error) => (lost = err));
  await client.connect();
  const alive = (): void => {
    if (lost) throw new Error(`PostgreSQL connection lost: ${lost.message}`);
  };
  // each statement's `$n` form is computed once
  const cache = new Map<string, string>();
  const text = (sql: string): string => {
    let t = cache.get(sql);
    if (t === undefined) {
      t = toPostgresPlaceholders(sql);
      cache.set(sql, t);
    }
    return t;
  };
  return {
    dialect: 'postgres',
    async run(sql, params: SqlParam[] = []) {
      alive();
      await client.query(text(sql), params);
    },
    async all<T>(sql: string, params: SqlParam[] = []) {
      alive();
      return (await client.query(text(sql), params)).rows as T[];
    },
    async transaction<T>(body: () => Promise<T>) {
      alive();
      await client.query('BEGIN');
      try {
        const value = await body();
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
