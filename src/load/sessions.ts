/**
 * Multi-turn sessions (`load --multi-turn`): what each user says, turn after turn. From a dataset,
 * one conversation per JSONL line (ShareGPT `{"conversations": [{"from": "human", "value"}, ...]}`
 * or `{"messages": [{"role": "user", "content"}, ...]}`): its system message (if it opens with one)
 * and its user messages in order, the dataset's own replies left out (each turn carries the replies
 * the server actually gave). Or synthetic:
 * `turns` user messages of `--input-len` tokens each, unique from their first token.
 */
import type { PromptReuse } from '../config/prompt-reuse.js';
import type { OpenAiClient } from '../http/openai-client.js';
import { ServerPrompts } from '../http/server-prompts.js';
import { InputError } from '../util/errors.js';
import { conversationOf, datasetLines } from './dataset.js';

export interface SessionSpec {
  /** The conversation's own system message, sent first in every turn (null: none). */
  system: string | null;
  /** The user's messages in order, each with the tokens to ask back. */
  turns: { user: string; outputTokens: number }[];
}

/** Every conversation of a JSONL dataset as a session; a line without one is bad input naming it. */
export function datasetSessions(path: string, outputLen: number): SessionSpec[] {
  const sessions: SessionSpec[] = [];
  for (const { line, number } of datasetLines(path)) {
    const conversation = conversationOf(line);
    if (conversation === null) throw new InputError('config_file', `--dataset ${path}:${number}: --multi-turn needs a conversation on every line, {"conversations": [{"from": "human", "value": ...}, ...]} or {"messages": [{"role": "user", "content": ...}, ...]}`);
    if (conversation.users.length === 0) throw new InputError('config_file', `--dataset ${path}:${number}: the conversation has no user message`);
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
