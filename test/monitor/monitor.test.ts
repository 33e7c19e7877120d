/** The monitor child process: handshake, collect, statuses, crashes, and dying with its parent. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeviceMonitor, MonitorError } from '../../src/monitor/monitor.js';
import { ROOT, tempDir } from '../helpers.js';
import { fakeNvml, NO_GPU_ENV } from './standins.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('ready handshake, then the rows of a time range with one sample around it', async () => {
  await withEnv({ ...NO_GPU_ENV, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '2' }, async () => {
    const m = await DeviceMonitor.start({ intervalMs: 20, watchedPid: process.pid });
    try {
      assert.deepEqual(m.devices.map((d) => d.id), ['nvidia:0', 'nvidia:1']);
      assert.equal(m.noDevicesReason, null);
      await sleep(50);
      const from = process.hrtime.bigint();
      await sleep(150);
      const to = process.hrtime.bigint();
      const { rows, failures } = await m.collect(from, to);
      assert.equal(failures.size, 0);
      const inside = rows.filter((r) => BigInt(r.t_ns) >= from && BigInt(r.t_ns) <= to);
      const perDevice = (id: string): number => inside.filter((r) => r.device === id).length;
      // 7 or 8 on an idle machine; the sampler runs at the lowest priority, so allow a loaded one
      assert.ok(perDevice('nvidia:0') >= 3 && perDevice('nvidia:0') <= 9, `${perDevice('nvidia:0')} samples in 150 ms at 20 ms`);
      assert.equal(perDevice('nvidia:1'), perDevice('nvidia:0'));
      assert.equal(perDevice('host'), perDevice('nvidia:0'));
      for (const id of ['nvidia:0', 'host']) {
        assert.ok(rows.some((r) => r.device === id && BigInt(r.t_ns) < from), `${id}: a sample before the range`);
        assert.ok(rows.some((r) => r.device === id && BigInt(r.t_ns) > to), `${id}: a sample after the range`);
      }
      assert.equal(inside.find((r) => r.device === 'nvidia:1')?.power_w, 101);
    } finally {
      await m.stop();
    }
    assert.equal(m.alive, false);
  });
});

test('no GPU library: status no_devices with the reason; host rows still come', async () => {
  await withEnv(NO_GPU_ENV, async () => {
    const m = await DeviceMonitor.start({ intervalMs: 20, watchedPid: process.pid });
    try {
      assert.deepEqual(m.devices, []);
      assert.match(m.noDevicesReason ?? '', /nvml: \/nonexistent\/libnvidia-ml\.so\.1: .*nvidia-smi: .*ENOENT/);
      const from = process.hrtime.bigint();
      await sleep(60);
      const { rows } = await m.collect(from, process.hrtime.bigint());
      assert.ok(rows.some((r) => r.device === 'host' && typeof r.sys_mem_used_bytes === 'number'));
    } finally {
      await m.stop();
    }
  });
});

test('a GPU lost mid-run is reported; the other devices go on', async () => {
  await withEnv({ ...NO_GPU_ENV, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_LOST_AFTER: '3' }, async () => {
    const m = await DeviceMonitor.start({ intervalMs: 20, watchedPid: process.pid });
    try {
      const from = process.hrtime.bigint();
      await sleep(150);
      const { rows, failures } = await m.collect(from, process.hrtime.bigint());
      assert.match(failures.get('nvidia:0') ?? '', /GPU is lost/);
      assert.ok(rows.filter((r) => r.device === 'host').length >= 3);
    } finally {
      await m.stop();
    }
  });
});

test('a crashed monitor fails collect with a reason, never hangs', async () => {
  await withEnv(NO_GPU_ENV, async () => {
    const m = await DeviceMonitor.start({ intervalMs: 20, watchedPid: process.pid });
    process.kill(m.pid as number, 'SIGKILL');
    await sleep(100);
    assert.equal(m.alive, false);
    await assert.rejects(m.collect(0n, process.hrtime.bigint()), (e: unknown) => e instanceof MonitorError && /monitor process exited \(SIGKILL\)/.test(e.message));
  });
});

test('the monitor dies with its parent, even when the parent is killed', async () => {
  const dir = tempDir();
  const script = join(dir, 'parent.mts');
  writeFileSync(
    script,
    `import { DeviceMonitor } from ${JSON.stringify(join(ROOT, 'src/monitor/monitor.ts'))};
const m = await DeviceMonitor.start({ intervalMs: 50, watchedPid: process.pid });
process.stdout.write(String(m.pid) + '\\n');
setInterval(() => undefined, 1000);`,
  );
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...NO_GPU_ENV }, stdio: ['ignore', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  assert.ok(alive(childPid));
  parent.kill('SIGKILL');
  let gone = false;
  // the sampler runs at the lowest priority: on a loaded machine it may take a moment to notice
  for (let i = 0; i < 200 && !gone; i++) {
    await sleep(50);
    gone = !alive(childPid);
  }
  assert.ok(gone, "the monitor child outlived its killed parent");
});

test('the monitor priority: nice 19 unless TOKENBENCH_MONITOR_NICE says 0 to 19; anything else is bad input', async () => {
  const { monitorNice } = await import('../../src/monitor/monitor.js');
  const { InputError } = await import('../../src/util/errors.js');
  assert.equal(monitorNice({}), 19);
  assert.equal(monitorNice({ TOKENBENCH_MONITOR_NICE: '' }), 19);
  assert.equal(monitorNice({ TOKENBENCH_MONITOR_NICE: '0' }), 0);
  assert.equal(monitorNice({ TOKENBENCH_MONITOR_NICE: '10' }), 10);
  for (const bad of ['20', '-1', '1e1', 'low', '05x']) assert.throws(() => monitorNice({ TOKENBENCH_MONITOR_NICE: bad }), (e: unknown) => e instanceof InputError && /TOKENBENCH_MONITOR_NICE must be a whole number from 0 \(normal priority\) to 19/.test(e.message), bad);
});
