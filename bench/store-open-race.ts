/**
 * Processes opening one new SQLite store at the same instant (the parts of a sharded run, a load
 * run's workers), on a machine kept busy by two spinning processes: how many opens fail with
 * "database is locked". SQLite answers some lock conflicts at once rather than wait (to avoid a
 * deadlock), which the store's open retries; before it did, 2 of 120 opens failed here.
 *
 *   npm run build && npx tsx bench/store-open-race.ts [--rounds 25] [--processes 6]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag } from './common.js';

const store = fileURLToPath(new URL('../dist/results/store/store.js', import.meta.url));
const rounds = Number(flag('rounds', '25'));
const processes = Number(flag('processes', '6'));
const opener = `const { ResultStore } = await import(${JSON.stringify(store)}); const [path, at] = process.argv.slice(1); while (Date.now() < Number(at)) {} try { await (await ResultStore.open('sqlite:' + path)).close(); console.log('ok'); } catch (e) { console.log('failed: ' + e.message); }`;

const open = (path: string, at: number): Promise<string> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', opener, path, String(at)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolve(out.trim()));
  });

const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const failures: string[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'tokenbench-open-race-'));
    const at = Date.now() + 1000;
    const results = await Promise.all(Array.from({ length: processes }, () => open(join(dir, 'meet.db'), at)));
    failures.push(...results.filter((r) => r !== 'ok'));
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  for (const h of hogs) h.kill();
}
console.log(`${rounds * processes} opens of a new store, ${processes} at a time, 2 spinning processes beside: ${failures.length} failed`);
for (const f of new Set(failures)) console.log(`  ${f}`);
