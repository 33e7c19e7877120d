/** nvidia-smi, amd-smi and xpu-smi output parsing, and the CLI samplers against stand-in scripts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AmdSmiCliSampler, NvidiaSmiSampler, parseAmdSmiMetricJson, parseNvidiaSmiLine, parseXpuSmiRow, XpuSmiSampler, xpuColumns } from '../../src/monitor/smi-cli.js';
import { tempDir } from '../helpers.js';
import { fakeSmiBin } from './standins.js';

const MIB = 2 ** 20;

test('nvidia-smi CSV: MiB to bytes, [N/A] absent', () => {
  assert.deepEqual(parseNvidiaSmiLine('0, 37, 1024, 81559, 123.45, 55, 1755'), {
    index: 0,
    reading: { util_pct: 37, mem_used_bytes: 1024 * MIB, mem_total_bytes: 81559 * MIB, power_w: 123.45, temp_c: 55, sm_clock_mhz: 1755 },
  });
  const na = parseNvidiaSmiLine('1, [N/A], 2048, 81559, [N/A], 56, N/A');
  assert.deepEqual(Object.keys(na?.reading ?? {}).sort(), ['mem_total_bytes', 'mem_used_bytes', 'temp_c']);
  assert.equal(parseNvidiaSmiLine('garbage'), undefined);
});

test('amd-smi metric --json: the list form and the gpu_data form, N/A values, MB and uJ', () => {
  const entry = {
    gpu: 1,
    usage: { gfx_activity: { value: 12, unit: '%' } },
    power: { socket_power: 'N/A', average_socket_power: 88 },
    temperature: { edge: 'N/A', hotspot: { value: 61, unit: 'C' } },
    mem_usage: { total_vram: { value: 1, unit: 'GB' }, used_vram: { value: 512, unit: 'MB' } },
    energy: { total_energy_consumption: { value: 2_000_000, unit: 'uJ' } },
  };
  for (const text of [JSON.stringify([entry]), JSON.stringify({ gpu_data: [entry] })]) {
    const r = parseAmdSmiMetricJson(text).get(1);
    assert.deepEqual(r, { util_pct: 12, power_w: 88, temp_c: 61, mem_used_bytes: 512 * MIB, mem_total_bytes: 1024 * MIB, energy_j: 2 });
  }
  // older amd-smi: plain numbers
  assert.equal(parseAmdSmiMetricJson('[{"gpu": 0, "usage": {"gfx_activity": 7}}]').get(0)?.util_pct, 7);
});

test('xpu-smi dump: columns by header name in both naming styles', () => {
  const spaced = xpuColumns('Timestamp, DeviceId, GPU Utilization (%), GPU Power (W), GPU Frequency (MHz), GPU Core Temperature (Celsius Degree), GPU Memory Used (MiB), GPU Energy Consumed (J)');
  const compact = xpuColumns('Timestamp,Device ID,GPU Utilization(%),GPU Power(W),GPU Frequency(MHz),GPU Core Temperature(Celsius Degree),GPU Memory Used(MiB),GPU Energy Consumed(J)');
  for (const cols of [spaced, compact]) {
    assert.deepEqual(parseXpuSmiRow(cols, '06:14:46.000, 1, 75.5, 310.2, 1550, 48.0, 8192, 12.5'), {
      index: 1,
      reading: { util_pct: 75.5, power_w: 310.2, sm_clock_mhz: 1550, temp_c: 48, mem_used_bytes: 8192 * MIB, energy_j: 12.5 },
    });
  }
  const withNa = parseXpuSmiRow(spaced, '06:14:46.000, 0, N/A, 310.2, , 48.0, 8192, N/A');
  assert.deepEqual(Object.keys(withNa?.reading ?? {}).sort(), ['mem_used_bytes', 'power_w', 'temp_c']);
});

test('CLI samplers read the stand-in tools', async () => {
  const bin = fakeSmiBin(tempDir());
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const nv = new NvidiaSmiSampler(50);
    const amd = new AmdSmiCliSampler(50);
    const xpu = new XpuSmiSampler(50);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(nv.devices().map((d) => [d.id, d.uuid, d.memory_total_bytes]), [
      ['nvidia:0', 'GPU-cli-0', 81559 * MIB],
      ['nvidia:1', 'GPU-cli-1', 81559 * MIB],
    ]);
    assert.equal(nv.read(0).power_w, 123.45);
    assert.equal(nv.read(1).power_w, undefined);
    assert.equal(amd.read(0).mem_used_bytes, 4096 * MIB);
    assert.equal(amd.read(0).energy_j, 1.5);
    assert.equal(xpu.devices()[0]?.name, 'Fake Intel Max');
    assert.equal(xpu.read(0).util_pct, 75.5);
    nv.close();
    amd.close();
    xpu.close();
  } finally {
    process.env.PATH = path;
  }
});
