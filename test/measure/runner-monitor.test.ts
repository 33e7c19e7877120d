/**
 * The benchmark loop with the device monitor: its process started on the stand-in NVML (built
 * from C by the test), one monitor kept across configs while the interval stays, samples cut into
 * each iteration's window, a monitor that cannot start.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandConfigs } from '../../src/config/sweep.js';
import { runBenchmark, runBenchmarks } from '../../src/measure/runner.js';
import { type ProgressReporter, silentProgress } from '../../src/measure/progress.js';
import { DeviceMonitor } from '../../src/monitor/monitor.js';
import { InputError } from '../../src/util/errors.js';
import { fakeNvml, NO_GPU_ENV } from '../monitor/standins.js';
import { config, interleavedConfigs, type Log, scriptedEngine } from './scripted-engine.js';

test('with the monitor (the stand-in NVML): each iteration gets the samples of its own window; a monitor that cannot start is failed with why', async () => {
  // the monitor's child process inherits the environment at its start
  const saved = { ...process.env };
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' });
  const monitor = await DeviceMonitor.start({ intervalMs: 5, watchedPid: process.pid }).finally(() => (process.env = saved));
  try {
    const log: Log = { calls: [], generateCalls: 0, prompts: [] };
    const fields = { gpu_monitoring: true, monitor_interval_ms: 5, num_tokens_to_generate: 10 };
    // 10 steps of 8 ms: 80 ms windows, sixteen 5 ms slots each (long enough that a monitor starved
    // for a few ms on a busy machine still samples every window)
    const result = await runBenchmark(config(fields), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ stepMs: 8 }, log) }, { monitor, error: null });
    assert.equal(result.status, 'ok');
    let windowsMs = 0;
    for (const it of result.iterations) {
      windowsMs += it.e2e_ms;
      for (const s of it.monitor.samples) assert.ok(s.t_ms >= 0 && s.t_ms <= it.e2e_ms, `sample at ${s.t_ms} ms outside [0, ${it.e2e_ms}]`);
      const gpu = it.monitor.samples.filter((s) => s.device === 'nvidia:0');
      assert.equal(it.monitor.status, gpu.length > 0 ? 'success' : 'no_samples');
    }
    const d = result.monitor?.devices[0];
    assert.equal(result.monitor?.status, 'success');
    assert.equal(d?.device, 'nvidia:0');
    assert.equal(d?.power_w_mean, 100);
    // the counter rises at exactly 100 W and is interpolated at each window's ends: 100 W * the windows
    // (within 5%: a reading is stamped a moment before the library is asked, longer when the machine is busy)
    assert.ok(Math.abs((d?.energy_j as number) / ((100 * windowsMs) / 1000) - 1) < 0.05, `${d?.energy_j} J over ${windowsMs} ms`);
    assert.ok(Math.abs((d?.energy_per_token_j as number) - (d?.energy_j as number) / (3 * 10)) < 1e-12);
  } finally {
    await monitor.stop();
  }
  const broken = await runBenchmark(config({ gpu_monitoring: true }), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }) }, { monitor: null, error: 'monitor process exited before ready (code 1)' });
  assert.equal(broken.status, 'ok');
  assert.deepEqual([broken.monitor?.status, broken.monitor?.reason], ['failed', 'monitor process exited before ready (code 1)']);
  for (const it of broken.iterations) assert.deepEqual(it.monitor, { status: 'failed', reason: 'monitor process exited before ready (code 1)', samples: [] });
  const none = await runBenchmark(config({ gpu_monitoring: true }), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ loadError: new Error('x') }, { calls: [], generateCalls: 0, prompts: [] }) }, { monitor: null, error: 'unused' });
  assert.equal(none.monitor?.status, 'failed');
});

test('runBenchmarks with monitoring: one monitor while the interval stays, another for a new one; devices listed once; an unknown device is bad input', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '2' });
  try {
    const configs = expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 0, measurement_iterations: 2, sequence_length: 3, num_tokens_to_generate: 2, gpu_monitoring: true, batch_size: [1, 2], monitor_interval_ms: [5, 7] }, where: 'test' }]);
    const messages: string[] = [];
    const progress: ProgressReporter = { ...silentProgress, message: (text) => messages.push(text) };
    const run = await runBenchmarks(configs, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ stepMs: 2 }, { calls: [], generateCalls: 0, prompts: [] }), progress });
    assert.equal(run.benchmarks.length, 4);
    for (const b of run.benchmarks) assert.deepEqual([b.status, b.monitor?.status, b.monitor?.interval_ms], ['ok', 'success', b.config.monitor_interval_ms]);
    // two devices, each listed once though the monitor started twice
    assert.deepEqual(run.devices.map((d) => d.id), ['nvidia:0', 'nvidia:1']);
    assert.deepEqual(messages, []);
    await assert.rejects(
      runBenchmarks(configs.slice(0, 1), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }), devices: ['nvidia:7', 'nvidia:0', 'amd:1'] }),
      (e: unknown) => e instanceof InputError && e.kind === 'usage' && /^run: --devices nvidia:7, amd:1 matched no device; 'tokenbench monitor --duration-ms 100' lists the devices there are$/.test(e.message),
    );
    // no GPU library at all: the benchmarks run and say why there are no devices
    process.env.TOKENBENCH_NVML_LIB = '/nonexistent/lib.so';
    const bare = await runBenchmarks(configs.slice(0, 1), { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }), progress });
    assert.equal(bare.benchmarks[0]?.status, 'ok');
    assert.equal(bare.benchmarks[0]?.monitor?.status, 'no_devices');
    assert.deepEqual(bare.devices, []);
  } finally {
    process.env = saved;
  }
});

test('--interleave: unmonitored configs do not count against the one interval', async () => {
  // one monitored config and one that is not, with other intervals: fine
  const mixed = [...interleavedConfigs({ gpu_monitoring: false, monitor_interval_ms: 20 }).slice(0, 1), ...interleavedConfigs({ gpu_monitoring: true, monitor_interval_ms: 50 }).slice(2)];
  const saved = { ...process.env };
  Object.assign(process.env, NO_GPU_ENV);
  try {
    const run = await runBenchmarks(mixed, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }), interleave: true });
    assert.deepEqual(run.benchmarks.map((b) => [b.status, b.monitor?.status ?? null]), [['ok', null], ['ok', 'no_devices']]);
  } finally {
    process.env = saved;
  }
});

test('--interleave with the monitor (stand-in NVML): one monitor for all configs, each iteration gets the samples of its own window', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' });
  try {
    const configs = interleavedConfigs({ gpu_monitoring: true, monitor_interval_ms: 5 }).slice(0, 2);
    const run = await runBenchmarks(configs, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ stepMs: 4 }, { calls: [], generateCalls: 0, prompts: [] }), interleave: true });
    assert.deepEqual(run.devices.map((d) => d.id), ['nvidia:0']);
    for (const b of run.benchmarks) {
      assert.deepEqual([b.status, b.monitor?.status, b.monitor?.interval_ms], ['ok', 'success', 5]);
      for (const it of b.iterations) for (const s of it.monitor.samples) assert.ok(s.t_ms >= 0 && s.t_ms <= it.e2e_ms, `sample at ${s.t_ms} ms outside [0, ${it.e2e_ms}]`);
    }
  } finally {
    process.env = saved;
  }
});

test('a monitor that cannot start: the run goes on without it, says so once an interval, and every monitored config is failed with why', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_INIT_CRASH: '1' });
  const messages: string[] = [];
  try {
    // two configs at one interval, then one at another: one try each interval
    const configs = [...interleavedConfigs({ gpu_monitoring: true }).slice(0, 2), ...interleavedConfigs({ gpu_monitoring: true, monitor_interval_ms: 7 }).slice(2)];
    const run = await runBenchmarks(configs, {
      cacheDir: '/nonexistent',
      engineFactory: scriptedEngine({}, { calls: [], generateCalls: 0, prompts: [] }),
      progress: { ...silentProgress, message: (text) => messages.push(text) },
    });
    assert.deepEqual(run.benchmarks.map((b) => [b.status, b.monitor?.status]), [['ok', 'failed'], ['ok', 'failed'], ['ok', 'failed']]);
    assert.equal(messages.length, 2, messages.join('\n'));
    for (const m of messages) assert.match(m, /^monitor: monitor process exited before ready .*; benchmarks continue without it$/);
    assert.equal(run.benchmarks[0]?.monitor?.reason, messages[0]?.slice('monitor: '.length, -'; benchmarks continue without it'.length));
  } finally {
    process.env = saved;
  }
});

test('a monitor that dies mid-run is started again for the next config, at the same interval', async () => {
  const saved = { ...process.env };
  // the stand-in takes its process down on the 3rd reading; the restarted monitor is healthy
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_CRASH_AFTER: '3' });
  try {
    const configs = expandConfigs([{ fields: { model: 'scripted', warmup_iterations: 0, measurement_iterations: 3, sequence_length: 3, num_tokens_to_generate: 10, gpu_monitoring: true, monitor_interval_ms: 5, batch_size: [1, 2] }, where: 'test' }]);
    const progress: ProgressReporter = { ...silentProgress, benchmarkEnd: () => delete process.env.FAKE_NVML_CRASH_AFTER };
    // 3 iterations of 10 steps of 10 ms: 300 ms, sixty 5 ms intervals for the 3 readings
    const run = await runBenchmarks(configs, { cacheDir: '/nonexistent', engineFactory: scriptedEngine({ stepMs: 10 }, { calls: [], generateCalls: 0, prompts: [] }), progress });
    assert.deepEqual(run.benchmarks.map((b) => [b.status, b.monitor?.status, b.monitor?.reason]), [
      ['ok', 'failed', 'monitor process exited (SIGABRT)'],
      ['ok', 'success', null],
    ]);
  } finally {
    process.env = saved;
  }
});
