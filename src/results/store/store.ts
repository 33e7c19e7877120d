/**
 * The results store: every run, its benchmarks, iterations and device samples, in SQLite (the
 * default, `./tokenbench-results/tokenbench.db`) or PostgreSQL. A benchmark is written in one
 * transaction, so a crash never leaves half of one; run ids are UUIDs, so several machines can
 * write to one PostgreSQL at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorMessage, InputError } from '../../util/errors.js';
import { attachRecordsFile, hasRequestRecords, requestRecords, setRecordSource } from '../request-records.js';
import type { BenchmarkResult, LoadRequestRecord, LoadSummary, RunResult } from '../schema.js';
import { RESULT_SCHEMA, RunResultSchema } from '../schema.js';
import { migrate } from './migrations.js';
import { openPostgres } from './postgres.js';
import type { SqlExecutor, SqlParam } from './sql.js';
import { openSqlite } from './sqlite.js';

/** Request records per stored chunk: a chunk is what a reader holds at once. */
const RECORDS_PER_CHUNK = 1000;

/** The records of a stored load benchmark, read through a connection of their own (opened when read, closed after). */
async function* storedRecords(url: string, runId: string, position: number): AsyncGenerator<LoadRequestRecord> {
  const store = await ResultStore.open(url, { mustExist: true });
  try {
    yield* store.requestRecords(runId, position);
  } finally {
    await store.close();
  }
}

export const DEFAULT_STORE = 'sqlite:./tokenbench-results/tokenbench.db';

/** Where results go: `--store`, else TOKENBENCH_STORE, else the default SQLite file. */
export function storeUrl(flag?: string): string {
  return flag ?? process.env.TOKENBENCH_STORE ?? DEFAULT_STORE;
}

/** A store URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/** Who runs a part of a sharded job: a process on a host, with an id of its own. */
export interface ShardHolder {
  id: string;
  host: string;
  pid: number;
}

/** A claim on a part, as the store has it: its holder and when it last beat (server clock, ms). */
export type ShardClaim = ShardHolder & { beat_ms: number; age_ms: number };

interface RunRow {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  tool_version: string;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | boolean | null;
  host: string;
  devices: string;
  source: string;
  interleaved: number | boolean | null;
  group_id: string | null;
  shard_index: number | null;
  shard_count: number | null;
  capacity?: string | null;
}

interface BenchmarkRow {
  position: number;
  name: string;
  config_hash: string;
  status: string;
  config: string;
  error: string | null;
  engine: string | null;
  model: string | null;
  phases: string;
  validity: string | null;
  summary: string | null;
  monitor: string | null;
  server_check: string | null;
  load_summary: string | null;
  load_requests: string | null;
  request_count: number | null;
}

interface IterationRow {
  position: number;
  idx: number;
  t0_ns: string;
  e2e_ms: number;
  ttft_ms: number;
  itl_ms: number;
  tokens_per_s: number;
  decode_tokens_per_s: number;
  token_ms: string;
  token_ms_by_row: string | null;
  new_tokens: string;
  output_sample: string;
  monitor_status: string;
  monitor_reason: string | null;
}

export interface HistoryRow {
  run_id: string;
  started_at: string;
  git_commit: string | null;
  name: string;
  config_hash: string;
  status: string;
  /** The part of a sharded job that run was (--shard), or null. */
  shard: { index: number; count: number } | null;
  /** Summary statistics of the metric in that run. */
  p50: number | null;
  mean: number | null;
  n: number | null;
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: string | null): T | null => (v === null ? null : (JSON.parse(v) as T));

export class ResultStore {
  private constructor(
    private readonly db: SqlExecutor,
    readonly url: string,
  ) {}

