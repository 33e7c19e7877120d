/**
 * Attaches the monitor's samples to a benchmark's measured iterations after the measure phase:
 * one collect for the whole phase (no monitor traffic between iterations), split into each
 * iteration's [t0, t1] window, and the device and host summary.
 */
import type { NamedConfig } from '../config/fields.js';
import { type DeviceMonitor, MonitorError } from '../monitor/monitor.js';
import { summarizeDevice, summarizeHost, windowSamples } from '../results/device-summary.js';
import type { BenchmarkResult } from '../results/schema.js';
import { errorMessage } from '../util/errors.js';

/** The monitor as a benchmark sees it: a running one, or why there is none. */
export type MonitorSource = { monitor: DeviceMonitor; error: null } | { monitor: null; error: string };

export async function attachMonitorSamples(
  result: BenchmarkResult,
  config: NamedConfig,
  windows: readonly [bigint, bigint][],
  source: MonitorSource | null,
): Promise<void> {
  if (!config.gpu_monitoring) {
    result.monitor = null;
    return;
  }
  /** Every iteration failed alike, with no samples. */
  const failAll = (reason: string): void => {
    for (const it of result.iterations) it.monitor = { status: 'failed', reason, samples: [] };
  };
  const base = { interval_ms: config.monitor_interval_ms, devices: [], host: null };
  if (!source?.monitor) {
    const reason = source?.error ?? 'monitor not started';
    failAll(reason);
    result.monitor = { status: 'failed', reason, ...base };
    return;
  }
  const first = windows[0];
  const last = windows.at(-1);
  if (!first || !last) {
    result.monitor = { status: 'no_samples', reason: 'no measured iteration', ...base };
    return;
  }
  const { monitor } = source;
  let collected;
  try {
    collected = await monitor.collect(first[0], last[1]);
  } catch (err) {
    const reason = err instanceof MonitorError ? err.message : errorMessage(err);
    failAll(reason);
    result.monitor = { status: 'failed', reason, ...base };
    return;
  }
  const { rows, failures } = collected;
  const failureText = [...failures].map(([d, why]) => `${d}: ${why}`).join('; ');
  result.iterations.forEach((it, i) => {
    const [t0, t1] = windows[i] as [bigint, bigint];
    const samples = windowSamples(rows, t0, t1);
    const gpu = samples.filter((s) => s.device !== 'host');
    if (monitor.noDevicesReason !== null) it.monitor = { status: 'no_devices', reason: monitor.noDevicesReason, samples };
    else if (failureText) it.monitor = { status: 'failed', reason: failureText, samples };
    else if (gpu.length === 0) {
      it.monitor = { status: 'no_samples', reason: `no sample fell in this ${it.e2e_ms.toFixed(1)} ms window (interval ${monitor.intervalMs} ms)`, samples };
    } else it.monitor = { status: 'success', reason: null, samples };
  });
  const tokens = windows.length * config.batch_size * config.num_tokens_to_generate;
  const status = monitor.noDevicesReason !== null ? 'no_devices' : failureText ? 'failed' : rows.some((r) => r.device !== 'host') ? 'success' : 'no_samples';
  result.monitor = {
    status,
    reason: monitor.noDevicesReason ?? (failureText || null),
    interval_ms: monitor.intervalMs,
    devices: monitor.devices.map((d) => summarizeDevice(d.id, rows, windows, tokens, failures.get(d.id) ?? null)),
    host: summarizeHost(rows, windows, tokens),
  };
}
