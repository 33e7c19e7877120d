/**
 * `tokenbench quick`: finds a local OpenAI-compatible server, picks its model, and says in plain
 * words in about a minute what one user gets, how many users at once it serves within a default
 * SLO, at what rate, and what limits it. A concurrency search (load --find-max-concurrency) with
 * short probes; everything it measured is saved as a load run.
 */
import { checkConfigs } from '../engines/index.js';
import { findCapacity, MAX_PROBES } from '../load/capacity.js';
import { checkRecordsPaths } from '../results/request-records.js';
import { findLocalServer, listedModels, USUAL_PORTS } from '../load/discover.js';
import type { LoadConfig } from '../load/load-config.js';
import { loadConfigsOf } from '../load/load-spec.js';
import { newRunResult } from '../measure/runner.js';
import type { Capacity, RunResult } from '../results/schema.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';
import { capacitySearchOf } from './capacity.js';
import { FLAG_NAME, LOAD_FLAGS, LoadLog, loadSpecOf } from './load.js';
import { parseNumber } from './numbers.js';
import { EXIT_CODES, withRunSession } from './run-session.js';

/** The SLO quick holds a server to unless told otherwise. */
const DEFAULT_SLO = ['ttft=500ms'];
const DEFAULT_PERCENTILE = '90';
/** The most users at once quick tries. */
const DEFAULT_LIMIT = '32';

const pick = (names: readonly string[]): Record<string, FlagSpec> => Object.fromEntries(names.map((n) => [n, LOAD_FLAGS[n] as FlagSpec]));

export const QUICK_FLAGS: Readonly<Record<string, FlagSpec>> = {
  url: { arity: 'one', commas: false, value: 'URL', help: 'the server (default: the first that answers on 127.0.0.1 at --ports)' },
  model: { arity: 'one', commas: false, value: 'NAME', help: 'the served model (default: the first the server lists)' },
  ports: { arity: 'many', value: 'PORT', help: `ports to look on, in order (default ${USUAL_PORTS.map((p) => `${p.port} ${p.server}`).join(', ')})` },
  slo: { arity: 'many', commas: false, value: 'K=V', help: `the limits to hold (default ${DEFAULT_SLO.join(' ')})` },
  'slo-percentile': { arity: 'one', value: 'P', help: `the share of requests that must meet them, in (0, 100) (default ${DEFAULT_PERCENTILE})` },
  requests: { arity: 'one', value: 'N', help: 'measured requests per probe (default max(10, 3 x the users at once))' },
  'saturation-concurrency': { arity: 'one', value: 'N', help: `the most users at once to try (default ${DEFAULT_LIMIT})` },
  ...pick(['api', 'api-key-env', 'input-len', 'output-len', 'no-model-check', 'output', 'output-dir', 'store', 'no-store', 'json', 'quiet']),
  help: { arity: 'none', help: 'show this help' },
};

export const QUICK_HELP = `Usage: tokenbench quick [--url URL] [--model NAME] [flags]

Finds an OpenAI-compatible server on this machine (llama.cpp 8080, Ollama 11434, vLLM 8000,
SGLang 30000, LM Studio 1234), picks its model, and says in plain words what one user gets (time
to first token, tokens/s), how many users at once it serves with first token < 500 ms for 90% of
requests, the rate it completes there, and what limits it. It probes 1, 2, 4, ... users at once
(a closed loop) with short probes (64 new tokens, 128-token prompts by default), so the answer is
rough: load --find-max-concurrency and --find-max-rate measure it properly (docs/capacity.md).

${formatFlags(QUICK_FLAGS)}
${EXIT_CODES}`;

