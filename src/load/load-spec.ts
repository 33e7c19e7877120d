/**
 * A load run as typed values: what `tokenbench load`'s flags say and what a library caller passes
 * to `load()`. One validation for both; its messages name each value as the caller wrote it (a flag
 * like `--request-rate`, or a field like `request_rate`).
 */
import { resolve } from 'node:path';
import type { NamedConfig } from '../config/fields.js';
import { expandConfigs } from '../config/sweep.js';
import type { LoadSettings } from '../results/schema.js';
import { InputError } from '../util/errors.js';
import { type CapacitySearchSettings, DEFAULT_PRECISION, DEFAULT_SATURATION_CONCURRENCY, MIN_PROBE_S } from './capacity.js';
import { type LoadConfig, loadValueConfig } from './load-config.js';
import { datasetSessions } from './sessions.js';
import { readTrace, type TraceEntry, traceSchedule } from './trace.js';

/** A load run: the server, the swept values and the traffic (the result file's `load` settings, typed). */
export interface LoadSpec {
  /** The server's base URL, e.g. http://localhost:8000/v1; several: replicas with no balancer before them, each request sent to one by `route`. */
  url: string | readonly string[];
  /** With several URLs: round-robin (default) or least-in-flight. */
  route?: 'round-robin' | 'least-in-flight';
  /** The served model name. */
  model: string;
  /** completions (exact token-id prompts; default) or chat. */
  api?: 'completions' | 'chat';
  /** The environment variable that holds the API key (the key is never stored). */
  api_key_env?: string;
  /** Closed loop: requests in flight; several values are a sweep (default 1). */
  concurrency?: number | readonly number[];
  /** Open loop: requests per second; several values are a sweep. */
  request_rate?: number | readonly number[];
  /** Open-loop arrivals (default poisson; gamma when `burstiness` is given). */
  arrival?: LoadSettings['arrival'];
  /** Gamma shape: 1 is Poisson, below 1 burstier. */
  burstiness?: number;
  /** Seed of the arrival schedule and the prompt draws (default 0). */
  seed?: number;
  /** Measured requests per value (default 100 when `duration_s` is not given). */
  requests?: number;
  /** Stop sending after this long (with `requests`: whichever comes first). */
  duration_s?: number;
  /** Requests sent and discarded first (default: the concurrency, or 8 for an open loop). */
  warmup_requests?: number;
  /** Open loop: at most this many requests in flight. */
  max_concurrency?: number;
  /** Open loop: before measuring, send this many seconds of requests at a rate rising linearly to the target (not measured). */
  ramp_up_s?: number;
  /** Synthetic prompt length in tokens (default 128). */
  input_len?: number;
  /** Tokens to generate per request (default 128). */
  output_len?: number;
  /** Lengths drawn uniformly from [len(1-R), len(1+R)] (default 0: fixed). */
  range_ratio?: number;
  /** A JSONL file of prompts instead of synthetic ones. */
  dataset?: string;
  /** A request trace to replay (Mooncake's layout: timestamp, input_length, output_length, hash_ids; docs/traffic.md): its lines are the requests, sent at their timestamps. */
  trace?: string;
  /** With `trace`: timestamps divided by this (2 replays twice as fast; default 1). */
  trace_speed?: number;
  /** Multi-turn sessions (api chat): each of `dataset`'s conversations, or `turns` synthetic user messages, is a session; sessions start at `request_rate`, and `requests` counts sessions. */
  multi_turn?: boolean;
  /** Synthetic sessions: user messages per session, each `input_len` tokens. */
  turns?: number;
  /** Multi-turn: the pause after a reply ends before the next turn is sent (ms, default 0). */
  think_time_ms?: number;
  /** Goodput limits in ms. */
  slo?: { ttft_ms?: number; tpot_ms?: number; e2e_ms?: number };
  /** A request sent this long after it was due counts as late (default 10). */
  late_ms?: number;
  /** A request with no byte for this long fails as a timeout (default 60). */
  timeout_s?: number;
  /** Send ignore_eos/min_tokens (default true). */
  ignore_eos?: boolean;
  /** Ask for logprobs (default true). */
  logprobs?: boolean;
  /** Ask for usage on every chunk (default true). */
  usage?: boolean;
  /** Poll instead of sleeping during the run (costs a core). */
  busy_poll?: boolean;
  /** Check the model against GET /v1/models (default true). */
  model_check?: boolean;
  /** unique (default), repeat, or prefix=N. */
  prompt_reuse?: string;
  /** Search the capacity instead of measuring given values (docs/capacity.md); needs `slo`. */
  capacity?: {
    search: 'rate' | 'concurrency';
    /** The percentile of each SLO metric that must hold, in (0, 100) (default 99). */
    percentile?: number;
    /** Rate search: the bracket's width as a fraction of the rate (default 0.05). */
    precision?: number;
    /** Requests in flight in the saturating run (default 64). */
    saturation_concurrency?: number;
  };
}

