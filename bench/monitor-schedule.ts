/**
 * The monitor's schedule and cost: `tokenbench monitor` at 50 ms for 60 s (stand-in NVML):
 * median and spread of the period and the drift of the last sample from start + k * 50 ms; then
 * the cost of one sample for each backend (stand-in libraries: their own cost is near zero, so
 * this is tokenbench's side of the call: koffi marshalling and our bookkeeping).
 *
 *   npm run build && npx tsx bench/monitor-schedule.ts [--seconds 60]
 */
import { ProcessTree } from '../src/monitor/process-tree.js';
import { spawnSync } from 'node:child_process';
import { AmdSmiSampler } from '../src/monitor/amdsmi.js';
import { HostSampler } from '../src/monitor/host.js';
import { LevelZeroSampler } from '../src/monitor/level-zero.js';
import { NvmlSampler } from '../src/monitor/nvml.js';
import { quantileSorted, sortAscending } from '../src/results/statistics.js';
import { CLI } from '../test/helpers.js';
import { flag } from './common.js';
import { fakeAmdSmi, fakeNvml, fakeZe } from './standins.js';

const seconds = Number(flag('seconds', '60'));
const r = spawnSync(process.execPath, [CLI, 'monitor', '--interval-ms', '50', '--devices', 'nvidia:0', '--duration-ms', String(seconds * 1000)], {
  env: { ...process.env, TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' },
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});
const t = r.stdout
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => JSON.parse(l) as { t_ns: number; device: string })
  .filter((l) => l.device === 'nvidia:0')
  .map((l) => l.t_ns);
const periods = sortAscending(t.slice(1).map((x, i) => (x - (t[i] as number)) / 1e6));
const start = t[0] as number;
const lateness = t.map((x, k) => (x - start - k * 50e6) / 1e6);
console.log(`schedule: ${t.length} samples in ${seconds} s at 50 ms`);
console.log(
  `period ms: median ${quantileSorted(periods, 0.5).toFixed(3)}, p1 ${quantileSorted(periods, 0.01).toFixed(3)}, p99 ${quantileSorted(periods, 0.99).toFixed(3)}, min ${periods[0]?.toFixed(3)}, max ${periods.at(-1)?.toFixed(3)}`,
);
console.log(`offset from start + k*50 ms: first ${lateness[1]?.toFixed(3)} ms, last ${lateness.at(-1)?.toFixed(3)} ms, max ${Math.max(...lateness).toFixed(3)} ms`);

function costUs(read: () => unknown, n = 20000): number {
  for (let i = 0; i < 1000; i++) read();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) read();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}
process.env.TOKENBENCH_NVML_LIB = fakeNvml();
process.env.TOKENBENCH_AMDSMI_LIB = fakeAmdSmi();
process.env.TOKENBENCH_ZE_LIB = fakeZe();
process.env.FAKE_NVML_PROC_PID = String(process.pid);
const nvml = new NvmlSampler(new ProcessTree(process.pid));
const amd = new AmdSmiSampler();
const ze = new LevelZeroSampler();
const host = new HostSampler(new ProcessTree(process.pid));
console.log('cost per sample of one device (us), stand-in libraries:');
console.log(`  nvml (util, memory, power, energy, temp, clock, processes) ${costUs(() => nvml.read(0)).toFixed(2)}`);
console.log(`  amdsmi (activity, vram, power, temp, energy)                ${costUs(() => amd.read(0)).toFixed(2)}`);
console.log(`  level-zero (activity, memory, energy)                       ${costUs(() => ze.read(0)).toFixed(2)}`);
console.log(`  host (/proc/stat, /proc/pid/stat+status, /proc/meminfo)     ${costUs(() => host.read(), 5000).toFixed(2)}`);
nvml.close();
amd.close();
ze.close();
