/** The flags of load's capacity search (--find-max-rate, --find-max-concurrency): read and checked before anything runs. */
import { type CapacitySearchSettings, DEFAULT_PRECISION, DEFAULT_SATURATION_CONCURRENCY } from '../load/capacity.js';
import { capacitySearchOfSpec, type LoadSpec, type SpecName } from '../load/load-spec.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, type ParsedArgs, single } from './args.js';
import { parseNumber } from './numbers.js';

export const CAPACITY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'find-max-rate': { arity: 'none', help: 'find the highest open-loop rate at which --slo holds: a saturating closed loop first, then probes narrowing to --max-rate-precision (docs/capacity.md)' },
  'find-max-concurrency': { arity: 'none', help: 'find the most requests in flight (closed loop) at which --slo holds: 1, 2, 4, ... then bisection' },
  'slo-percentile': { arity: 'one', value: 'P', help: 'with a search: the percentile of each --slo metric that must stay within its limit, in (0, 100) (default 99)' },
  'max-rate-precision': { arity: 'one', value: 'F', help: `with --find-max-rate: stop when the rates that held and failed are within this fraction of the rate (default ${DEFAULT_PRECISION})` },
  'saturation-concurrency': { arity: 'one', value: 'N', help: `with a search: requests in flight in the saturating run, and the most a concurrency search tries (default ${DEFAULT_SATURATION_CONCURRENCY})` },
};

/** The search the flags ask for, or null; every misuse is an InputError naming the flag (`name`: a spec field's flag). */
export function capacitySearchOf(args: ParsedArgs, spec: LoadSpec, name: SpecName): CapacitySearchSettings | null {
  const rate = args.flags.has('find-max-rate');
  const concurrency = args.flags.has('find-max-concurrency');
  const flag = rate ? '--find-max-rate' : '--find-max-concurrency';
  if (!rate && !concurrency) {
    for (const f of ['slo-percentile', 'max-rate-precision', 'saturation-concurrency']) {
      if (args.flags.has(f)) throw new InputError('usage', `load: --${f} applies to a capacity search; add --find-max-rate or --find-max-concurrency`);
    }
    return null;
  }
  if (rate && concurrency) throw new InputError('usage', 'load: give --find-max-rate or --find-max-concurrency, not both');
  for (const f of ['shard', 'workers']) {
    if (args.flags.has(f)) throw new InputError('usage', `load: ${flag} runs in one process; --${f} cannot be used with it`);
  }
  const percentileText = single(args, 'slo-percentile', 'load');
  const percentile = percentileText === undefined ? undefined : parseNumber('load', 'slo-percentile', percentileText, { min: 0, exclusive: true });
  if (percentile !== undefined && percentile >= 100) throw new InputError('usage', `load: --slo-percentile must be in (0, 100), got '${percentileText}'`);
  const precisionText = single(args, 'max-rate-precision', 'load');
  const precision = precisionText === undefined ? undefined : parseNumber('load', 'max-rate-precision', precisionText, { min: 0, exclusive: true });
  if (precision !== undefined && precision >= 1) throw new InputError('usage', `load: --max-rate-precision must be in (0, 1), a fraction of the rate, got '${precisionText}'`);
  const saturationText = single(args, 'saturation-concurrency', 'load');
  const saturation = saturationText === undefined ? undefined : parseNumber('load', 'saturation-concurrency', saturationText, { int: true, min: 1 });
  spec.capacity = { search: rate ? 'rate' : 'concurrency' };
  if (percentile !== undefined) spec.capacity.percentile = percentile;
  if (precision !== undefined) spec.capacity.precision = precision;
  if (saturation !== undefined) spec.capacity.saturation_concurrency = saturation;
  return capacitySearchOfSpec(spec, name);
}