/** How a message names a value of the spec: its flag for the CLI, its field for the library. */
export type SpecName = (field: string) => string;

/** The library's names: the field, dotted under `capacity` and `slo`. */
export const FIELD_NAME: SpecName = (field) => ({ find_max_rate: "capacity { search: 'rate' }", find_max_concurrency: "capacity { search: 'concurrency' }" })[field] ?? field;

/** The longest prompt or output a load run asks for (2^20 tokens): longer than any served context. */
const MAX_LENGTH = 1_048_576;

interface NumberRule {
  int?: boolean;
  min: number;
  exclusive?: boolean;
  max?: number;
  /** max itself is not allowed. */
  exclusiveMax?: boolean;
}

/** `value` if it keeps `rule`, else an InputError naming it. */
function checked(name: SpecName, field: string, value: number, rule: NumberRule): number {
  const bad =
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (rule.int === true && !Number.isSafeInteger(value)) ||
    (rule.exclusive ? value <= rule.min : value < rule.min) ||
    (rule.max !== undefined && (rule.exclusiveMax ? value >= rule.max : value > rule.max));
  if (bad) {
    const range = `${rule.exclusive ? '>' : '>='} ${rule.min}${rule.max !== undefined ? ` and ${rule.exclusiveMax ? '<' : '<='} ${rule.max}` : ''}`;
    throw new InputError('usage', `load: ${name(field)} must be ${rule.int ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(value)}`);
  }
  return value;
}

const optional = (name: SpecName, field: string, value: number | undefined, rule: NumberRule): number | null => (value === undefined ? null : checked(name, field, value, rule));

const list = (v: number | readonly number[] | undefined): readonly number[] | undefined => (v === undefined ? undefined : typeof v === 'number' ? [v] : v);

