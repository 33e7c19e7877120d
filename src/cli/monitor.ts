/**
 * `tokenbench monitor`: the sampler on its own, one JSON line per sample on stdout, so any other
 * framework's run can be watched on the same terms (same clock, same backends, same schedule).
 */
import { spawn } from 'node:child_process';
import { noDeviceReason, openBackends } from '../monitor/backends.js';
import { HostSampler } from '../monitor/host.js';
import { ProcessTree } from '../monitor/process-tree.js';
import { SamplingLoop } from '../monitor/sampling-loop.js';
import type { SampleRow } from '../monitor/types.js';
import { InputError } from '../util/errors.js';
import { type FlagSpec, formatFlags, parseArgs, single } from './args.js';

export const MONITOR_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'interval-ms': { arity: 'one', value: 'MS', help: 'sampling period (default 50)' },
  'duration-ms': { arity: 'one', value: 'MS', help: 'stop after this long (default: until COMMAND exits, or SIGINT/SIGTERM)' },
  devices: { arity: 'many', value: 'DEV', help: 'devices: nvidia:0, amd:1, intel:0, an index, or all (default all visible)' },
  pid: { arity: 'one', value: 'PID', help: 'process whose CPU and memory the host rows report, with every process below it (default: COMMAND, else this process)' },
  help: { arity: 'none', help: 'show this help' },
};

export const MONITOR_HELP = `Usage: tokenbench monitor [flags] [-- COMMAND ARGS...]

Samples GPUs (NVIDIA via NVML or nvidia-smi, AMD via AMD SMI or amd-smi, Intel via Level Zero or
xpu-smi) and the host on a fixed schedule and prints one JSON line per device per sample. The
first line lists the devices and the backend of each. With COMMAND, runs it (its stdout goes to
stderr, keeping stdout JSON) and exits with its exit code when it ends.

Sample keys: t_ns (CLOCK_MONOTONIC, the clock of tokenbench's token stamps), device, vendor,
util_pct, mem_used_bytes, mem_total_bytes, power_w, energy_j, temp_c, sm_clock_mhz,
proc_mem_used_bytes; host rows: host_cpu_pct, proc_cpu_pct, proc_rss_bytes, sys_mem_used_bytes,
host_energy_j. A missing key means the device does not report it.

${formatFlags(MONITOR_FLAGS)}`;

function positiveNumber(text: string | undefined, flag: string, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InputError('usage', `monitor: --${flag} must be a number > 0, got '${text}'`);
  return n;
}

/** A sample as one JSON line; t_ns printed as an exact integer. */
export function sampleLine(row: SampleRow): string {
  const { t_ns, device, ...values } = row;
  const vendor = device === 'host' ? {} : { vendor: device.split(':')[0] };
  return `{"t_ns":${t_ns},${JSON.stringify({ device, ...vendor, ...values }).slice(1)}\n`;
}

export async function monitorCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, MONITOR_FLAGS, 'monitor');
  if (args.flags.has('help')) {
    process.stdout.write(`${MONITOR_HELP}\n`);
    return 0;
  }
  if (args.positionals.length > 0) throw new InputError('usage', `monitor: unexpected argument '${args.positionals[0]}'; put the command after --`);
  const intervalMs = positiveNumber(single(args, 'interval-ms', 'monitor'), 'interval-ms', 50) as number;
  const durationMs = positiveNumber(single(args, 'duration-ms', 'monitor'), 'duration-ms', undefined);
  const pidText = single(args, 'pid', 'monitor');
  const pid = pidText === undefined ? undefined : positiveNumber(pidText, 'pid', undefined);

  // the watched process and what it starts; without --pid, this one and the command it runs (below)
  const watched = new ProcessTree(pid ?? process.pid, new Set());
  const opened = await openBackends(intervalMs, watched, args.flags.get('devices'));
  if (opened.unknownChoices.length > 0) {
    throw new InputError('usage', `monitor: --devices ${opened.unknownChoices.join(', ')} matched no device (found: ${opened.visible.map((d) => d.id).join(', ') || 'none'})`);
  }
  process.stdout.write(
    `${JSON.stringify({
      interval_ms: intervalMs,
      devices: opened.targets.map((t) => t.info),
      backends: opened.attempts,
      ...(opened.targets.length === 0 ? { no_devices: noDeviceReason(opened.attempts) } : {}),
    })}\n`,
  );

  const [command, ...commandArgs] = args.rest;
  const child = command === undefined ? undefined : spawn(command, commandArgs, { stdio: ['inherit', process.stderr, 'inherit'] });
  const host = new HostSampler(pid === undefined && child?.pid !== undefined ? new ProcessTree(child.pid) : watched);
  const loop = new SamplingLoop(opened.targets, host, intervalMs, (rows) => {
    process.stdout.write(rows.map(sampleLine).join(''));
  });

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      loop.stop();
      for (const s of opened.samplers) s.close();
      host.close();
      resolve(code);
    };
    loop.begin();
    if (durationMs !== undefined) setTimeout(() => finish(0), durationMs);
    const onSignal = (signal: NodeJS.Signals): void => {
      if (child && child.exitCode === null) child.kill(signal);
      else finish(0);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // a reader that went away (`| head`): end quietly, taking the command along, as SIGPIPE would
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') process.stderr.write(`tokenbench: monitor: cannot write samples: ${err.message}\n`);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      finish(141);
    });
    child?.on('error', (err) => {
      process.stderr.write(`tokenbench: monitor: cannot run ${command}: ${err.message}\n`);
      finish(127);
    });
    child?.on('exit', (code, signal) => finish(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
  });
}
