/**
 * The result file, schema `tokenbench.run/v1` (docs/schema.md). The zod schema is the source of
 * the TypeScript types and validates files in tests and on reading.
 */
import { z } from 'zod';

export const RESULT_SCHEMA = 'tokenbench.run/v1';

const interval = z.tuple([z.number(), z.number()]).nullable();

export const StatsSchema = z.object({
  n: z.number().int().positive(),
  mean: z.number(),
  std: z.number().nullable(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  ci95_mean: interval,
  ci95_median: interval,
  /** Present when the percentiles and the median's interval came from a quantile sketch (a very long run): each is within this fraction of the exact value. */
  relative_error: z.number().positive().optional(),
});

const SloSchema = z.object({ ttft_ms: z.number().nullable(), tpot_ms: z.number().nullable(), e2e_ms: z.number().nullable() });

/** How a load run sends requests (tokenbench load); one swept value per benchmark. */
export const LoadSettingsSchema = z.object({
  mode: z.enum(['closed', 'open']),
  /** Closed loop: requests in flight. */
  concurrency: z.number().int().positive().nullable(),
  /** Open loop: target requests per second, arrivals and their seed. */
  request_rate: z.number().positive().nullable(),
  /** trace: each request at its trace line's timestamp (`trace`). */
  arrival: z.enum(['constant', 'poisson', 'gamma', 'trace']),
  burstiness: z.number().positive(),
  seed: z.number().int(),
  requests: z.number().int().positive().nullable(),
  duration_s: z.number().positive().nullable(),
  warmup_requests: z.number().int().nonnegative(),
  /** Open loop: at most this many in flight (null: no limit). */
  max_concurrency: z.number().int().positive().nullable(),
  range_ratio: z.number().min(0).max(1),
  dataset: z.string().nullable(),
  slo: SloSchema,
  /** A request sent this much after its scheduled time counts as late. */
  late_ms: z.number().nonnegative(),
  /** Open loop bounded by a request count: the drawn schedule is scaled so that its own rate is request_rate exactly (capacity probes; absent: as drawn). */
  exact_rate: z.boolean().optional(),
  /** Several --url values: replicas with no balancer before them; requests spread over them by `route`. The config's url is the first. */
  replicas: z.object({ urls: z.array(z.string()).min(2), route: z.enum(['round-robin', 'least-in-flight']) }).nullable().optional(),
  /** load --multi-turn: each request a turn of a session (a dataset's conversation, or `turns` synthetic ones); sessions start at request_rate a second, each turn `think_time_ms` after the last one's reply ended, with the whole chat so far. `requests` counts sessions. */
  sessions: z.object({ source: z.enum(['dataset', 'synthetic']), turns: z.number().int().positive().nullable(), think_time_ms: z.number().nonnegative() }).nullable().optional(),
  /** load --ramp-up: seconds over which the rate rose linearly to request_rate before the measured phase (null or absent: none). */
  ramp_up_s: z.number().positive().nullable().optional(),
  /** load --trace: the replayed file (its path as given, resolved; sha256 of its bytes), its lines, and --trace-speed. */
  trace: z.object({ path: z.string(), sha256: z.string(), lines: z.number().int().positive(), speed: z.number().positive() }).nullable().optional(),
});

export const ConfigSchema = z.object({
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  warmup_iterations: z.number().int().nonnegative(),
  measurement_iterations: z.number().int().positive(),
  gpu_monitoring: z.boolean(),
  monitor_interval_ms: z.number().positive(),
  batch_size: z.number().int().positive(),
  sequence_length: z.number().int().positive(),
  num_tokens_to_generate: z.number().int().min(2),
  engine: z.string(),
  model: z.string(),
  device: z.string(),
  dtype: z.string(),
  engine_options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  load: LoadSettingsSchema.optional(),
});

export const MonitorStatusSchema = z.enum(['success', 'failed', 'no_devices', 'no_samples', 'disabled', 'unavailable']);

/** One sample row of an iteration's window: t_ms after t0, device (`host` or `<vendor>:<index>`), readings. */
export const WindowSampleSchema = z.object({ t_ms: z.number(), device: z.string() }).catchall(z.union([z.number(), z.string()]));

export const MonitorWindowSchema = z.object({
  status: MonitorStatusSchema,
  reason: z.string().nullable(),
  samples: z.array(WindowSampleSchema),
});

const SpreadSchema = z.object({ mean: z.number(), p50: z.number(), max: z.number() }).nullable();

export const DeviceSummarySchema = z.object({
  device: z.string(),
  util_pct: SpreadSchema,
  mem_used_peak_bytes: z.number().nullable(),
  proc_mem_used_peak_bytes: z.number().nullable(),
  power_w_mean: z.number().nullable(),
  temp_c_max: z.number().nullable(),
  energy_j: z.number().nullable(),
  energy_per_token_j: z.number().nullable(),
  energy_note: z.string().nullable(),
  failure: z.string().nullable(),
});

export const HostSummarySchema = z.object({
  cpu_pct: SpreadSchema,
  proc_cpu_pct: SpreadSchema,
  proc_rss_peak_bytes: z.number().nullable(),
  sys_mem_used_peak_bytes: z.number().nullable(),
  energy_j: z.number().nullable(),
  energy_per_token_j: z.number().nullable(),
  energy_note: z.string().nullable(),
});

export const BenchmarkMonitorSchema = z.object({
  status: MonitorStatusSchema,
  reason: z.string().nullable(),
  interval_ms: z.number().positive(),
  devices: z.array(DeviceSummarySchema),
  host: HostSummarySchema.nullable(),
});

export const DeviceInfoSchema = z.object({
  id: z.string(),
  vendor: z.enum(['nvidia', 'amd', 'intel']),
  index: z.number().int(),
  physical_index: z.number().int(),
  name: z.string().nullable(),
  uuid: z.string().nullable(),
  memory_total_bytes: z.number().nullable(),
  driver_version: z.string().nullable(),
  backend: z.string(),
});

/** A server's own account of one request (llama.cpp's `timings`). */
export const ServerTimingsSchema = z.object({
  prompt_ms: z.number(),
  prompt_n: z.number(),
  cache_n: z.number(),
  predicted_n: z.number(),
  predicted_ms: z.number(),
  itl_ms: z.number().nullable(),
});

/** One streamed HTTP request (engine openai, and each request of a load run); times in ms after its t0. */
export const HttpRequestSchema = z.object({
  /** This request's t0 (just before it was written) after the iteration's t0, or after the load window's start. */
  t0_ms: z.number(),
  status: z.number().int().nullable(),
  ok: z.boolean(),
  failure: z.object({ kind: z.string(), message: z.string() }).nullable(),
  ttfb_ms: z.number().nullable(),
  ttft_ms: z.number().nullable(),
  ttfo_ms: z.number().nullable(),
  last_token_ms: z.number().nullable(),
  e2e_ms: z.number().nullable(),
  itl_ms: z.number().nullable(),
  output_tokens: z.number().int().nonnegative(),
  /** Prompt tokens asked for (exact where the server tokenizes; null when unknown). */
  input_tokens: z.number().int().nullable(),
  /** Prompt tokens as the server counted them (usage), when it said. */
  prompt_tokens: z.number().int().nullable(),
  token_source: z.enum(['logprobs', 'usage_delta', 'final_usage', 'chunks']),
  /** Network reads of the body. */
  reads: z.number().int().nonnegative(),
  response_id: z.string().nullable(),
  /** Tokens the server adds to every prompt (chat template, BOS), calibrated by a probe; the server should count input_tokens + this. */
  prompt_overhead_tokens: z.number().int().nullable().optional(),
  /** Prompt tokens the server says came from its cache (llama.cpp timings.cache_n, vLLM cached_tokens). */
  cached_tokens: z.number().int().nullable().optional(),
  /** Sent again on a new connection after its reused keep-alive connection closed before any response byte. */
  retries: z.number().int().nonnegative().optional(),
  /** The `model` the responses named. */
  served_model: z.string().nullable().optional(),
  /** The server's own timing of this request (llama.cpp `timings`), when it sent one. */
  server_timings: ServerTimingsSchema.nullable().optional(),
});

/** One request of a load run; t0_ms is its send time after the load window's start. */
export const LoadRequestSchema = HttpRequestSchema.extend({
  index: z.number().int().nonnegative(),
  max_tokens: z.number().int().positive(),
  /** When it was due (open loop: the schedule; closed loop: when its worker became free). */
  scheduled_ms: z.number(),
  /** Send minus scheduled time; null when it was never sent. */
  dispatch_delay_ms: z.number().nullable(),
  ttft_from_schedule_ms: z.number().nullable(),
  e2e_from_schedule_ms: z.number().nullable(),
  token_ms: z.array(z.number()),
  /** Several --url values: which one it went to (an index into the config's load.replicas.urls). */
  replica: z.number().int().nonnegative().optional(),
  /** --multi-turn: the session (its index in the run) and the turn (from 0) this request was. */
  session: z.number().int().nonnegative().optional(),
  turn: z.number().int().nonnegative().optional(),
});

const LagSchema = z.object({ p50: z.number(), p99: z.number(), max: z.number() });

/** What a load run achieved, over its window (first send to last end). */
export const LoadSummarySchema = z.object({
  window_s: z.number().nonnegative(),
  target_rate: z.number().nullable(),
  /** The drawn schedule's own rate (differs from the target by chance for Poisson and gamma). */
  schedule_rate: z.number().nullable(),
  achieved_rate: z.number().nullable(),
  request_throughput: z.number(),
  output_throughput: z.number(),
  /** Prompt and output tokens of the successful requests per second over the window (absent in results before it was kept). */
  total_throughput: z.number().optional(),
  /** Prompt tokens (as the server counted them, else as asked) and output tokens of the successful requests. */
  tokens: z.object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() }).optional(),
  /** scheduled = sent + dropped; sent = ok + failed + interrupted. */
  counts: z.object({
    scheduled: z.number().int(),
    /** Written to the server (a t0 was taken). */
    sent: z.number().int(),
    ok: z.number().int(),
    /** Sent and failed: the sum of `failures`. */
    failed: z.number().int(),
    /** Sent and cut by the run's interrupt (a second Ctrl-C, or SIGTERM's grace ran out): neither ok nor failed; sent = ok + failed + interrupted. Absent in files before it was kept. */
    interrupted: z.number().int().optional(),
    /** Scheduled but never written (a connection failure, the end of the run, an interrupt): the sum of `not_sent`. */
    dropped: z.number().int(),
    late: z.number().int(),
    /** Succeeded with another output length than asked (a server that stopped at EOS). */
    short_outputs: z.number().int(),
    /** The server counted another prompt length than asked. */
    prompt_mismatches: z.number().int(),
  }),
  /** Requests sent that failed, by kind. */
  failures: z.record(z.string(), z.number().int()),
  /** Requests never sent, by reason: a failure kind (connect, interrupted), or not_attempted (the run ended first). */
  not_sent: z.record(z.string(), z.number().int()).optional(),
  goodput: z.object({ slo: SloSchema, good: z.number().int(), fraction: z.number(), rate: z.number() }).nullable(),
  stats: z.object({
    ttfb_ms: StatsSchema.nullable(),
    ttfo_ms: StatsSchema.nullable(),
    dispatch_delay_ms: StatsSchema.nullable(),
    ttft_from_schedule_ms: StatsSchema.nullable(),
    e2e_from_schedule_ms: StatsSchema.nullable(),
  }),
  client: z.object({
    cpu_ms: z.number(),
    cpu_us_per_token: z.number().nullable(),
    event_loop_lag_ms: LagSchema,
    warning: z.string().nullable(),
    /** Chunks streamed through the client's own code by a loopback server before measuring, so V8 had compiled it (0: turned off). Absent in older files. */
    warmup_chunks: z.number().int().nonnegative().optional(),
  }),
  /** When the measured phase began on this machine's monotonic clock (ns, as text): request times count from it. Absent in merged parts. */
  origin_ns: z.string().optional(),
  /** load --workers N: the run was measured by N processes, each a part, merged here. */
  workers: z.number().int().positive().optional(),
  /** Several --url values: each replica's own figures, in the order of its URL. */
  replicas: z
    .array(
      z.object({
        url: z.string(),
        sent: z.number().int().nonnegative(),
        ok: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
        request_throughput: z.number(),
        output_throughput: z.number(),
        ttft_ms: z.object({ p50: z.number(), p99: z.number() }).nullable(),
        e2e_ms: z.object({ p50: z.number(), p99: z.number() }).nullable(),
      }),
    )
    .optional(),
  /** --multi-turn: figures by turn (turn 0 first), and over sessions. */
  turns: z
    .array(z.object({ turn: z.number().int().nonnegative(), sent: z.number().int().nonnegative(), ok: z.number().int().nonnegative(), ttft_ms: z.object({ p50: z.number(), p99: z.number() }).nullable(), e2e_ms: z.object({ p50: z.number(), p99: z.number() }).nullable() }))
    .optional(),
  sessions: z
    .object({
      count: z.number().int().nonnegative(),
      /** Sessions whose every turn succeeded. */
      completed: z.number().int().nonnegative(),
      /** First send to last end of each completed session, seconds. */
      duration_s: z.object({ p50: z.number(), p99: z.number() }).nullable(),
    })
    .optional(),
  /** load --ramp-up: the requests sent while the rate rose, before the measured phase; in no figure. */
  ramp: z.object({ duration_s: z.number().positive(), requests: z.number().int().nonnegative(), ok: z.number().int().nonnegative() }).optional(),
  /** load --shard: this part, the start all parts agreed on (the store server's clock), and this machine's clock against it. */
  part: z
    .object({
      index: z.number().int().nonnegative(),
      count: z.number().int().positive(),
      start_at: z.string(),
      clock_offset_ms: z.number(),
      clock_uncertainty_ms: z.number().nonnegative(),
      start_late_ms: z.number().nonnegative(),
      waited_ms: z.number().nonnegative(),
    })
    .optional(),
});