/** One config per swept value; `defaultRequests` when neither `requests` nor `duration_s` is given. */
export function loadConfigsOf(spec: LoadSpec, defaultRequests = 100, name: SpecName = FIELD_NAME): LoadConfig[] {
  const urls = typeof spec.url === 'string' ? [spec.url] : [...spec.url];
  if (urls.length === 0 || urls.some((u) => !u)) throw new InputError('usage', `load: ${name('url')} is required (the server, e.g. http://localhost:8000/v1)`);
  if (new Set(urls).size < urls.length) throw new InputError('usage', `load: ${name('url')} names a server twice; give each replica once`);
  if (spec.route !== undefined && !['round-robin', 'least-in-flight'].includes(spec.route)) throw new InputError('usage', `load: ${name('route')} must be round-robin or least-in-flight, got '${spec.route}'`);
  if (spec.route !== undefined && urls.length < 2) throw new InputError('usage', `load: ${name('route')} spreads requests over several servers; give more than one ${name('url')}`);
  if (!spec.model) throw new InputError('usage', `load: ${name('model')} is required (the name the server serves the model under)`);
  if (spec.trace_speed !== undefined && spec.trace === undefined) throw new InputError('usage', `load: ${name('trace_speed')} applies to ${name('trace')}`);
  if (spec.trace !== undefined) return [traceConfig(spec, name)];
  for (const field of ['turns', 'think_time_ms'] as const) {
    if (spec[field] !== undefined && spec.multi_turn !== true) throw new InputError('usage', `load: ${name(field)} applies to ${name('multi_turn')}`);
  }
  const sessions = spec.multi_turn === true ? sessionsOf(spec, defaultRequests, name) : null;
  const concurrency = list(spec.concurrency);
  const rates = list(spec.request_rate);
  if (concurrency && rates) throw new InputError('usage', `load: give ${name('concurrency')} (closed loop) or ${name('request_rate')} (open loop), not both`);
  // open-loop settings on a closed loop would be ignored: say so instead
  for (const field of ['arrival', 'burstiness', 'max_concurrency', 'ramp_up_s'] as const) {
    if (!rates && spec.capacity?.search !== 'rate' && spec[field] !== undefined) throw new InputError('usage', `load: ${name(field)} applies to an open loop (${name('request_rate')}); a closed loop (${name('concurrency')}) has no arrival schedule`);
  }
  if (spec.arrival !== undefined && !['constant', 'poisson', 'gamma'].includes(spec.arrival)) {
    throw new InputError('usage', `load: ${name('arrival')} must be one of constant, poisson, gamma, got '${spec.arrival}'`);
  }
  if (spec.api !== undefined && !['completions', 'chat'].includes(spec.api)) throw new InputError('usage', `load: ${name('api')} must be completions or chat, got '${spec.api}'`);
  const burstiness = optional(name, 'burstiness', spec.burstiness, { min: 0, exclusive: true });
  const arrival = spec.arrival ?? (burstiness !== null ? 'gamma' : 'poisson');
  let requests = optional(name, 'requests', spec.requests, { int: true, min: 1 });
  const duration = optional(name, 'duration_s', spec.duration_s, { min: 0, exclusive: true });
  if (requests === null && duration === null) requests = sessions?.count ?? defaultRequests;
  // past any served context: a server that does not say its context would otherwise never finish
  for (const field of ['input_len', 'output_len'] as const) {
    const value = spec[field];
    if (value !== undefined && value > MAX_LENGTH) throw new InputError('usage', `load: ${name(field)} must be at most ${MAX_LENGTH} tokens, got ${value}`);
  }
  const inputLen = optional(name, 'input_len', spec.input_len, { int: true, min: 1 }) ?? 128;
  const outputLen = optional(name, 'output_len', spec.output_len, { int: true, min: 1 }) ?? 128;

  const engineOptions = engineOptionsOf(spec, name);

  const values: { mode: 'closed' | 'open'; value: number }[] = rates
    ? rates.map((r) => ({ mode: 'open' as const, value: checked(name, 'request_rate', r, { min: 0, exclusive: true }) }))
    : (concurrency ?? [1]).map((c) => ({ mode: 'closed' as const, value: checked(name, 'concurrency', c, { int: true, min: 1 }) }));
  if (values.length === 0) throw new InputError('usage', `load: ${name(rates ? 'request_rate' : 'concurrency')} needs at least one value`);
  const seed = optional(name, 'seed', spec.seed, { int: true, min: 0 }) ?? 0;
  const warmupGiven = optional(name, 'warmup_requests', spec.warmup_requests, { int: true, min: 0 }) ?? (sessions ? 0 : null);
  const slo = sloOf(spec.slo, name);
  const lateMs = optional(name, 'late_ms', spec.late_ms, { min: 0 }) ?? 10;
  const maxConcurrency = optional(name, 'max_concurrency', spec.max_concurrency, { int: true, min: 1 });
  const rampUp = optional(name, 'ramp_up_s', spec.ramp_up_s, { min: 0, exclusive: true });
  const rangeRatio = optional(name, 'range_ratio', spec.range_ratio, { min: 0 }) ?? 0;
  if (rangeRatio > 1) throw new InputError('usage', `load: ${name('range_ratio')} must be between 0 and 1, got ${rangeRatio}`);

  return values.map(({ mode, value }) => {
    const warmup = warmupGiven ?? (mode === 'closed' ? value : 8);
    return valueConfig(spec, engineOptions, inputLen, outputLen, warmup, requests, {
      mode,
      concurrency: mode === 'closed' ? value : null,
      request_rate: mode === 'open' ? value : null,
      arrival,
      burstiness: burstiness ?? 1,
      seed,
      requests,
      duration_s: duration,
      warmup_requests: warmup,
      max_concurrency: mode === 'open' ? maxConcurrency : null,
      range_ratio: rangeRatio,
      dataset: spec.dataset === undefined ? null : resolve(spec.dataset),
      slo,
      late_ms: lateMs,
      ...(mode === 'open' && rampUp !== null ? { ramp_up_s: rampUp } : {}),
      ...(sessions ? { sessions: sessions.settings } : {}),
    });
  });
}

