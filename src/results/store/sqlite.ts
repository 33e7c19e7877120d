/** The SQLite store's executor: better-sqlite3 (synchronous) behind the async SqlExecutor. */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlExecutor, SqlParam } from './sql.js';

/** How long opening waits out other processes' locks on a new file (parts of a run opening it at once). */
const OPEN_RETRY_MS = 15_000;

const isBusy = (err: unknown): boolean => (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;

/** Blocks this thread for `ms` (opening is synchronous, as better-sqlite3 is). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * First use of the file: checks it is a database and puts it in WAL mode. Processes opening a new
 * file at once (workers, shards) can meet where SQLite answers "database is locked" at once rather
 * than wait, to avoid a deadlock (a reader escalating while another holds the pending lock): that
 * is retried, with a random pause, until OPEN_RETRY_MS.
 */
function prepare(db: Database.Database): void {
  const deadline = Date.now() + OPEN_RETRY_MS;
  for (;;) {
    try {
      // any query fails on a file that is not a database ("file is not a database"): fail now, clearly
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      pause(10 + Math.random() * 40);
    }
  }
}

/** Opens (creating unless `mustExist`) a SQLite database file. */
export function openSqlite(path: string, mustExist = false): SqlExecutor {
  if (mustExist && !existsSync(path)) throw new Error('no such database file');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: mustExist });
  prepare(db);
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
