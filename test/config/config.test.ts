import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readConfigFile } from '../../src/config/files.js';
import { canonicalJson, configHash } from '../../src/config/hash.js';
import { inferName, modelSlug } from '../../src/config/naming.js';
import { expandConfigs } from '../../src/config/sweep.js';
import { InputError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const expand = (fields: Record<string, unknown>) => expandConfigs([{ fields, where: 'command line' }]);
const throwsInput = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => err instanceof InputError && message.test(err.message));
};

test('defaults are those of DESIGN.md section 5', () => {
  const [c] = expand({});
  assert.ok(c);
  assert.equal(c.warmup_iterations, 5);
  assert.equal(c.measurement_iterations, 20);
  assert.equal(c.gpu_monitoring, true);
  assert.equal(c.monitor_interval_ms, 50);
  assert.equal(c.batch_size, 1);
  assert.equal(c.sequence_length, 128);
  assert.equal(c.num_tokens_to_generate, 128);
  assert.equal(c.engine, 'transformers-js');
  assert.equal(c.model, 'synthetic:tiny');
  assert.equal(c.device, 'cpu');
  assert.equal(c.dtype, 'fp32');
  assert.deepEqual(c.engine_options, {});
  assert.equal(c.name, 'w5_i20-monitored-b1_s128_n128-transformers-js-cpu-fp32-synthetic-tiny');
});

test('validation names the field, what is allowed and what was given', () => {
  throwsInput(() => expand({ num_tokens_to_generate: '1' }), /^command line: num_tokens_to_generate must be an integer >= 2, got '1'$/);
  throwsInput(() => expand({ batch_size: 1.5 }), /batch_size must be an integer >= 1, got 1.5/);
  throwsInput(() => expand({ batch_size: 'abc' }), /batch_size must be an integer >= 1, got 'abc'/);
  throwsInput(() => expand({ warmup_iterations: -1 }), /warmup_iterations must be an integer >= 0/);
  throwsInput(() => expand({ monitor_interval_ms: 0 }), /monitor_interval_ms must be a number > 0/);
  throwsInput(() => expand({ engine: 'vllm' }), /engine must be one of transformers-js, transformers-js-browser, llama-cpp, openai, got 'vllm'/);
  throwsInput(() => expand({ gpu_monitoring: 'yes' }), /gpu_monitoring must be true or false/);
  throwsInput(() => expand({ batch_sise: 2 }), /unknown field 'batch_sise'; allowed: name, warmup_iterations/);
  throwsInput(() => expand({ batch_size: [] }), /batch_size is an empty list/);
  throwsInput(() => expand({ engine_options: { thread: 2 } }), /engine option 'thread' is not known to engine transformers-js; allowed: threads/);
  throwsInput(() => expand({ engine_options: { threads: 0 } }), /engine option threads must be an integer >= 1, got 0/);
});

test('numbers given as text (flags) are accepted', () => {
  const [c] = expand({ batch_size: '4', gpu_monitoring: 'false', engine_options: { threads: ['2'] } });
  assert.equal(c?.batch_size, 4);
  assert.equal(c?.gpu_monitoring, false);
  assert.deepEqual(c?.engine_options, { threads: 2 });
  assert.match(c?.name ?? '', /-unmonitored-b4_.*-threads=2$/);
});

test('hash: sha256 of the canonical config without the name', () => {
  const [a] = expand({ batch_size: 2 });
  const [b] = expand({ batch_size: 2, name: 'my-run' });
  const [c] = expand({ batch_size: 3 });
  assert.ok(a && b && c);
  assert.equal(b.name, 'my-run');
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  const { name: _n, hash: _h, ...fields } = a;
  assert.equal(configHash(fields), a.hash);
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
});

