/**
 * A small flag parser: `--flag value`, `--flag=value`, and list flags that take several values
 * (`--batch-size 1 2 4` or `--batch-size 1,2,4`) for sweeps. Unknown flags are input errors.
 */
import { InputError } from '../util/errors.js';

export interface FlagSpec {
  /** none: a switch; one: a single value; many: one or more values. */
  arity: 'none' | 'one' | 'many';
  /** Split values on commas (not for values that may contain commas). */
  commas?: boolean;
  help: string;
  /** Placeholder for help output. */
  value?: string;
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
  /** Everything after a bare `--`. */
  rest: string[];
}

/** Parses `argv` against `spec`; `command` names the command in messages. */
export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>, command: string): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  let rest: string[] = [];
  const add = (name: string, values: string[]): void => {
    const s = spec[name] as FlagSpec;
    const split = s.commas === false ? values : values.flatMap((v) => v.split(','));
    // `1,,2` or `1,`: an empty value is a slip, not nothing
    if (split.some((v) => v.trim() === '') && s.arity !== 'none') throw new InputError('usage', `${command}: --${name} has an empty value in '${values.join(' ')}'; give values separated by spaces or single commas`);
    flags.set(name, [...(flags.get(name) ?? []), ...split]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg !== '-' && arg !== '-h') {
        throw new InputError('usage', `${command}: unknown option ${arg}; see 'tokenbench ${command} --help'`);
      }
      if (arg === '-h') flags.set('help', []);
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const s = spec[name];
    if (!s) throw new InputError('usage', `${command}: unknown option --${name}; see 'tokenbench ${command} --help'`);
    if (s.arity === 'none') {
      if (eq >= 0) throw new InputError('usage', `${command}: option --${name} takes no value`);
      flags.set(name, []);
      continue;
    }
    if (eq >= 0) {
      add(name, [arg.slice(eq + 1)]);
      continue;
    }
    const values: string[] = [];
    while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--') && (s.arity === 'many' || values.length === 0)) {
      values.push(argv[++i] as string);
    }
    if (values.length === 0) throw new InputError('usage', `${command}: option --${name} needs a value (${s.value ?? 'value'})`);
    add(name, values);
  }
  return { flags, positionals, rest };
}

/** The single value of a flag, or undefined; several values are an error. */
export function single(args: ParsedArgs, name: string, command: string): string | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (v.length !== 1) throw new InputError('usage', `${command}: option --${name} takes one value, got ${v.length}`);
  return v[0];
}

/** Help text for a command's flags. */
export function formatFlags(spec: Readonly<Record<string, FlagSpec>>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const value = s.arity === 'none' ? '' : s.arity === 'many' ? ` ${s.value ?? 'V'}...` : ` ${s.value ?? 'V'}`;
    return [`  --${name}${value}`, s.help];
  });
  const width = Math.max(...rows.map((r) => (r[0] as string).length)) + 2;
  return rows.map(([a, b]) => `${(a as string).padEnd(width)}${b}`).join('\n');
}
