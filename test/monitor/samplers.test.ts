/** The vendor samplers against the C stand-ins: struct layouts, units, unsupported and lost devices. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AmdSmiSampler, powerLayoutFor } from '../../src/monitor/amdsmi.js';
import { LevelZeroSampler } from '../../src/monitor/level-zero.js';
import { ProcessTree } from '../../src/monitor/process-tree.js';
import { NvmlSampler } from '../../src/monitor/nvml.js';
import { fakeAmdSmi, fakeNvml, fakeZe } from './standins.js';

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const sleep = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

const nowS = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Calls `read` and returns its value with the monotonic clock just before and just after (s). */
function bracketed<T>(read: () => T): { value: T; before: number; after: number } {
  const before = nowS();
  const value = read();
  return { value, before, after: nowS() };
}

/**
 * The stand-ins' counters rise at a fixed power on CLOCK_MONOTONIC (the clock of process.hrtime),
 * so the energy between two reads lies between that power times the shortest and the longest time
 * the reads could have been apart: exact, whatever the machine's load.
 */
function assertEnergyBetween(joules: number, watts: number, a: { before: number; after: number }, b: { before: number; after: number }, resolutionJ: number): void {
  const low = watts * (b.before - a.after) - resolutionJ;
  const high = watts * (b.after - a.before) + resolutionJ;
  assert.ok(joules >= low && joules <= high, `${joules} J, not within [${low}, ${high}] at ${watts} W`);
}

test('NVML: devices, units (mW, mJ, bytes) and this process\'s memory', () => {
  withEnv({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '3', FAKE_NVML_PROC_PID: String(process.pid) }, () => {
    const s = new NvmlSampler(new ProcessTree(process.pid));
    try {
      const d = s.devices();
      assert.equal(d.length, 3);
      assert.deepEqual([d[2]?.name, d[2]?.uuid, d[2]?.driver_version, d[2]?.memory_total_bytes], ['Fake NVIDIA H100 2', 'GPU-fake-0000-0002', '580.00-fake', 80 * 2 ** 30]);
      const ra = bracketed(() => s.read(1));
      const a = ra.value;
      assert.equal(a.util_pct, 50);
      assert.equal(a.mem_used_bytes, 2 * 2 ** 30);
      assert.equal(a.power_w, 101);
      assert.equal(a.temp_c, 51);
      assert.equal(a.sm_clock_mhz, 1980);
      assert.equal(a.proc_mem_used_bytes, 512 * 2 ** 20);
      sleep(100);
      const rb = bracketed(() => s.read(1));
      // the counter (mJ) rises at 101 W
      assertEnergyBetween((rb.value.energy_j as number) - (a.energy_j as number), 101, ra, rb, 0.001);
    } finally {
      s.close();
    }
  });
});

test('NVML: NOT_SUPPORTED queries leave their keys out; a lost GPU throws', () => {
  withEnv({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1', FAKE_NVML_NOT_SUPPORTED: 'power,energy,processes', FAKE_NVML_LOST_AFTER: '3' }, () => {
    const s = new NvmlSampler(new ProcessTree(process.pid));
    try {
      const r = s.read(0);
      assert.deepEqual(Object.keys(r).sort(), ['mem_total_bytes', 'mem_used_bytes', 'sm_clock_mhz', 'temp_c', 'util_pct']);
      s.read(0);
      assert.throws(() => s.read(0), /GPU is lost \(15\)/);
    } finally {
      s.close();
    }
  });
  withEnv({ TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_INIT_FAIL: '1' }, () => {
    assert.throws(() => new NvmlSampler(new ProcessTree(process.pid)), /nvmlInit_v2: Driver Not Loaded \(9\)/);
  });
  withEnv({ TOKENBENCH_NVML_LIB: '/nonexistent/libnvidia-ml.so.1' }, () => {
    assert.throws(() => new NvmlSampler(new ProcessTree(process.pid)), /^Error: \/nonexistent\/libnvidia-ml\.so\.1: /);
  });
});

