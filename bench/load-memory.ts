/**
 * Whether a long load run costs flat memory, and how long `compare` takes on two long runs: a
 * closed loop against the scripted server (its own process) at each request count, the client's
 * peak resident memory (from /proc), its live heap (after a full GC every 2 s, through a probe
 * loaded with --import: V8 collects lazily, so the resident peak is mostly garbage not yet
 * collected), the result and records file sizes; then `compare` of two runs of the largest
 * count, its time and peak memory. With --old DIST (another build's dist/, e.g. the commit before
 * records left the result file), the same runs with it side by side. The probe's GCs run in the
 * measured process, so --probe no measures the resident peak without them.
 *
 *   npm run build && npx tsx bench/load-memory.ts [--counts 10000,100000] [--concurrency 32] [--tokens 32] [--old /tmp/old/dist]
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/helpers.js';
import { flag } from './common.js';
import { startServerProcess } from './scripted-server-process.js';

const counts = flag('counts', '10000,100000').split(',').map(Number);
const concurrency = flag('concurrency', '32');
const tokens = flag('tokens', '32');
const oldDist = flag('old', '');
const probe = flag('probe', 'yes') === 'yes';
const newCli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = tempDir('tokenbench-load-memory-');
const server = await startServerProcess();
const origin = server.url.replace(/\/v1$/, '');
const heapLog = join(dir, 'heap.log');
const probeFile = join(dir, 'live-heap.mjs');
writeFileSync(probeFile, `import { appendFileSync } from 'node:fs';
setInterval(() => { globalThis.gc(); appendFileSync(${JSON.stringify(heapLog)}, process.memoryUsage().heapUsed + '\\n'); }, 2000).unref();
`);

interface Measured {
  seconds: number;
  peakMb: number;
  /** The largest live heap the probe saw (MB), and the first it saw. */
  liveMb: { first: number; max: number };
  code: number | null;
}

const rssKb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};

/** Runs `node cli args`, sampling its memory every 100 ms (and clearing the server's log, which would grow). */
function measured(cli: string, args: readonly string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    rmSync(heapLog, { force: true });
    const child = spawn(process.execPath, [...(probe ? ['--expose-gc', '--import', probeFile] : []), cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let peak = 0;
    const timer = setInterval(() => {
      try {
        const pid = child.pid as number;
        const hwm = rssKb(pid, 'VmHWM');
        if (Number.isFinite(hwm)) peak = Math.max(peak, hwm);
      } catch {
        // gone between the check and the read
      }
      void fetch(`${origin}/_log?clear=1`).catch(() => undefined);
    }, 100);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) process.stderr.write(stderr);
      const live = existsSync(heapLog) ? readFileSync(heapLog, 'utf8').trim().split('\n').map((b) => Number(b) / 2 ** 20) : [NaN];
      resolve({ seconds, peakMb: peak / 1024, liveMb: { first: live[0] as number, max: Math.max(...live) }, code });
    });
  });
}

const sizeMb = (path: string): number => (existsSync(path) ? statSync(path).size / 2 ** 20 : 0);

try {
  const builds = [['this build', newCli], ...(oldDist ? [['old build', join(oldDist, 'cli/main.js')]] : [])] as const;
  const largest = Math.max(...counts);
  const rows: string[] = [];
  const compares: string[] = [];
  for (const [label, cli] of builds) {
    const outs: string[] = [];
    for (const n of [...counts, largest]) {
      const out = join(dir, `${label.replace(' ', '-')}-${n}-${outs.length}.json`);
      const m = await measured(cli, ['load', '--url', server.url, '--model', 'ttft=1,itl=0.2', '--concurrency', concurrency, '--requests', String(n), '--warmup-requests', '32', '--input-len', '16', '--output-len', tokens, '--no-model-check', '--no-store', '--quiet', '--output', out]);
      if (m.code !== 0) throw new Error(`${label} load of ${n} requests: exit ${m.code}`);
      outs.push(out);
      const records = sizeMb(out.replace(/\.json$/, '.requests-0.jsonl'));
      rows.push(`| ${label} | ${n} | ${m.seconds.toFixed(1)} | ${(n / m.seconds).toFixed(0)} | ${m.peakMb.toFixed(0)} | ${m.liveMb.first.toFixed(1)} / ${m.liveMb.max.toFixed(1)} | ${sizeMb(out).toFixed(2)} | ${records.toFixed(1)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
    const [a, b] = outs.slice(-2) as [string, string];
    const c = await measured(cli, ['compare', a, b]);
    compares.push(`| ${label} | ${largest} vs ${largest} | ${c.seconds.toFixed(2)} | ${c.peakMb.toFixed(0)} | ${c.liveMb.max.toFixed(1)} | exit ${c.code} |`);
    process.stderr.write(`${compares.at(-1)}\n`);
  }
  console.log(`closed loop, concurrency ${concurrency}, ${tokens} output tokens per request, scripted server (ttft 1 ms, itl 0.2 ms) in its own process; live heap ${probe ? 'after a full GC every 2 s' : 'not probed'}`);
  console.log('| build | requests | s | req/s | peak RSS MB | live heap first / max MB | result MB | records MB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('\n| build | compare | s | peak RSS MB | live heap max MB | |');
  console.log('|---|---|---|---|---|---|');
  for (const r of compares) console.log(r);
} finally {
  server.stop();
}
