/**
 * attachMonitorSamples with real monitor processes (the stand-in NVML, or no GPU library at all):
 * what each iteration and the benchmark say when there are no devices, when a device is lost,
 * when the monitor is gone, and when there is nothing to attach.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { expandConfigs } from '../../src/config/sweep.js';
import type { NamedConfig } from '../../src/config/fields.js';
import { attachMonitorSamples } from '../../src/measure/monitor-windows.js';
import { DeviceMonitor } from '../../src/monitor/monitor.js';
import type { BenchmarkResult } from '../../src/results/schema.js';
import { fakeNvml, NO_GPU_ENV } from '../monitor/standins.js';

const config = (gpuMonitoring = true): NamedConfig =>
  expandConfigs([{ fields: { model: 'scripted', gpu_monitoring: gpuMonitoring, monitor_interval_ms: 5, num_tokens_to_generate: 4, batch_size: 2 }, where: 'test' }])[0] as NamedConfig;

/** A monitor whose child sees `env` (it inherits the environment at its start). */
async function monitorWith(env: Record<string, string>): Promise<DeviceMonitor> {
  const saved = { ...process.env };
  Object.assign(process.env, { ...NO_GPU_ENV, PATH: process.env.PATH, ...env });
  return DeviceMonitor.start({ intervalMs: 5, watchedPid: process.pid }).finally(() => (process.env = saved));
}

/** Two measured windows of about 25 ms each, as the runner would record them, and a result with two iterations. */
async function twoWindows(): Promise<{ result: BenchmarkResult; windows: [bigint, bigint][] }> {
  const windows: [bigint, bigint][] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = process.hrtime.bigint();
    await sleep(25);
    windows.push([t0, process.hrtime.bigint()]);
  }
  const iterations = windows.map(([t0, t1]) => ({ e2e_ms: Number(t1 - t0) / 1e6 }));
  return { result: { iterations } as unknown as BenchmarkResult, windows };
}

test('no GPU library: every iteration and the benchmark say no_devices with why; the host is still summarised', async () => {
  const monitor = await monitorWith({});
  try {
    const { result, windows } = await twoWindows();
    await attachMonitorSamples(result, config(), windows, { monitor, error: null });
    assert.equal(result.monitor?.status, 'no_devices');
    assert.ok(result.monitor?.reason && result.monitor.reason === monitor.noDevicesReason, `${result.monitor?.reason}`);
    assert.deepEqual(result.monitor?.devices, []);
    assert.equal(result.monitor?.interval_ms, 5);
    assert.ok(result.monitor?.host !== null);
    for (const it of result.iterations) {
      assert.equal(it.monitor.status, 'no_devices');
      assert.equal(it.monitor.reason, monitor.noDevicesReason);
      assert.ok(it.monitor.samples.every((s) => s.device === 'host'));
    }
  } finally {
    await monitor.stop();
  }
});

test('a device lost mid-run: failed, naming the device, on the iterations and the benchmark; samples before it kept', async () => {
  const monitor = await monitorWith({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '2', FAKE_NVML_LOST_AFTER: '3' });
  try {
    const { result, windows } = await twoWindows();
    await attachMonitorSamples(result, config(), windows, { monitor, error: null });
    assert.equal(result.monitor?.status, 'failed');
    // both devices named, one after the other
    assert.match(result.monitor?.reason ?? '', /^nvidia:0: [^;]+; nvidia:1: [^;]+$/);
    assert.deepEqual(result.monitor?.devices.map((d) => d.device), ['nvidia:0', 'nvidia:1']);
    for (const it of result.iterations) assert.deepEqual([it.monitor.status, it.monitor.reason], ['failed', result.monitor?.reason]);
    // each device's own failure, as the reason names it
    assert.equal(result.monitor?.devices.map((d) => `${d.device}: ${d.failure}`).join('; '), result.monitor?.reason);
  } finally {
    await monitor.stop();
  }
});