  /** Opens (and creates or migrates) the store at `url`: `sqlite:PATH`, a `.db` path, or `postgres://...`. */
  static async open(url: string, options: { mustExist?: boolean } = {}): Promise<ResultStore> {
    let db: SqlExecutor;
    try {
      if (/^postgres(ql)?:\/\//.test(url)) db = await openPostgres(url);
      else {
        const path = resolve(url.replace(/^sqlite:/, ''));
        if (!url.startsWith('sqlite:') && !/\.(db|sqlite3?)$/.test(path)) throw new Error('unknown store type');
        db = openSqlite(path, options.mustExist === true);
      }
    } catch (err) {
      throw new InputError(
        'store',
        `store ${redactUrl(url)}: ${errorMessage(err)}; allowed: sqlite:PATH, a .db file, or postgres://user:password@host:port/database`,
      );
    }
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw new InputError('store', `store ${redactUrl(url)}: cannot create or migrate its tables: ${errorMessage(err)}`);
    }
    return new ResultStore(db, url);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Writes (or rewrites) benchmark `position` of `run`, with the run's own row, in one transaction. */
  async saveBenchmark(run: RunResult, position: number): Promise<void> {
    const b = run.benchmarks[position] as BenchmarkResult;
    await this.db.transaction(async () => {
      await this.upsertRun(run, 'tokenbench');
      await this.writeBenchmark(run.run_id, position, b);
    });
  }

  /** Stamps the run's row finished. */
  async finishRun(run: RunResult): Promise<void> {
    await this.db.run('UPDATE runs SET finished_at = ? WHERE run_id = ?', [run.finished_at, run.run_id]);
  }

  /** Writes a whole run (import) in one transaction: all of it or nothing; a run already there is replaced. */
  async saveRun(run: RunResult, source = 'tokenbench'): Promise<void> {
    await this.db.transaction(async () => {
      await this.upsertRun(run, source);
      await this.db.run('DELETE FROM device_samples WHERE run_id = ? AND position >= ?', [run.run_id, run.benchmarks.length]);
      await this.db.run('DELETE FROM iterations WHERE run_id = ? AND position >= ?', [run.run_id, run.benchmarks.length]);
      await this.db.run('DELETE FROM load_request_chunks WHERE run_id = ? AND position >= ?', [run.run_id, run.benchmarks.length]);
      await this.db.run('DELETE FROM benchmarks WHERE run_id = ? AND position >= ?', [run.run_id, run.benchmarks.length]);
      for (let i = 0; i < run.benchmarks.length; i++) await this.writeBenchmark(run.run_id, i, run.benchmarks[i] as BenchmarkResult);
    });
  }

  private async upsertRun(run: RunResult, source: string): Promise<void> {
    await this.db.run(
      `INSERT INTO runs (run_id, started_at, finished_at, tool_version, git_commit, git_branch, git_dirty, host, devices, source, interleaved, group_id, shard_index, shard_count, capacity)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, devices = excluded.devices, capacity = excluded.capacity`,
      [
        run.run_id,
        run.started_at,
        run.finished_at,
        run.tool.version,
        run.git?.commit ?? null,
        run.git?.branch ?? null,
        run.git ? run.git.dirty : null,
        JSON.stringify(run.host),
        JSON.stringify(run.devices),
        source,
        run.interleaved ?? null,
        run.group ?? null,
        run.shard?.index ?? null,
        run.shard?.count ?? null,
        json(run.capacity),
      ],
    );
  }

  private async writeBenchmark(runId: string, position: number, b: BenchmarkResult): Promise<void> {
    await this.db.run('DELETE FROM device_samples WHERE run_id = ? AND position = ?', [runId, position]);
    await this.db.run('DELETE FROM iterations WHERE run_id = ? AND position = ?', [runId, position]);
    await this.db.run('DELETE FROM load_request_chunks WHERE run_id = ? AND position = ?', [runId, position]);
    await this.db.run('DELETE FROM benchmarks WHERE run_id = ? AND position = ?', [runId, position]);
    const count = hasRequestRecords(b) ? await this.writeRecords(runId, position, b) : null;
    await this.db.run(
      `INSERT INTO benchmarks (run_id, position, name, config_hash, status, config, error, engine, model, phases, validity, summary, monitor, server_check, load_summary, request_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [runId, position, b.config.name, b.config.hash, b.status, JSON.stringify(b.config), json(b.error), json(b.engine), json(b.model), JSON.stringify(b.phases_ms), json(b.validity), json(b.summary), json(b.monitor), json(b.server_check ?? null), json(b.load ?? null), count],
    );
    // multi-row inserts: one round trip per few hundred rows, not one per row
    await this.insertRows(
      'iterations',
      ['run_id', 'position', 'idx', 't0_ns', 'e2e_ms', 'ttft_ms', 'itl_ms', 'tokens_per_s', 'decode_tokens_per_s', 'token_ms', 'token_ms_by_row', 'new_tokens', 'output_sample', 'monitor_status', 'monitor_reason'],
      b.iterations.map((it) => [runId, position, it.index, it.t0_ns, it.e2e_ms, it.ttft_ms, it.itl_ms, it.tokens_per_s, it.decode_tokens_per_s, JSON.stringify(it.token_ms), json(it.token_ms_by_row), JSON.stringify(it.new_tokens), it.output_sample, it.monitor.status, it.monitor.reason]),
    );
    await this.insertRows(
      'device_samples',
      ['run_id', 'position', 'idx', 't_ms', 'device', 'readings'],
      b.iterations.flatMap((it) =>
        it.monitor.samples.map((sample) => {
          const { t_ms, device, ...readings } = sample;
          return [runId, position, it.index, t_ms, device, JSON.stringify(readings)];
        }),
      ),
    );
  }

  /** A load run's records, read one at a time from where they are, as chunks of JSONL rows; returns how many. */
  private async writeRecords(runId: string, position: number, b: BenchmarkResult): Promise<number> {
    let count = 0;
    let chunk = 0;
    let lines: string[] = [];
    const flush = async (): Promise<void> => {
      await this.db.run('INSERT INTO load_request_chunks (run_id, position, chunk, records) VALUES (?, ?, ?, ?)', [runId, position, chunk++, lines.join('\n')]);
      lines = [];
    };
    for await (const r of requestRecords(b)) {
      lines.push(JSON.stringify(r));
      count++;
      if (lines.length === RECORDS_PER_CHUNK) await flush();
    }
    if (lines.length > 0) await flush();
    return count;
  }

  /** The records of benchmark `position` of a stored run, one chunk in memory at a time. */
  async *requestRecords(runId: string, position: number): AsyncGenerator<LoadRequestRecord> {
    for (let chunk = 0; ; chunk++) {
      const [row] = await this.db.all<{ records: string }>('SELECT records FROM load_request_chunks WHERE run_id = ? AND position = ? AND chunk = ?', [runId, position, chunk]);
      if (!row) return;
      for (const line of row.records.split('\n')) yield JSON.parse(line) as LoadRequestRecord;
    }
  }

  /** INSERTs `rows` in chunks that stay under both databases' limits on bound parameters. */
  private async insertRows(table: string, columns: readonly string[], rows: readonly SqlParam[][]): Promise<void> {
    const perChunk = Math.max(1, Math.floor(30000 / columns.length));
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (let i = 0; i < rows.length; i += perChunk) {
      const chunk = rows.slice(i, i + perChunk);
      await this.db.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
    }
  }

  /** Run ids starting with `prefix` (a full id or its first characters). */
  async findRuns(prefix: string): Promise<string[]> {
    const rows = await this.db.all<{ run_id: string }>('SELECT run_id FROM runs WHERE run_id LIKE ? ORDER BY started_at', [`${prefix}%`]);
    return rows.map((r) => r.run_id);
  }

  /** The runs of a group, oldest first, with their shard. */
  async runsOfGroup(group: string): Promise<{ runId: string; shard: { index: number; count: number } | null }[]> {
    const rows = await this.db.all<{ run_id: string; shard_index: number | null; shard_count: number | null }>('SELECT run_id, shard_index, shard_count FROM runs WHERE group_id = ? ORDER BY started_at, run_id', [group]);
    return rows.map((r) => ({ runId: r.run_id, shard: r.shard_count === null ? null : { index: Number(r.shard_index), count: Number(r.shard_count) } }));
  }

  /**
   * Hashes of the configs stored with status ok in a group (a resubmitted shard skips them): by any
   * run, or, given `parts`, by every part of a load job of that many parts (a load value's parts
   * only measure together, so a value is done when all of them are).
   */
  async okConfigHashesOfGroup(group: string, parts?: number): Promise<Set<string>> {
    const rows =
      parts === undefined
        ? await this.db.all<{ config_hash: string }>("SELECT DISTINCT b.config_hash FROM benchmarks b JOIN runs r ON r.run_id = b.run_id WHERE r.group_id = ? AND b.status = 'ok'", [group])
        : await this.db.all<{ config_hash: string }>(
            "SELECT b.config_hash FROM benchmarks b JOIN runs r ON r.run_id = b.run_id WHERE r.group_id = ? AND r.shard_count = ? AND b.status = 'ok' GROUP BY b.config_hash HAVING COUNT(DISTINCT r.shard_index) = ?",
            [group, parts, parts],
          );
    return new Set(rows.map((r) => r.config_hash));
  }

  /** The database server's clock, in ms since the epoch: the one clock every part of a sharded load run reads. */
  async serverNowMs(): Promise<number> {
    const [row] = await this.db.all<{ ms: number }>(`SELECT ${this.nowMsSql()} AS ms`);
    return Number(row?.ms);
  }

  /** Registers part `shard` of load config `configHash` in `group`, stamped with the server's clock (again: re-stamped). */
  async registerLoadPart(group: string, configHash: string, shard: { index: number; count: number }, host: string): Promise<void> {
    await this.db.run(
      `INSERT INTO load_parts (group_id, config_hash, shard_index, shard_count, host, registered_ms) VALUES (?, ?, ?, ?, ?, ${this.nowMsSql()})
       ON CONFLICT (group_id, config_hash, shard_index) DO UPDATE SET shard_count = excluded.shard_count, host = excluded.host, registered_ms = excluded.registered_ms`,
      [group, configHash, shard.index, shard.count, host],
    );
  }

  /**
   * Claims part `shard` of `group` for `command` as `holder` (unique per process): free, already
   * this holder's, or taken over from a holder that `isGone` says is dead or that has not beaten
   * for `staleMs` (server clock). Returns the claim that stands in the way, or null when it is ours.
   */
  async claimShard(group: string, command: string, shard: { index: number; count: number }, holder: ShardHolder, staleMs: number, isGone: (h: ShardClaim) => boolean): Promise<ShardClaim | null> {
    const key = [group, command, shard.index];
    await this.db.run(
      `INSERT INTO shard_claims (group_id, command, shard_index, shard_count, holder, host, pid, claimed_ms, beat_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ${this.nowMsSql()}, ${this.nowMsSql()}) ON CONFLICT (group_id, command, shard_index) DO NOTHING`,
      [...key, shard.count, holder.id, holder.host, holder.pid],
    );
    const current = async (): Promise<ShardClaim> => {
      const [row] = await this.db.all<ShardClaim>(`SELECT holder AS id, host, pid, beat_ms, ${this.nowMsSql()} - beat_ms AS age_ms FROM shard_claims WHERE group_id = ? AND command = ? AND shard_index = ?`, key);
      return { ...(row as ShardClaim), pid: Number(row?.pid), beat_ms: Number(row?.beat_ms), age_ms: Number(row?.age_ms) };
    };
    const before = await current();
    if (before.id === holder.id) return null;
    if (before.age_ms <= staleMs && !isGone(before)) return before;
    // taken over only from the very claim seen: of two processes taking it at once, one wins
    await this.db.run(`UPDATE shard_claims SET holder = ?, host = ?, pid = ?, shard_count = ?, claimed_ms = ${this.nowMsSql()}, beat_ms = ${this.nowMsSql()} WHERE group_id = ? AND command = ? AND shard_index = ? AND holder = ?`, [
      holder.id,
      holder.host,
      holder.pid,
      shard.count,
      ...key,
      before.id,
    ]);
    const after = await current();
    return after.id === holder.id ? null : after;
  }

  /** Says that `holder` still runs its part (its claim is not stale). */
  async beatShard(group: string, command: string, index: number, holder: ShardHolder): Promise<void> {
    await this.db.run(`UPDATE shard_claims SET beat_ms = ${this.nowMsSql()} WHERE group_id = ? AND command = ? AND shard_index = ? AND holder = ?`, [group, command, index, holder.id]);
  }

  /** Gives the part up (its run ended). */
  async releaseShard(group: string, command: string, index: number, holder: ShardHolder): Promise<void> {
    await this.db.run('DELETE FROM shard_claims WHERE group_id = ? AND command = ? AND shard_index = ? AND holder = ?', [group, command, index, holder.id]);
  }

  /** The parts of a load config registered in a group with `count` parts since `sinceMs` (server clock): how many, and the latest registration. */
  async loadPartsRegistered(group: string, configHash: string, count: number, sinceMs: number): Promise<{ parts: number; lastMs: number | null }> {
    const [row] = await this.db.all<{ parts: number; last_ms: number | null }>(
      'SELECT COUNT(*) AS parts, MAX(registered_ms) AS last_ms FROM load_parts WHERE group_id = ? AND config_hash = ? AND shard_count = ? AND registered_ms >= ?',
      [group, configHash, count, sinceMs],
    );
    return { parts: Number(row?.parts ?? 0), lastMs: row?.last_ms === null || row?.last_ms === undefined ? null : Number(row.last_ms) };
  }

  /** The step of the server's clock as serverNowMs reads it: SQLite's 'now' has milliseconds, PostgreSQL microseconds. */
  get clockResolutionMs(): number {
    return this.db.dialect === 'postgres' ? 0.001 : 1;
  }

  private nowMsSql(): string {
    return this.db.dialect === 'postgres' ? '(extract(epoch from clock_timestamp()) * 1000)::double precision' : "((julianday('now') - 2440587.5) * 86400000.0)";
  }

  /** The latest run whose git commit starts with `commit`. */
  async latestRunForCommit(commit: string): Promise<string | undefined> {
    const rows = await this.db.all<{ run_id: string }>('SELECT run_id FROM runs WHERE git_commit LIKE ? ORDER BY started_at DESC LIMIT 1', [`${commit}%`]);
    return rows[0]?.run_id;
  }

  /** A stored run as a result object (schema tokenbench.run/v1). */
  async getRun(runId: string): Promise<RunResult> {
    const [run] = await this.db.all<RunRow>('SELECT * FROM runs WHERE run_id = ?', [runId]);
    if (!run) throw new InputError('store', `run ${runId} is not in store ${redactUrl(this.url)}`);
    const benchmarks = await this.db.all<BenchmarkRow>('SELECT * FROM benchmarks WHERE run_id = ? ORDER BY position', [runId]);
    const iterations = await this.db.all<IterationRow>('SELECT * FROM iterations WHERE run_id = ? ORDER BY position, idx', [runId]);
    const samples = await this.db.all<{ position: number; idx: number; t_ms: number; device: string; readings: string }>(
      'SELECT position, idx, t_ms, device, readings FROM device_samples WHERE run_id = ? ORDER BY position, idx, t_ms',
      [runId],
    );
    const result: RunResult = {
      schema: RESULT_SCHEMA,
      run_id: run.run_id,
      started_at: run.started_at,
      finished_at: run.finished_at,
      tool: { name: 'tokenbench', version: run.tool_version },
      git: run.git_commit === null ? null : { commit: run.git_commit, branch: run.git_branch, dirty: Boolean(run.git_dirty) },
      host: JSON.parse(run.host),
      devices: JSON.parse(run.devices),
      percentile_method: 'linear interpolation between order statistics (numpy default)',
      ...(run.interleaved ? { interleaved: true } : {}),
      ...(run.group_id !== null && run.group_id !== undefined ? { group: run.group_id } : {}),
      ...(run.shard_count !== null && run.shard_count !== undefined ? { shard: { index: Number(run.shard_index), count: Number(run.shard_count) } } : {}),
      ...(run.capacity ? { capacity: JSON.parse(run.capacity) } : {}),
      benchmarks: benchmarks.map((b) => ({
        config: JSON.parse(b.config),
        status: b.status as BenchmarkResult['status'],
        error: parse(b.error),
        engine: parse(b.engine),
        model: parse(b.model),
        phases_ms: JSON.parse(b.phases),
        validity: parse(b.validity),
        summary: parse(b.summary),
        monitor: parse(b.monitor),
        ...(b.server_check ? { server_check: parse(b.server_check) } : {}),
        // runs stored before request records moved to chunks keep theirs inline
        ...(b.load_requests ? { requests: JSON.parse(b.load_requests) as LoadRequestRecord[] } : {}),
        ...(b.request_count !== null && b.request_count !== undefined ? { request_count: Number(b.request_count) } : {}),
        ...(b.load_summary ? { load: JSON.parse(b.load_summary) as LoadSummary } : {}),
        iterations: iterations
          .filter((it) => Number(it.position) === Number(b.position))
          .map((it) => ({
            index: Number(it.idx),
            t0_ns: it.t0_ns,
            e2e_ms: Number(it.e2e_ms),
            ttft_ms: Number(it.ttft_ms),
            itl_ms: Number(it.itl_ms),
            tokens_per_s: Number(it.tokens_per_s),
            decode_tokens_per_s: Number(it.decode_tokens_per_s),
            token_ms: JSON.parse(it.token_ms),
            ...(it.token_ms_by_row ? { token_ms_by_row: JSON.parse(it.token_ms_by_row) } : {}),
            new_tokens: JSON.parse(it.new_tokens),
            output_sample: it.output_sample,
            monitor: {
              status: it.monitor_status as never,
              reason: it.monitor_reason,
              samples: samples
                .filter((s) => Number(s.position) === Number(b.position) && Number(s.idx) === Number(it.idx))
                .map((s) => ({ t_ms: Number(s.t_ms), device: s.device, ...JSON.parse(s.readings) })),
            },
          })),
      })),
    };
    const parsed = RunResultSchema.parse(result);
    for (const [i, b] of benchmarks.entries()) {
      const stored = parsed.benchmarks[i];
      if (stored && !b.load_requests && b.request_count !== null && b.request_count !== undefined) setRecordSource(stored, () => storedRecords(this.url, runId, Number(b.position)));
    }
    return parsed;
  }

  /** A config's runs over time, oldest first, with the summary of one metric. */
  async history(filter: { name?: string; hash?: string; group?: string }, metric: string): Promise<HistoryRow[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (filter.group) {
      where.push('r.group_id = ?');
      params.push(filter.group);
    }
    if (filter.name) {
      where.push('b.name = ?');
      params.push(filter.name);
    }
    if (filter.hash) {
      where.push('b.config_hash LIKE ?');
      params.push(`${filter.hash}%`);
    }
    const rows = await this.db.all<{ run_id: string; started_at: string; git_commit: string | null; name: string; config_hash: string; status: string; summary: string | null; shard_index: number | null; shard_count: number | null }>(
      `SELECT r.run_id, r.started_at, r.git_commit, b.name, b.config_hash, b.status, b.summary, r.shard_index, r.shard_count
       FROM benchmarks b JOIN runs r ON r.run_id = b.run_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.started_at, b.position`,
      params,
    );
    return rows.map((r) => {
      const stats = parse<Record<string, { p50: number; mean: number; n: number } | null>>(r.summary)?.[metric] ?? null;
      const shard = r.shard_count === null ? null : { index: Number(r.shard_index), count: Number(r.shard_count) };
      return { run_id: r.run_id, started_at: r.started_at, git_commit: r.git_commit, name: r.name, config_hash: r.config_hash, status: r.status, shard, p50: stats?.p50 ?? null, mean: stats?.mean ?? null, n: stats?.n ?? null };
    });
  }
}

/** Reads a result file: tokenbench's own (validated), or throws an InputError naming the file. */
export function readResultFile(path: string): RunResult {
  if (!existsSync(path)) throw new InputError('result_file', `result file ${path}: not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError('result_file', `result file ${path}: not JSON (${errorMessage(err)})`);
  }
  const schema = (raw as { schema?: unknown })?.schema;
  if (typeof schema === 'string' && schema.startsWith('tokenbench.run/') && schema !== RESULT_SCHEMA) {
    throw new InputError('result_file', `result file ${path}: schema ${schema} is not one this version reads (${RESULT_SCHEMA}); upgrade tokenbench`);
  }
  if (schema !== RESULT_SCHEMA) throw new InputError('result_file', `result file ${path}: not a tokenbench result (no "schema": "${RESULT_SCHEMA}")`);
  const parsed = RunResultSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('result_file', `result file ${path}: invalid at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  // records kept beside the result file are read from there when needed
  for (const b of parsed.data.benchmarks) if (b.requests_file) attachRecordsFile(b, resolve(dirname(path), b.requests_file));
  return parsed.data;
}
