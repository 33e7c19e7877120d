/**
 * Prompts of exactly `sequence_length` tokens: the default text, repeated until it is long
 * enough, tokenized by the engine's own tokenizer and cut at token level.
 */
import type { Engine } from '../engines/engine.js';
import { DEFAULT_TEXT } from '../synth/default-text.js';
import { RunError } from '../util/errors.js';

/** `batchSize` identical rows of exactly `length` token ids. */
export async function exactLengthRows(engine: Engine, length: number, batchSize: number): Promise<number[][]> {
  const perCopy = (await engine.tokenize(DEFAULT_TEXT)).length;
  if (perCopy === 0) throw new RunError('engine_load', 'the tokenizer gives no tokens for the default text');
  // one extra copy, as tokens can merge across the joins
  let text = DEFAULT_TEXT.repeat(Math.ceil(length / perCopy) + 1);
  let ids = await engine.tokenize(text);
  while (ids.length < length) {
    text += DEFAULT_TEXT;
    ids = await engine.tokenize(text);
  }
  // at least `length` ids by the loop above, so every row has exactly `length`
  const row = ids.slice(0, length);
  return Array.from({ length: batchSize }, () => [...row]);
}
