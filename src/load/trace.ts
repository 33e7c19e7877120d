/**
 * Request traces to replay (`load --trace FILE`), in the Mooncake layout: one JSON object per line
 * with `timestamp` (ms from the trace's start), `input_length`, `output_length` and optionally
 * `hash_ids`, each id naming a block of BLOCK_TOKENS prompt tokens, so that requests sharing an id
 * share that block's tokens at that position (the last block may be partial). Read and checked
 * whole before anything is sent: a bad line is bad input naming the file and the line.
 */
import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** Prompt tokens per hash id (Mooncake's block size). */
export const BLOCK_TOKENS = 512;

export interface TraceEntry {
  /** When to send it, ms after the trace's start (before --trace-speed). */
  timestampMs: number;
  inputLength: number;
  outputLength: number;
  /** The blocks of the prompt, in order; null: a prompt unique from its first token. */
  hashIds: number[] | null;
}

export interface Trace {
  entries: TraceEntry[];
  /** sha256 of the file's bytes: the result says which trace ran. */
  sha256: string;
}

const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

/** Reads and checks a trace file; every problem is an InputError naming `path` and the line. */
export function readTrace(path: string, flag = '--trace'): Trace {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError('config_file', `${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const entries: TraceEntry[] = [];
  let last = -Infinity;
  for (const [i, raw] of bytes.toString('utf8').split('\n').entries()) {
    if (raw.trim() === '') continue;
    const where = `${flag} ${path}, line ${i + 1}`;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new InputError('config_file', `${where}: not JSON`);
    }
    if (line === null || typeof line !== 'object' || Array.isArray(line)) throw new InputError('config_file', `${where}: a trace line is a JSON object with timestamp, input_length and output_length`);
    const t = line.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new InputError('config_file', `${where}: timestamp must be a number of ms from the trace's start, >= 0, got ${JSON.stringify(t)}`);
    if (t < last) throw new InputError('config_file', `${where}: timestamp ${t} is before the line above's ${last}; a trace is in time order`);
    last = t;
    if (!isCount(line.input_length, 1)) throw new InputError('config_file', `${where}: input_length must be an integer >= 1, got ${JSON.stringify(line.input_length)}`);
    if (!isCount(line.output_length, 1)) throw new InputError('config_file', `${where}: output_length must be an integer >= 1, got ${JSON.stringify(line.output_length)}`);
    let hashIds: number[] | null = null;
    if (line.hash_ids !== undefined && line.hash_ids !== null) {
      const ids = line.hash_ids;
      if (!Array.isArray(ids) || !ids.every((h) => isCount(h, 0))) throw new InputError('config_file', `${where}: hash_ids must be a list of integers >= 0, got ${JSON.stringify(ids).slice(0, 60)}`);
      hashIds = ids.length > 0 ? (ids as number[]) : null;
    }
    entries.push({ timestampMs: t, inputLength: line.input_length, outputLength: line.output_length, hashIds });
  }
  if (entries.length === 0) throw new InputError('config_file', `${flag} ${path}: no trace lines`);
  return { entries, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Send times in ms after the measured start: each line's timestamp divided by `speed`. */
export function traceSchedule(entries: readonly TraceEntry[], speed: number): number[] {
  return entries.map((e) => e.timestampMs / speed);
}

/**
 * Where a run's block numbers start: above every unique prompt's number (ServerPrompts starts those
 * below 2^40), so no block is any other prompt, and different in every run, so a replay finds no
 * block an earlier one left in the server's cache. The parts of a sharded run share `group`, and
 * so their salt: a line's blocks are the same tokens whichever part sends it.
 */
export function randomSalt(): number {
  return 2 ** 41 + randomInt(2 ** 40);
}

/** The salt every part of group `group` uses for value `hash`. */
export function groupSalt(group: string, hash: string): number {
  return 2 ** 41 + Number.parseInt(createHash('sha256').update(`${group}\u0000${hash}`).digest('hex').slice(0, 10), 16);
}
