/**
 * What installing tokenbench costs a user: this package packed as npm would publish it, installed
 * into an empty project twice, the default way and lean (`--omit=optional`: no engines, for server
 * testing), each measured for its node_modules size, install time, and the time of
 * `npx tokenbench load --help` (a first command's start-up, median of 7, the two installs in turns). Packages come from npm's
 * cache where it has them (--prefer-offline), so the install times are of unpacking and building,
 * not of downloading.
 *
 *   npx tsx bench/install-footprint.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPTIONAL = ['@huggingface/transformers', 'onnxruntime-node', 'node-llama-cpp', 'playwright-core', 'koffi'];
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? treeBytes(path) : lstatSync(path).size;
  }
  return total;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const work = mkdtempSync(join(tmpdir(), 'tokenbench-footprint-'));
try {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, env, encoding: 'utf8' }).trim().split('\n').at(-1) as string;
  const tarball = join(work, name);
  console.log(`tarball: ${name}, ${(lstatSync(tarball).size / 1024).toFixed(0)} KiB\n`);
  const installs: { label: string; project: string; installS: number; mb: number; present: string[]; times: number[] }[] = [];
  for (const [label, extra] of [['default', []], ['lean (--omit=optional)', ['--omit=optional']]] as const) {
    const project = join(work, label.split(' ')[0] as string);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "footprint", "private": true }\n');
    const started = performance.now();
    execFileSync('npm', ['install', ...extra, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, env, stdio: ['ignore', 'ignore', 'inherit'] });
    const modules = join(project, 'node_modules');
    const present = OPTIONAL.filter((p) => {
      try {
        return lstatSync(join(modules, p)).isDirectory();
      } catch {
        return false;
      }
    });
    installs.push({ label, project, installS: (performance.now() - started) / 1000, mb: treeBytes(modules) / 1048576, present, times: [] });
  }
  // start-up times in alternating rounds, so that the machine's load falls on both alike
  for (let round = 0; round < 7; round++) {
    for (const install of installs) {
      const t = performance.now();
      const r = spawnSync('npx', ['tokenbench', 'load', '--help'], { cwd: install.project, env, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${install.label}: npx tokenbench load --help exited ${r.status}`);
      install.times.push(performance.now() - t);
    }
  }
  console.log('| install | node_modules MB | install s | optional packages present | `npx tokenbench load --help` ms (median of 7) |');
  console.log('|---|---|---|---|---|');
  for (const i of installs) console.log(`| ${i.label} | ${i.mb.toFixed(0)} | ${i.installS.toFixed(0)} | ${i.present.join(', ') || 'none'} | ${median(i.times).toFixed(0)} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
