/** `tokenbench run`: configs from flags and/or files -> benchmarks -> summary and result file. */
import { resolve } from 'node:path';
import { readConfigFile } from '../config/files.js';
import { FIELDS } from '../config/fields.js';
import { ENGINE_OPTIONS } from '../config/engine-options.js';
import { groupFrom, shardFrom, shardItems } from '../config/shard.js';
import { expandConfigs, type RawConfig } from '../config/sweep.js';
import { checkConfigs } from '../engines/index.js';
import { claimShard } from '../results/store/shard-claims.js';
import { storeUrl } from '../results/store/store.js';
import { DeviceMonitor } from '../monitor/monitor.js';
import { LogProgress, type ProgressReporter, silentProgress, TtyProgress } from '../measure/progress.js';
import { checkInterleavable, newRunResult, runBenchmarks } from '../measure/runner.js';
import { formatRunSummary } from '../report/console.js';
import { defaultCacheDir } from '../synth/cache.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, type ParsedArgs, parseArgs, single } from './args.js';
import { EXIT_CODES, withRunSession } from './run-session.js';

/** Flags that set config fields: flag -> field. */
const FIELD_FLAGS: Readonly<Record<string, keyof typeof FIELDS>> = {
  warmup: 'warmup_iterations',
  iterations: 'measurement_iterations',
  'batch-size': 'batch_size',
  'sequence-length': 'sequence_length',
  'new-tokens': 'num_tokens_to_generate',
  engine: 'engine',
  model: 'model',
  device: 'device',
  dtype: 'dtype',
  'monitor-interval-ms': 'monitor_interval_ms',
};

const field = (f: keyof typeof FIELDS, value: string, commas = true): FlagSpec => ({
  arity: 'many',
  commas,
  value,
  help: `${FIELDS[f].help}${FIELDS[f].default !== undefined ? ` (default ${JSON.stringify(FIELDS[f].default)})` : ''}`,
});

export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { arity: 'many', commas: false, value: 'FILE', help: 'config file(s): .json, .jsonl, .yaml; flags below override their fields' },
  warmup: field('warmup_iterations', 'N'),
  iterations: field('measurement_iterations', 'N'),
  'batch-size': field('batch_size', 'N'),
  'sequence-length': field('sequence_length', 'N'),
  'new-tokens': field('num_tokens_to_generate', 'N'),
  engine: field('engine', 'NAME'),
  model: field('model', 'MODEL', false),
  device: field('device', 'DEVICE'),
  dtype: field('dtype', 'DTYPE'),
  url: { arity: 'many', commas: false, value: 'URL', help: 'engine openai: the server, e.g. http://localhost:8000/v1 (engine option url)' },
  api: { arity: 'many', value: 'API', help: 'engine openai: completions (exact token-id prompts) or chat (engine option api)' },
  'api-key-env': { arity: 'one', value: 'VAR', help: 'engine openai: environment variable with the API key (the key is never stored)' },
  'busy-poll': { arity: 'none', help: 'engine openai: keep the client polling while requests are in flight, at the cost of one CPU core (engine option busy_poll)' },
  'prompt-reuse': { arity: 'many', value: 'MODE', help: 'engine openai: unique (default; no server cache can serve a prompt), repeat, or prefix=N (engine option prompt_reuse)' },
  'no-model-check': { arity: 'none', help: "engine openai: do not check the model against the server's GET /v1/models (engine option model_check)" },
  'engine-option': { arity: 'many', commas: false, value: 'K=V', help: 'engine option; V may be a list V1,V2 (sweep)' },
  'no-gpu-monitoring': { arity: 'none', help: 'do not sample GPU metrics' },
  'monitor-interval-ms': field('monitor_interval_ms', 'MS'),
  devices: { arity: 'many', value: 'DEV', help: 'devices to monitor: nvidia:0, amd:1, intel:0, an index, or all (default: all the engine sees)' },
  name: { arity: 'one', value: 'NAME', help: 'config name (default: inferred from the fields)' },
  shard: { arity: 'one', value: 'I/N', help: 'run part I (from 0) of N of the sweep: configs I, I+N, ... (default: from SLURM_ARRAY_TASK_ID, or JOB_COMPLETION_INDEX with TOKENBENCH_SHARD_COUNT)' },
  group: { arity: 'one', value: 'ID', help: 'the group the parts of one job share (default $TOKENBENCH_GROUP, else slurm-$SLURM_ARRAY_JOB_ID); configs already stored ok in the group are skipped, so a failed part is simply run again' },
  interleave: { arity: 'none', help: 'configs take turns: all loaded and warmed up first, then one measured iteration of each per round, so drift of the machine hits all alike (compare --pair then pairs them by round)' },
  output: { arity: 'one', value: 'FILE', help: 'result file (default: DIR/run-<time>-<id>.json)' },
  'output-dir': { arity: 'one', value: 'DIR', help: 'folder for the result file (default ./tokenbench-results); the store does not move with it: it stays sqlite:./tokenbench-results/tokenbench.db under the current folder unless --store or TOKENBENCH_STORE says otherwise' },
  'cache-dir': { arity: 'one', value: 'DIR', help: 'where synthetic models are built (default $XDG_CACHE_HOME/tokenbench)' },
  store: { arity: 'one', value: 'URL', help: 'results store: sqlite:PATH or postgres://... (default $TOKENBENCH_STORE or sqlite:./tokenbench-results/tokenbench.db)' },
  'no-store': { arity: 'none', help: 'write the result file only' },
  json: { arity: 'none', help: 'print the whole result as JSON on stdout (summary and progress go to stderr)' },
  quiet: { arity: 'none', help: 'no progress output' },
  help: { arity: 'none', help: 'show this help' },
};

