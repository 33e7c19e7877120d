/**
 * JSONL datasets (`load --dataset`): read line by line, a line that is not a JSON object bad input
 * naming the file and line; and the conversation a line holds, ShareGPT's `{"conversations": [{"from",
 * "value"}, ...]}` or `{"messages": [{"role", "content"}, ...]}`.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** The lines of a JSONL dataset, parsed, with their line numbers (blank lines skipped). */
export function datasetLines(path: string): { line: Record<string, unknown>; number: number }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('config_file', `--dataset ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const out: { line: Record<string, unknown>; number: number }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new InputError('config_file', `--dataset ${path}:${i + 1}: not JSON; each line must be one JSON object`);
    }
    out.push({ line: (typeof line === 'object' && line !== null ? line : {}) as Record<string, unknown>, number: i + 1 });
  }
  return out;
}

/** The user turns of one dataset line and its system message, or null when it holds no conversation. */
export function conversationOf(line: Record<string, unknown>): { system: string | null; users: string[] } | null {
  const turns = Array.isArray(line.conversations) ? line.conversations : Array.isArray(line.messages) ? line.messages : null;
  if (!turns) return null;
  const users: string[] = [];
  let system: string | null = null;
  for (const t of turns as Record<string, unknown>[]) {
    const who = t?.from ?? t?.role;
    const value = t?.value ?? t?.content;
    if (typeof value !== 'string') continue;
    if (who === 'human' || who === 'user') users.push(value);
    else if (who === 'system' && users.length === 0) system = value;
  }
  return { system, users };
}