/** The client against the server's own account, over a config's requests (results/server-check.ts). */
export const ServerCheckSchema = z.object({
  requests: z.number().int(),
  /** Requests sent again after a reused connection closed before any response byte. */
  retries: z.number().int(),
  prompt_mismatches: z.number().int(),
  /** What the mismatched requests were asked and what the server counted (distinct counts, at most 8), for the message. */
  prompt_mismatch_counts: z.object({ asked: z.number().int().nullable(), overhead: z.number().int().nullable(), counted: z.array(z.number().int()) }).nullable().optional(),
  prompt_reuse: z.string(),
  /** Successful requests whose server reported its cache use. */
  cache_reported: z.number().int(),
  /** Of those, how many contradict prompt_reuse (unique: > 1% of the prompt cached; repeat/prefix: nothing cached). */
  cache_contradictions: z.number().int(),
  /** Of the prompt tokens asked, the share the server processed itself (1 - cached beyond its template / asked). */
  processed_prompt_fraction: z.number().nullable(),
  served_models: z.array(z.string()),
  /** Successful responses naming another model than the one asked for. */
  model_mismatches: z.number().int(),
  /** Successful requests that carried the server's own timings. */
  timed_requests: z.number().int(),
  /** Client TTFT minus the server's prompt time: network, queue and framing. */
  ttft_client_minus_server_ms: StatsSchema.nullable(),
  /** Client ITL minus the server's per-token time. */
  itl_client_minus_server_ms: StatsSchema.nullable(),
  itl_client_over_server: StatsSchema.nullable(),
});

