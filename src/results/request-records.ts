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
import { StringDecoder } from 'node:string_decoder';
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
  setRecordSource(b, () => countedRecords(b, path, readRecordsFile(path)));
}

/**
 * `records` of `b`, checked against the count the result gives: a file emptied, cut or added to
 * after the run is an InputError naming both, so that no figure is read from it.
 */
async function* countedRecords(b: BenchmarkResult, path: string, records: AsyncIterable<LoadRequestRecord>): AsyncGenerator<LoadRequestRecord> {
  const mismatch = (held: string): InputError =>
    new InputError('result_file', `${b.config.name}: its records file ${path} holds ${held} records where the result counts ${b.request_count}; it was changed after the run, so nothing is read from it (restore it as written)`);
  let n = 0;
  for await (const r of records) {
    n++;
    if (b.request_count !== undefined && n > b.request_count) throw mismatch(`more than ${b.request_count}`);
    yield r;
  }
  if (b.request_count !== undefined && n !== b.request_count) throw mismatch(String(n));
}

/** Reads every record of `run` once, so that a records file that is missing or does not hold what the result counts is refused before anything is written. */
export async function checkRecords(run: { benchmarks: readonly BenchmarkResult[] }): Promise<void> {
  for (const b of run.benchmarks) for await (const _ of requestRecords(b));
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

  /** Closes the file without saying it holds anything (the records could not all be read). */
  async abandon(): Promise<void> {
    await this.writer?.close().catch(() => undefined);
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
      const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
      if (writer.whole === 0) {
        delete b.request_count;
        return `request records ${writer.path}: cannot write them (${code}); the value's summary is kept, its records are not`;
      }
      // the file holds the first records whole: it stays, and says how many are missing
      attachRecordsFile(b, writer.path);
      b.request_count = writer.whole;
      b.records_missing = this.count - writer.whole;
      return `request records ${writer.path}: writing stopped (${code}) after ${writer.whole} of ${this.count} records; the file holds those ${writer.whole} whole, and the value's summary counts all ${this.count}`;
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
  try {
    for await (const r of requestRecords(b)) sink.keep(r);
  } catch (err) {
    await sink.abandon();
    throw err;
  }
  return sink.finish(b);
}

/** The records file of benchmark `position` of the result at `resultPath`. */
export function recordsPath(resultPath: string, position: number): string {
  return `${resultPath.replace(/\.json$/, '')}.requests-${position}.jsonl`;
}

/** Whether a record has the fields every reader relies on. */
const isRecord = (r: unknown): r is LoadRequestRecord => typeof r === 'object' && r !== null && typeof (r as LoadRequestRecord).index === 'number' && Array.isArray((r as LoadRequestRecord).token_ms);

/**
 * Whether the file at `path` is tokenbench's own request records: every line a record, read to the
 * end (a file that only begins like records is not overwritten); a last line without its newline,
 * a record cut by a full disk or a kill, is allowed.
 */
export function isRecordsFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    const utf8 = new StringDecoder('utf8');
    let carry = '';
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const lines = (carry + utf8.write(chunk.subarray(0, n))).split('\n');
      carry = lines.pop() as string;
      for (const line of lines) if (line.length > 0 && !isRecord(JSON.parse(line))) return false;
    }
    // the unterminated tail: a record, or the start of one
    return carry.length === 0 || carry.startsWith('{"');
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Beside a result, only tokenbench's own records files are replaced: anything else at their paths is bad input. */
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
 * rejects with the first failure (a full disk), after which nothing more is written. A chunk is
 * written whole or not at all: on a failure the file is cut back to the end of the last chunk
 * written, so it holds `whole` complete records and no part of one.
 */
export class RecordsWriter {
  private pending = '';
  private pendingCount = 0;
  private written: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Bytes of complete records in the file. */
  private bytes = 0;
  count = 0;
  /** Records in the file, whole. */
  whole = 0;

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
    this.pendingCount++;
    this.pending += `${JSON.stringify(r)}\n`;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    const text = this.pending;
    const records = this.pendingCount;
    this.pending = '';
    this.pendingCount = 0;
    if (text.length === 0 || this.failure !== null) return;
    this.written = this.written.then(async () => {
      if (this.failure !== null) return;
      const bytes = Buffer.from(text, 'utf8');
      let at = 0;
      try {
        // a write may take only part of a chunk (a disk nearly full): the rest goes in the next
        while (at < bytes.length) {
          const { bytesWritten } = await this.file.write(bytes, at, bytes.length - at, this.bytes + at);
          if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          at += bytesWritten;
        }
        this.bytes += bytes.length;
        this.whole += records;
      } catch (err) {
        this.failure = err;
        // no record cut in half: the file ends after the last whole line that reached it
        const keep = bytes.subarray(0, at).lastIndexOf(0x0a) + 1;
        let lines = 0;
        for (let i = bytes.indexOf(0x0a); i >= 0 && i < keep; i = bytes.indexOf(0x0a, i + 1)) lines++;
        this.bytes += keep;
        this.whole += lines;
        await this.file.truncate(this.bytes).catch(() => undefined);
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