test('a healthy stand-in GPU: success; a window too short for any sample is no_samples with its length and the interval', async () => {
  const monitor = await monitorWith({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' });
  try {
    const { result, windows } = await twoWindows();
    // a third window of a few microseconds, right after the second
    const t = process.hrtime.bigint();
    windows.push([t, t + 1000n]);
    result.iterations.push({ e2e_ms: 0.001 } as BenchmarkResult['iterations'][number]);
    await attachMonitorSamples(result, config(), windows, { monitor, error: null });
    assert.equal(result.monitor?.status, 'success');
    assert.equal(result.monitor?.reason, null);
    // a 25 ms window holds samples unless the (niced) monitor was starved: success exactly when it has a GPU sample
    for (const it of result.iterations.slice(0, 2)) {
      const gpu = it.monitor.samples.some((s) => s.device === 'nvidia:0');
      assert.deepEqual([it.monitor.status, it.monitor.reason === null], [gpu ? 'success' : 'no_samples', gpu]);
    }
    assert.equal(result.iterations[2]?.monitor.status, 'no_samples');
    assert.equal(result.iterations[2]?.monitor.reason, 'no sample fell in this 0.0 ms window (interval 5 ms)');
    // energy per token: over the 3 windows' 2 rows of 4 tokens each
    const d = result.monitor?.devices[0];
    assert.equal(d?.failure, null);
    assert.ok(d?.energy_j !== null && d?.energy_j !== undefined && d.energy_j > 0, `${d?.energy_j}`);
    assert.equal(d.energy_per_token_j, d.energy_j / (3 * 2 * 4));
  } finally {
    await monitor.stop();
  }
});

test('a monitor that has exited: failed with why; no source: "monitor not started"; no iteration; monitoring off', async () => {
  const monitor = await monitorWith({});
  await monitor.stop();
  const { result, windows } = await twoWindows();
  await attachMonitorSamples(result, config(), windows, { monitor, error: null });
  assert.deepEqual([result.monitor?.status, result.monitor?.reason], ['failed', 'monitor process exited (code 0)']);
  for (const it of result.iterations) assert.deepEqual(it.monitor, { status: 'failed', reason: 'monitor process exited (code 0)', samples: [] });
  assert.deepEqual(result.monitor?.devices, []);
  assert.equal(result.monitor?.host, null);

  const unstarted = await twoWindows();
  await attachMonitorSamples(unstarted.result, config(), unstarted.windows, null);
  assert.deepEqual([unstarted.result.monitor?.status, unstarted.result.monitor?.reason], ['failed', 'monitor not started']);
  assert.equal(unstarted.result.iterations[1]?.monitor.reason, 'monitor not started');

  const empty = { iterations: [] } as unknown as BenchmarkResult;
  await attachMonitorSamples(empty, config(), [], { monitor, error: null });
  assert.deepEqual(empty.monitor, { status: 'no_samples', reason: 'no measured iteration', interval_ms: 5, devices: [], host: null });

  const off = await twoWindows();
  await attachMonitorSamples(off.result, config(false), off.windows, { monitor, error: null });
  assert.equal(off.result.monitor, null);
  assert.equal(off.result.iterations[0]?.monitor, undefined);
});

test('host readings are not GPU samples: a window with only host rows is no_samples, and so is a phase with no GPU row at all', async () => {
  // the splitting alone, over rows the test lays out: a monitor object with just what attachMonitorSamples reads
  const rowsOf = (rows: { t: bigint; device: string }[]) => ({
    intervalMs: 5,
    noDevicesReason: null,
    devices: [{ id: 'nvidia:0' }],
    collect: async () => ({ rows: rows.map((r) => ({ t_ns: r.t.toString(), device: r.device, ...(r.device === 'host' ? { host_cpu_pct: 10 } : { util_pct: 50 }) })), failures: new Map() }),
  });
  const windows: [bigint, bigint][] = [
    [1_000_000_000n, 1_010_000_000n],
    [1_020_000_000n, 1_030_000_000n],
  ];
  const result = (): BenchmarkResult => ({ iterations: [{ e2e_ms: 10 }, { e2e_ms: 10 }] }) as unknown as BenchmarkResult;
  const mixed = result();
  const monitor = rowsOf([
    { t: 1_005_000_000n, device: 'host' },
    { t: 1_025_000_000n, device: 'host' },
    { t: 1_026_000_000n, device: 'nvidia:0' },
  ]) as unknown as DeviceMonitor;
  await attachMonitorSamples(mixed, config(), windows, { monitor, error: null });
  assert.deepEqual(mixed.iterations.map((it) => [it.monitor.status, it.monitor.samples.length]), [['no_samples', 1], ['success', 2]]);
  assert.equal(mixed.monitor?.status, 'success');
  const hostOnly = result();
  await attachMonitorSamples(hostOnly, config(), windows, { monitor: rowsOf([{ t: 1_005_000_000n, device: 'host' }]) as unknown as DeviceMonitor, error: null });
  assert.equal(hostOnly.monitor?.status, 'no_samples');
});
