/** Config files: `.json` (an object or a list), `.jsonl` (one object per line), `.yaml`/`.yml`. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { errorMessage, InputError } from '../util/errors.js';
import type { RawConfig } from './sweep.js';

const EXTENSIONS = ['.json', '.jsonl', '.yaml', '.yml'];

function fail(path: string, what: string): never {
  // a parser's message may quote a binary file's bytes: keep it one readable line
  // eslint-disable-next-line no-control-regex -- control characters are what is removed here
  const printable = what.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  throw new InputError('config_file', `config file ${path}: ${printable}`);
}

/** JSON.parse that also refuses a key given twice in one object (JSON.parse keeps the last silently). */
function parseJsonStrict(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  // JSON is YAML: the YAML parser names a repeated key where JSON.parse does not
  const duplicate = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (duplicate) throw new Error(`a key is given twice (${duplicate.message.split('\n')[0]?.replace(/:$/, '')})`);
  return value;
}

function toRawConfigs(path: string, value: unknown, lineOf?: (i: number) => number): RawConfig[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(path, 'holds no config; expected an object or a list of objects');
  return list.map((entry, i) => {
    const where = lineOf ? `config file ${path}, line ${lineOf(i)}` : list.length > 1 ? `config file ${path}, entry ${i + 1}` : `config file ${path}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      const shown = JSON.stringify(entry) ?? String(entry);
      throw new InputError('config_file', `${where}: expected an object of config fields, got ${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}`);
    }
    // a file writes numbers and booleans as such: none of its values is read from text
    return { fields: entry as Record<string, unknown>, where, textFields: new Set<string>() };
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
  // eslint-disable-next-line no-control-regex -- a NUL byte is how a binary file shows
  if (/[\u0000\ufffd]/.test(text)) fail(path, 'is not a text file (it holds binary data)');
  if (ext === '.jsonl') {
    const lines: number[] = [];
    const values: unknown[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        values.push(parseJsonStrict(line));
      } catch (err) {
        fail(path, `line ${i + 1}: invalid JSON (${errorMessage(err)})`);
      }
      lines.push(i + 1);
    });
    return toRawConfigs(path, values, (i) => lines[i] as number);
  }
  try {
    return toRawConfigs(path, ext === '.json' ? parseJsonStrict(text) : parseYaml(text, { uniqueKeys: true }));
  } catch (err) {
    if (err instanceof InputError) throw err;
    return fail(path, `invalid ${ext === '.json' ? 'JSON' : 'YAML'} (${errorMessage(err)})`);
  }
}
