/**
 * Builds the C stand-ins for NVML, AMD SMI and Level Zero with the machine's gcc at test time
 * (once per source version), and writes stand-in nvidia-smi / amd-smi / xpu-smi scripts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('./standins/', import.meta.url));
const OUT = join(tmpdir(), 'tokenbench-standins');

function build(name: string): string {
  const source = join(SRC, `${name}.c`);
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const lib = join(OUT, `lib${name}-${hash}.so`);
  if (!existsSync(lib)) {
    mkdirSync(OUT, { recursive: true });
    const tmp = `${lib}.${process.pid}.tmp`;
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', '-o', tmp, source]);
    renameSync(tmp, lib);
  }
  return lib;
}

export const fakeNvml = (): string => build('fake_nvml');
export const fakeAmdSmi = (): string => build('fake_amdsmi');
export const fakeZe = (): string => build('fake_ze');

/**
 * Environment with every vendor library pointed at nothing: a machine with no GPU. The monitor
 * samples at normal priority here: the tests check what it reads and when, and at nice 19 a
 * machine kept busy by other work (CI runners, `npm test` beside two CPU-bound processes) starves
 * it of every sample in a window of milliseconds.
 */
export const NO_GPU_ENV = {
  TOKENBENCH_MONITOR_NICE: '0',
  TOKENBENCH_NVML_LIB: '/nonexistent/libnvidia-ml.so.1',
  TOKENBENCH_AMDSMI_LIB: '/nonexistent/libamd_smi.so',
  TOKENBENCH_ZE_LIB: '/nonexistent/libze_loader.so.1',
  PATH: '/usr/bin:/bin',
};

/** A folder with stand-in nvidia-smi, amd-smi and xpu-smi scripts, for PATH. */
export function fakeSmiBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const script = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script(
    'nvidia-smi',
    `case "$*" in
  *uuid*) echo "0, GPU-cli-0, Fake CLI GPU, 81559, 580.00"; echo "1, GPU-cli-1, Fake CLI GPU, 81559, 580.00" ;;
  *-lms*) while true; do echo "0, 37, 1024, 81559, 123.45, 55, 1755"; echo "1, [N/A], 2048, 81559, [N/A], 56, 1755"; sleep 0.05; done ;;
esac`,
  );
  script(
    'amd-smi',
    `cat <<'JSON'
{"gpu_data": [{"gpu": 0, "usage": {"gfx_activity": {"value": 12, "unit": "%"}}, "power": {"socket_power": {"value": 301, "unit": "W"}}, "temperature": {"edge": "N/A", "hotspot": {"value": 61, "unit": "C"}}, "mem_usage": {"total_vram": {"value": 196592, "unit": "MB"}, "used_vram": {"value": 4096, "unit": "MB"}}, "clock": {"gfx_0": {"clk": {"value": 2100, "unit": "MHz"}}}, "energy": {"total_energy_consumption": {"value": 1500000, "unit": "uJ"}}}]}
JSON`,
  );
  script(
    'xpu-smi',
    `case "$1" in
  discovery) echo '{"device_list": [{"device_id": 0, "device_name": "Fake Intel Max", "uuid": "xpu-uuid-0"}]}' ;;
  dump) echo "Timestamp, DeviceId, GPU Utilization (%), GPU Power (W), GPU Frequency (MHz), GPU Core Temperature (Celsius Degree), GPU Memory Used (MiB)"
        while true; do echo "06:14:46.000,    0, 75.50, 310.20, 1550, 48.00, 8192.00"; sleep 0.2; done ;;
esac`,
  );
  return bin;
}