/** The openai engine's options a spec sets. */
function engineOptionsOf(spec: LoadSpec, name: SpecName): Record<string, string | number | boolean> {
  const engineOptions: Record<string, string | number | boolean> = { url: typeof spec.url === 'string' ? spec.url : (spec.url[0] as string) };
  if (spec.api !== undefined) engineOptions.api = spec.api;
  if (spec.api_key_env !== undefined) engineOptions.api_key_env = spec.api_key_env;
  if (spec.timeout_s !== undefined) engineOptions.timeout_s = checked(name, 'timeout_s', spec.timeout_s, { min: 0, exclusive: true });
  if (spec.ignore_eos === false) engineOptions.ignore_eos = false;
  if (spec.logprobs === false) engineOptions.logprobs = false;
  if (spec.usage === false) engineOptions.usage = false;
  if (spec.busy_poll === true) engineOptions.busy_poll = true;
  if (spec.model_check === false) engineOptions.model_check = false;
  if (spec.prompt_reuse !== undefined) engineOptions.prompt_reuse = spec.prompt_reuse;
  return engineOptions;
}

/** One value's config: the openai engine's fields (lengths, warmups, requests) with its load settings. */
function valueConfig(spec: LoadSpec, engineOptions: Record<string, string | number | boolean>, inputLen: number, outputLen: number, warmup: number, requests: number | null, settings: LoadSettings): LoadConfig {
  const urls = typeof spec.url === 'string' ? [spec.url] : [...spec.url];
  const load: LoadSettings = urls.length > 1 ? { ...settings, replicas: { urls, route: spec.route ?? 'round-robin' } } : settings;
  const [base] = expandConfigs([
    {
      fields: {
        engine: 'openai',
        model: spec.model,
        sequence_length: inputLen,
        num_tokens_to_generate: Math.max(2, outputLen),
        warmup_iterations: warmup,
        measurement_iterations: requests ?? 1,
        gpu_monitoring: false,
        engine_options: engineOptions,
      },
      where: 'load',
    },
  ]) as [NamedConfig];
  return loadValueConfig({ ...base, num_tokens_to_generate: outputLen }, load);
}

/**
 * The one value of a trace replay: every line once by default (the first `requests`, or those due
 * before `duration_s`), no warmups unless asked (they would fill the server's prefix cache with
 * blocks the trace shares), the lengths and arrivals the trace's own.
 */