export const RUN_HELP = `Usage: tokenbench run [flags]

Benchmarks text generation: for each config, load -> one validity run -> warmups -> measured
iterations; prints a summary table and writes a result file (schema tokenbench.run/v1).
Flags marked ... take several values (--batch-size 1 2 4 or 1,2,4): the configs are their
cross product, run in a stable order, duplicates once.

${formatFlags(RUN_FLAGS)}

Engine options (--engine-option K=V):
${Object.entries(ENGINE_OPTIONS)
  .flatMap(([engine, opts]) => Object.entries(opts).map(([k, o]) => `  ${engine}: ${k}  ${o.help}`))
  .join('\n')}

${EXIT_CODES}`;

/** The config fields the flags set (lists where several values were given). */
function flagFields(args: ParsedArgs): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [flag, f] of Object.entries(FIELD_FLAGS)) {
    const values = args.flags.get(flag);
    if (values !== undefined) fields[f] = values.length === 1 ? values[0] : values;
  }
  if (args.flags.has('no-gpu-monitoring')) fields.gpu_monitoring = false;
  const options = args.flags.get('engine-option');
  if (options !== undefined) {
    const parsed: Record<string, string[]> = {};
    for (const kv of options) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new InputError('usage', `run: --engine-option takes KEY=VALUE, got '${kv}'`);
      parsed[kv.slice(0, eq)] = kv.slice(eq + 1).split(',');
    }
    fields.engine_options = parsed;
  }
  // engine openai's own flags are engine options too
  const shortcuts: [string, string][] = [
    ['url', 'url'],
    ['api', 'api'],
    ['api-key-env', 'api_key_env'],
    ['prompt-reuse', 'prompt_reuse'],
  ];
  for (const [flag, key] of shortcuts) {
    const values = args.flags.get(flag);
    if (values === undefined) continue;
    const options = (fields.engine_options ?? {}) as Record<string, string[]>;
    options[key] = values;
    fields.engine_options = options;
  }
  if (args.flags.has('busy-poll')) fields.engine_options = { ...((fields.engine_options ?? {}) as Record<string, string[]>), busy_poll: ['true'] };
  if (args.flags.has('no-model-check')) fields.engine_options = { ...((fields.engine_options ?? {}) as Record<string, string[]>), model_check: ['false'] };
  const name = single(args, 'name', 'run');
  if (name !== undefined) fields.name = name;
  return fields;
}

