#!/usr/bin/env node
/**
 * The tokenbench command line. Bad input prints one line and exits 2; a failed benchmark exits 1;
 * an interrupted run exits 130. No stack traces unless TOKENBENCH_DEBUG is set.
 */
import { errorMessage, InputError } from '../util/errors.js';
import { toolVersion } from '../util/version.js';
import { compareCommand } from './compare.js';
import { exportCommand } from './export.js';
import { historyCommand } from './history.js';
import { importCommand } from './import.js';
import { loadCommand } from './load.js';
import { monitorCommand } from './monitor.js';
import { quickCommand } from './quick.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { synthCommand } from './synth.js';

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[]) => Promise<number>; summary: string }>> = {
  run: { run: runCommand, summary: 'benchmark text generation (default command of npm start)' },
  load: { run: loadCommand, summary: 'load-test an OpenAI-compatible server (closed or open loop, goodput, --find-max-rate)' },
  quick: { run: quickCommand, summary: 'find a local server and say in about a minute what it serves within an SLO' },
  synth: { run: synthCommand, summary: 'build a synthetic model folder' },
  monitor: { run: monitorCommand, summary: 'sample GPUs and the host, one JSON line per sample' },
  compare: { run: compareCommand, summary: 'compare two runs statistically (exit 1 on a regression)' },
  report: { run: reportCommand, summary: 'write a self-contained HTML report of a run' },
  export: { run: exportCommand, summary: 'write a run as CSV, a Markdown table or JSON Lines' },
  import: { run: importCommand, summary: 'load result files (tokenbench, benchmark_v2) into the store' },
  history: { run: historyCommand, summary: "list a config's runs over time from the store" },
};

const HELP = `tokenbench ${toolVersion()}: how fast language models generate text

Usage: tokenbench <command> [flags]      (tokenbench <command> --help for its flags)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Metric definitions: docs/metrics.md; result file schema: docs/schema.md.`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${toolVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) throw new InputError('usage', `unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
  return entry.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (process.env.TOKENBENCH_DEBUG) console.error(err);
    if (err instanceof InputError) {
      process.stderr.write(`tokenbench: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`tokenbench: internal error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    }
  },
);