function traceConfig(spec: LoadSpec, name: SpecName): LoadConfig {
  // a capacity search replays the trace faster or slower (its speed) at each rate it probes
  const given = (['concurrency', 'request_rate', 'arrival', 'burstiness', 'dataset', 'input_len', 'output_len', 'range_ratio', 'prompt_reuse', 'ramp_up_s', 'multi_turn'] as const).find((f) => spec[f] !== undefined);
  if (given) throw new InputError('usage', `load: ${name('trace')} gives the requests, their lengths, prompts and arrivals; drop ${name(given)}`);
  const path = resolve(spec.trace as string);
  const trace = readTrace(path, name('trace'));
  const lines = trace.entries.length;
  const speed = optional(name, 'trace_speed', spec.trace_speed, { min: 0, exclusive: true }) ?? 1;
  const requested = optional(name, 'requests', spec.requests, { int: true, min: 1 });
  if (requested !== null && requested > lines) throw new InputError('usage', `load: ${name('requests')} ${requested} is more than the trace's ${lines} lines; each line is one request`);
  const duration = optional(name, 'duration_s', spec.duration_s, { min: 0, exclusive: true });
  const requests = requested ?? (duration === null ? lines : null);
  const times = traceSchedule(trace.entries, speed);
  const spanS = ((times.at(-1) as number) - (times[0] as number)) / 1000;
  const warmup = optional(name, 'warmup_requests', spec.warmup_requests, { int: true, min: 0 }) ?? 0;
  const middle = trace.entries[Math.floor(lines / 2)] as TraceEntry;
  return valueConfig(spec, engineOptionsOf(spec, name), middle.inputLength, middle.outputLength, warmup, requests, {
    mode: 'open',
    concurrency: null,
    // the trace's own mean rate, for the value's name and its target
    request_rate: lines >= 2 && spanS > 0 ? Number(((lines - 1) / spanS).toPrecision(3)) : 1,
    arrival: 'trace',
    burstiness: 1,
    seed: optional(name, 'seed', spec.seed, { int: true, min: 0 }) ?? 0,
    requests,
    duration_s: duration,
    warmup_requests: warmup,
    max_concurrency: optional(name, 'max_concurrency', spec.max_concurrency, { int: true, min: 1 }),
    range_ratio: 0,
    dataset: null,
    slo: sloOf(spec.slo, name),
    late_ms: optional(name, 'late_ms', spec.late_ms, { min: 0 }) ?? 10,
    trace: { path, sha256: trace.sha256, lines, speed },
  });
}

/**
 * What --multi-turn asks for, checked: chats (api chat) started open-loop, from a dataset's
 * conversations (each once by default) or `turns` synthetic messages; no warmups (a warmup is not a
 * session), no prompt reuse or ramp.
 */
function sessionsOf(spec: LoadSpec, defaultRequests: number, name: SpecName): { settings: NonNullable<LoadSettings['sessions']>; count: number } {
  if (spec.api !== 'chat') throw new InputError('usage', `load: ${name('multi_turn')} sends each turn with the chat so far: add ${name('api')} chat`);
  if (spec.request_rate === undefined || spec.concurrency !== undefined) throw new InputError('usage', `load: ${name('multi_turn')} starts sessions on an open-loop schedule: give ${name('request_rate')} (sessions a second)${spec.concurrency !== undefined ? `, not ${name('concurrency')}` : ''}`);
  const given = (['prompt_reuse', 'ramp_up_s', 'range_ratio', 'capacity'] as const).find((f) => spec[f] !== undefined);
  // a capacity search's saturating run is a closed loop, which sessions have no form of
  if (given) throw new InputError('usage', `load: ${name(given)} does not apply to ${name('multi_turn')}`);
  if (spec.warmup_requests !== undefined && spec.warmup_requests > 0) throw new InputError('usage', `load: ${name('multi_turn')} sends no warmup requests (a warmup is not a session); give ${name('warmup_requests')} 0 or leave it out`);
  const thinkTime = optional(name, 'think_time_ms', spec.think_time_ms, { min: 0 }) ?? 0;
  if (spec.dataset !== undefined && spec.turns !== undefined) throw new InputError('usage', `load: ${name('multi_turn')} takes its sessions from ${name('dataset')} or makes ${name('turns')} synthetic ones, not both`);
  if (spec.dataset !== undefined) {
    const count = datasetSessions(resolve(spec.dataset), 2).length;
    if (spec.requests !== undefined && spec.requests > count) throw new InputError('usage', `load: ${name('requests')} ${spec.requests} is more than the dataset's ${count} conversations; each is one session`);
    return { settings: { source: 'dataset', turns: null, think_time_ms: thinkTime }, count };
  }
  if (spec.turns === undefined) throw new InputError('usage', `load: ${name('multi_turn')} needs sessions: ${name('dataset')} FILE with conversations, or ${name('turns')} N synthetic user messages a session`);
  const turns = checked(name, 'turns', spec.turns, { int: true, min: 1 });
  return { settings: { source: 'synthetic', turns, think_time_ms: thinkTime }, count: defaultRequests };
}

