/**
 * The standing check of the client against the server, for a config's requests to a server: the
 * server's own timings next to the client's (client minus server: TTFT is network and queue, ITL
 * should agree), prompt lengths as the server counted them, what its cache served against the
 * prompt reuse asked for, retries on stale connections, and the model names it answered with.
 */
import type { PromptReuse } from '../config/prompt-reuse.js';
import { cacheContradicts, cachedBeyondTemplate, promptMismatch } from './metrics.js';
import type { HttpRequestRecord, ServerCheck } from './schema.js';
import { summarize } from './statistics.js';

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** The server check over requests (failed ones count for retries and counts only); null for none. */
export function summarizeServerCheck(requests: readonly HttpRequestRecord[], reuse: PromptReuse, model: string): ServerCheck | null {
  if (requests.length === 0) return null;
  const ok = requests.filter((r) => r.ok);
  const timed = ok.filter((r) => r.server_timings);
  const ttftGap: number[] = [];
  const itlGap: number[] = [];
  const itlRatio: number[] = [];
  for (const r of timed) {
    const t = r.server_timings;
    if (!t) continue;
    if (r.ttft_ms !== null) ttftGap.push(r.ttft_ms - t.prompt_ms);
    if (r.itl_ms !== null && t.itl_ms !== null && t.itl_ms > 0) {
      itlGap.push(r.itl_ms - t.itl_ms);
      itlRatio.push(r.itl_ms / t.itl_ms);
    }
  }
  const reported = ok.filter((r) => r.cached_tokens !== null && r.cached_tokens !== undefined && r.input_tokens !== null);
  const asked = sum(reported.map((r) => r.input_tokens as number));
  const served = [...new Set(ok.map((r) => r.served_model).filter((m): m is string => typeof m === 'string'))];
  return {
    requests: requests.length,
    retries: sum(requests.map((r) => r.retries ?? 0)),
    prompt_mismatches: ok.filter(promptMismatch).length,
    prompt_reuse: reuse.mode === 'prefix' ? `prefix=${reuse.tokens}` : reuse.mode,
    cache_reported: reported.length,
    cache_contradictions: reported.filter((r) => cacheContradicts(r, reuse)).length,
    // of the prompt tokens asked, the share the server processed itself (its cache served the rest)
    processed_prompt_fraction: asked > 0 ? 1 - sum(reported.map(cachedBeyondTemplate)) / asked : null,
    served_models: served,
    model_mismatches: ok.filter((r) => typeof r.served_model === 'string' && r.served_model !== model).length,
    timed_requests: timed.length,
    ttft_client_minus_server_ms: summarize(ttftGap),
    itl_client_minus_server_ms: summarize(itlGap),
    itl_client_over_server: summarize(itlRatio),
  };
}
