/** Numbers given as flag text: decimal only (no hex, no Infinity), integers exact, within their range. */
import { DECIMAL } from '../config/sweep.js';
import { InputError } from '../util/errors.js';

export interface NumberRule {
  int?: boolean;
  min: number;
  /** min itself is not allowed. */
  exclusive?: boolean;
}

/** `value` of `--flag` as a number by `rule`, or an InputError naming the flag, what it got and what it takes. */
export function parseNumber(command: string, flag: string, value: string, rule: NumberRule): number {
  const n = Number(value);
  const bad =
    !DECIMAL.test(value.trim()) ||
    !Number.isFinite(n) ||
    (rule.int && !Number.isSafeInteger(n)) ||
    (rule.exclusive ? n <= rule.min : n < rule.min);
  if (bad) throw new InputError('usage', `${command}: --${flag} must be ${rule.int ? 'an integer' : 'a number'} ${rule.exclusive ? '>' : '>='} ${rule.min}${rule.int ? ` (at most ${Number.MAX_SAFE_INTEGER})` : ''}, written in decimal; got '${value}'`);
  return n;
}
