/**
 * Real file systems that refuse writes, for the tests of what is kept when saving fails: a full
 * tmpfs (ENOSPC) and a read-only one (EROFS, which stops root too). Mounting needs root; without
 * it they are null (see requirements.ts for what the tests do then).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from '../helpers.js';
import type { Requirement } from './requirements.js';

function mount(options: string): string | null {
  const dir = tempDir('tokenbench-fs-');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) return null;
  after(() => {
    spawnSync('umount', [dir]);
  });
  return dir;
}

/** A 16 KiB tmpfs, filled: files can be created there, but nothing can be written into them. */
export function fullFileSystem(): string | null {
  const dir = mount('size=16k');
  if (dir) spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=1k', 'count=64'], { stdio: 'ignore' });
  return dir;
}

/** An empty tmpfs of `sizeK` KiB: writes go in until it is full. */
export function smallFileSystem(sizeK: number): string | null {
  return mount(`size=${sizeK}k`);
}

/** A read-only tmpfs. */
export function readOnlyFileSystem(): string | null {
  return mount('ro,size=16k');
}

/** One of these file systems, for `needs`. */
export function mountedFileSystem(dir: string | null): Requirement {
  return { what: 'a tmpfs of its own', missing: dir === null ? 'mount -t tmpfs failed (it needs root)' : null };
}
