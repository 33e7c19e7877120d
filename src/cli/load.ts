/** `tokenbench load`: serving load tests against an OpenAI-compatible server, closed or open loop. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { groupFrom, type Shard, shardFrom } from '../config/shard.js';
import { checkConfigs } from '../engines/index.js';
import { type LoadProgress, runLoadBenchmarks } from '../load/load-benchmark.js';
import type { LoadConfig } from '../load/load-config.js';
import { loadConfigsOf, type LoadSpec, type SpecName } from '../load/load-spec.js';
import { datasetPrompts } from '../load/prompts.js';
import { groupSalt } from '../load/trace.js';
import { findCapacity, MAX_PROBES, probeRequests } from '../load/capacity.js';
import { meetParts } from '../load/rendezvous.js';
import { LostWorkers, runLoadWorkers, type WorkerRunner } from '../load/workers.js';
import { claimShard } from '../results/store/shard-claims.js';
import { readResultFile, ResultStore, storeUrl } from '../results/store/store.js';
import { newRunResult } from '../measure/runner.js';
import { formatLoadSummary } from '../report/console.js';
import { parsePercentiles } from '../report/load-figures.js';
import { checkRecordsPaths } from '../results/request-records.js';
import type { BenchmarkResult, LoadSettings } from '../results/schema.js';
import { LOG_EVERY_MS, roughDuration } from '../measure/progress.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, type ParsedArgs, parseArgs, single } from './args.js';
import { CAPACITY_FLAGS, capacitySearchOf } from './capacity.js';
import { type NumberRule, parseNumber as parseFlagNumber } from './numbers.js';
import { EXIT_CODES, withRunSession } from './run-session.js';

export const LOAD_FLAGS: Readonly<Record<string, FlagSpec>> = {
  url: { arity: 'many', commas: false, value: 'URL', help: "the server's base URL, e.g. http://localhost:8000/v1 (required); several: replicas with no balancer before them, each request sent to one (--route), with each one's figures beside the totals" },
  route: { arity: 'one', value: 'HOW', help: 'with several --url: round-robin (default) or least-in-flight (the replica with the fewest requests in flight)' },
  model: { arity: 'one', commas: false, value: 'NAME', help: 'the served model name (required)' },
  api: { arity: 'one', value: 'API', help: 'completions (exact token-id prompts; default) or chat' },
  'api-key-env': { arity: 'one', value: 'VAR', help: 'environment variable with the API key (the key is never stored)' },
  concurrency: { arity: 'many', value: 'N', help: 'closed loop: requests in flight; several values are a sweep (default 1)' },
  'request-rate': { arity: 'many', value: 'R', help: 'open loop: requests per second; several values are a sweep' },
  arrival: { arity: 'one', value: 'KIND', help: 'open-loop arrivals: constant, poisson or gamma (default poisson; gamma when --burstiness is given)' },
  burstiness: { arity: 'one', value: 'B', help: 'gamma shape: 1 is Poisson, below 1 burstier, above 1 more regular (default 1)' },
  seed: { arity: 'one', value: 'S', help: 'seed of the arrival schedule and prompt draws (default 0)' },
  requests: { arity: 'one', value: 'N', help: 'measured requests per value (default 100 when --duration is not given)' },
  duration: { arity: 'one', value: 'SECONDS', help: 'stop sending after this long (with --requests: whichever comes first)' },
  'warmup-requests': { arity: 'one', value: 'N', help: 'requests sent and discarded first (default: the concurrency, or 8 for an open loop)' },
  'max-concurrency': { arity: 'one', value: 'N', help: 'open loop: at most N requests in flight; the rest wait and their delay is reported (default: no limit)' },
  'ramp-up': { arity: 'one', value: 'SECONDS', help: 'open loop: first send SECONDS of requests at a rate rising linearly to the target; the ramp is not measured, and the result says what it sent' },
  'input-len': { arity: 'one', value: 'N', help: 'synthetic prompt length in tokens, exact where the server tokenizes (default 128)' },
  'output-len': { arity: 'one', value: 'N', help: 'tokens to generate per request, EOS ignored (default 128)' },
  'range-ratio': { arity: 'one', value: 'R', help: 'draw lengths uniformly from [len(1-R), len(1+R)] (default 0: fixed)' },
  dataset: { arity: 'one', commas: false, value: 'FILE', help: 'JSONL prompts instead of synthetic ones: {"prompt"}, {"messages"} or ShareGPT {"conversations"} per line' },
  trace: { arity: 'one', commas: false, value: 'FILE', help: "replay a request trace: each line {timestamp (ms), input_length, output_length, hash_ids} is one request, sent at its timestamp; shared hash ids share 512-token prompt blocks (Mooncake's layout, docs/traffic.md)" },
  'trace-speed': { arity: 'one', value: 'X', help: 'with --trace: replay X times as fast (timestamps divided by X; default 1)' },
  'multi-turn': { arity: 'none', help: "sessions (--api chat): each --dataset conversation (or --turns N synthetic messages) is one; sessions start at --request-rate, each turn sent with the whole chat so far once the last reply ended and --think-time passed; --requests counts sessions (docs/traffic.md)" },
  turns: { arity: 'one', value: 'N', help: 'with --multi-turn: synthetic sessions of N user messages of --input-len tokens' },
  'think-time': { arity: 'one', value: 'MS', help: 'with --multi-turn: the pause after a reply before the next turn (default 0)' },
  slo: { arity: 'many', commas: false, value: 'K=V', help: 'goodput limits: ttft=500ms tpot=50ms e2e=10s (units us, ms, s)' },
  'late-ms': { arity: 'one', value: 'MS', help: 'a request sent this long after it was due counts as late (default 10)' },
  timeout: { arity: 'one', value: 'SECONDS', help: 'a request with no byte for this long fails as a timeout (default 60)' },
  'no-ignore-eos': { arity: 'none', help: 'do not send ignore_eos/min_tokens (servers that reject them)' },
  'no-logprobs': { arity: 'none', help: 'do not ask for logprobs' },
  'no-usage': { arity: 'none', help: 'do not ask for usage on every chunk (stream_options)' },
  'busy-poll': { arity: 'none', help: 'keep the client polling instead of sleeping during the run: the OS wake-up delay stays out of the stamps and send times, at the cost of one CPU core' },
  'prompt-reuse': { arity: 'one', value: 'MODE', help: "unique (default: every prompt differs from all earlier ones from its first token, so no server cache serves it), repeat, or prefix=N (the first N tokens shared)" },
  'no-model-check': { arity: 'none', help: "do not check the model against the server's GET /v1/models" },
  shard: { arity: 'one', value: 'I/N', help: 'run part I (from 0) of N of each value: open loop, requests j with j mod N = I of the one schedule; closed loop, a share of the concurrency and requests. The parts meet in the store and start together (default: from SLURM_ARRAY_TASK_ID, or JOB_COMPLETION_INDEX with TOKENBENCH_SHARD_COUNT)' },
  group: { arity: 'one', value: 'ID', help: 'the group the parts share (default $TOKENBENCH_GROUP, else slurm-$SLURM_ARRAY_JOB_ID); needed with --shard' },
  workers: { arity: 'one', value: 'N', help: 'run each value in N processes on this machine (one per core), each sending part of it as --shard does, merged into one result (default 1)' },
  'meet-timeout': { arity: 'one', value: 'SECONDS', help: 'with --shard or --workers: how long a part waits for the others before the value fails (default 600; a lost worker is noticed at once)' },
  ...CAPACITY_FLAGS,
  output: { arity: 'one', commas: false, value: 'FILE', help: 'result file (default DIR/run-<time>-<id>.json)' },
  'output-dir': { arity: 'one', commas: false, value: 'DIR', help: 'folder for the result file (default ./tokenbench-results); the store does not move with it: it stays sqlite:./tokenbench-results/tokenbench.db under the current folder unless --store or TOKENBENCH_STORE says otherwise' },
  store: { arity: 'one', commas: false, value: 'URL', help: 'results store: sqlite:PATH or postgres://... (default as for run)' },
  'no-store': { arity: 'none', help: 'write the result file only' },
  json: { arity: 'none', help: 'print the whole result as JSON on stdout (the request records stay in their JSONL file)' },
  percentiles: { arity: 'many', value: 'P', help: 'the percentiles of the latency table, of 50, 90, 95, 99 (default all four; report takes the same)' },
  quiet: { arity: 'none', help: 'no progress output' },
  help: { arity: 'none', help: 'show this help' },
};

export const LOAD_HELP = `Usage: tokenbench load --url URL --model NAME [--concurrency N... | --request-rate R... | --trace FILE] [flags]

Load-tests an OpenAI-compatible streaming server. Closed loop (--concurrency): N requests always in
flight. Open loop (--request-rate): requests sent on a schedule drawn up front from --seed, whether
or not earlier ones finished; each request keeps when it was due and when it was sent, and latency
is reported from both. Output: TTFT/TPOT/ITL/e2e statistics, throughput over the window (first
send to last end), achieved vs target rate, goodput for --slo; per-request records go, as requests
end, to a JSONL file beside the result file (RESULT.requests-<value>.jsonl), so memory stays flat
however long the run.

${formatFlags(LOAD_FLAGS)}

A value fails when under 90% of its scheduled requests succeed. Ctrl-C: the first stops sending and
lets the requests in flight finish (counted when they do), the second cuts them (recorded as
interrupted, neither ok nor failed) and saves, a third quits at once; SIGTERM does the same, cutting
the requests in flight by itself after 10 s.

Trace replay: --trace FILE sends each line of a request trace (Mooncake's layout) at its timestamp,
with its own lengths; lines that share a hash id share that 512-token block of their prompts, so a
server's prefix cache does what it does in production (docs/traffic.md).

Capacity: --find-max-rate (or --find-max-concurrency) with --slo finds the most load the server
holds with P% (--slo-percentile) of each SLO metric within its limit, latency counted from when each
request was due: a saturating closed loop, then probes narrowing in, each a saved value; the answer
says how certain it is and what limits it (docs/capacity.md).
${EXIT_CODES}`;

function parseNumber(flag: string, value: string, rule: NumberRule): number {
  return parseFlagNumber('load', flag, value, rule);
}

function optionalNumber(args: ParsedArgs, flag: string, rule: NumberRule): number | null {
  const v = single(args, flag, 'load');
  return v === undefined ? null : parseNumber(flag, v, rule);
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/** `ttft=500ms` and friends; a bare number is milliseconds. */
export function parseSlo(items: readonly string[]): LoadSettings['slo'] {
  const slo: LoadSettings['slo'] = { ttft_ms: null, tpot_ms: null, e2e_ms: null };
  for (const item of items) {
    const m = /^(ttft|tpot|itl|e2e)=(\d+(?:\.\d+)?)(us|ms|s)?$/.exec(item.trim());
    if (!m) throw new InputError('usage', `load: --slo takes ttft=, tpot= or e2e= with a time like 500ms, 0.5s or 800us; got '${item}'`);
    const ms = Number(m[2]) * (UNIT_MS[m[3] ?? 'ms'] as number);
    const key = m[1] === 'itl' ? 'tpot' : (m[1] as 'ttft' | 'tpot' | 'e2e');
    if (slo[`${key}_ms`] !== null) throw new InputError('usage', `load: --slo gives ${key} twice ('${item}'); give each metric once`);
    if (ms <= 0) throw new InputError('usage', `load: --slo ${key} must be above 0, got '${item}'`);
    slo[`${key}_ms`] = ms;
  }
  return slo;
}