export const IterationSchema = z.object({
  index: z.number().int().nonnegative(),
  /** CLOCK_MONOTONIC ns as a decimal string (exact beyond 2^53). */
  t0_ns: z.string().regex(/^\d+$/),
  e2e_ms: z.number().positive(),
  ttft_ms: z.number().nonnegative(),
  itl_ms: z.number().nonnegative(),
  tokens_per_s: z.number().positive(),
  decode_tokens_per_s: z.number().positive(),
  token_ms: z.array(z.number()),
  /** Engines that stamp rows separately (llama-cpp): each row's stamps, ms after t0. */
  token_ms_by_row: z.array(z.array(z.number())).optional(),
  new_tokens: z.array(z.number().int().nonnegative()),
  output_sample: z.string(),
  monitor: MonitorWindowSchema,
  /** Engine openai: one record per request (one per row). */
  http: z.array(HttpRequestSchema).optional(),
});

/** How much one iteration of a metric varies, and what that lets a comparison detect. */
export const NoiseSchema = z.object({
  /** std / mean */
  cv: z.number(),
  /** Sample standard deviation of the logs. */
  log_sigma: z.number(),
  /** The smallest change an unpaired comparison with another run of as many iterations finds 80% of the time; null where too few iterations let no change be found significant. */
  detectable_change: z.number().nullable(),
});