/** The SLO limits, each above 0. */
function sloOf(given: LoadSpec['slo'], name: SpecName): LoadSettings['slo'] {
  const slo: LoadSettings['slo'] = { ttft_ms: null, tpot_ms: null, e2e_ms: null };
  for (const key of Object.keys(given ?? {})) {
    if (!(key in slo)) throw new InputError('usage', `load: ${name('slo')} takes ttft_ms, tpot_ms and e2e_ms, got '${key}'`);
    const v = (given as Record<string, number | undefined>)[key];
    if (v !== undefined) slo[key as keyof typeof slo] = checked(name, `slo.${key}`, v, { min: 0, exclusive: true });
  }
  return slo;
}

/** The capacity search `spec.capacity` asks for, or null; every misuse an InputError naming it. */
export function capacitySearchOfSpec(spec: LoadSpec, name: SpecName = FIELD_NAME): CapacitySearchSettings | null {
  const c = spec.capacity;
  if (!c) return null;
  if (c.search !== 'rate' && c.search !== 'concurrency') throw new InputError('usage', `load: ${name('capacity.search')} must be rate or concurrency, got '${String(c.search)}'`);
  const rate = c.search === 'rate';
  const what = name(rate ? 'find_max_rate' : 'find_max_concurrency');
  for (const field of ['concurrency', 'request_rate'] as const) {
    if (spec[field] !== undefined) throw new InputError('usage', `load: ${what} chooses the ${rate ? 'rate' : 'concurrency'} itself; drop ${name(field)}`);
  }
  if (!rate && c.precision !== undefined) throw new InputError('usage', `load: ${name('capacity.precision')} applies to ${name('find_max_rate')}; a concurrency search narrows to one`);
  if (!rate) {
    for (const field of ['arrival', 'burstiness', 'max_concurrency', 'ramp_up_s'] as const) {
      if (spec[field] !== undefined) throw new InputError('usage', `load: ${name(field)} applies to an open loop; ${what} probes closed loops`);
    }
  }
  const slo = spec.slo ?? {};
  if (![slo.ttft_ms, slo.tpot_ms, slo.e2e_ms].some((v) => v !== undefined)) throw new InputError('usage', `load: ${what} needs the limits to hold: ${name('slo')} (ttft, tpot and/or e2e)`);
  return {
    search: c.search,
    percentile: optional(name, 'capacity.percentile', c.percentile, { min: 0, exclusive: true, max: 100, exclusiveMax: true }) ?? 99,
    precision: optional(name, 'capacity.precision', c.precision, { min: 0, exclusive: true, max: 1, exclusiveMax: true }) ?? DEFAULT_PRECISION,
    saturationConcurrency: optional(name, 'capacity.saturation_concurrency', c.saturation_concurrency, { int: true, min: 1 }) ?? DEFAULT_SATURATION_CONCURRENCY,
    warmupRequests: optional(name, 'warmup_requests', spec.warmup_requests, { int: true, min: 0 }),
    minProbeS: spec.requests !== undefined || spec.duration_s !== undefined ? null : MIN_PROBE_S,
  };
}