test('list fields are a cross product in field order; duplicates run once', () => {
  const configs = expand({ batch_size: [1, 2], sequence_length: [16, 32, 16], num_tokens_to_generate: 8 });
  assert.deepEqual(
    configs.map((c) => [c.batch_size, c.sequence_length]),
    [
      [1, 16],
      [1, 32],
      [2, 16],
      [2, 32],
    ],
  );
  assert.equal(new Set(configs.map((c) => c.name)).size, 4);
  const named = expand({ name: 'sweep', batch_size: [1, 2] });
  assert.match(named[0]?.name ?? '', /^sweep\/w5_i20-monitored-b1_/);
  const withOptions = expand({ engine_options: { threads: [1, 2], graph_optimization: 'all' } });
  assert.deepEqual(withOptions.map((c) => c.engine_options), [
    { graph_optimization: 'all', threads: 1 },
    { graph_optimization: 'all', threads: 2 },
  ]);
});

test('names: model slugs for presets, folders and hub ids', () => {
  assert.equal(modelSlug('synthetic:tiny'), 'synthetic-tiny');
  assert.equal(modelSlug('/models/SmolLM2-135M/'), 'SmolLM2-135M');
  assert.equal(modelSlug('HuggingFaceTB/SmolLM2-135M'), 'SmolLM2-135M');
  const [c] = expand({});
  assert.ok(c);
  assert.equal(inferName(c), c.name);
});

test('values that look right but are not: text in a file, hex, Infinity, an unknown dtype, a key given twice', () => {
  const dir = tempDir();
  const quoted = join(dir, 'q.yaml');
  writeFileSync(quoted, 'batch_size: "2"\n');
  throwsInput(() => expandConfigs(readConfigFile(quoted)), /q\.yaml: batch_size must be an integer >= 1, got '2' \(text; write it without quotes\)$/);
  const flagText = join(dir, 'f.json');
  writeFileSync(flagText, JSON.stringify({ gpu_monitoring: 'false' }));
  throwsInput(() => expandConfigs(readConfigFile(flagText)), /gpu_monitoring must be true or false, got 'false' \(text/);
  throwsInput(() => expand({ batch_size: '0x2' }), /batch_size must be an integer >= 1, got '0x2'$/);
  throwsInput(() => expand({ monitor_interval_ms: 'Infinity' }), /monitor_interval_ms must be a number > 0, got 'Infinity'$/);
  throwsInput(() => expand({ dtype: 'fp99' }), /dtype 'fp99' is not one engine transformers-js knows; allowed: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4$/);
  throwsInput(() => expand({ engine: 'llama-cpp', dtype: 'bogus' }), /dtype 'bogus' is not one engine llama-cpp knows/);
  const twice = join(dir, 't.json');
  writeFileSync(twice, '{"batch_size": 1, "batch_size": 2}');
  throwsInput(() => readConfigFile(twice), /t\.json: invalid JSON \(a key is given twice \(Map keys must be unique at line 1, column 19\)\)/);
  const twiceLine = join(dir, 't.jsonl');
  writeFileSync(twiceLine, '{"batch_size": 1}\n{"seed": 1, "sequence_length": 8, "sequence_length": 9}\n');
  throwsInput(() => readConfigFile(twiceLine), /t\.jsonl: line 2: invalid JSON \(a key is given twice/);
  const binary = join(dir, 'b.yaml');
  writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 10, 65]));
  throwsInput(() => readConfigFile(binary), /^config file .*b\.yaml: is not a text file \(it holds binary data\)$/);
  const inf = join(dir, 'inf.yaml');
  writeFileSync(inf, 'monitor_interval_ms: .inf\n');
  throwsInput(() => expandConfigs(readConfigFile(inf)), /monitor_interval_ms must be a number > 0, got Infinity$/);
  const twiceYaml = join(dir, 't.yaml');
  writeFileSync(twiceYaml, 'batch_size: 1\nbatch_size: 2\n');
  throwsInput(() => readConfigFile(twiceYaml), /t\.yaml: invalid YAML \(Map keys must be unique/);
});