/** Raw configs: each config file entry with the flags applied over it, or the flags alone. */
export function rawConfigsFromArgs(args: ParsedArgs): RawConfig[] {
  const overrides = flagFields(args);
  const files = args.flags.get('config');
  if (!files) return [{ fields: overrides, where: 'command line' }];
  // flags are text ("2" is a number there); a file must write its numbers as numbers
  const textFields = new Set(Object.keys(overrides));
  return files.flatMap((file) => readConfigFile(file).map((raw) => ({ fields: { ...raw.fields, ...overrides }, where: raw.where, textFields })));
}

/** `--devices` that name a device that is not there are bad input, found before the store or the result file is touched. */
async function checkDeviceChoice(devices: readonly string[]): Promise<void> {
  let monitor: DeviceMonitor;
  try {
    monitor = await DeviceMonitor.start({ intervalMs: 1000, watchedPid: process.pid, devices: [...devices] });
  } catch {
    return; // a monitor that cannot start is said when the run starts it, as without --devices
  }
  await monitor.stop();
  if (monitor.unknownChoices.length > 0) throw new InputError('usage', `run: --devices ${monitor.unknownChoices.join(', ')} matched no device; 'tokenbench monitor --duration-ms 100' lists the devices there are`);
}

export async function runCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, RUN_FLAGS, 'run');
  if (args.flags.has('help')) {
    process.stdout.write(`${RUN_HELP}\n`);
    return 0;
  }
  if (args.positionals.length > 0) throw new InputError('usage', `run: unexpected argument '${args.positionals[0]}'; see 'tokenbench run --help'`);
  const sweep = expandConfigs(rawConfigsFromArgs(args));
  const shard = shardFrom(single(args, 'shard', 'run'), process.env, 'run');
  const group = groupFrom(single(args, 'group', 'run'), process.env, 'run');
  // the parts of a sweep meet in the store under their group, as load's do
  if (shard && group === null) throw new InputError('usage', 'run: --shard needs the group its parts share: --group ID (or TOKENBENCH_GROUP, or a Slurm array job)');
  if (shard && args.flags.has('no-store')) throw new InputError('usage', 'run: --shard needs the store its parts meet in; drop --no-store');
  const mine = shardItems(sweep, shard);
  const interleave = args.flags.has('interleave');
  if (interleave) checkInterleavable(mine);
  const warnings = await checkConfigs(mine);

  const quiet = args.flags.has('quiet');
  const progress: ProgressReporter = quiet ? silentProgress : process.stderr.isTTY ? new TtyProgress() : new LogProgress();
  for (const warning of warnings) progress.message(warning);
  const cacheDir = resolve(single(args, 'cache-dir', 'run') ?? defaultCacheDir());
  const devices = args.flags.get('devices');
  if (devices && mine.some((c) => c.gpu_monitoring)) await checkDeviceChoice(devices);
  const run = newRunResult();
  if (group !== null) run.group = group;
  if (shard !== null) run.shard = shard;
  // the part is this process's alone while it runs: a second one for it is refused before anything is written
  const release = shard && group !== null ? await claimShard(storeUrl(single(args, 'store', 'run')), group, 'run', shard) : null;
  try {
    return await withRunSession(
      args,
      'run',
      run,
      (text) => progress.message(text),
      async ({ outputPath, store, signal, unsaved }) => {
        // a part run again skips what its group already has: a failed task is simply resubmitted
        const stored = group !== null && store ? await store.okConfigHashesOfGroup(group) : new Set<string>();
        const configs = mine.filter((c) => !stored.has(c.hash));
        const skipped = mine.length - configs.length;
        const notes = [shard ? `shard ${shard.index}/${shard.count}: ${mine.length} of ${sweep.length} configs` : '', skipped > 0 ? `${skipped} already stored ok in group ${group}, skipped` : ''];
        if (notes.some(Boolean)) progress.message(notes.filter(Boolean).join('; '));
        await runBenchmarks(configs, { cacheDir, outputPath, progress, signal, unsaved, interleave, ...(devices ? { devices } : {}), ...(store ? { store } : {}) }, run);
      },
      formatRunSummary,
    );
  } finally {
    await release?.();
  }
}
