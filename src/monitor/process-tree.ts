/**
 * The watched process and every process below it: the work of an engine that runs in processes of
 * its own (the browser engine's Chromium: its renderers, GPU and utility processes) is the run's
 * work, so the per-process figures (CPU, RSS, GPU memory) add them up. The monitor itself, a child of
 * the watched process, is left out. Processes come and go (a renderer per config), so the tree is
 * read again from /proc at most once a second.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses): the state first, field 3. */
export function statFieldsAfterName(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The parent pid from the text of /proc/<pid>/stat (its fourth field). */
export function parentOfStat(text: string): number | undefined {
  const ppid = Number(statFieldsAfterName(text)[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** Every process's parent, from /proc. */
export function parentsFromProc(): Map<number, number> {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return parents;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = parentOfStat(readFileSync(`/proc/${name}/stat`, 'latin1'));
      if (ppid !== undefined) parents.set(Number(name), ppid);
    } catch {
      // gone since the listing
    }
  }
  return parents;
}

/** `root` and every process below it by parent links, without `exclude` and what is below those; root first. */
export function treeOf(root: number, parents: ReadonlyMap<number, number>, exclude: ReadonlySet<number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  // breadth first; the queue only grows, so it is walked by index
  const tree: number[] = [root];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length; i++) {
    for (const child of children.get(tree[i] as number) ?? []) {
      if (seen.has(child) || exclude.has(child)) continue;
      seen.add(child);
      tree.push(child);
    }
  }
  return tree;
}

export class ProcessTree {
  private cached: number[] = [];
  private readAt = -Infinity;

  /** The tree of `root`, without `exclude` (the sampling process, where it is below root). */
  constructor(
    readonly root: number,
    private readonly exclude: ReadonlySet<number> = new Set([process.pid]),
    private readonly rereadMs = 1000,
  ) {}

  /** The pids of the tree, as read at most `rereadMs` ago. */
  pids(): readonly number[] {
    const now = performance.now();
    if (now - this.readAt >= this.rereadMs) {
      this.cached = treeOf(this.root, parentsFromProc(), this.exclude);
      this.readAt = now;
    }
    return this.cached;
  }
}
