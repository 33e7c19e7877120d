/**
 * The store's schema, versioned: each migration runs once, recorded in tokenbench_migrations.
 * Tables: runs, benchmarks (config JSON, hash, name, status, summary), iterations and
 * device_samples, with the indexes `history` and `compare` use.
 */
import { ddl, type SqlExecutor } from './sql.js';

export const MIGRATIONS: readonly { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        tool_version TEXT NOT NULL,
        git_commit TEXT,
        git_branch TEXT,
        git_dirty {BOOL},
        host TEXT NOT NULL,
        devices TEXT NOT NULL,
        source TEXT NOT NULL
      )`,
      'CREATE INDEX runs_git_commit ON runs (git_commit, started_at)',
      'CREATE INDEX runs_started_at ON runs (started_at)',
      `CREATE TABLE benchmarks (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        error TEXT,
        engine TEXT,
        model TEXT,
        phases TEXT NOT NULL,
        validity TEXT,
        summary TEXT,
        monitor TEXT,
        PRIMARY KEY (run_id, position)
      )`,
      'CREATE INDEX benchmarks_config_hash ON benchmarks (config_hash)',
      'CREATE INDEX benchmarks_name ON benchmarks (name)',
      `CREATE TABLE iterations (
        run_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        t0_ns TEXT NOT NULL,
        e2e_ms {REAL} NOT NULL,
        ttft_ms {REAL} NOT NULL,
        itl_ms {REAL} NOT NULL,
        tokens_per_s {REAL} NOT NULL,
        decode_tokens_per_s {REAL} NOT NULL,
        token_ms TEXT NOT NULL,
        token_ms_by_row TEXT,
        new_tokens TEXT NOT NULL,
        output_sample TEXT NOT NULL,
        monitor_status TEXT NOT NULL,
        monitor_reason TEXT,
        PRIMARY KEY (run_id, position, idx),
        FOREIGN KEY (run_id, position) REFERENCES benchmarks (run_id, position) ON DELETE CASCADE
      )`,
      `CREATE TABLE device_samples (
        run_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        t_ms {REAL} NOT NULL,
        device TEXT NOT NULL,
        readings TEXT NOT NULL,
        FOREIGN KEY (run_id, position, idx) REFERENCES iterations (run_id, position, idx) ON DELETE CASCADE
      )`,
      'CREATE INDEX device_samples_iteration ON device_samples (run_id, position, idx)',
    ],
  },
  {
    // requests to a server: the client against the server's own account (results/server-check.ts)
    version: 2,
    statements: ['ALTER TABLE benchmarks ADD COLUMN server_check TEXT'],
  },
  {
    // run --interleave: its configs' iterations pair up by round (compare --pair)
    version: 3,
    statements: ['ALTER TABLE runs ADD COLUMN interleaved {BOOL}'],
  },
  {
    // run --shard/--group: the parts of one sharded job meet here (docs/cluster.md)
    version: 4,
    statements: ['ALTER TABLE runs ADD COLUMN group_id TEXT', 'ALTER TABLE runs ADD COLUMN shard_index INTEGER', 'ALTER TABLE runs ADD COLUMN shard_count INTEGER', 'CREATE INDEX runs_group_id ON runs (group_id, started_at)'],
  },
  {
    // load runs keep their summary and requests (so a group's parts merge from the store), and
    // load --shard parts register here and start at one agreed instant (load/rendezvous.ts)
    version: 5,
    statements: [
      'ALTER TABLE benchmarks ADD COLUMN load_summary TEXT',
      'ALTER TABLE benchmarks ADD COLUMN load_requests TEXT',
      `CREATE TABLE load_parts (
        group_id TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        shard_index INTEGER NOT NULL,
        shard_count INTEGER NOT NULL,
        host TEXT NOT NULL,
        registered_ms {REAL} NOT NULL,
        PRIMARY KEY (group_id, config_hash, shard_index)
      )`,
    ],
  },
  {
    // a load run's records in chunks of JSONL rows, written and read one chunk at a time, so that a
    // run of any length is stored and read back in the same memory (load_requests keeps older runs')
    version: 6,
    statements: [
      'ALTER TABLE benchmarks ADD COLUMN request_count INTEGER',
      `CREATE TABLE load_request_chunks (
        run_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        chunk INTEGER NOT NULL,
        records TEXT NOT NULL,
        PRIMARY KEY (run_id, position, chunk)
      )`,
    ],
  },
  {
    // load --find-max-rate: the search's answer and probes (the probes' benchmarks are rows as usual)
    version: 7,
    statements: ['ALTER TABLE runs ADD COLUMN capacity TEXT'],
  },
  {
    // run/load --shard: a part claims its index in its group, so that two processes cannot run the same part at once
    version: 8,
    statements: [
      `CREATE TABLE shard_claims (
        group_id TEXT NOT NULL,
        command TEXT NOT NULL,
        shard_index INTEGER NOT NULL,
        shard_count INTEGER NOT NULL,
        holder TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        claimed_ms {REAL} NOT NULL,
        beat_ms {REAL} NOT NULL,
        PRIMARY KEY (group_id, command, shard_index)
      )`,
    ],
  },
];

/** Key of the PostgreSQL advisory lock that serializes migrations of several writers. */
const MIGRATION_LOCK = 7_342_911;

/**
 * Brings the schema up to date in one transaction. Several processes may open a new store at
 * once: PostgreSQL serializes them with an advisory lock, SQLite with BEGIN IMMEDIATE; whoever
 * comes second finds the work done.
 */
export async function migrate(db: SqlExecutor): Promise<number> {
  return db.transaction(async () => {
    if (db.dialect === 'postgres') await db.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await db.run('CREATE TABLE IF NOT EXISTS tokenbench_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const done = new Set((await db.all<{ version: number }>('SELECT version FROM tokenbench_migrations')).map((r) => Number(r.version)));
    let applied = 0;
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const s of m.statements) await db.run(ddl(s, db.dialect));
      await db.run('INSERT INTO tokenbench_migrations (version, applied_at) VALUES (?, ?)', [m.version, new Date().toISOString()]);
      applied++;
    }
    return applied;
  });
}
