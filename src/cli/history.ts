/** `tokenbench history`: a config's runs over time from the store. */
import { formatTable } from '../report/console.js';
import { redactUrl, ResultStore, storeUrl } from '../results/store/store.js';
import { groupFrom } from '../config/shard.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';

const METRICS = ['e2e_ms', 'ttft_ms', 'itl_ms', 'itl_gap_ms', 'tokens_per_s', 'decode_tokens_per_s'];

export const HISTORY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { arity: 'one', commas: false, value: 'NAME', help: 'config name' },
  hash: { arity: 'one', value: 'HASH', help: 'config hash (or its first characters)' },
  group: { arity: 'one', value: 'ID', help: 'only the runs of this group (the parts of a sharded job), with the part each came from' },
  metric: { arity: 'one', value: 'METRIC', help: `${METRICS.join(', ')} (default itl_ms)` },
  store: { arity: 'one', value: 'URL', help: 'store (default $TOKENBENCH_STORE or sqlite:./tokenbench-results/tokenbench.db)' },
  json: { arity: 'none', help: 'print JSON' },
  help: { arity: 'none', help: 'show this help' },
};

export const HISTORY_HELP = `Usage: tokenbench history [--config NAME | --hash H] [--group ID] [--metric itl_ms]

Lists the stored runs of a config (all configs without a filter), oldest first, with the p50,
mean and n of one metric.

${formatFlags(HISTORY_FLAGS)}`;

export async function historyCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, HISTORY_FLAGS, 'history');
  if (args.flags.has('help')) {
    process.stdout.write(`${HISTORY_HELP}\n`);
    return 0;
  }
  const metric = single(args, 'metric', 'history') ?? 'itl_ms';
  if (!METRICS.includes(metric)) throw new InputError('usage', `history: --metric must be one of ${METRICS.join(', ')}, got '${metric}'`);
  // the group checked as run and load check it, before the store is opened
  const group = args.flags.has('group') ? (groupFrom(single(args, 'group', 'history'), {}, 'history') ?? undefined) : undefined;
  const url = storeUrl(single(args, 'store', 'history'));
  const store = await ResultStore.open(url, { mustExist: true });
  try {
    const name = single(args, 'config', 'history');
    const hash = single(args, 'hash', 'history');
    const rows = await store.history({ ...(name ? { name } : {}), ...(hash ? { hash } : {}), ...(group ? { group } : {}) }, metric);
    if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    else {
      const f = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
      process.stdout.write(
        `${formatTable(
          ['started', 'commit', 'run', 'part', 'config', 'status', `${metric} p50`, 'mean', 'n'],
          rows.map((r) => [r.started_at, r.git_commit?.slice(0, 10) ?? '-', r.run_id.slice(0, 8), r.shard ? `${r.shard.index}/${r.shard.count}` : '-', r.name, r.status, f(r.p50), f(r.mean), String(r.n ?? '-')]),
        )}\n${rows.length} config result(s) from ${new Set(rows.map((r) => r.run_id)).size} run(s) in ${redactUrl(url)}\n`,
      );
    }
  } finally {
    await store.close();
  }
  return 0;
}
