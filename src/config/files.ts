/** Config files: `.json` (an object or a list), `.jsonl` (one object per line), `.yaml`/`.yml`. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage, InputError } from '../util/errors.js';
import type { RawConfig } from './sweep.js';

const EXTENSIONS = ['.json', '.jsonl', '.yaml', '.yml'];

function fail(path: string, what: string): never {
  throw new InputError('config_file', `config file ${path}: ${what}`);
}

function toRawConfigs(path: string, value: unknown, lineOf?: (i: number) => number): RawConfig[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(path, 'holds no config; expected an object or a list of objects');
  return list.map((entry, i) => {
    const where = lineOf ? `config file ${path}, line ${lineOf(i)}` : list.length > 1 ? `config file ${path}, entry ${i + 1}` : `config file ${path}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new InputError('config_file', `${where}: expected an object of config fields, got ${JSON.stringify(entry)}`);
    }
    return { fields: entry as Record<string, unknown>, where };
  });
}

/** Reads one config file into raw configs (validated later, with the CLI flags applied). */
export function readConfigFile(path: string): RawConfig[] {
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(ext)) fail(path, `unsupported extension '${ext || '(none)'}'; allowed: ${EXTENSIONS.join(', ')}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(path, code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : errorMessage(err));
  }
  if (ext === '.jsonl') {
    const lines: number[] = [];
    const values: unknown[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        values.push(JSON.parse(line));
      } catch (err) {
        fail(path, `line ${i + 1}: invalid JSON (${errorMessage(err)})`);
      }
      lines.push(i + 1);
    });
    return toRawConfigs(path, values, (i) => lines[i] as number);
  }
  try {
    return toRawConfigs(path, ext === '.json' ? JSON.parse(text) : parseYaml(text));
  } catch (err) {
    if (err instanceof InputError) throw err;
    return fail(path, `invalid ${ext === '.json' ? 'JSON' : 'YAML'} (${errorMessage(err)})`);
  }
}
