/** The SQLite store's executor: better-sqlite3 (synchronous) behind the async SqlExecutor. */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlExecutor, SqlParam } from './sql.js';

/** Opens (creating unless `mustExist`) a SQLite database file. */
export function openSqlite(path: string, mustExist = false): SqlExecutor {
  if (mustExist && !existsSync(path)) throw new Error('no such database file');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: mustExist });
  // Any query fails on a file that is not a database ("file is not a database"): fail now, clearly.
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const bind = (params: SqlParam[]): SqlParam[] => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  return {
    dialect: 'sqlite',
    async run(sql, params = []) {
      db.prepare(sql).run(...bind(params));
    },
    async all<T>(sql: string, params: SqlParam[] = []) {
      return db.prepare(sql).all(...bind(params)) as T[];
    },
    async transaction<T>(body: () => Promise<T>) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const value = await body();
        db.exec('COMMIT');
        return value;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
}
