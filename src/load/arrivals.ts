/**
 * Open-loop arrival schedules, computed up front from a seed so a run can be repeated exactly:
 * constant (every 1/rate), Poisson (exponential gaps) or gamma gaps with shape `burstiness`
 * (1 is Poisson; below 1 burstier, above 1 more regular), always with mean gap 1/rate.
 */
import type { LoadSettings } from '../results/schema.js';
import { RunError } from '../util/errors.js';
import { Xoshiro128 } from '../util/random.js';
import { readTrace, type Trace, traceSchedule } from './trace.js';

export type ArrivalProcess = 'constant' | 'poisson' | 'gamma';

const traces = new Map<string, Trace>();

/** A trace file read once per process, and checked to be the file the run started with. */
export function readTraceOnce(path: string, sha256: string): Trace {
  let trace = traces.get(path);
  if (!trace) {
    trace = readTrace(path);
    traces.set(path, trace);
  }
  if (trace.sha256 !== sha256) throw new RunError('internal', `trace ${path} changed since the run began (sha256 ${trace.sha256.slice(0, 12)}, the run's ${sha256.slice(0, 12)})`);
  return trace;
}

export interface ScheduleSpec {
  /** Requests per second. */
  rate: number;
  arrival: ArrivalProcess;
  burstiness: number;
  seed: number;
  /** Stop after this many requests, and/or once the schedule passes `durationS`. */
  requests: number | null;
  durationS: number | null;
  /** Scale a count-bounded draw so that its own rate, (n - 1) / (last - first), is `rate` exactly (its shape kept). */
  exactRate?: boolean;
}

/** A standard normal draw (Box-Muller). */
function normal(rng: Xoshiro128): number {
  const u = 1 - rng.nextFloat();
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; shape < 1 by boosting). */
export function gammaDraw(rng: Xoshiro128, shape: number): number {
  if (shape < 1) return gammaDraw(rng, shape + 1) * Math.pow(1 - rng.nextFloat(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.nextFloat();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Send times in ms after the start; the first request goes at 0. */
export function arrivalSchedule(spec: ScheduleSpec): number[] {
  if (spec.requests === null && spec.durationS === null) throw new RangeError('a schedule needs a request count or a duration');
  const rng = new Xoshiro128(spec.seed);
  const meanGapMs = 1000 / spec.rate;
  const gap = (): number => {
    if (spec.arrival === 'constant') return meanGapMs;
    if (spec.arrival === 'poisson') return -Math.log(1 - rng.nextFloat()) * meanGapMs;
    return gammaDraw(rng, spec.burstiness) * (meanGapMs / spec.burstiness);
  };
  const limitMs = spec.durationS === null ? Infinity : spec.durationS * 1000;
  const times: number[] = [];
  for (let t = 0; t < limitMs && (spec.requests === null || times.length < spec.requests); t += gap()) times.push(t);
  const last = times[times.length - 1] ?? 0;
  // a duration-bounded draw keeps its times: scaling them would move requests past the duration
  if (spec.exactRate && spec.durationS === null && times.length >= 2 && last > 0) {
    const scale = ((times.length - 1) * meanGapMs) / last;
    return times.map((t) => t * scale);
  }
  return times;
}

/** The whole drawn schedule of an open-loop load run's settings (every part of it draws the same); a trace's lines at their timestamps. */
export function scheduleOf(s: LoadSettings): number[] {
  if (s.arrival === 'trace') {
    if (!s.trace) throw new RunError('internal', 'trace arrivals without a trace');
    const times = traceSchedule(readTraceOnce(s.trace.path, s.trace.sha256).entries, s.trace.speed);
    const limitMs = s.duration_s === null ? Infinity : s.duration_s * 1000;
    return times.slice(0, s.requests ?? times.length).filter((t) => t < limitMs);
  }
  return arrivalSchedule({ rate: s.request_rate ?? 1, arrival: s.arrival, burstiness: s.burstiness, seed: s.seed, requests: s.requests, durationS: s.duration_s, exactRate: s.exact_rate === true });
}

/**
 * A ramp's send times, ms after it starts: the rate rises linearly from 0 to `rate` over `seconds`.
 * Arrivals are drawn as the schedule's own (constant, Poisson or gamma gaps of mean 1) on the
 * cumulative rate Λ(t) = rate·t²/(2·seconds) and mapped back, t = √(2·seconds·Λ/rate): about
 * rate·seconds/2 requests, ever denser.
 */
export function rampSchedule(rate: number, arrival: ArrivalProcess, burstiness: number, seed: number, seconds: number): number[] {
  const rng = new Xoshiro128(seed ^ 0x2545f491);
  const gap = (): number => (arrival === 'constant' ? 1 : arrival === 'poisson' ? -Math.log(1 - rng.nextFloat()) : gammaDraw(rng, burstiness) / burstiness);
  const times: number[] = [];
  for (let lambda = gap(); ; lambda += gap()) {
    const t = Math.sqrt((2 * seconds * lambda) / rate);
    if (t >= seconds) return times;
    times.push(t * 1000);
  }
}
