/** `tokenbench export RUN --format csv|md|jsonl|benchmark-v2 [--output FILE]`: a run in a format other tools read. */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXPORTERS } from '../export/index.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';
import { resolveRun } from '../api/run-source.js';

export const EXPORT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  format: { arity: 'one', value: 'FMT', help: `${Object.keys(EXPORTERS).join(', ')} (required)` },
  output: { arity: 'one', value: 'FILE', help: 'write to FILE (replaced whole, only once complete) instead of stdout' },
  group: { arity: 'one', value: 'ID', help: 'the runs of this group as one (the same as RUN group:ID)' },
  store: { arity: 'one', value: 'URL', help: 'store to look run ids and commits up in' },
  help: { arity: 'none', help: 'show this help' },
};

export const EXPORT_HELP = `Usage: tokenbench export RUN --format FMT [--output FILE]

RUN is a result file, a run id in the store, a git commit, or group:ID, as for report.
Formats:
${Object.entries(EXPORTERS)
  .map(([name, e]) => `  ${name.padEnd(14)}${e.description}`)
  .join('\n')}

${formatFlags(EXPORT_FLAGS)}`;

export async function exportCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv.map((a) => (a === '-o' ? '--output' : a)), EXPORT_FLAGS, 'export');
  if (args.flags.has('help')) {
    process.stdout.write(`${EXPORT_HELP}\n`);
    return 0;
  }
  const format = single(args, 'format', 'export');
  const exporter = format === undefined ? undefined : EXPORTERS[format];
  if (!exporter) throw new InputError('usage', `export: --format must be one of ${Object.keys(EXPORTERS).join(', ')}, got ${format === undefined ? 'none' : `'${format}'`}`);
  const group = single(args, 'group', 'export');
  const specs = [...args.positionals, ...(group !== undefined ? [`group:${group}`] : [])];
  if (specs.length !== 1) throw new InputError('usage', `export: give one RUN (a result file, run id, commit or group:ID) or --group ID; see 'tokenbench export --help'`);
  const run = await resolveRun(specs[0] as string, single(args, 'store', 'export'));
  const output = single(args, 'output', 'export');
  if (output === undefined) {
    // a reader that stops early (`| head`) closes the pipe: end quietly with SIGPIPE's status, as monitor does, not with a stack trace
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') process.stderr.write(`tokenbench: export: cannot write to stdout: ${err.message}\n`);
      process.exit(err.code === 'EPIPE' ? 141 : 1);
    });
    await exporter.export(run, (text) => process.stdout.write(text));
    return 0;
  }
  // written beside the target and renamed over it once whole: a failed export leaves no half file
  const path = resolve(output);
  const partial = `${path}.partial-${process.pid}`;
  const fd = openSync(partial, 'w');
  let open = true;
  try {
    await exporter.export(run, (text) => writeSync(fd, text));
    closeSync(fd);
    open = false;
    renameSync(partial, path);
  } catch (err) {
    if (open) closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  process.stderr.write(`Exported: ${path}\n`);
  return 0;
}
