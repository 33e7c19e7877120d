/**
 * The watched process and every process below it: the work of an engine that runs in processes of
 * its own (the browser engine's Chromium: its renderers, GPU and utility processes) is the run's
 * work, so the per-process figures (CPU, RSS, GPU memory) add them up. The monitor itself, a child of
 * the watched process, is left out. Processes come and go (a renderer per config), so the tree is
 * read again from /proc at most once a second.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid from the text of /proc/<pid>/stat (its fourth field; the name may hold spaces and parentheses). */
export function parentOfStat(text: string): number | undefined {
  const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
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
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (exclude.has(pid) && pid !== root) continue;
    tree.push(pid);
    for (const child of children.get(pid) ?? []) if (!tree.includes(child)) queue.push(child);
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
