/** Monitoring through the CLI: samples on the token timeline, energy, statuses, `tokenbench monitor`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RunResult, RunResultSchema } from '../../src/results/schema.js';
import { CLI, runCli, TEST_CACHE_DIR, tempDir } from '../helpers.js';
import { fakeNvml, NO_GPU_ENV } from '../monitor/standins.js';

const RUN = ['run', '--warmup', '1', '--iterations', '4', '--sequence-length', '16', '--new-tokens', '256', '--quiet'];

/** A run with the stand-ins in `env`, sampling every 10 ms unless `extra` says otherwise. */
async function run(env: Record<string, string>, extra: string[] = []): Promise<{ code: number | null; result: RunResult; stderr: string }> {
  const out = join(tempDir(), 'r.json');
  const interval = extra.includes('--monitor-interval-ms') ? [] : ['--monitor-interval-ms', '10'];
  const r = await runCli([...RUN, ...interval, ...extra, '--output', out], { env: { ...NO_GPU_ENV, PATH: process.env.PATH ?? '', ...env } });
  return { code: r.code, stderr: r.stderr, result: RunResultSchema.parse(JSON.parse(readFileSync(out, 'utf8'))) };
}

test('samples line up with the token stamps; energy comes from the counter', async () => {
  const { code, result, stderr } = await run({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' });
  assert.equal(code, 0, stderr);
  assert.deepEqual(result.devices.map((d) => [d.id, d.name, d.backend]), [['nvidia:0', 'Fake NVIDIA H100 0', 'nvml']]);
  const b = result.benchmarks[0];
  assert.ok(b?.monitor);
  let e2eTotal = 0;
  let withSamples = 0;
  for (const it of b.iterations) {
    e2eTotal += it.e2e_ms;
    const gpu = it.monitor.samples.filter((s) => s.device === 'nvidia:0');
    // the sampler runs at the lowest priority: on a loaded 2-core machine a window may get none
    if (gpu.length > 0) withSamples++;
    assert.equal(it.monitor.status, gpu.length > 0 ? 'success' : 'no_samples');
    for (const s of it.monitor.samples) assert.ok(s.t_ms >= 0 && s.t_ms <= it.e2e_ms, `sample at ${s.t_ms} ms outside [0, ${it.e2e_ms}]`);
    // samples fall among the token stamps: on one timeline
    const first = it.token_ms[0] as number;
    const last = it.token_ms.at(-1) as number;
    if (gpu.length > 1) assert.ok(gpu.some((s) => s.t_ms > first && s.t_ms < last), 'a sample between the first and last token');
    // the host is sampled with the devices, so a window has its rows exactly when it has theirs
    assert.equal(it.monitor.samples.some((s) => s.device === 'host'), gpu.length > 0);
  }
  // how many windows a niced sampler reaches depends on the machine's load; the device summary
  // below needs one
  assert.ok(withSamples >= 1, `${withSamples} of 4 windows had samples`);
  const d = b.monitor.devices[0];
  assert.ok(d);
  assert.equal(b.monitor.status, 'success');
  assert.deepEqual(d.util_pct, { mean: 40, p50: 40, max: 40 });
  assert.equal(d.power_w_mean, 100);
  assert.equal(d.mem_used_peak_bytes, 2 ** 30);
  // the stand-in's counter rises at 100 W: energy = 100 W * the summed windows
  const expected = (100 * e2eTotal) / 1000;
  assert.ok(Math.abs((d.energy_j as number) - expected) / expected < 0.05, `${d.energy_j} J, expected ${expected}`);
  assert.ok(Math.abs((d.energy_per_token_j as number) - (d.energy_j as number) / (4 * 256)) < 1e-12);
  assert.ok(b.monitor.host?.proc_rss_peak_bytes);
});

test('no GPU: status no_devices with the reason, and the run still succeeds', async () => {
  const { code, result } = await run({});
  assert.equal(code, 0);
  const b = result.benchmarks[0];
  assert.equal(b?.status, 'ok');
  assert.equal(b?.monitor?.status, 'no_devices');
  assert.match(b?.monitor?.reason ?? '', /libnvidia-ml\.so\.1/);
  assert.equal(b?.iterations[0]?.monitor.status, 'no_devices');
  assert.ok(b?.monitor?.host);
  assert.deepEqual(result.devices, []);
});

test('a GPU lost mid-run: the monitor reports failed, the benchmark does not', async () => {
  const { code, result } = await run({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_LOST_AFTER: '2' });
  assert.equal(code, 0);
  const b = result.benchmarks[0];
  assert.equal(b?.status, 'ok');
  assert.equal(b?.monitor?.status, 'failed');
  assert.match(b?.monitor?.devices[0]?.failure ?? '', /GPU is lost/);
});

test('a monitor process that dies: the benchmark it died in reports failed with why, none fails, and the next gets a monitor started again', async () => {
  // the stand-in aborts its monitor process on the 5th utilisation read; a new monitor is started for
  // the next benchmark, and dies again after its own 5th read if that benchmark lasts that long.
  // How many reads a benchmark gets depends on how fast this machine samples, so the test checks
  // what holds on any machine, not which benchmarks the deaths fell in
  const { code, result, stderr } = await run({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_CRASH_AFTER: '5' }, ['--batch-size', '1', '2', '3']);
  assert.equal(code, 0, stderr);
  assert.deepEqual(result.benchmarks.map((b) => b.status), ['ok', 'ok', 'ok']);
  const failed = result.benchmarks.filter((b) => b.monitor?.status === 'failed');
  assert.ok(failed.length > 0, `the monitor never died: ${result.benchmarks.map((b) => b.monitor?.status).join(', ')}`);
  for (const b of failed) {
    assert.match(b.monitor?.reason ?? '', /^monitor process exited \(SIGABRT\)$/);
    assert.ok(b.iterations.some((it) => it.monitor.status === 'failed'), 'the windows after the death say so');
  }
  for (const b of result.benchmarks.filter((x) => x.monitor?.status !== 'failed')) assert.equal(b.monitor?.status, 'success');
});

test('an interval longer than the run: no_samples, with why; no readings made up, energy still from the counter', async () => {
  // the run must not wait 10 minutes for a scheduled sample to close its windows: a closing
  // sample is taken when they are collected
  const { code, result, stderr } = await run({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' }, ['--monitor-interval-ms', '600000']);
  assert.equal(result.benchmarks.length, 1);
  assert.equal(code, 0, stderr);
  const b = result.benchmarks[0];
  assert.equal(b?.status, 'ok');
  for (const it of b?.iterations ?? []) {
    assert.equal(it.monitor.status, 'no_samples');
    assert.match(it.monitor.reason ?? '', /^no sample fell in this [\d.]+ ms window \(interval 600000 ms\)$/);
  }
  const d = b?.monitor?.devices[0];
  assert.ok(d);
  assert.equal(d.util_pct, null);
  assert.equal(d.power_w_mean, null);
  // the counter, read when the monitor started and when the windows were collected, brackets
  // them: the stand-in's rises at exactly 100 W, so its interpolation is exact
  const windowsMs = (b?.iterations ?? []).reduce((sum, it) => sum + it.e2e_ms, 0);
  assert.ok(Math.abs((d.energy_j as number) / ((100 * windowsMs) / 1000) - 1) < 0.05, `${d.energy_j} J over ${windowsMs} ms at 100 W`);
});

test('--no-gpu-monitoring: no monitor at all', async () => {
  const { result } = await run({ TOKENBENCH_NVML_LIB: fakeNvml() }, ['--no-gpu-monitoring']);
  assert.equal(result.benchmarks[0]?.monitor, null);
  assert.equal(result.benchmarks[0]?.iterations[0]?.monitor.status, 'disabled');
});

test('tokenbench monitor: devices first, then JSON lines; COMMAND\'s exit code', async () => {
  const env = { ...NO_GPU_ENV, PATH: process.env.PATH ?? '', TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '2' };
  const r = await runCli(['monitor', '--interval-ms', '20', '--devices', 'nvidia:1', '--duration-ms', '200'], { env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const head = lines[0] as { devices: { id: string; backend: string }[] };
  assert.deepEqual(head.devices.map((d) => [d.id, d.backend]), [['nvidia:1', 'nvml']]);
  const gpu = lines.slice(1).filter((l) => l.device === 'nvidia:1');
  // one sample per 20 ms slot at most (never a burst, whatever the load); the first is taken at once
  const t = gpu.map((l) => BigInt(l.t_ns as string));
  assert.ok(gpu.length >= 1);
  // (the first stamp is taken just after the schedule's start: 1 ms covers that)
  const spanSlots = Number(((t.at(-1) as bigint) - (t[0] as bigint) + 1_000_000n) / 20_000_000n);
  assert.ok(gpu.length <= spanSlots + 1, `${gpu.length} samples in ${spanSlots + 1} slots`);
  assert.deepEqual(Object.keys(gpu[0] ?? {}).slice(0, 3), ['t_ns', 'device', 'vendor']);
  assert.equal(gpu[0]?.power_w, 101);
  for (let i = 1; i < t.length; i++) assert.ok((t[i] as bigint) > (t[i - 1] as bigint));
  assert.ok(!lines.slice(1).some((l) => l.device === 'nvidia:0'));

  const cmd = await runCli(['monitor', '--interval-ms', '20', '--', 'sh', '-c', 'sleep 0.1; exit 3'], { env });
  assert.equal(cmd.code, 3);
  assert.ok(cmd.stdout.split('\n').length > 3);
  const bad = await runCli(['monitor', '--devices', 'intel:5'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--devices intel:5 matched no device \(found: nvidia:0, nvidia:1\)/);
});

test('tokenbench monitor | head: ends quietly on the closed pipe and takes its command with it', async () => {
  const dir = tempDir();
  const pidFile = join(dir, 'pid');
  const script = `node ${JSON.stringify(CLI)} monitor --interval-ms 5 -- sh -c 'echo $$ > ${pidFile}; exec sleep 60' | head -2 > /dev/null; echo "monitor exit \${PIPESTATUS[0]}" >&2`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...NO_GPU_ENV, TOKENBENCH_CACHE_DIR: TEST_CACHE_DIR }, timeout: 60_000 });
  assert.match(r.stderr, /^monitor exit 141\n$/, 'nothing but the exit code on stderr: no EPIPE trace');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  // the command was sent SIGTERM: gone within a few seconds, not after its 60
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, `the command (pid ${pid}) still runs`);
});

test('run --devices naming a device that is not there: bad input before anything is measured', async () => {
  const dir = tempDir();
  const env = { ...NO_GPU_ENV, PATH: process.env.PATH ?? '', TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' };
  const r = await runCli(['run', '--warmup', '0', '--iterations', '2', '--sequence-length', '8', '--new-tokens', '4', '--devices', 'nvidia:9', '--no-store', '--quiet', '--output-dir', join(dir, 'results')], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /run: --devices nvidia:9 matched no device; 'tokenbench monitor --duration-ms 100' lists the devices there are/);
  assert.equal(existsSync(join(dir, 'results')) && readdirSync(join(dir, 'results')).length > 0, false, 'no result file');
});