export const SummarySchema = z.object({
  e2e_ms: StatsSchema.nullable(),
  ttft_ms: StatsSchema.nullable(),
  itl_ms: StatsSchema.nullable(),
  itl_gap_ms: StatsSchema.nullable(),
  tokens_per_s: StatsSchema.nullable(),
  decode_tokens_per_s: StatsSchema.nullable(),
  /** Per compared metric (null below 2 positive values); absent in results written before it existed. */
  noise: z
    .object({
      e2e_ms: NoiseSchema.nullable(),
      ttft_ms: NoiseSchema.nullable(),
      itl_ms: NoiseSchema.nullable(),
      tokens_per_s: NoiseSchema.nullable(),
      decode_tokens_per_s: NoiseSchema.nullable(),
    })
    .optional(),
});

export const BenchmarkSchema = z.object({
  config: ConfigSchema,
  status: z.enum(['ok', 'failed', 'skipped', 'interrupted']),
  error: z.object({ kind: z.string(), message: z.string() }).nullable(),
  engine: z
    .object({
      name: z.string(),
      version: z.string(),
      device: z.string(),
      dtype: z.string(),
      /** transformers-js-browser: the page's browser, isolation, threads, WebGPU adapter, and its clock against the run's. */
      browser: z
        .object({
          browser: z.string(),
          cross_origin_isolated: z.boolean(),
          threads: z.number().int(),
          hardware_concurrency: z.number().int(),
          wasm_build: z.string(),
          webgpu: z.object({ vendor: z.string(), architecture: z.string(), description: z.string(), fallback: z.boolean() }).nullable(),
          clock_offset_ms: z.number(),
          clock_uncertainty_ms: z.number().nonnegative(),
          clock_offset_after_ms: z.number().nullable(),
          clock_moved_ms: z.number().nullable(),
          clock_note: z.string().nullable(),
          external_requests: z.array(z.string()),
          long_tasks: z.object({ generate_ms: z.number(), long_task_ms: z.number(), long_tasks: z.number().int(), share: z.number().nullable() }).nullable().optional(),
          gc: z.object({ generate_ms: z.number(), gc_ms: z.number(), collections: z.number().int(), major_collections: z.number().int(), share: z.number().nullable() }).nullable().optional(),
          browser_reused: z.boolean().optional(),
        })
        .optional(),
      /** What it takes to run this again: the engine's build and every setting in effect, defaults included (llama-cpp; docs/schema.md). */
      settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    })
    .nullable(),
  model: z
    .object({
      id: z.string(),
      source: z.enum(['synthetic', 'local', 'hub', 'server']),
      parameters: z.number().int().nullable(),
      path: z.string().nullable(),
      build_ms: z.number().nonnegative(),
    })
    .nullable(),
  phases_ms: z.object({
    load: z.number().nullable(),
    validity: z.number().nullable(),
    warmup: z.number().nullable(),
    measure: z.number().nullable(),
  }),
  validity: z.object({ new_tokens: z.array(z.number().int()), output_sample: z.string() }).nullable(),
  iterations: z.array(IterationSchema),
  summary: SummarySchema.nullable(),
  /** Device and host summary over the measured iterations; null when gpu_monitoring is off. */
  monitor: BenchmarkMonitorSchema.nullable(),
  /** Load runs whose records file could not take them all (a full disk): how many records the summary counts that the file does not hold. */
  records_missing: z.number().int().positive().optional(),
  /** Load runs: every request, and what the run achieved. */
  requests: z.array(LoadRequestSchema).optional(),
  /** Load runs written by a file: the records are not inline but in this JSONL file beside the result file, one request per line, in the order they ended. */
  requests_file: z.string().optional(),
  /** How many request records the benchmark has (inline or in `requests_file`). */
  request_count: z.number().int().nonnegative().optional(),
  load: LoadSummarySchema.optional(),
  /** Requests to a server (engine openai, load runs): the client against the server's own account. */
  server_check: ServerCheckSchema.nullable().optional(),
});

