/** The PostgreSQL store's executor: one `pg` client; `?` placeholders become `$n`. */
import pg from 'pg';
import { type SqlExecutor, type SqlParam, toPostgresPlaceholders } from './sql.js';

export async function openPostgres(url: string, connectTimeoutMs = 5000): Promise<SqlExecutor> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
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
      await client.query(text(sql), params);
    },
    async all<T>(sql: string, params: SqlParam[] = []) {
      return (await client.query(text(sql), params)).rows as T[];
    },
    async transaction<T>(body: () => Promise<T>) {
      await client.query('BEGIN');
      try {
        const value = await body();
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    },
    async close() {
      await client.end();
    },
  };
}
