/**
 * The runner's handle on the monitor: ONE child process per run, started before the first
 * benchmark and stopped after the last. Every wait on it has a timeout; it dies with its parent
 * (IPC disconnect). A monitor that fails never fails a benchmark: it reports a status and reason.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';
import { noDeviceReason } from './backends.js';
import type { ChildMessage, MonitorOptions } from './protocol.js';
import type { DeviceInfo, SampleRow } from './types.js';

// Built: dist/monitor/child.js. From sources (tests under tsx): child.ts with the tsx loader.
const HERE = fileURLToPath(import.meta.url);
const FROM_SOURCE = HERE.endsWith('.ts');
const CHILD = HERE.replace(/monitor\.(ts|js)$/, FROM_SOURCE ? 'child.ts' : 'child.js');

export class MonitorError extends Error {}

export interface CollectedRows {
  rows: SampleRow[];
  /** Devices that failed mid-run, with why. */
  failures: Map<string, string>;
}

/**
 * The monitor's CPU priority once it is ready: nice 19 (the lowest) unless TOKENBENCH_MONITOR_NICE
 * says otherwise; 0 keeps normal priority, for a machine whose cores something keeps busy where the
 * samples matter more than the benchmark's share of the CPU (at nice 19 beside CPU-bound work, a
 * sample can wait for seconds).
 */
export function monitorNice(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.TOKENBENCH_MONITOR_NICE;
  if (text === undefined || text === '') return 19;
  if (!/^(1?[0-9])$/.test(text)) throw new InputError('usage', `TOKENBENCH_MONITOR_NICE must be a whole number from 0 (normal priority) to 19 (the lowest, the default), got '${text}'`);
  return Number(text);
}

export class DeviceMonitor {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CollectedRows) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private deadReason: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly devices: DeviceInfo[],
    /** Why there is no device, when there is none. */
    readonly noDevicesReason: string | null,
    readonly unknownChoices: string[],
    readonly intervalMs: number,
  ) {
    child.on('message', (m: ChildMessage) => {
      if (m.type !== 'samples') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(m.id);
      p.resolve({ rows: m.rows, failures: new Map(m.failures) });
    });
    child.on('exit', (code, signal) => {
      this.deadReason = `monitor process exited (${signal ?? `code ${code}`})`;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new MonitorError(this.deadReason));
        this.pending.delete(id);
      }
    });
  }

  /** Starts the child and waits for its ready handshake (after the vendor libraries are initialised). */
  static start(options: MonitorOptions, readyTimeoutMs = 20_000): Promise<DeviceMonitor> {
    const nice = monitorNice();
    return new Promise((resolve, reject) => {
      // no inherited flags (--expose-gc, inspectors): the child is a plain sampler
      // --single-threaded: no V8 helper threads (concurrent GC and compilers). Only the main thread
      // gets the low priority below, so no other thread of the sampler should ever want a core.
      const execArgv = ['--single-threaded', ...(FROM_SOURCE ? ['--import', 'tsx'] : [])];
      const child = fork(CHILD, [JSON.stringify(options)], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const fail = (why: string): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new MonitorError(why));
      };
      const timer = setTimeout(() => fail(`monitor not ready after ${readyTimeoutMs} ms`), readyTimeoutMs);
      child.once('exit', (code, signal) => fail(`monitor process exited before ready (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`));
      child.on('message', function onReady(m: ChildMessage) {
        if (m.type === 'fatal') return fail(`monitor failed to start: ${m.message}`);
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.off('message', onReady);
        // Lowest CPU priority from now on (startup ran at normal priority, so a busy machine does
        // not starve it): when the benchmark keeps every core busy, a sample waits for a gap
        // instead of preempting it. Stamps are taken when a sample is read, so they stay exact.
        if (child.pid !== undefined && nice > 0) {
          try {
            setPriority(child.pid, nice);
          } catch {
            // not permitted here: sample at normal priority
          }
        }
        const reason = m.devices.length === 0 ? noDeviceReason(m.attempts) || 'no GPU found' : null;
        resolve(new DeviceMonitor(child, m.devices, reason, m.unknownChoices, options.intervalMs));
      });
    });
  }

  get alive(): boolean {
    return this.deadReason === undefined;
  }

  /** The rows of [fromNs, toNs] plus one before and one after per device; waits for the sample after. */
  collect(fromNs: bigint, toNs: bigint, timeoutMs = Math.max(2_000, 10 * this.intervalMs)): Promise<CollectedRows> {
    if (this.deadReason) return Promise.reject(new MonitorError(this.deadReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MonitorError(`monitor did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // A child that died a moment ago may not have been reaped yet: the send fails (EPIPE) and,
      // without this callback, would be thrown at the process. Its 'exit' rejects this with why.
      this.child.send({ type: 'collect', id, from_ns: fromNs.toString(), to_ns: toNs.toString() }, () => undefined);
    });
  }

  /** Stops the child (a kill if it does not exit within a second). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' }, () => undefined); // a channel already closed: the exit is on its way
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  /** For tests: the child's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }
}
