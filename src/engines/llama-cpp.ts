/**
 * llama.cpp through node-llama-cpp (pinned 3.21.1): prebuilt binaries only (`build: 'never'`),
 * threads always explicit, one token at a time from `LlamaContextSequence.evaluate`, and
 * `batch_size` sequences of one context evaluated concurrently (node-llama-cpp batches them into
 * shared decode calls). Every sequence's stamps are kept; a step is done when every sequence has
 * its token of that step, and that moment is the step's stamp (DESIGN.md section 4).
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BenchmarkConfig } from '../config/fields.js';
import { ensureSyntheticGguf } from '../synth/cache.js';
import { GGUF_DTYPES, type GgufDtype } from '../synth/llama-gguf.js';
import { InputError, RunError } from '../util/errors.js';
import type { Engine, EngineContext, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engine.js';
import { modelFileSha256 } from './model-file-hash.js';
import { parseModelRef } from './model-source.js';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;
type LlamaContext = Awaited<ReturnType<LlamaModel['createContext']>>;
type Sequence = ReturnType<LlamaContext['getSequence']>;
type Token = Parameters<LlamaModel['detokenize']>[0][number];

/** transformers.js-style dtype names, so one sweep can name the same precision for both engines. */
const DTYPE_ALIASES: Record<string, string> = { fp32: 'f32', fp16: 'f16', q8: 'q8_0', q4: 'q4_0' };

/** GGUF file types (general.file_type) by number, for describe(). */
const FILE_TYPES: Record<number, string> = { 0: 'f32', 1: 'f16', 2: 'q4_0', 3: 'q4_1', 7: 'q8_0', 8: 'q5_0', 9: 'q5_1', 15: 'q4_k_m', 17: 'q5_k_m', 18: 'q6_k', 32: 'bf16' };

export function llamaGpuOption(device: string): 'cuda' | 'vulkan' | 'metal' | 'auto' | false {
  return device === 'cpu' ? false : (device as 'cuda' | 'vulkan' | 'metal' | 'auto');
}

/**
 * The thread count: the engine option, else every available core but one. ggml's threads spin
 * at barriers; Node's main thread needs a core between tokens, and when it takes one of theirs a
 * barrier waits a whole scheduler slice (on 2 cores, 2 threads gave an ITL 25 times that of 1).
 */
export function llamaThreads(config: BenchmarkConfig): number {
  const t = config.engine_options.threads;
  return typeof t === 'number' ? t : Math.max(1, availableParallelism() - 1);
}

/** Throws an InputError when the device cannot be used here (checked before anything runs). */
export async function checkLlamaDevice(config: BenchmarkConfig): Promise<void> {
  if (config.device === 'cpu') return;
  const lib = await import('node-llama-cpp');
  try {
    const llama = await lib.getLlama({ gpu: llamaGpuOption(config.device), build: 'never', progressLogs: false, logLevel: lib.LlamaLogLevel.disabled, maxThreads: llamaThreads(config) });
    const got = llama.gpu;
    await llama.dispose();
    if (config.device !== 'auto' && got !== config.device) throw new Error(`got ${got === false ? 'cpu' : got}`);
  } catch (err) {
    const supported = await lib.getLlamaGpuTypes('supported').catch(() => [] as unknown[]);
    const list = ['cpu', ...supported.filter((g): g is string => typeof g === 'string')].join(', ');
    throw new InputError(
      'config',
      `device '${config.device}' is not available to llama-cpp on this machine (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); this platform's prebuilt binaries support: ${list}`,
    );
  }
}

interface LlamaInputs extends PreparedInputs {
  tokens: Token[][];
}

export class LlamaCppEngine implements Engine {
  private lib: NodeLlamaCpp | undefined;
  private llama: Llama | undefined;
  private model: LlamaModel | undefined;
  private context: LlamaContext | undefined;
  private sequences: Sequence[] = [];
  private engineInfo: EngineInfo;
  private modelInfo: ModelInfo;

  constructor(
    private readonly config: BenchmarkConfig,
    private readonly engineContext: EngineContext,
  ) {
    this.engineInfo = { name: 'llama-cpp', version: 'unknown', device: config.device, dtype: config.dtype };
    this.modelInfo = { id: config.model, source: 'local', parameters: null, path: null, build_ms: 0 };
  }

  describe(): { engine: EngineInfo; model: ModelInfo } {
    return { engine: this.engineInfo, model: this.modelInfo };
  }