/** A flag's name for a spec field (`request_rate` is `--request-rate`), so that one validation speaks the CLI's words. */
export const FLAG_NAME: SpecName = (field) =>
  ({
    duration_s: '--duration',
    timeout_s: '--timeout',
    ramp_up_s: '--ramp-up',
    think_time_ms: '--think-time',
    'capacity.search': '--find-max-rate',
    'capacity.percentile': '--slo-percentile',
    'capacity.precision': '--max-rate-precision',
    'capacity.saturation_concurrency': '--saturation-concurrency',
    'slo.ttft_ms': '--slo ttft',
    'slo.tpot_ms': '--slo tpot',
    'slo.e2e_ms': '--slo e2e',
    capacity: '--find-max-rate (or --find-max-concurrency)',
  })[field] ?? `--${field.replace(/_/g, '-')}`;

/** The load run the flags describe (numbers read as decimal text, each named by its flag). */
export function loadSpecOf(args: ParsedArgs): LoadSpec {
  const text = (flag: string): string | undefined => single(args, flag, 'load');
  const num = (flag: string, rule: NumberRule): number | undefined => optionalNumber(args, flag, rule) ?? undefined;
  const spec: LoadSpec = { url: args.flags.get('url') ?? '', model: text('model') ?? '' };
  const concurrency = args.flags.get('concurrency');
  const rates = args.flags.get('request-rate');
  if (concurrency) spec.concurrency = concurrency.map((c) => parseNumber('concurrency', c, { int: true, min: 1 }));
  if (rates) spec.request_rate = rates.map((r) => parseNumber('request-rate', r, { min: 0, exclusive: true }));
  const slo = parseSlo(args.flags.get('slo') ?? []);
  if (args.flags.has('slo')) spec.slo = Object.fromEntries(Object.entries(slo).filter(([, v]) => v !== null));
  const fields: Partial<LoadSpec> = {
    api: text('api') as LoadSpec['api'],
    api_key_env: text('api-key-env'),
    arrival: text('arrival') as LoadSpec['arrival'],
    burstiness: num('burstiness', { min: 0, exclusive: true }),
    seed: num('seed', { int: true, min: 0 }),
    requests: num('requests', { int: true, min: 1 }),
    duration_s: num('duration', { min: 0, exclusive: true }),
    warmup_requests: num('warmup-requests', { int: true, min: 0 }),
    max_concurrency: num('max-concurrency', { int: true, min: 1 }),
    ramp_up_s: num('ramp-up', { min: 0, exclusive: true }),
    input_len: num('input-len', { int: true, min: 1 }),
    output_len: num('output-len', { int: true, min: 1 }),
    range_ratio: num('range-ratio', { min: 0 }),
    dataset: text('dataset'),
    trace: text('trace'),
    trace_speed: num('trace-speed', { min: 0, exclusive: true }),
    multi_turn: args.flags.has('multi-turn') ? true : undefined,
    turns: num('turns', { int: true, min: 1 }),
    think_time_ms: num('think-time', { min: 0 }),
    late_ms: num('late-ms', { min: 0 }),
    timeout_s: num('timeout', { min: 0, exclusive: true }),
    prompt_reuse: text('prompt-reuse'),
    route: text('route') as LoadSpec['route'],
    ignore_eos: args.flags.has('no-ignore-eos') ? false : undefined,
    logprobs: args.flags.has('no-logprobs') ? false : undefined,
    usage: args.flags.has('no-usage') ? false : undefined,
    busy_poll: args.flags.has('busy-poll') ? true : undefined,
    model_check: args.flags.has('no-model-check') ? false : undefined,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (spec as unknown as Record<string, unknown>)[k] = v;
  return spec;
}

/** One config per swept value; `defaultRequests` when neither --requests nor --duration is given. */
export function loadConfigs(args: ParsedArgs, defaultRequests = 100): LoadConfig[] {
  return loadConfigsOf(loadSpecOf(args), defaultRequests, FLAG_NAME);
}

/**
 * Progress of a load run on stderr: on a terminal one line redrawn at most once a second (requests
 * done, output tokens/s so far, time left); otherwise one line when each value starts and one when
 * it ends. Requests end while others are in flight, so nothing more is done per request.
 */
export class LoadLog implements LoadProgress {
  private planned: number | null = null;
  private started = 0;
  private last = 0;
  private tokens = 0;
  constructor(
    private readonly quiet: boolean,
    private readonly tty: boolean,
  ) {}
  private write(text: string): void {
    if (!this.quiet) process.stderr.write(`${this.tty ? '\r\x1b[2K' : ''}${text}\n`);
  }
  start(index: number, total: number, name: string, planned: number | null): void {
    this.planned = planned;
    this.started = performance.now();
    // a log's first line comes a few seconds in; a terminal's at the first request
    this.last = this.tty ? 0 : this.started;
    this.tokens = 0;
    // a search does not know how many probes it will take (total 0)
    this.write(`[${total > 0 ? `${index + 1}/${total}` : `probe ${index + 1}`}] ${name}`);
  }
  request(done: number, outputTokens: number): void {
    this.tokens += outputTokens;
    if (this.quiet) return;
    const now = performance.now();
    // redrawn each second on a terminal; a line every few seconds in a log (CI, | tee)
    if (now - this.last < (this.tty ? 1000 : LOG_EVERY_MS)) return;
    this.last = now;
    const elapsed = now - this.started;
    const left = this.planned !== null && done > 0 ? `, about ${roughDuration((elapsed / done) * (this.planned - done))} left` : '';
    const line = `  ${done}${this.planned !== null ? `/${this.planned}` : ''} requests, ${((this.tokens * 1000) / elapsed).toFixed(0)} output tok/s, ${roughDuration(elapsed)} so far${left}`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
  end(result: BenchmarkResult): void {
    const c = result.load?.counts;
    // every scheduled request in one of these: a dead server's requests are never sent, not "0 failed"
    const counts = c ? `: ${c.ok} ok, ${c.failed} failed${c.interrupted ? `, ${c.interrupted} interrupted` : ''}${c.dropped > 0 ? `, ${c.dropped} never sent` : ''}, ${c.late} late` : '';
    this.write(`  ${result.status}${counts}${result.error ? ` (${result.error.kind}: ${result.error.message})` : ''}`);
  }
  message(text: string): void {
    this.write(`  ${text}`);
  }
}

/** Flags a worker does not get: its part, where it meets and writes, and what only the parent prints. */
const PARENT_ONLY = new Set(['workers', 'shard', 'group', 'store', 'no-store', 'output', 'output-dir', 'json', 'quiet']);

/** Worker i of n: this command again as part i, meeting the others in a SQLite file in `meetDir`; a Ctrl-C is passed on, and a second one too. */
function workerProcesses(args: ParsedArgs, meetDir: string, group: string, signal: AbortSignal, cut: AbortSignal): WorkerRunner {
  const passed = [...args.flags].flatMap(([flag, values]) => (PARENT_ONLY.has(flag) ? [] : [`--${flag}`, ...(LOAD_FLAGS[flag]?.arity === 'none' ? [] : values)]));
  return (index, count) =>
    new Promise((resolve) => {
      const output = join(meetDir, `part-${index}.json`);
      const argv = [...process.execArgv, process.argv[1] as string, 'load', ...passed, '--shard', `${index}/${count}`, '--group', group, '--store', `sqlite:${join(meetDir, 'meet.db')}`, '--output', output, '--quiet'];
      // its own process group: a Ctrl-C at the terminal reaches the parent alone, which passes it on once
      const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const onAbort = (): void => void child.kill('SIGINT');
      signal.addEventListener('abort', onAbort, { once: true });
      if (cut !== signal) cut.addEventListener('abort', onAbort, { once: true });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        cut.removeEventListener('abort', onAbort);
        try {
          resolve(readResultFile(output));
        } catch {
          resolve({ failed: `exited ${sig ?? code} without a result${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}` });
        }
      });
    });
}

