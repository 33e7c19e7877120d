/**
 * A load run's per-request records, kept out of memory: written as they end to a JSONL file beside
 * the result file (one line per request, in the order they ended), and read back one at a time by
 * whatever needs them (compare, report, the store, merges). A benchmark read from a file or the
 * store knows where its records are; small ones (tests, older results) keep them inline in
 * `requests`.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { errorMessage, InputError } from '../util/errors.js';
import type { BenchmarkResult, LoadRequestRecord } from './schema.js';

/** Where a benchmark's records come from, read afresh on each call. */
export type RecordSource = () => AsyncIterable<LoadRequestRecord>;

const sources = new WeakMap<BenchmarkResult, RecordSource>();

/** Says where `b`'s records are (a file, the store, other benchmarks' records). */
export function setRecordSource(b: BenchmarkResult, source: RecordSource): void {
  sources.set(b, source);
}

/** Whether `b` has per-request records (a load run), inline or elsewhere. */
export function hasRequestRecords(b: BenchmarkResult): boolean {
  return b.requests !== undefined || b.request_count !== undefined;
}

/** `b`'s records one at a time: inline ones, else from where they were written. */
export async function* requestRecords(b: BenchmarkResult): AsyncGenerator<LoadRequestRecord> {
  if (b.requests) {
    yield* b.requests;
    return;
  }
  if (b.request_count === undefined || b.request_count === 0) return;
  const source = sources.get(b);
  if (!source) throw new InputError('result_file', `${b.config.name}: its ${b.request_count} request records${b.requests_file ? ` (${b.requests_file})` : ''} are not available; keep the records file beside its result file`);
  yield* source();
}

/** Says that `b`'s records are in the JSONL file at `path` (named in the result by its base name: beside it). */
export function attachRecordsFile(b: BenchmarkResult, path: string): void {
  b.requests_file = basename(path);
  delete b.requests;
  setRecordSource(b, () => readRecordsFile(path));
}

/**
 * Where a value's records go as they come: the JSONL file of benchmark `position` beside the result
 * file (flat memory however long the run), or inline when there is no result file (library use,
 * tests).
 */
export class RecordsSink {
  private readonly inline: LoadRequestRecord[] = [];
  private count = 0;

  private constructor(private readonly writer: RecordsWriter | null) {}

  static async create(outputPath: string | undefined, position: number): Promise<RecordsSink> {
    return new RecordsSink(outputPath ? await RecordsWriter.create(recordsPath(outputPath, position)) : null);
  }

  keep(r: LoadRequestRecord): void {
    this.count++;
    if (this.writer) this.writer.write(r);
    else this.inline.push(r);
  }

  /** Closes the file and says in `b` where its records are; a failure to write them is returned (the summary stands), not thrown. */
  async finish(b: BenchmarkResult): Promise<string | null> {
    const writer = this.writer;
    if (!writer) {
      b.requests = this.inline.sort((x, y) => x.index - y.index);
      b.request_count = this.count;
      return null;
    }
    try {
      await writer.close();
    } catch (err) {
      delete b.request_count;
      return `request records ${writer.path}: cannot write them (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}); the value's summary is kept, its records are not`;
    }
    attachRecordsFile(b, writer.path);
    b.request_count = this.count;
    return null;
  }
}

/**
 * Copies `b`'s records (read from wherever they are now, a folder about to go, say) into the
 * records file of benchmark `position` beside `outputPath`, or inline without one; a failure to
 * write them is returned.
 */
export async function keepRecords(b: BenchmarkResult, outputPath: string | undefined, position: number): Promise<string | null> {
  const sink = await RecordsSink.create(outputPath, position);
  for await (const r of requestRecords(b)) sink.keep(r);
  return sink.finish(b);
}

/** The records file of benchmark `position` of the result at `resultPath`. */
export function recordsPath(resultPath: string, position: number): string {
  return `${resultPath.replace(/\.json$/, '')}.requests-${position}.jsonl`;
}

/** Whether a record has the fields every reader relies on. */
const isRecord = (r: unknown): r is LoadRequestRecord => typeof r === 'object' && r !== null && typeof (r as LoadRequestRecord).index === 'number' && Array.isArray((r as LoadRequestRecord).token_ms);

/** Whether the file at `path` is tokenbench's own request records: empty, or its first line a record. */
function isRecordsFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    if (text.length === 0) return true;
    const newline = text.indexOf('\n');
    if (newline < 0) return false;
    return isRecord(JSON.parse(text.slice(0, newline)));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses records paths that hold something other than tokenbench's request records: the user named
 * the result file, and its records files beside it may replace earlier records of that result, but
 * nothing else.
 */
export function checkRecordsPaths(resultPath: string, count: number): void {
  for (let position = 0; position < count; position++) {
    const path = recordsPath(resultPath, position);
    if (existsSync(path) && !isRecordsFile(path)) throw new InputError('result_file', `request records ${path}: a file that is not tokenbench's request records is there, and tokenbench does not overwrite it; move it, or give another --output`);
  }
}

/** The records of a JSONL file, one at a time; a line that is not a record is an InputError naming it. */
export async function* readRecordsFile(path: string): AsyncGenerator<LoadRequestRecord> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new InputError('result_file', `request records ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)}); keep the records file beside its result file`);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.length === 0) continue;
      let r: LoadRequestRecord;
      try {
        r = JSON.parse(line) as LoadRequestRecord;
      } catch {
        throw new InputError('result_file', `request records ${path}: line ${n} is not JSON; the file is cut or damaged`);
      }
      if (!isRecord(r)) throw new InputError('result_file', `request records ${path}: line ${n} is not a request record`);
      yield r;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Pending text is written out once it passes this many characters. */
const FLUSH_AT = 256 * 1024;

/**
 * Appends records to a new JSONL file as they come. Writes go out in the background in chunks, so
 * a request ending costs one JSON.stringify on the event loop; close() waits for all of them and
 * rejects with the first failure (a full disk), after which nothing more is written.
 */
export class RecordsWriter {
  private pending = '';
  private written: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  count = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  /** Creates the file at `path`, or empties it when it holds tokenbench's records (checkRecordsPaths); anything else there is refused. */
  static async create(path: string): Promise<RecordsWriter> {
    try {
      return new RecordsWriter(path, await open(path, 'wx'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isRecordsFile(path)) throw err;
      return new RecordsWriter(path, await open(path, 'w'));
    }
  }

  write(r: LoadRequestRecord): void {
    this.count++;
    this.pending += `${JSON.stringify(r)}\n`;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    const text = this.pending;
    this.pending = '';
    if (text.length === 0 || this.failure !== null) return;
    this.written = this.written.then(async () => {
      if (this.failure !== null) return;
      try {
        await this.file.write(text);
      } catch (err) {
        this.failure = err;
      }
    });
  }

  /** Writes what is pending and closes the file; rejects with the first write's failure. */
  async close(): Promise<void> {
    this.flush();
    await this.written;
    await this.file.close();
    if (this.failure !== null) throw this.failure;
  }
}
