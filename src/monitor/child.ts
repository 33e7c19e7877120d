/**
 * The monitor child process: opens the vendor backends, says ready, samples on its schedule into
 * a buffer, and answers `collect` with the rows of a time range (plus the last row before and the
 * first after it, per device, for interpolating energy counters; taken at once, off the schedule,
 * when the range has ended and no sample after it exists yet). Exits with its parent.
 */
import { openBackends } from './backends.js';
import { HostSampler } from './host.js';
import { ProcessTree } from './process-tree.js';
import type { ChildMessage, MonitorOptions, ParentMessage } from './protocol.js';
import { SamplingLoop } from './sampling-loop.js';
import type { SampleRow } from './types.js';

/** Rows kept at most (about 14 hours of one device at 50 ms): a bound, not a target. */
const MAX_ROWS = 2_000_000;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as MonitorOptions;
  // Ctrl-C reaches the whole process group: the parent decides when the monitor stops.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  // belt and braces: a parent that died is noticed at the next sample even if the pipe is not
  const parent = process.ppid;

  // the run's process and what it started (a browser), without this monitor
  const watched = new ProcessTree(options.watchedPid);
  const opened = await openBackends(options.intervalMs, watched, options.devices);
  const buffer: SampleRow[] = [];
  const waiting: { id: number; from: bigint; to: bigint }[] = [];
  let lastT = 0n;

  const answer = (req: { id: number; from: bigint; to: bigint }): void => {
    const inside: SampleRow[] = [];
    const before = new Map<string, SampleRow>();
    const after = new Map<string, SampleRow>();
    for (const row of buffer) {
      const t = BigInt(row.t_ns);
      if (t < req.from) before.set(row.device, row);
      else if (t <= req.to) inside.push(row);
      else if (!after.has(row.device)) after.set(row.device, row);
    }
    send({ type: 'samples', id: req.id, rows: [...before.values(), ...inside, ...after.values()], failures: [...loop.failures] });
    // ranges come in time order: what is older than this one is no longer needed
    let drop = 0;
    while (drop < buffer.length && BigInt((buffer[drop] as SampleRow).t_ns) < req.from) drop++;
    buffer.splice(0, Math.max(0, drop - opened.targets.length - 1));
  };

  const record = (rows: SampleRow[]): void => {
    if (process.ppid !== parent) process.exit(0);
    for (const r of rows) buffer.push(r);
    if (buffer.length > MAX_ROWS) buffer.splice(0, buffer.length - MAX_ROWS);
    lastT = BigInt(rows[0]?.t_ns ?? '0');
    // a range is answered once a sample after its end exists
    while (waiting.length > 0 && lastT > (waiting[0] as { to: bigint }).to) answer(waiting.shift() as { id: number; from: bigint; to: bigint });
  };
  const host = new HostSampler(watched);
  const loop = new SamplingLoop(opened.targets, host, options.intervalMs, record);

  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') {
      loop.stop();
      for (const s of opened.samplers) s.close();
      host.close();
      process.exit(0);
    }
    if (m.type === 'collect') {
      waiting.push({ id: m.id, from: BigInt(m.from_ns), to: BigInt(m.to_ns) });
      // a range that has ended gets its closing sample now, off the schedule: with a long interval
      // the next scheduled one could be minutes away, and the run would wait for it
      if (BigInt(m.to_ns) < process.hrtime.bigint()) record(loop.sampleNow());
    }
  });

  send({ type: 'ready', devices: opened.targets.map((t) => t.info), attempts: opened.attempts, unknownChoices: opened.unknownChoices });
  loop.begin();
}

main().catch((err: unknown) => {
  send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