/** A load run in parts needs enough of each count to share out. */
function checkShares(configs: readonly LoadConfig[], shard: Shard): void {
  for (const c of configs) {
    const s = c.load;
    if (s.mode === 'closed' && (s.concurrency ?? 1) < shard.count) throw new InputError('usage', `load: --concurrency ${s.concurrency} cannot be shared by ${shard.count} parts; give at least ${shard.count}`);
    if (s.requests !== null && s.requests < shard.count) throw new InputError('usage', `load: --requests ${s.requests} cannot be shared by ${shard.count} parts; give at least ${shard.count}`);
  }
}

export async function loadCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, LOAD_FLAGS, 'load');
  if (args.flags.has('help')) {
    process.stdout.write(`${LOAD_HELP}\n`);
    return 0;
  }
  if (args.positionals.length > 0) throw new InputError('usage', `load: unexpected argument '${args.positionals[0]}'; see 'tokenbench load --help'`);
  const spec = loadSpecOf(args);
  const search = capacitySearchOf(args, spec, FLAG_NAME);
  const percentiles = parsePercentiles('load', args.flags.get('percentiles'));
  const configs = loadConfigsOf(spec, search ? probeRequests(search.percentile) : 100, FLAG_NAME);
  // a bad dataset is bad input: found before anything is sent
  const dataset = configs[0]?.load.dataset;
  if (dataset) datasetPrompts(dataset, 1);
  const shard = shardFrom(single(args, 'shard', 'load'), process.env, 'load');
  const group = groupFrom(single(args, 'group', 'load'), process.env, 'load');
  const meetTimeoutS = optionalNumber(args, 'meet-timeout', { min: 0, exclusive: true }) ?? 600;
  const workers = optionalNumber(args, 'workers', { int: true, min: 1 }) ?? 1;
  if (args.flags.has('meet-timeout') && !shard && workers === 1) throw new InputError('usage', 'load: --meet-timeout is how long the parts of a split run wait for each other; it applies with --shard or --workers');
  if (shard) {
    if (group === null) throw new InputError('usage', 'load: --shard needs the group its parts share: --group ID (or TOKENBENCH_GROUP, or a Slurm array job)');
    if (args.flags.has('no-store')) throw new InputError('usage', 'load: --shard needs the store its parts meet in; drop --no-store');
    if (workers > 1) throw new InputError('usage', 'load: --workers runs its own parts on this machine; it cannot also be a part of a sharded job (--shard, or a scheduler\'s index)');
    checkShares(configs, shard);
  }
  if (workers > 1) checkShares(configs, { index: 0, count: workers });
  const progress = new LoadLog(args.flags.has('quiet'), process.stderr.isTTY === true);
  for (const warning of await checkConfigs(configs)) progress.message(warning);
  const run = newRunResult();
  if (group !== null) run.group = group;
  if (shard !== null) run.shard = shard;
  // the part is this process's alone while it runs: a second one for it is refused before anything is written
  const release = shard && group !== null ? await claimShard(storeUrl(single(args, 'store', 'load')), group, 'load', shard) : null;
  try {
    return await withRunSession(
      args,
      'load',
      run,
      (text) => progress.message(text),
      async ({ outputPath, store, signal, cut, unsaved }) => {
        const part =
          shard && store && group !== null
            ? { shard, meet: (config: LoadConfig) => meetParts(store, group, config.hash, shard, { host: hostname(), timeoutMs: meetTimeoutS * 1000, signal }), salt: (config: LoadConfig) => groupSalt(group, config.hash) }
            : undefined;
        if (part) progress.message(`part ${shard?.index}/${shard?.count} of group ${group}: each value starts when all parts have warmed up and met in the store`);
        // a job resubmitted skips the values every part of it already measured ok; the others are measured again by all parts
        const stored = part && store && group !== null ? await store.okConfigHashesOfGroup(group, part.shard.count) : new Set<string>();
        const todo = configs.filter((c) => !stored.has(c.hash));
        // each value's records go beside the result file: nothing there that is not tokenbench's is overwritten
        // a search's probes are not known ahead: as many as any search can take
        checkRecordsPaths(outputPath, search ? MAX_PROBES : todo.length);
        if (todo.length < configs.length) progress.message(`${configs.length - todo.length} of ${configs.length} values already measured ok by all ${part?.shard.count} parts in group ${group}, skipped`);
        const options = { outputPath, progress, signal, cut, unsaved, ...(store ? { store } : {}), ...(part ? { part } : {}) };
        if (workers > 1) {
          progress.message(`${workers} worker processes, each sending part of every value; merged when all are done`);
          // a new folder of tokenbench's own for the workers' meeting place and part files; removed
          // whole afterwards, as nothing else can be in it (the merged result goes where the user said)
          const meetDir = mkdtempSync(join(tmpdir(), 'tokenbench-workers-'));
          // a group of this run's own: a trace's blocks (numbered from the group) differ from every earlier run's
          const workersGroup = `workers-${basename(meetDir)}`;
          const meetUrl = `sqlite:${join(meetDir, 'meet.db')}`;
          // made here, before the workers start, so that they do not all create it at once
          await (await ResultStore.open(meetUrl)).close();
          const lost = new LostWorkers(meetUrl, workersGroup, todo, workers, (text) => progress.message(text));
          try {
            await runLoadWorkers(todo, workers, workerProcesses(args, meetDir, workersGroup, signal, cut), options, run, (i, why) => lost.add(i, why));
          } finally {
            await lost.close();
            rmSync(meetDir, { recursive: true, force: true });
          }
        } else if (search) await findCapacity(configs[0] as LoadConfig, search, options, run);
        else await runLoadBenchmarks(todo, options, run);
      },
      (result) => formatLoadSummary(result, percentiles),
      true,
    );
  } finally {
    await release?.();
  }
}
