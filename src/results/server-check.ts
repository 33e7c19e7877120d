/**
 * The standing check of the client against the server, for a config's requests to a server: the
 * server's own timings next to the client's (client minus server: TTFT is network and queue, ITL
 * should agree), prompt lengths as the server counted them, what its cache served against the
 * prompt reuse asked for, retries on stale connections, and the model names it answered with.
 */
import type { PromptReuse } from '../config/prompt-reuse.js';
import { cacheContradicts, cachedBeyondTemplate, promptMismatch } from './metrics.js';
import type { HttpRequestRecord, ServerCheck } from './schema.js';
import { MetricSink } from './metric-sink.js';

/** The server check, one request at a time (a load run's requests as they end). */
export class ServerCheckTally {
  private requests = 0;
  private retries = 0;
  private promptMismatches = 0;
  private cacheReported = 0;
  private cacheContradictions = 0;
  private askedTokens = 0;
  private cachedTokens = 0;
  private readonly served = new Set<string>();
  private modelMismatches = 0;
  private timed = 0;
  private mismatch: NonNullable<ServerCheck['prompt_mismatch_counts']> | null = null;
  private readonly ttftGap = new MetricSink('ttft_client_minus_server_ms');
  private readonly itlGap = new MetricSink('itl_client_minus_server_ms');
  private readonly itlRatio = new MetricSink('itl_client_over_server');

  constructor(
    private readonly reuse: PromptReuse,
    private readonly model: string,
  ) {}

  /** Adds one request (a failed one counts for retries and counts only). */
  add(r: HttpRequestRecord): void {
    this.requests++;
    this.retries += r.retries ?? 0;
    if (!r.ok) return;
    if (promptMismatch(r)) {
      this.promptMismatches++;
      this.mismatch ??= { asked: r.input_tokens, overhead: r.prompt_overhead_tokens ?? null, counted: [] };
      if (r.prompt_tokens !== null && this.mismatch.counted.length < 8 && !this.mismatch.counted.includes(r.prompt_tokens)) this.mismatch.counted.push(r.prompt_tokens);
    }
    if (r.cached_tokens !== null && r.cached_tokens !== undefined && r.input_tokens !== null) {
      this.cacheReported++;
      this.askedTokens += r.input_tokens;
      this.cachedTokens += cachedBeyondTemplate(r);
      if (cacheContradicts(r, this.reuse)) this.cacheContradictions++;
    }
    if (typeof r.served_model === 'string') {
      this.served.add(r.served_model);
      if (r.served_model !== this.model) this.modelMismatches++;
    }
    const t = r.server_timings;
    if (!t) return;
    this.timed++;
    if (r.ttft_ms !== null) this.ttftGap.add(r.ttft_ms - t.prompt_ms);
    if (r.itl_ms !== null && t.itl_ms !== null && t.itl_ms > 0) {
      this.itlGap.add(r.itl_ms - t.itl_ms);
      this.itlRatio.add(r.itl_ms / t.itl_ms);
    }
  }

  /** The check over the requests added; null for none. */
  result(): ServerCheck | null {
    if (this.requests === 0) return null;
    const reuse = this.reuse;
    return {
      requests: this.requests,
      retries: this.retries,
      prompt_mismatches: this.promptMismatches,
      prompt_mismatch_counts: this.mismatch,
      prompt_reuse: reuse.mode === 'prefix' ? `prefix=${reuse.tokens}` : reuse.mode,
      cache_reported: this.cacheReported,
      cache_contradictions: this.cacheContradictions,
      // of the prompt tokens asked, the share the server processed itself (its cache served the rest)
      processed_prompt_fraction: this.askedTokens > 0 ? 1 - this.cachedTokens / this.askedTokens : null,
      served_models: [...this.served],
      model_mismatches: this.modelMismatches,
      timed_requests: this.timed,
      ttft_client_minus_server_ms: this.ttftGap.stats(),
      itl_client_minus_server_ms: this.itlGap.stats(),
      itl_client_over_server: this.itlRatio.stats(),
    };
  }
}

/** The server check over requests (failed ones count for retries and counts only); null for none. */
export function summarizeServerCheck(requests: readonly HttpRequestRecord[], reuse: PromptReuse, model: string): ServerCheck | null {
  const tally = new ServerCheckTally(reuse, model);
  for (const r of requests) tally.add(r);
  return tally.result();
}
