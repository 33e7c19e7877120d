/** Hand-made load request records for tests. */
import type { LoadRequestRecord, LoadSettings } from '../../src/results/schema.js';

/** A request that succeeded unless `fields` say otherwise; times in ms. */
export function loadRequest(fields: Partial<LoadRequestRecord>): LoadRequestRecord {
  return {
    index: 0,
    t0_ms: 0,
    status: 200,
    ok: true,
    failure: null,
    ttfb_ms: 1,
    ttft_ms: 2,
    ttfo_ms: 2,
    last_token_ms: 8,
    e2e_ms: 10,
    itl_ms: 2,
    output_tokens: 4,
    input_tokens: 16,
    prompt_tokens: 16,
    token_source: 'logprobs',
    reads: 4,
    response_id: 'r',
    max_tokens: 4,
    scheduled_ms: 0,
    dispatch_delay_ms: 0,
    ttft_from_schedule_ms: 2,
    e2e_from_schedule_ms: 10,
    token_ms: [2, 4, 6, 8],
    ...fields,
  };
}


/** An open loop at 50 requests/s, constant arrivals, 5 requests, no SLO, unless `fields` say otherwise. */
export function loadSettings(fields: Partial<LoadSettings> = {}): LoadSettings {
  return {
    mode: 'open',
    concurrency: null,
    request_rate: 50,
    arrival: 'constant',
    burstiness: 1,
    seed: 0,
    requests: 5,
    duration_s: null,
    warmup_requests: 0,
    max_concurrency: null,
    range_ratio: 0,
    dataset: null,
    slo: { ttft_ms: null, tpot_ms: null, e2e_ms: null },
    late_ms: 5,
    ...fields,
  };
}
