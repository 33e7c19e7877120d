/** The git state of the working directory, when it is in a repository. */
import { execFileSync } from 'node:child_process';

export interface GitInfo {
  commit: string;
  branch: string | null;
  dirty: boolean;
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
}

/** Commit, branch (null when detached) and dirty flag; null outside a repository or without git. */
export function gitInfo(cwd = process.cwd()): GitInfo | null {
  try {
    const commit = git(['rev-parse', 'HEAD'], cwd);
    const branch = git(['rev-parse', '--abbrev-ref', 'HEAD'], cwd);
    const dirty = git(['status', '--porcelain', '--untracked-files=no'], cwd).length > 0;
    return { commit, branch: branch === 'HEAD' ? null : branch, dirty };
  } catch {
    return null;
  }
}
