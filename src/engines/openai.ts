/**
 * Engine `openai`: any OpenAI-compatible streaming server (vLLM, TGI, llama.cpp server, Ollama,
 * ...). One request per row, all rows of an iteration sent at once on a pool of batch_size
 * keep-alive connections; t0 is taken just before the first request is written, and each row's
 * token stamps come from the reads that carried its tokens (docs/metrics.md, "Over HTTP").
 */
import type { BenchmarkConfig } from '../config/fields.js';
import { promptReuseOf } from '../config/prompt-reuse.js';
import { warmClientPath } from '../http/client-warmup.js';
import { httpRequestRecord, OpenAiClient, type OpenAiApi, type OpenAiTarget } from '../http/openai-client.js';
import { type PromptLengthBy, ServerPrompts } from '../http/server-prompts.js';
import { installedVersion } from '../util/optional-package.js';
import { InputError, RunError } from '../util/errors.js';
import type { Engine, EngineFactory, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engine.js';

/** The target a config names; throws an InputError when its URL or key is missing. */
export function openAiTarget(config: BenchmarkConfig): OpenAiTarget {
  const o = config.engine_options;
  if (typeof o.url !== 'string') throw new InputError('config', `engine openai needs the server's URL: --url http://HOST:PORT/v1 (engine option url)`);
  const keyEnv = typeof o.api_key_env === 'string' ? o.api_key_env : null;
  const apiKey = keyEnv === null ? null : (process.env[keyEnv] ?? null);
  if (keyEnv !== null && !apiKey) throw new InputError('config', `--api-key-env ${keyEnv}: that environment variable is not set or empty`);
  const idle = typeof o.timeout_s === 'number' ? o.timeout_s * 1000 : 60_000;
  return {
    url: o.url,
    model: config.model,
    api: (o.api as OpenAiApi | undefined) ?? 'completions',
    apiKey,
    ignoreEos: o.ignore_eos !== false,
    logprobs: o.logprobs !== false,
    usage: o.usage !== false,
    idleTimeoutMs: idle,
    totalTimeoutMs: Math.max(idle, 600_000),
    busyPoll: o.busy_poll === true,
  };
}


/**
 * Checks the model against the server's GET /v1/models before anything runs: a model the server
 * does not list is bad input (exit 2, with the names it lists). Returns a warning when the server
 * has no such endpoint; an unreachable server is left to the run, which records the failure.
 */
export async function checkServedModel(config: BenchmarkConfig): Promise<string | null> {
  if (config.engine_options.model_check === false) return null;
  const target = openAiTarget(config);
  const client = new OpenAiClient(target, 1);
  try {
    const listed = await client.listModels();
    if (listed.kind === 'absent') return `${target.url}/models answered ${listed.status}: the model name '${target.model}' was not checked against the server (--no-model-check skips the check)`;
    if (listed.kind === 'listed' && !listed.names.includes(target.model)) {
      const names = listed.names.length > 0 ? listed.names.map((n) => `'${n}'`).join(', ') : 'none';
      throw new InputError('model', `model '${target.model}' is not served at ${target.url}: it lists ${names} (--no-model-check skips this check)`);
    }
    // a prompt and output past the served context would fail every request, or never end
    const context = listed.kind === 'listed' ? listed.context.get(target.model) : undefined;
    const needed = config.sequence_length + config.num_tokens_to_generate;
    if (context !== undefined && needed > context) {
      throw new InputError('config', `model '${target.model}' at ${target.url}: prompt + output = ${needed} tokens exceeds the context the server serves it with (${context})`);
    }
    return null;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** How the prompts of a value were made: as a server source made them, or given whole. */
export type PromptLengths = PromptLengthBy | 'dataset' | 'sessions';

/**
 * What a result says of a server's engine and model (the server does not say more), and, once the
 * prompts are made, the client's side of it (`settings`): its HTTP stack, its connections, the
 * tokenizer it found at the server and how prompt lengths were made from it (nothing that could
 * differ between two runs of the same settings by chance: `compare` names every setting that differs).
 */
export function describeServer(config: BenchmarkConfig, target: OpenAiTarget, client?: { client: OpenAiClient; connections: number | null; prompts: PromptLengths }): { engine: EngineInfo; model: ModelInfo } {
  const engine: EngineInfo = { name: 'openai', version: `${target.api} api`, device: config.device, dtype: config.dtype };
  if (client) {
    engine.settings = {
      http_client: `undici ${installedVersion('undici') ?? 'unknown'}`,
      // null: one per request in flight
      connections: client.connections,
      tokenizer: client.client.tokenizerName,
      prompt_lengths: client.prompts,
    };
  }
  return { engine, model: { id: config.model, source: 'server', parameters: null, path: null, build_ms: 0 } };
}

/**
 * Every row of every call to generate() (validity run, warmups, measured iterations) sends a new
 * prompt from ServerPrompts, unique by default, so no server cache serves a prompt it has seen;
 * the rows the runner prepares only fix the length.
 */
class OpenAiEngine implements Engine {
  private readonly target: OpenAiTarget;
  private client: OpenAiClient | null = null;
  private prompts: ServerPrompts | null = null;
  private described: { engine: EngineInfo; model: ModelInfo } | null = null;

  constructor(private readonly config: BenchmarkConfig) {
    this.target = openAiTarget(config);
  }

  private get http(): OpenAiClient {
    if (!this.client) throw new RunError('internal', 'engine used before load()');
    return this.client;
  }

  async load(): Promise<void> {
    this.client = new OpenAiClient(this.target, this.config.batch_size);
    // one small request up front: an unreachable server or an unknown model fails the load, not an iteration
    const probe = await this.client.send({ text: 'Hello' }, 2);
    const f = probe.reading.failure;
    if (f && f.kind !== 'no_tokens') throw new RunError('engine_load', `${this.target.url}: ${f.kind}: ${f.message}`);
    this.prompts = await ServerPrompts.create(this.client, promptReuseOf(this.config), this.config.sequence_length);
    await this.prompts.calibrate(this.config.sequence_length);
    // the client's own code compiled before the warmup iterations, so no iteration is stamped by cold code
    await warmClientPath(this.target);
  }

  describe(): { engine: EngineInfo; model: ModelInfo } {
    // once loaded, with the client's side (kept after dispose, which the last describe() follows)
    if (this.client && this.prompts) this.described = describeServer(this.config, this.target, { client: this.client, connections: this.config.batch_size, prompts: this.prompts.lengthBy });
    return this.described ?? describeServer(this.config, this.target);
  }

  /**
   * The runner's rows only fix the prompt length (ServerPrompts makes every prompt), so words
   * stand in for tokens here: no round trip to the server for rows that are never sent.
   */
  async tokenize(text: string): Promise<number[]> {
    return text.split(/\s+/).filter((w) => w !== '').map((_, i) => i);
  }

  /** Output text comes from the responses (firstRowText), never from ids. */
  decode(): string {
    return '';
  }

  async prepare(rows: number[][]): Promise<PreparedInputs> {
    return { rows };
  }

  async generate(inputs: PreparedInputs, newTokens: number, sink: TokenSink): Promise<GenerateResult> {
    const source = this.prompts;
    if (!source) throw new RunError('internal', 'engine used before load()');
    const prompts = [];
    for (let i = 0; i < inputs.rows.length; i++) prompts.push(await source.take(this.config.sequence_length));
    const results = await Promise.all(prompts.map((p) => this.http.send(p, newTokens)));
    sink.end();
    const failed = results.findIndex((r) => r.reading.failure !== null);
    if (failed >= 0) {
      const f = results[failed]?.reading.failure;
      throw new RunError('request_failed', `request ${failed}: ${f?.kind}: ${f?.message}`);
    }
    const t0 = results.reduce((min, r) => (r.exchange.t0 !== null && r.exchange.t0 < min ? r.exchange.t0 : min), results[0]?.exchange.t0 ?? 0n);
    const t1 = results.reduce((max, r) => (r.exchange.endedAt > max ? r.exchange.endedAt : max), 0n);
    const rowStamps = results.map((r) => (r.metrics?.token_ms ?? []).map((ms) => (r.exchange.t0 as bigint) + BigInt(Math.round(ms * 1e6))));
    if (newTokens >= 2 && rowStamps.some((s) => s.length >= 2 && s[s.length - 1] === s[0])) {
      throw new RunError('request_failed', `the server sent all ${newTokens} tokens of a request in one read: it does not stream them, so ITL cannot be measured`);
    }
    // a step is done when every row has its token: the latest row stamp of each step
    const steps = Math.min(...rowStamps.map((s) => s.length));
    const stepStamps = Array.from({ length: steps }, (_, k) => rowStamps.reduce((max, s) => ((s[k] as bigint) > max ? (s[k] as bigint) : max), 0n));
    return {
      newTokens: results.map((r) => r.reading.outputTokens),
      firstRowIds: [],
      firstRowText: results[0]?.reading.text ?? '',
      ...(results.length > 1 ? { rowStamps } : {}),
      timing: { t0, t1, stepStamps },
      http: results.map((r) => httpRequestRecord(r, t0, this.config.sequence_length, source.info.overhead)),
    };
  }

  async flush(): Promise<void> {}

  async dispose(): Promise<void> {
    await this.client?.close();
    this.client = null;
  }
}

export const createOpenAiEngine: EngineFactory = (config) => new OpenAiEngine(config);
