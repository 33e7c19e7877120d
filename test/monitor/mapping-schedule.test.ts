/** Device visibility mapping, device choice, and the sampling schedule (no drift). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextSampleSlot, SamplingLoop } from '../../src/monitor/sampling-loop.js';
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

test('the schedule does not drift: slot k is due at start + k * interval whatever a sample cost; missed slots are skipped', () => {
  const ms = 1_000_000n;
  // on time or late within the slot: the next slot, on the grid (not now + interval)
  assert.deepEqual(nextSampleSlot(0n, 0, 20n * ms, 3n * ms), { k: 1, due: 20n * ms });
  assert.deepEqual(nextSampleSlot(0n, 4, 20n * ms, 83n * ms), { k: 5, due: 100n * ms });
  assert.deepEqual(nextSampleSlot(7n, 4, 20n * ms, 99n * ms), { k: 5, due: 100n * ms + 7n });
  // stalled past slots 5 and 6: the next one is slot 7, never a burst of the missed ones
  assert.deepEqual(nextSampleSlot(0n, 4, 20n * ms, 130n * ms), { k: 7, due: 140n * ms });
  // exactly at a slot's time: that slot has passed
  assert.deepEqual(nextSampleSlot(0n, 4, 20n * ms, 100n * ms), { k: 6, due: 120n * ms });
  // 50 samples of 3 ms each, taken on time: the last is due at 1000 ms, not 50 * 23 = 1150 ms
  let slot = { k: 0, due: 0n };
  for (let i = 0; i < 50; i++) slot = nextSampleSlot(0n, slot.k, 20n * ms, slot.due + 3n * ms);
  assert.deepEqual(slot, { k: 50, due: 1000n * ms });
});

test('the sampling loop, live: one sample per slot at most, never before its slot, in order, while each sample costs time', async () => {
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
  // until 20 samples, however long a busy machine takes (the test runner's timeout bounds a hang)
  while (stamps.length < 20) await new Promise((r) => setTimeout(r, 20));
  loop.stop();
  const count = stamps.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(stamps.length, count, 'no sample after stop()');
  const start = loop.startedNs;
  // each sample in a later slot of the grid than the one before: never two in one slot (a burst)
  const slots = stamps.map((t) => Number((t - start) / 20_000_000n));
  assert.equal(slots[0], 0, 'the first sample is taken at begin()');
  for (let i = 1; i < slots.length; i++) assert.ok((slots[i] as number) > (slots[i - 1] as number), `samples ${i - 1} and ${i} in slots ${slots[i - 1]} and ${slots[i]}`);
});
