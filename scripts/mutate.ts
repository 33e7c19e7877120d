/**
 * npm run mutate [GROUP...]: mutation testing of the measuring core (docs/testing.md). One Stryker
 * run per group of source files, each with only the test files written for that group: Stryker
 * knows which test files reach a mutant, but every summary, compare and load test reaches the
 * statistics, and a surviving statistics mutant would otherwise run them all. Then one merged
 * report, reports/mutation/mutation.json, and a table of the score per file.
 *
 * Speed: every mutant runs its test files in new Node processes, so each process's start counts.
 * The sandbox's TypeScript (mutated sources and tests) is transpiled to JavaScript beside itself
 * once, by esbuild, and the tests run as plain `node` (the tsx loader took 0.25 s a process, and
 * twice that where a test starts the monitor's child). A group lists its fast test files first: a
 * mutant stops at the first file that fails.
 *
 *   npm run mutate                      # every group
 *   npm run mutate -- measure compare   # some
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Source files and the test files that are meant to catch their bugs, the fastest first. */
const GROUPS: Readonly<Record<string, { mutate: string[]; tests: string[] }>> = {
  statistics: {
    mutate: ['src/results/metrics.ts', 'src/results/statistics.ts', 'src/results/summary.ts'],
    tests: ['test/results/statistics.test.ts', 'test/results/metrics.test.ts', 'test/results/compare-stats.test.ts'],
  },
  compare: { mutate: ['src/report/compare.ts'], tests: ['test/report/compare.test.ts', 'test/results/compare-stats.test.ts'] },
  measure: {
    mutate: ['src/measure/*.ts'],
    tests: ['test/measure/streamer.test.ts', 'test/measure/progress.test.ts', 'test/measure/runner.test.ts', 'test/measure/monitor-windows.test.ts', 'test/measure/runner-monitor.test.ts'],
  },
  load: { mutate: ['src/load/load-runner.ts', 'src/load/arrivals.ts', 'src/results/load-summary.ts'], tests: ['test/results/load-summary.test.ts', 'test/load/arrivals.test.ts', 'test/load/load-runner.test.ts'] },
  http: { mutate: ['src/http/sse.ts', 'src/http/openai-stream.ts', 'src/http/read-stamps.ts'], tests: ['test/http/sse.test.ts', 'test/http/openai-stream.test.ts', 'test/http/read-stamps.test.ts', 'test/http/openai-client.test.ts'] },
  server: {
    mutate: ['src/http/server-prompts.ts', 'src/http/stream-request.ts', 'src/http/openai-client.ts', 'src/results/server-check.ts', 'src/util/clock-offset.ts'],
    tests: ['test/util/clock-offset.test.ts', 'test/results/server-check.test.ts', 'test/http/stream-request.test.ts', 'test/http/server-prompts.test.ts', 'test/http/openai-client.test.ts'],
  },
  sketch: { mutate: ['src/results/sketch.ts'], tests: ['test/results/sketch.test.ts'] },
  parts: { mutate: ['src/config/shard.ts', 'src/load/merge-parts.ts', 'src/load/rendezvous.ts'], tests: ['test/config/shard.test.ts', 'test/load/merge-parts.test.ts', 'test/load/rendezvous.test.ts'] },
};

interface Mutant {
  status: string;
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
  [key: string]: unknown;
}

const OUT = 'reports/mutation';
const chosen = process.argv.slice(2);
const unknown = chosen.filter((g) => !(g in GROUPS));
if (unknown.length > 0) {
  console.error(`mutate: unknown group ${unknown.join(', ')}; allowed: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const groups = chosen.length > 0 ? chosen : Object.keys(GROUPS);
const { $schema: _schema, ...base } = JSON.parse(readFileSync('stryker.config.json', 'utf8')) as Record<string, unknown> & { tap: Record<string, unknown> };
mkdirSync(OUT, { recursive: true });

// Run in the sandbox, whose relative paths are these; Stryker runs it without a shell, so the
// files are listed here. Imports name `.js` already (NodeNext), so the output resolves as it is.
const typescript = ['src', 'test'].flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
const buildCommand = ['esbuild', '--log-level=warning', '--outdir=.', '--outbase=.', '--format=esm', '--platform=node', '--target=node20', ...typescript].join(' ');
const javascript = (test: string): string => test.replace(/\.ts$/, '.js');

const minutes: Record<string, number> = {};
for (const name of groups) {
  const group = GROUPS[name] as { mutate: string[]; tests: string[] };
  const config = {
    ...base,
    mutate: group.mutate,
    buildCommand,
    tap: { ...base.tap, testFiles: group.tests.map(javascript), nodeArgs: [] },
    htmlReporter: { fileName: join(OUT, `${name}.html`) },
    jsonReporter: { fileName: join(OUT, `${name}.json`) },
  };
  const path = join(OUT, `stryker.${name}.json`);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`\nmutate: group ${name}: ${group.mutate.join(' ')} against ${group.tests.join(' ')}`);
  const started = performance.now();
  const r = spawnSync('npx', ['stryker', 'run', path], { stdio: 'inherit' });
  minutes[name] = (performance.now() - started) / 60_000;
  if (r.status !== 0) {
    console.error(`mutate: group ${name}: stryker exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

// one report of every group's files, and the table
const merged: Report = { ...(JSON.parse(readFileSync(join(OUT, `${groups[0]}.json`), 'utf8')) as Report), files: {} };
for (const name of Object.keys(GROUPS)) {
  try {
    Object.assign(merged.files, (JSON.parse(readFileSync(join(OUT, `${name}.json`), 'utf8')) as Report).files);
  } catch {
    // a group not run yet: left out of the table
  }
}
writeFileSync(join(OUT, 'mutation.json'), JSON.stringify(merged));
const rows: string[][] = [];
let killedAll = 0;
let scoredAll = 0;
for (const [file, { mutants }] of Object.entries(merged.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (...statuses: string[]): number => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count('Killed', 'Timeout');
  const scored = killed + count('Survived', 'NoCoverage');
  killedAll += killed;
  scoredAll += scored;
  rows.push([file, String(killed), String(count('Survived')), String(count('NoCoverage')), `${((100 * killed) / Math.max(1, scored)).toFixed(1)}%`]);
}
rows.push(['all', String(killedAll), '', '', `${((100 * killedAll) / Math.max(1, scoredAll)).toFixed(1)}%`]);
console.log('\n| file | killed (or timed out) | survived | no coverage | score |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nminutes: ${groups.map((g) => `${g} ${(minutes[g] as number).toFixed(1)}`).join(', ')}; all ${Object.values(minutes).reduce((a, b) => a + b, 0).toFixed(1)}`);
