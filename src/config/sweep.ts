/**
 * From raw configs (files or flags, any field possibly a list) to validated, named, hashed
 * configs: list-valued fields are cross-multiplied in a stable order (field order of FIELDS, values
 * in the order given) and configs with the same hash run once.
 */
import { parsePromptReuse } from './prompt-reuse.js';
import { InputError } from '../util/errors.js';
import { ENGINE_DEVICES, ENGINE_DTYPES, ENGINE_OPTIONS, type OptionKind } from './engine-options.js';
import {
  type BenchmarkConfig,
  ENGINE_DEFAULTS,
  type EngineName,
  type EngineOptionValue,
  FIELD_NAMES,
  FIELDS,
  type FieldKind,
  type NamedConfig,
} from './fields.js';
import { configHash } from './hash.js';
import { inferName } from './naming.js';

/** A config as read from a file or flags: any field may be a list of values. */
export interface RawConfig {
  fields: Record<string, unknown>;
  /** Where it came from, for messages: 'command line', 'config file b.yaml, entry 2'. */
  where: string;
  /**
   * Fields whose values were given as text (command-line flags), so "2" may be read as a number;
   * in a file a number must be written as one. Absent: every field is text.
   */
  textFields?: ReadonlySet<string>;
}

/** A number written out in decimal (no hex, no Infinity); text from flags. */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function describe(value: unknown): string {
  // JSON would print Infinity and NaN (YAML's .inf, .nan) as null
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

function allowedText(kind: FieldKind | OptionKind): string {
  switch (kind.type) {
    case 'int':
      return `an integer >= ${kind.min}`;
    case 'number':
      return kind.exclusiveMin ? `a number > ${kind.min}` : `a number >= ${kind.min}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'string':
      return 'a non-empty string';
    case 'options':
      return 'an object of key: value';
    case 'int-or':
      return `an integer >= ${kind.min} or one of ${kind.words.join(', ')}`;
    case 'url':
      return 'an http:// or https:// URL';
    case 'number-positive':
      return 'a number > 0';
    case 'prompt-reuse':
      return 'unique, repeat or prefix=N (N >= 1)';
  }
}

/** Checks (and coerces from text) one scalar value; throws an InputError naming the field. */
function checkValue(kind: FieldKind | OptionKind, value: unknown, label: string, where: string, text = true): unknown {
  const fail = (): never => {
    const quoted = !text && typeof value === 'string' && ['int', 'number', 'bool', 'int-or', 'number-positive'].includes(kind.type) ? ' (text; write it without quotes)' : '';
    throw new InputError('config', `${where}: ${label} must be ${allowedText(kind)}, got ${describe(value)}${quoted}`);
  };
  switch (kind.type) {
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : text && typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : NaN;
      // an integer past 2^53 is not the number written: refused, not rounded
      if (!Number.isFinite(n) || (kind.type === 'int' && !Number.isSafeInteger(n))) fail();
      const exclusive = kind.type === 'number' && kind.exclusiveMin === true;
      if (exclusive ? n <= kind.min : n < kind.min) fail();
      return n;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (text && (value === 'true' || value === 'false')) return value === 'true';
      return fail();
    case 'enum':
      if (typeof value !== 'string' || !kind.values.includes(value)) fail();
      return value;
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') fail();
      return value;
    case 'options':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail();
      return value;
    case 'int-or': {
      if (typeof value === 'string' && kind.words.includes(value)) return value;
      return checkValue({ type: 'int', min: kind.min }, value, label, where, text);
    }
    case 'url':
      if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) fail();
      return value;
    case 'number-positive':
      return checkValue({ type: 'number', min: 0, exclusiveMin: true }, value, label, where, text);
    case 'prompt-reuse':
      if (typeof value !== 'string' || parsePromptReuse(value) === null) fail();
      return value;
  }
}

/** The values of a field: a list is a sweep, a scalar one value, an absent field its default. */
function valuesOf(raw: Record<string, unknown>, field: keyof BenchmarkConfig, where: string, text: boolean): unknown[] {
  const spec = FIELDS[field];
  const value = raw[field];
  if (value === undefined) return [spec.default];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InputError('config', `${where}: ${field} is an empty list; give at least one value`);
  return list.map((v) => checkValue(spec.kind, v, field, where, text));
}

/** Engine options of one config, each value possibly a list: expanded to every combination. */
function expandEngineOptions(engine: EngineName, options: Record<string, unknown>, where: string, text: boolean): Record<string, EngineOptionValue>[] {
  const allowed = ENGINE_OPTIONS[engine];
  let combos: Record<string, EngineOptionValue>[] = [{}];
  for (const key of Object.keys(options).sort()) {
    const spec = allowed[key];
    if (!spec) {
      const names = Object.keys(allowed);
      throw new InputError(
        'config',
        `${where}: engine option '${key}' is not known to engine ${engine}; allowed: ${names.length > 0 ? names.join(', ') : 'none'}`,
      );
    }
    const raw = options[key];
    const list = Array.isArray(raw) ? raw : [raw];
    const values = list.map((v) => checkValue(spec.kind, v, `engine option ${key}`, where, text) as EngineOptionValue);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

/** Cross product of per-field value lists, in field order. */
function crossProduct(lists: [keyof BenchmarkConfig, unknown[]][]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [field, values] of lists) out = out.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v })));
  return out;
}

/** Validates and expands raw configs into named, hashed, de-duplicated configs. */
export function expandConfigs(raws: readonly RawConfig[]): NamedConfig[] {
  const seen = new Set<string>();
  const out: NamedConfig[] = [];
  for (const { fields, where, textFields } of raws) {
    const isText = (field: string): boolean => textFields === undefined || textFields.has(field);
    for (const key of Object.keys(fields)) {
      if (key !== 'name' && !(FIELD_NAMES as string[]).includes(key)) {
        throw new InputError('config', `${where}: unknown field '${key}'; allowed: name, ${FIELD_NAMES.join(', ')}`);
      }
    }
    const givenName = fields.name;
    if (givenName !== undefined && (typeof givenName !== 'string' || givenName.trim() === '')) {
      throw new InputError('config', `${where}: name must be a non-empty string, got ${describe(givenName)}`);
    }
    // a value the command line set over a file's says so: the file is not where to fix it
    const whereOf = (f: string): string => (textFields?.has(f) ? `command line (over ${where})` : where);
    const lists = FIELD_NAMES.map((f) => [f, valuesOf(fields, f, whereOf(f), isText(f))] as [keyof BenchmarkConfig, unknown[]]);
    const partials = crossProduct(lists);
    const expanded: BenchmarkConfig[] = [];
    for (const p of partials) {
      const engine = p.engine as EngineName;
      const base = {
        ...p,
        device: (p.device as string | undefined) ?? ENGINE_DEFAULTS[engine].device,
        dtype: (p.dtype as string | undefined) ?? ENGINE_DEFAULTS[engine].dtype,
      } as BenchmarkConfig;
      const devices = ENGINE_DEVICES[engine];
      if (devices && !devices.includes(base.device)) {
        throw new InputError('config', `${where}: device '${base.device}' is not one engine ${engine} knows; allowed: ${devices.join(', ')}`);
      }
      const dtypes = ENGINE_DTYPES[engine];
      if (!dtypes.includes(base.dtype)) {
        throw new InputError('config', `${where}: dtype '${base.dtype}' is not one engine ${engine} knows; allowed: ${dtypes.join(', ')}`);
      }
      for (const options of expandEngineOptions(engine, base.engine_options as Record<string, unknown>, whereOf('engine_options'), isText('engine_options'))) {
        const shared = /^prefix=(\d+)$/.exec(String(options.prompt_reuse ?? ''));
        if (shared && Number(shared[1]) > base.sequence_length) {
          throw new InputError('config', `${whereOf('engine_options')}: engine option prompt_reuse ${options.prompt_reuse} shares more tokens than the prompt has (sequence_length ${base.sequence_length}); give prefix=N with N <= ${base.sequence_length}`);
        }
        expanded.push({ ...base, engine_options: options });
      }
    }
    for (const config of expanded) {
      const hash = configHash(config);
      if (seen.has(hash)) continue;
      seen.add(hash);
      const inferred = inferName(config);
      const name = givenName === undefined ? inferred : expanded.length > 1 ? `${givenName}/${inferred}` : givenName;
      out.push({ name, hash, ...orderedConfig(config) });
    }
  }
  return out;
}

/** The config with its fields in the documented order. */
function orderedConfig(c: BenchmarkConfig): BenchmarkConfig {
  const out: Record<string, unknown> = {};
  for (const f of FIELD_NAMES) out[f] = c[f];
  return out as unknown as BenchmarkConfig;
}