/** One SLO metric of one capacity probe, judged at the search's percentile: value and 95% interval (null: past the values, where failed requests lie). */
export const CapacityCheckSchema = z.object({
  metric: z.enum(['ttft', 'tpot', 'e2e']),
  limit_ms: z.number(),
  /** The percentile of this metric over the probe's measured requests (latencies from when each was due; failed or never-sent requests count as over every limit). */
  value_ms: z.number().nullable(),
  /** Its 95% interval from order statistics; a null bound: the requests cannot bound that side (a p99 from 100 requests has no upper bound) or it lies among the failed. */
  ci95_ms: z.tuple([z.number().nullable(), z.number().nullable()]),
  holds: z.boolean(),
  /** The whole interval lies on the same side of the limit as the value: the verdict stands against the noise of the percentile. */
  sure: z.boolean(),
});

/** One probe of a capacity search: a whole measured load value (its benchmark in this result), judged against the SLO. */
export const CapacityPointSchema = z.object({
  probe: z.number().int().positive(),
  /** saturation: the closed-loop run that learns the most the server serves; rate or concurrency: a probe of the search. */
  kind: z.enum(['saturation', 'rate', 'concurrency']),
  /** The config name of this probe's benchmark. */
  benchmark: z.string(),
  status: z.enum(['ok', 'failed', 'skipped', 'interrupted']),
  /** The rate asked for (open loop); null for a closed loop. */
  rate_rps: z.number().nullable(),
  /** The drawn schedule's own rate (a Poisson draw of a few hundred requests differs from the rate asked by chance). */
  schedule_rate_rps: z.number().nullable(),
  concurrency: z.number().int().nullable(),
  /** Requests sent per second (first to last send). */
  achieved_rps: z.number().nullable(),
  /** Requests that succeeded per second over the window. */
  throughput_rps: z.number(),
  output_tokens_per_s: z.number(),
  /** The median request's output tokens per second of its own (new tokens / e2e): what one user sees. */
  tokens_per_s_per_user: z.number().nullable(),
  /** Measured requests (scheduled) and of them failed or never sent. */
  requests: z.number().int(),
  failed: z.number().int(),
  /** Latencies from when each request was due (what a user waits); null: no data, or among the failed. */
  ttft_p50_ms: z.number().nullable(),
  ttft_p99_ms: z.number().nullable(),
  e2e_p99_ms: z.number().nullable(),
  /** The same from when each was sent (the client's own delay left out). */
  ttft_sent_p99_ms: z.number().nullable(),
  e2e_sent_p99_ms: z.number().nullable(),
  /** p99 of the delay between when a request was due and when it was written. */
  dispatch_delay_p99_ms: z.number().nullable(),
  checks: z.array(CapacityCheckSchema),
  /** Of the measured requests, the share that succeeded within every limit (from when due). */
  goodput_fraction: z.number(),
  /** Every check holds (null for the saturation run, which is not judged). */
  holds: z.boolean().nullable(),
  /** The client's CPU or event-loop delay could have distorted this probe (why), or null. */
  client_warning: z.string().nullable(),
});

