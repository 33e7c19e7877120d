/**
 * Multi-turn sessions (`load --multi-turn`): what each user says, turn after turn. From a dataset,
 * one conversation per JSONL line (ShareGPT `{"conversations": [{"from": "human", "value"}, ...]}`
 * or `{"messages": [{"role": "user", "content"}, ...]}`): its system message (if it opens with one)
 * and its user messages in order, the dataset's own replies left out (each turn carries the replies
 * the server actually gave). Or synthetic:
 * `turns` user messages of `--input-len` tokens each, unique from their first token.
 */
import { readFileSync } from 'node:fs';
import type { PromptReuse } from '../config/prompt-reuse.js';
import type { OpenAiClient } from '../http/openai-client.js';
import { ServerPrompts } from '../http/server-prompts.js';
import { InputError } from '../util/errors.js';

export interface SessionSpec {
  /** The conversation's own system message, sent first in every turn (null: none). */
  system: string | null;
  /** The user's messages in order, each with the tokens to ask back. */
  turns: { user: string; outputTokens: number }[];
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

/** Every conversation of a JSONL dataset as a session; a line without one is bad input naming it. */
export function datasetSessions(path: string, outputLen: number): SessionSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError('config_file', `--dataset ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const sessions: SessionSpec[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new InputError('config_file', `--dataset ${path}:${i + 1}: not JSON; each line must be one JSON object`);
    }
    const conversation = conversationOf((typeof line === 'object' && line !== null ? line : {}) as Record<string, unknown>);
    if (conversation === null) throw new InputError('config_file', `--dataset ${path}:${i + 1}: --multi-turn needs a conversation on every line, {"conversations": [{"from": "human", "value": ...}, ...]} or {"messages": [{"role": "user", "content": ...}, ...]}`);
    if (conversation.users.length === 0) throw new InputError('config_file', `--dataset ${path}:${i + 1}: the conversation has no user message`);
    sessions.push({ system: conversation.system, turns: conversation.users.map((user) => ({ user, outputTokens: outputLen })) });
  }
  if (sessions.length === 0) throw new InputError('config_file', `--dataset ${path}: no conversations in it`);
  return sessions;
}

/** `count` synthetic sessions of `turns` user messages, each `inputLen` tokens (by the server's tokenizer where it has one) and unique from its first token. */
export async function syntheticSessions(client: OpenAiClient, count: number, turns: number, inputLen: number, outputLen: number): Promise<SessionSpec[]> {
  const unique: PromptReuse = { mode: 'unique' };
  const source = await ServerPrompts.create(client, unique, inputLen);
  const sessions: SessionSpec[] = [];
  for (let i = 0; i < count; i++) {
    const spec: SessionSpec = { system: null, turns: [] };
    for (let k = 0; k < turns; k++) {
      const p = await source.take(inputLen);
      spec.turns.push({ user: p.text ?? '', outputTokens: outputLen });
    }
    sessions.push(spec);
  }
  return sessions;
}