test('config files: json, jsonl and yaml; errors name the file and line', () => {
  const dir = tempDir();
  const json = join(dir, 'a.json');
  writeFileSync(json, JSON.stringify([{ batch_size: 2 }, { batch_size: [3, 4] }]));
  assert.equal(expandConfigs(readConfigFile(json)).length, 3);
  const jsonl = join(dir, 'b.jsonl');
  writeFileSync(jsonl, '{"sequence_length": 8}\n\n{"sequence_length": 16}\n');
  assert.deepEqual(expandConfigs(readConfigFile(jsonl)).map((c) => c.sequence_length), [8, 16]);
  const yaml = join(dir, 'c.yaml');
  writeFileSync(yaml, 'batch_size: [1, 2]\nengine_options:\n  threads: 1\n');
  assert.equal(expandConfigs(readConfigFile(yaml)).length, 2);

  throwsInput(() => readConfigFile(join(dir, 'missing.yaml')), /^config file .*missing\.yaml: not found$/);
  throwsInput(() => readConfigFile(join(dir, 'x.toml')), /unsupported extension '\.toml'; allowed: \.json, \.jsonl, \.yaml, \.yml/);
  const badLine = join(dir, 'd.jsonl');
  writeFileSync(badLine, '{"batch_size": 1}\n{oops\n');
  throwsInput(() => readConfigFile(badLine), /d\.jsonl: line 2: invalid JSON/);
  const badField = join(dir, 'e.jsonl');
  writeFileSync(badField, '{"batch_size": 1}\n{"new_tokens": 4}\n');
  throwsInput(() => expandConfigs(readConfigFile(badField)), /^config file .*e\.jsonl, line 2: unknown field 'new_tokens'/);
  const badYaml = join(dir, 'f.yaml');
  writeFileSync(badYaml, 'batch_size: [1, 2\n');
  throwsInput(() => readConfigFile(badYaml), /f\.yaml: invalid YAML/);
});

test('golden values: the hash and name of fixed configs, as users match them across versions', () => {
  // literal values: a change here breaks compare and history matching with earlier results
  const golden: [Record<string, unknown>, string, string][] = [
    [{}, 'w5_i20-monitored-b1_s128_n128-transformers-js-cpu-fp32-synthetic-tiny', 'e743f8c319b1ccb6e38425e6a52bd3fa1a561325a7dc213e23a0ea48334317e5'],
    [{ engine: 'llama-cpp', batch_size: 4, sequence_length: 256, engine_options: { threads: '2' } }, 'w5_i20-monitored-b4_s256_n128-llama-cpp-cpu-f16-synthetic-tiny-threads=2', 'b16846c6237b3428588e42574668f7fb9cb7b542d2e04a51661ca78cc2163dd4'],
    // the name lost "-server-server" in 0.1.0's fourth session; the hash did not change
    [{ engine: 'openai', model: 'Qwen/Qwen2.5-0.5B', engine_options: { url: 'http://localhost:8000/v1' } }, 'w5_i20-monitored-b1_s128_n128-openai-Qwen2.5-0.5B-url=localhost-8000-v1', 'b699485ab27361f48d46c4e8baa79fbf303a7e1eb55f09224a526e9079c9c2ed'],
  ];
  for (const [fields, name, hash] of golden) {
    const [c] = expandConfigs([{ fields, where: 'test' }]);
    assert.equal(c?.name, name);
    assert.equal(c?.hash, hash);
  }
});

test('an integer past 2^53 is refused, not rounded; a shared prefix longer than the prompt is refused', () => {
  throwsInput(() => expand({ batch_size: '9007199254740993' }), /batch_size must be an integer >= 1, got '9007199254740993'$/);
  throwsInput(() => expand({ measurement_iterations: 2 ** 60 }), /measurement_iterations must be an integer >= 1/);
  assert.equal(expand({ measurement_iterations: '9007199254740991' })[0]?.measurement_iterations, Number.MAX_SAFE_INTEGER);
  const served = { engine: 'openai', model: 'm', sequence_length: 16, engine_options: { url: 'http://127.0.0.1:9/v1', prompt_reuse: 'prefix=17' } };
  throwsInput(() => expand(served), /^command line: engine option prompt_reuse prefix=17 shares more tokens than the prompt has \(sequence_length 16\); give prefix=N with N <= 16$/);
  assert.equal(expand({ ...served, engine_options: { ...served.engine_options, prompt_reuse: 'prefix=16' } }).length, 1);
});