/** load --find-max-rate / --find-max-concurrency: the most load the server held within the SLO. */
export const CapacitySchema = z.object({
  search: z.enum(['rate', 'concurrency']),
  /** found; none_holds (not even the lowest value probed); holds_at_limit (the highest value probed held); interrupted; failed (the saturation run failed). */
  status: z.enum(['found', 'none_holds', 'holds_at_limit', 'interrupted', 'failed']),
  percentile: z.number(),
  slo: SloSchema,
  /** Rate search: stop when the bracket is within this fraction of the rate held. */
  precision: z.number(),
  arrival: z.enum(['constant', 'poisson', 'gamma', 'trace']).nullable(),
  /** The highest rate (or concurrency) probed that held; 0 when none did; null while unknown. */
  max_rate_rps: z.number().nullable(),
  max_concurrency: z.number().int().nullable(),
  /** What the noise of the percentiles allows: the highest value whose every interval lies within the limits, and the lowest whose interval for some metric lies past one (null: none did). */
  interval: z.tuple([z.number(), z.number().nullable()]).nullable(),
  /** Requests per second the server completed in the saturating closed loop. */
  saturation_rps: z.number().nullable(),
  saturation_concurrency: z.number().int(),
  /** Where the search stood: the highest value that held and the lowest that failed. */
  bracket: z.object({ holds: z.number().nullable(), fails: z.number().nullable() }),
  /** The answer in plain words, and what limits it. */
  answer: z.string(),
  limit: z.string().nullable(),
  /** What a reader must know about how far to trust the answer (probes too short to show a queue, ...). */
  notes: z.array(z.string()),
  points: z.array(CapacityPointSchema),
});

