/**
 * A load run's per-request records, kept out of memory: written as they end to a JSONL file beside
 * the result file (one line per request, in the order they ended), and read back one at a time by
 * whatever needs them (compare, report, the store, merges). A benchmark read from a file or the
 * store knows where its records are; small ones (tests, older results) keep them inline in
 * `requests`.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../util/errors.js';
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
 * Copies `b`'s records (read from wherever they are now, a folder about to go, say) into the
 * records file of benchmark `position` beside `outputPath`, or inline without one.
 */
export async function keepRecords(b: BenchmarkResult, outputPath: string | undefined, position: number): Promise<void> {
  if (!outputPath) {
    const inline = [];
    for await (const r of requestRecords(b)) inline.push(r);
    b.requests = inline;
    return;
  }
  const writer = await RecordsWriter.create(recordsPath(outputPath, position));
  try {
    for await (const r of requestRecords(b)) writer.write(r);
  } finally {
    await writer.close();
  }
  attachRecordsFile(b, writer.path);
}

/** The records file of benchmark `position` of the result at `resultPath`. */
export function recordsPath(resultPath: string, position: number): string {
  return `${resultPath.replace(/\.json$/, '')}.requests-${position}.jsonl`;
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
      if (typeof r !== 'object' || r === null || typeof r.index !== 'number' || !Array.isArray(r.token_ms)) throw new InputError('result_file', `request records ${path}: line ${n} is not a request record`);
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

  /** Creates (or empties) the file at `path`. */
  static async create(path: string): Promise<RecordsWriter> {
    return new RecordsWriter(path, await open(path, 'w'));
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
