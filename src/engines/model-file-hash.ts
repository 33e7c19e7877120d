/**
 * The SHA-256 of a model file, so that a result names exactly which weights ran. A model of
 * gigabytes takes seconds to hash, so the hash is kept in the cache folder, keyed by the file's
 * real path, size and modification time, and computed again only when one of them changes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type HashCache = Record<string, { size: number; mtime_ms: number; sha256: string }>;

function readCache(file: string): HashCache {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HashCache;
  } catch {
    return {};
  }
}

/** The file's SHA-256 (hex), from the cache in `cacheDir` when the file has not changed since. */
export async function modelFileSha256(path: string, cacheDir: string): Promise<string> {
  const real = realpathSync(path);
  const { size, mtimeMs } = statSync(real);
  const file = join(cacheDir, 'model-hashes.json');
  const cached = existsSync(file) ? readCache(file)[real] : undefined;
  if (cached && cached.size === size && cached.mtime_ms === mtimeMs) return cached.sha256;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(real)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  try {
    mkdirSync(cacheDir, { recursive: true });
    const all = readCache(file);
    all[real] = { size, mtime_ms: mtimeMs, sha256 };
    // replaced whole: two runs at once may each write it, neither leaves half a file
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(all));
    renameSync(partial, file);
  } catch {
    // a cache that cannot be written only costs the next run the hashing again
  }
  return sha256;
}
