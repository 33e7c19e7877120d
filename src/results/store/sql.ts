/**
 * The one SQL surface both stores implement: SQLite (better-sqlite3, synchronous, wrapped) and
 * PostgreSQL (pg). Statements are written with `?` placeholders and dialect markers in the DDL.
 */
export type Dialect = 'sqlite' | 'postgres';
export type SqlParam = string | number | boolean | null;

export interface SqlExecutor {
  readonly dialect: Dialect;
  run(sql: string, params?: SqlParam[]): Promise<void>;
  all<T>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /** Runs `body` in one transaction: all of it is written, or none of it. */
  transaction<T>(body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...`. */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** DDL types per dialect: {REAL} doubles, {BOOL} booleans. */
export function ddl(sql: string, dialect: Dialect): string {
  return sql.replaceAll('{REAL}', dialect === 'postgres' ? 'DOUBLE PRECISION' : 'REAL').replaceAll('{BOOL}', dialect === 'postgres' ? 'BOOLEAN' : 'INTEGER');
}