  async load(): Promise<void> {
    const c = this.config;
    const ref = parseModelRef(c.model);
    let path: string;
    if (ref.source === 'synthetic') {
      const dtype = DTYPE_ALIASES[c.dtype] ?? c.dtype;
      if (!(GGUF_DTYPES as readonly string[]).includes(dtype)) {
        throw new RunError('engine_load', `dtype '${c.dtype}' cannot be built for a synthetic GGUF model; allowed: ${GGUF_DTYPES.join(', ')} (or fp32, fp16, q8, q4)`);
      }
      const start = performance.now();
      const synth = ensureSyntheticGguf(c.model, dtype as GgufDtype, this.engineContext.cacheDir, undefined, (dir) => this.engineContext.notify?.(`building ${c.model} (${dtype} GGUF) on first use (kept in ${dir})`));
      path = synth.file;
      this.modelInfo = { id: c.model, source: 'synthetic', parameters: synth.manifest.parameters, path, build_ms: synth.built ? performance.now() - start : 0 };
    } else if (ref.source === 'local') {
      path = ref.path;
      this.modelInfo = { id: c.model, source: 'local', parameters: null, path, build_ms: 0 };
    } else {
      throw new RunError('engine_load', `llama-cpp loads local .gguf files or synthetic:<preset>; '${c.model}' looks like a hub id`);
    }

    const lib = await import('node-llama-cpp');
    this.lib = lib;
    const threads = llamaThreads(c);
    this.llama = await lib.getLlama({ gpu: llamaGpuOption(c.device), build: 'never', progressLogs: false, logLevel: lib.LlamaLogLevel.error, maxThreads: threads });
    const o = c.engine_options;
    const gpuLayers = o.gpu_layers === undefined ? (this.llama.gpu === false ? 0 : 'max') : o.gpu_layers === 'auto' ? 'auto' : o.gpu_layers === 'max' ? 'max' : Number(o.gpu_layers);
    this.model = await this.llama.loadModel({ modelPath: path, gpuLayers: gpuLayers as number });
    const needed = c.sequence_length + c.num_tokens_to_generate;
    const trainContext = this.model.trainContextSize;
    if (needed > trainContext) {
      throw new RunError('engine_load', `sequence_length + num_tokens_to_generate = ${needed} exceeds the model's context length (${trainContext})`);
    }
    const kvType = o.kv_cache_type === undefined ? undefined : (String(o.kv_cache_type).toUpperCase() as never);
    this.context = await this.model.createContext({
      contextSize: typeof o.context_size === 'number' ? o.context_size : Math.ceil((needed + 8) / 256) * 256,
      sequences: c.batch_size,
      threads,
      ...(typeof o.batch_size === 'number' ? { batchSize: o.batch_size } : {}),
      flashAttention: o.flash_attention === true,
      ...(kvType ? { experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType } : {}),
    });
    this.sequences = Array.from({ length: c.batch_size }, () => (this.context as LlamaContext).getSequence());
    const fileType = this.model.fileInfo.metadata.general?.file_type;
    const context = this.context;
    const release = this.llama.llamaCppRelease;
    this.engineInfo = {
      name: 'llama-cpp',
      version: `node-llama-cpp ${lib.getModuleVersion ? await lib.getModuleVersion() : 'unknown'}`,
      device: this.llama.gpu === false ? 'cpu' : this.llama.gpu,
      dtype: fileType === undefined ? c.dtype : (FILE_TYPES[Number(fileType)] ?? `file_type ${fileType}`),
      // llama-bench's names where it has one, so the two line up (docs/results.md)
      settings: {
        llama_cpp_release: `${release.repo}@${release.release}`,
        build: this.llama.buildType,
        system_info: this.llama.systemInfo,
        n_ctx: context.contextSize,
        n_batch: context.batchSize,
        // node-llama-cpp queues batches itself and sets the micro-batch to the batch (its AddonContext.cpp)
        n_ubatch: context.batchSize,
        flash_attn: String(context.flashAttention),
        type_k: String(context.kvCacheKeyType),
        type_v: String(context.kvCacheValueType),
        n_threads: threads,
        mmap: this.model.useMmap,
        n_gpu_layers: this.model.gpuLayers,
        // llama-bench's size: the weights' bytes as llama.cpp counts them; the file holds the metadata too
        model_bytes: this.model.size,
        file_bytes: statSync(path).size,
        model_params: this.model.fileInsights.totalParameters,
        model_sha256: await modelFileSha256(path, this.engineContext.cacheDir),
      },
    };
  }

  private loaded(): { model: LlamaModel } {
    if (!this.model || !this.context) throw new RunError('internal', 'llama-cpp engine used before load()');
    return { model: this.model };
  }

  async tokenize(text: string): Promise<number[]> {
    return this.loaded().model.tokenize(text) as number[];
  }

  decode(ids: readonly number[]): string {
    return this.loaded().model.detokenize(ids as Token[]);
  }

  async prepare(rows: number[][]): Promise<LlamaInputs> {
    return { rows, tokens: rows.map((r) => r as Token[]) };
  }

  async generate(inputs: PreparedInputs, newTokens: number, sink: TokenSink): Promise<GenerateResult> {
    const { tokens } = inputs as LlamaInputs;
    const rows = tokens.length;
    const rowStamps = tokens.map(() => new BigInt64Array(newTokens));
    const counts = new Array<number>(rows).fill(0);
    const firstRowIds: number[] = [];
    let stepsDone = 0;
    await Promise.all(
      tokens.map(async (prompt, r) => {
        const sequence = this.sequences[r] as Sequence;
        // yieldEogToken: an end-of-generation token is one more token, generation goes on
        for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
          const k = counts[r] as number;
          (rowStamps[r] as BigInt64Array)[k] = process.hrtime.bigint();
          counts[r] = k + 1;
          if (r === 0) firstRowIds.push(token as number);
          // a step is done once every row has its token of that step
          let min = counts[0] as number;
          for (let i = 1; i < rows; i++) min = Math.min(min, counts[i] as number);
          while (stepsDone < min) {
            sink.put();
            stepsDone++;
          }
          if (k + 1 >= newTokens) break;
        }
      }),
    );
    sink.end();
    return { newTokens: counts, firstRowIds, rowStamps: rowStamps.map((s, r) => Array.from(s.subarray(0, counts[r]))) };
  }

  async flush(): Promise<void> {
    for (const s of this.sequences) await s.clearHistory();
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
    await this.model?.dispose();
    await this.llama?.dispose();
    this.context = undefined;
    this.model = undefined;
    this.llama = undefined;
  }
}

export function createLlamaCppEngine(config: BenchmarkConfig, context: EngineContext): Engine {
  return new LlamaCppEngine(config, context);
}
