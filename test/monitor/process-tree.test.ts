/** The watched process tree: parents by hand, and a real busy grandchild counted in the tree's CPU. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HostSampler } from '../../src/monitor/host.js';
import { parentOfStat, ProcessTree, treeOf } from '../../src/monitor/process-tree.js';

test('treeOf: the root and everything below it, without the excluded and what is below them; parentOfStat reads past a name with parentheses', () => {
  const parents = new Map([[2, 1], [3, 2], [4, 2], [5, 1], [6, 99], [7, 3], [8, 4]]);
  assert.deepEqual(treeOf(2, parents, new Set()), [2, 3, 4, 7, 8]);
  assert.deepEqual(treeOf(2, parents, new Set([4])), [2, 3, 7]);
  // the root stays, even when excluded (a monitor watching itself)
  assert.deepEqual(treeOf(2, parents, new Set([2])), [2, 3, 4, 7, 8]);
  // a root /proc does not list: itself alone
  assert.deepEqual(treeOf(50, parents, new Set()), [50]);
  assert.equal(parentOfStat('123 (web (content)) S 45 123 123 0 -1'), 45);
});

/** Sleeps this thread without using the CPU. */
const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

test("a busy grandchild is in the tree, and in the tree's CPU; left out, it is not", async () => {
  // sh starts node, which spins: the grandchild of this process does the work
  let grandchild: number | undefined;
  const sh = spawn('sh', ['-c', `${process.execPath} -e "const end = Date.now() + 4000; while (Date.now() < end);" & wait`], { stdio: 'ignore' });
  try {
    const shPid = sh.pid as number;
    for (let i = 0; i < 50 && grandchild === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      grandchild = new ProcessTree(process.pid, new Set(), 0).pids().find((pid) => pid !== process.pid && pid !== shPid && parentOfStat(readFileSync(`/proc/${pid}/stat`, 'latin1')) === shPid);
    }
    assert.ok(grandchild, 'the grandchild is in the tree');
    const whole = new HostSampler(new ProcessTree(process.pid, new Set(), 0));
    const alone = new HostSampler(new ProcessTree(process.pid, new Set([shPid]), 0));
    whole.read();
    alone.read();
    sleep(1000);
    const w = whole.read().proc_cpu_pct as number;
    const a = alone.read().proc_cpu_pct as number;
    whole.close();
    alone.close();
    // this process slept; the spinning grandchild had up to one core
    assert.ok(w - a > 25, `tree ${w}% against this process alone ${a}%`);
  } finally {
    for (const pid of [grandchild, sh.pid]) {
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
