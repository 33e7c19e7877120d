import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { RUN_FLAGS, rawConfigsFromArgs } from '../../src/cli/run.js';
import { expandConfigs } from '../../src/config/sweep.js';
import { InputError } from '../../src/util/errors.js';

const parse = (argv: string[]) => parseArgs(argv, RUN_FLAGS, 'run');

test('list flags take several values, separated by spaces or commas', () => {
  const a = parse(['--batch-size', '1', '2', '--sequence-length=8,16', '--new-tokens', '4', '--no-gpu-monitoring']);
  assert.deepEqual(a.flags.get('batch-size'), ['1', '2']);
  assert.deepEqual(a.flags.get('sequence-length'), ['8', '16']);
  const configs = expandConfigs(rawConfigsFromArgs(a));
  assert.equal(configs.length, 4);
  assert.ok(configs.every((c) => !c.gpu_monitoring && c.num_tokens_to_generate === 4));
});

test('model values keep their commas; engine options sweep after =', () => {
  const a = parse(['--model', 'synthetic:layers=1,hidden=32', '--engine-option', 'threads=1,2']);
  assert.deepEqual(a.flags.get('model'), ['synthetic:layers=1,hidden=32']);
  const configs = expandConfigs(rawConfigsFromArgs(a));
  assert.deepEqual(configs.map((c) => c.engine_options.threads), [1, 2]);
});

test('unknown flags and missing values are usage errors', () => {
  assert.throws(() => parse(['--batchsize', '2']), (e: unknown) => e instanceof InputError && /unknown option --batchsize/.test(e.message));
  assert.throws(() => parse(['--batch-size']), (e: unknown) => e instanceof InputError && /needs a value/.test(e.message));
  assert.throws(() => parse(['--json=1']), (e: unknown) => e instanceof InputError && /takes no value/.test(e.message));
  assert.throws(() => parse(['-x']), (e: unknown) => e instanceof InputError && /unknown option -x/.test(e.message));
  assert.throws(() => rawConfigsFromArgs(parse(['--engine-option', 'threads'])), /KEY=VALUE/);
});

test('a negative number is taken as a value and then rejected by validation', () => {
  const a = parse(['--warmup', '-1']);
  assert.throws(() => expandConfigs(rawConfigsFromArgs(a)), /warmup_iterations must be an integer >= 0, got '-1'/);
});