test('AMD SMI: both power_info layouts give the right watts; VRAM MB become bytes', () => {
  for (const version of ['old', 'new']) {
    withEnv({ TOKENBENCH_AMDSMI_LIB: fakeAmdSmi(), FAKE_AMDSMI_VERSION: version, FAKE_AMDSMI_DEVICES: '2' }, () => {
      const opened = nowS();
      const s = new AmdSmiSampler();
      try {
        assert.equal(s.powerLayout, version === 'old' ? 'u32' : 'u64');
        const d = s.devices();
        assert.equal(d.length, 2);
        assert.equal(d[1]?.name, 'Fake AMD Instinct MI300X 1');
        assert.equal(d[0]?.memory_total_bytes, 196592 * 2 ** 20);
        const read = bracketed(() => s.read(1));
        const r = read.value;
        assert.equal(r.power_w, 251, `layout ${s.powerLayout}`);
        assert.equal(r.util_pct, 31);
        assert.equal(r.mem_used_bytes, 2049 * 2 ** 20);
        assert.equal(r.temp_c, 45);
        // the accumulator starts at 500 J when the library is initialised (some time after
        // \`opened\`, before the read) and rises at 251 W in 15.3 uJ counts
        const joules = (r.energy_j as number) - 500;
        assert.ok(joules >= 0 && joules <= 251 * (read.after - opened) + 16e-6, `${joules} J over 500 J, ${read.after - opened} s after the library was opened`);
      } finally {
        s.close();
      }
    });
  }
  // reading the new struct with the old layout would give no power at all (socket_power is UINT64_MAX)
  withEnv({ TOKENBENCH_AMDSMI_LIB: fakeAmdSmi(), TOKENBENCH_AMDSMI_POWER_LAYOUT: 'u32' }, () => {
    const s = new AmdSmiSampler();
    assert.equal(s.read(0).power_w, undefined);
    s.close();
  });
  withEnv({ TOKENBENCH_AMDSMI_POWER_LAYOUT: undefined }, () => {
    assert.equal(powerLayoutFor(24, 6), 'u64');
    assert.equal(powerLayoutFor(26, 0), 'u64');
    assert.equal(powerLayoutFor(23, 4), 'u32');
  });
  withEnv({ TOKENBENCH_AMDSMI_LIB: fakeAmdSmi(), FAKE_AMDSMI_NOT_SUPPORTED: 'power,energy' }, () => {
    const s = new AmdSmiSampler();
    const r = s.read(0);
    assert.equal(r.power_w, undefined);
    assert.equal(r.energy_j, undefined);
    assert.equal(r.util_pct, 30);
    s.close();
  });
});

test('Level Zero: utilisation from the ALL engine group activity delta, memory, energy', () => {
  withEnv({ TOKENBENCH_ZE_LIB: fakeZe(), FAKE_ZE_DEVICES: '2' }, () => {
    const s = new LevelZeroSampler();
    try {
      const d = s.devices();
      assert.equal(d.length, 2);
      assert.equal(d[1]?.name, 'Fake Intel Data Center GPU Max 1');
      assert.equal(d[0]?.driver_version, '1.3.29735-fake');
      assert.equal(d[0]?.memory_total_bytes, 16 * 2 ** 30);
      const rFirst = bracketed(() => s.read(0));
      const first = rFirst.value;
      assert.equal(first.util_pct, undefined); // no previous reading yet
      sleep(30);
      const rSecond = bracketed(() => s.read(0));
      const second = rSecond.value;
      assert.ok(Math.abs((second.util_pct as number) - 60) < 1, `${second.util_pct}`);
      assert.equal(second.mem_used_bytes, 4 * 2 ** 30);
      // the counter (uJ) rises at 80 W
      assertEnergyBetween((second.energy_j as number) - (first.energy_j as number), 80, rFirst, rSecond, 1e-6);
    } finally {
      s.close();
    }
  });
  withEnv({ TOKENBENCH_ZE_LIB: fakeZe(), FAKE_ZE_NOT_SUPPORTED: 'energy,memory' }, () => {
    const s = new LevelZeroSampler();
    const r = s.read(0);
    assert.equal(r.energy_j, undefined);
    assert.equal(r.mem_used_bytes, undefined);
    s.close();
  });
});