export const RunResultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA),
  run_id: z.string().uuid(),
  started_at: z.string().datetime(),
  finished_at: z.string().datetime().nullable(),
  tool: z.object({ name: z.literal('tokenbench'), version: z.string() }),
  git: z.object({ commit: z.string(), branch: z.string().nullable(), dirty: z.boolean() }).nullable(),
  host: z.object({
    os: z.string(),
    cpu_model: z.string(),
    cpu_count: z.number().int().positive(),
    memory_total_bytes: z.number().int().positive(),
    node_version: z.string(),
  }),
  devices: z.array(DeviceInfoSchema),
  percentile_method: z.string(),
  /** run --interleave: one measured iteration of each config per round, so iteration i of every config is round i. */
  interleaved: z.boolean().optional(),
  /** --group (or the scheduler's job): the runs of one sharded job share it; `report group:ID` treats them as one. */
  group: z.string().optional(),
  /** --shard I/N (or the scheduler's array index): this run took items I, I + N, ... of the expanded sweep. */
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
  benchmarks: z.array(BenchmarkSchema),
  /** load --find-max-rate / --find-max-concurrency: the search's answer and every probe. */
  capacity: CapacitySchema.optional(),
});

export type StatsRecord = z.infer<typeof StatsSchema>;
export type IterationRecord = z.infer<typeof IterationSchema>;
export type HttpRequestRecord = z.infer<typeof HttpRequestSchema>;
export type LoadRequestRecord = z.infer<typeof LoadRequestSchema>;
export type LoadSettings = z.infer<typeof LoadSettingsSchema>;
export type LoadSummary = z.infer<typeof LoadSummarySchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type Noise = z.infer<typeof NoiseSchema>;
export type ServerCheck = z.infer<typeof ServerCheckSchema>;
export type BenchmarkResult = z.infer<typeof BenchmarkSchema>;
export type RunResult = z.infer<typeof RunResultSchema>;
export type Capacity = z.infer<typeof CapacitySchema>;
export type CapacityPoint = z.infer<typeof CapacityPointSchema>;
export type CapacityCheck = z.infer<typeof CapacityCheckSchema>;
export type BenchmarkStatus = BenchmarkResult['status'];
export type MonitorWindow = z.infer<typeof MonitorWindowSchema>;
export type BenchmarkMonitor = z.infer<typeof BenchmarkMonitorSchema>;