/** What quick prints: the server, one user, the capacity, what limits it. */
export function formatQuick(run: RunResult, server: { url: string; model: string; known: string | null }): string {
  const c: Capacity | undefined = run.capacity;
  const lines = [`Server: ${server.url}${server.known ? ` (${server.known}'s usual port)` : ''}, model ${server.model}`];
  const one = c?.points.find((p) => p.concurrency === 1);
  if (one && one.status === 'ok') lines.push(`One user: first token in ${one.ttft_p50_ms?.toFixed(0) ?? '-'} ms (median), ${one.tokens_per_s_per_user?.toFixed(1) ?? '-'} tokens/s per request.`);
  if (!c) return lines.join('\n');
  const at = c.points.find((p) => p.concurrency === c.max_concurrency);
  const capacity = `${c.answer[0]?.toUpperCase() ?? ''}${c.answer.slice(1)}`;
  lines.push(`${capacity}.${at && c.max_concurrency ? ` With ${c.max_concurrency} at once it completed ${at.throughput_rps.toFixed(2)} requests/s (${at.output_tokens_per_s.toFixed(0)} output tokens/s): the rate it holds.` : ''}`);
  if (c.limit) lines.push(`What limits it: ${c.limit}.`);
  lines.push('A rough answer from short probes: load --find-max-concurrency or --find-max-rate measure it properly (docs/capacity.md).');
  return lines.join('\n');
}

export async function quickCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, QUICK_FLAGS, 'quick');
  if (args.flags.has('help')) {
    process.stdout.write(`${QUICK_HELP}\n`);
    return 0;
  }
  if (args.positionals.length > 0) throw new InputError('usage', `quick: unexpected argument '${args.positionals[0]}'; see 'tokenbench quick --help'`);
  const ports = (args.flags.get('ports') ?? USUAL_PORTS.map((p) => String(p.port))).map((p) => parseNumber('quick', 'ports', p, { int: true, min: 1 }));
  let url = single(args, 'url', 'quick');
  let models: string[] | null;
  if (url === undefined) {
    const found = await findLocalServer(ports);
    if (!found) throw new InputError('usage', `quick: no OpenAI-compatible server listed a model on 127.0.0.1 ports ${ports.map((p) => `${p}${USUAL_PORTS.find((u) => u.port === p) ? ` (${USUAL_PORTS.find((u) => u.port === p)?.server})` : ''}`).join(', ')}; start one, or give --url`);
    url = found.url;
    models = found.models;
  } else {
    models = await listedModels(url);
  }
  const model = single(args, 'model', 'quick') ?? models?.[0];
  if (model === undefined) throw new InputError('usage', `quick: ${url} lists no model (GET /models); give --model NAME`);
  if (models && !models.includes(model)) throw new InputError('usage', `quick: model '${model}' is not served at ${url}: it lists ${models.map((m) => `'${m}'`).join(', ')}`);

  // quick's choices, as the flags of a concurrency search
  const set = (flag: string, values: string[]): void => void (args.flags.has(flag) || args.flags.set(flag, values));
  args.flags.set('url', [url]);
  args.flags.set('model', [model]);
  args.flags.set('find-max-concurrency', []);
  set('slo', DEFAULT_SLO);
  set('slo-percentile', [DEFAULT_PERCENTILE]);
  set('saturation-concurrency', [DEFAULT_LIMIT]);
  set('output-len', ['64']);
  const perProbe = single(args, 'requests', 'quick');
  if (perProbe !== undefined) args.flags.set('requests', [perProbe]);
  const spec = loadSpecOf(args);
  const search = capacitySearchOf(args, spec, FLAG_NAME);
  if (!search) throw new Error('quick: the concurrency search flags were not taken');
  if (perProbe === undefined) search.requestsAt = (c) => Math.max(10, 3 * c);
  const [base] = loadConfigsOf(spec, 10, FLAG_NAME) as [LoadConfig];
  const port = Number(new URL(url).port);
  const server = { url, model, known: USUAL_PORTS.find((p) => p.port === port)?.server ?? null };
  const progress = new LoadLog(args.flags.has('quiet'), process.stderr.isTTY === true);
  for (const warning of await checkConfigs([base])) progress.message(warning);
  progress.message(`quick: ${url}, model ${model}: users at once 1, 2, 4, ... until ${search.saturationConcurrency} or the SLO fails`);
  const run = newRunResult();
  return withRunSession(
    args,
    'quick',
    run,
    (text) => progress.message(text),
    async ({ outputPath, store, signal, cut, unsaved }) => {
      checkRecordsPaths(outputPath, MAX_PROBES);
      await findCapacity(base, search, { outputPath, progress, signal, cut, unsaved, ...(store ? { store } : {}) }, run);
    },
    (result) => formatQuick(result, server),
    true,
  );
}
