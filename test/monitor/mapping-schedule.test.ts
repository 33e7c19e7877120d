/** Device visibility mapping, device choice, and the sampling schedule (no drift). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SamplingLoop } from '../../src/monitor/sampling-loop.js';
import type { DeviceInfo, GpuSampler } from '../../src/monitor/types.js';
import { chooseDevices, visibleDevices } from '../../src/monitor/visible-devices.js';

const devs = (vendor: 'nvidia' | 'amd' | 'intel', n: number): DeviceInfo[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${vendor}:${i}`, vendor, index: i, physical_index: i, name: null, uuid: `GPU-${i}abc`, memory_total_bytes: null, driver_version: null, backend: 'x' }));
const phys = (list: DeviceInfo[]): number[] => list.map((d) => d.physical_index);

test('CUDA_VISIBLE_DEVICES: order, UUID prefixes, the list ends at an unknown entry, empty hides all', () => {
  const d = devs('nvidia', 4);
  assert.deepEqual(phys(visibleDevices('nvidia', d, {})), [0, 1, 2, 3]);
  const v = visibleDevices('nvidia', d, { CUDA_VISIBLE_DEVICES: '2,0' });
  assert.deepEqual(phys(v), [2, 0]);
  assert.deepEqual(v.map((x) => x.id), ['nvidia:0', 'nvidia:1']);
  assert.deepEqual(phys(visibleDevices('nvidia', d, { CUDA_VISIBLE_DEVICES: 'GPU-3,1' })), [3, 1]);
  assert.deepEqual(phys(visibleDevices('nvidia', d, { CUDA_VISIBLE_DEVICES: '1,7,2' })), [1]);
  assert.deepEqual(phys(visibleDevices('nvidia', d, { CUDA_VISIBLE_DEVICES: '' })), []);
});

test('ROCR then HIP for AMD; ZE_AFFINITY_MASK for Intel', () => {
  const a = devs('amd', 4);
  assert.deepEqual(phys(visibleDevices('amd', a, { ROCR_VISIBLE_DEVICES: '1,2,3', HIP_VISIBLE_DEVICES: '2' })), [3]);
  assert.deepEqual(phys(visibleDevices('amd', a, { HIP_VISIBLE_DEVICES: '0,3' })), [0, 3]);
  const i = devs('intel', 3);
  assert.deepEqual(phys(visibleDevices('intel', i, { ZE_AFFINITY_MASK: '0.1,2' })), [0, 2]);
});

test('--devices picks by id or index and reports what matched nothing', () => {
  const all = [...visibleDevices('nvidia', devs('nvidia', 2)), ...visibleDevices('amd', devs('amd', 1))];
  assert.deepEqual(chooseDevices(all, ['nvidia:1']).chosen.map((d) => d.id), ['nvidia:1']);
  assert.deepEqual(chooseDevices(all, ['0']).chosen.map((d) => d.id), ['nvidia:0', 'amd:0']);
  assert.deepEqual(chooseDevices(all, ['all']).chosen.length, 3);
  assert.deepEqual(chooseDevices(all, ['intel:0']).unknown, ['intel:0']);
});

test('the schedule does not drift, even when each sample costs time', async () => {
  const busy: GpuSampler = {
    backend: 'busy',
    vendor: 'nvidia',
    devices: () => [],
    read: () => {
      const end = process.hrtime.bigint() + 3_000_000n; // 3 ms per sample
      while (process.hrtime.bigint() < end);
      return { util_pct: 1 };
    },
    close: () => undefined,
  };
  const info = devs('nvidia', 1)[0] as DeviceInfo;
  const stamps: bigint[] = [];
  const loop = new SamplingLoop([{ info, sampler: busy }], null, 20, (rows) => stamps.push(BigInt(rows[0]?.t_ns ?? '0')));
  loop.begin();
  await new Promise((r) => setTimeout(r, 1030));
  loop.stop();
  assert.ok(stamps.length >= 48 && stamps.length <= 53, `${stamps.length} samples in 1.03 s at 20 ms`);
  const start = stamps[0] as bigint;
  // sample k stays near start + k * 20 ms: the 3 ms of each sample never accumulate (had they,
  // the last sample would be ~150 ms late); one sample may be late on a busy machine, none early
  const late = stamps.map((t, k) => Number(t - start - BigInt(k) * 20_000_000n) / 1e6);
  for (const [k, lateMs] of late.entries()) assert.ok(lateMs > -1.5, `sample ${k} is ${lateMs} ms early`);
  const sorted = [...late].sort((a, b) => a - b);
  assert.ok((sorted[Math.floor(sorted.length / 2)] as number) < 4, `median lateness ${sorted[Math.floor(sorted.length / 2)]} ms`);
  assert.ok((late.at(-1) as number) < 20, `the last sample is ${late.at(-1)} ms late: the schedule drifted`);
});
