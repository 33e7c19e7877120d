/**
 * The optional dependencies (the engines' libraries, playwright-core, koffi): a lean install
 * (`npm install --omit=optional`) leaves them out, so they are looked for on disk before use, without
 * loading them, and a missing one is named with the command that adds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InputError } from './errors.js';

const require = createRequire(import.meta.url);

/** Whether `name` is installed where Node would find it from tokenbench's own files. */
export function isInstalled(name: string): boolean {
  return (require.resolve.paths(name) ?? []).some((dir) => existsSync(join(dir, name, 'package.json')));
}

/** The version of `name` as installed where Node finds it from tokenbench's own files; null when it is not. */
export function installedVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** The version tokenbench asks for, from its package.json (`name@range` for `npm install`). */
function wanted(name: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const range = pkg.optionalDependencies?.[name];
  return range === undefined ? name : `${name}@${range}`;
}

/** Packages whose install script downloads more than the npm registry has, and the setting that stops it. */
const INSTALL_ENV: Readonly<Record<string, string>> = {
  // onnxruntime-node fetches CUDA libraries from NuGet on Linux x64; where that fails npm drops it
  // and transformers.js with it. Its CPU provider is in the npm package.
  '@huggingface/transformers': 'ONNXRUNTIME_NODE_INSTALL=skip ',
  'onnxruntime-node': 'ONNXRUNTIME_NODE_INSTALL=skip ',
};

/** The line that says `what` needs `name` and how to add it. */
export function missingPackageMessage(name: string, what: string): string {
  return `${what} needs ${name}, which is not installed (an optional dependency, left out of this install); add it with: ${INSTALL_ENV[name] ?? ''}npm install ${wanted(name)}`;
}

/** Throws an InputError naming the first of `names` that is not installed. */
export function requirePackages(names: readonly string[], what: string): void {
  for (const name of names) {
    if (!isInstalled(name)) throw new InputError('dependency', missingPackageMessage(name, what));
  }
}
