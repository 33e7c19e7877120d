/**
 * Real file systems that refuse writes, for the tests of what is kept when saving fails: a full
 * tmpfs (ENOSPC) and a read-only one (EROFS, which stops root too). Mounting needs root; without
 * it they are null, and the tests skip outside CI (in CI they fail, naming what is missing).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from '../helpers.js';

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

/** A read-only tmpfs. */
export function readOnlyFileSystem(): string | null {
  return mount('ro,size=16k');
}

/** The skip reason of a test that needs these file systems. */
export function fileSystemSkip(dir: string | null): string | false {
  return dir === null && !process.env.CI ? 'cannot mount a tmpfs here (needs root)' : false;
}
