/**
 * transformers.js (`@huggingface/transformers`) on onnxruntime-node. Synthetic and local models
 * load with remote access off; a hub id loads through the library's normal download path.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchmarkConfig } from '../config/fields.js';
import { ensureSyntheticOnnx } from '../synth/cache.js';
import { EOS_TOKEN_ID } from '../synth/tokenizer.js';
import { errorMessage, InputError, RunError } from '../util/errors.js';
import type { Engine, EngineContext, EngineInfo, GenerateResult, ModelInfo, PreparedInputs, TokenSink } from './engine.js';
import { modelFileSha256 } from './model-file-hash.js';
import { checkTransformersFolder, parseModelRef } from './model-source.js';
import { ONNX_DTYPE_FILES } from '../synth/model-folder.js';
import { installedVersion } from '../util/optional-package.js';

type Transformers = typeof import('@huggingface/transformers');
type Model = Awaited<ReturnType<Transformers['AutoModelForCausalLM']['from_pretrained']>>;
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;
type TensorT = InstanceType<Transformers['Tensor']>;

interface TransformersInputs extends PreparedInputs {
  input_ids: TensorT;
  attention_mask: TensorT;
}

const GRAPH_OPTIMIZATION: Record<string, string> = { disabled: 'disabled', basic: 'basic', extended: 'extended', all: 'all' };

/**
 * Adapts transformers.js's streamer protocol: its first put() is the prompt echo (not a token),
 * then one put() per step with that step's ids for every row.
 */
class StepStreamer {
  private echoed = false;
  constructor(private readonly sink: TokenSink) {}
  put(): void {
    if (this.echoed) this.sink.put();
    else this.echoed = true;
  }
  end(): void {
    this.sink.end();
  }
}

/**
 * Where transformers.js loads a config's model from: a synthetic folder (built, or given the file of
 * its dtype, on first use), a local folder (checked), or a hub id (not local); with its model facts.
 */
export function transformersModelOf(config: BenchmarkConfig, context: EngineContext): { location: string; local: boolean; info: ModelInfo } {
  const ref = parseModelRef(config.model);
  if (ref.source === 'synthetic') {
    const start = performance.now();
    const dtype = config.dtype === 'fp32' ? '' : ` (${config.dtype})`;
    const synth = ensureSyntheticOnnx(config.model, context.cacheDir, undefined, (dir) => context.notify?.(`building ${config.model}${dtype} on first use (kept in ${dir})`), config.dtype);
    return { location: synth.dir, local: true, info: { id: ref.id, source: 'synthetic', parameters: synth.manifest.parameters, path: synth.dir, build_ms: synth.built ? performance.now() - start : 0 } };
  }
  if (ref.source === 'local') {
    checkTransformersFolder(ref.id, ref.path);
    return { location: ref.path, local: true, info: { id: ref.id, source: 'local', parameters: null, path: ref.path, build_ms: 0 } };
  }
  return { location: ref.id, local: false, info: { id: ref.id, source: 'hub', parameters: null, path: null, build_ms: 0 } };
}

/** The size and SHA-256 of the ONNX file transformers.js loads for `dtype` from a model folder (null where it is not on disk). */
export async function onnxFileFacts(folder: string | null, dtype: string, cacheDir: string): Promise<{ file_bytes: number | null; model_sha256: string | null }> {
  const onnx = folder ? join(folder, 'onnx', ONNX_DTYPE_FILES[dtype]?.file ?? 'model.onnx') : null;
  if (!onnx || !existsSync(onnx)) return { file_bytes: null, model_sha256: null };
  return { file_bytes: statSync(onnx).size, model_sha256: await modelFileSha256(onnx, cacheDir) };
}

export class TransformersJsEngine implements Engine {
  private lib: Transformers | undefined;
  private model: Model | undefined;
  private tokenizer: Tokenizer | undefined;
  private engineInfo: EngineInfo;
  private modelInfo: ModelInfo;
  private eosIds: number[] = [EOS_TOKEN_ID];

  constructor(
    private readonly config: BenchmarkConfig,
    private readonly context: EngineContext,
  ) {
    this.engineInfo = { name: 'transformers-js', version: 'unknown', device: config.device, dtype: config.dtype };
    this.modelInfo = { id: config.model, source: 'local', parameters: null, path: null, build_ms: 0 };
  }

  describe(): { engine: EngineInfo; model: ModelInfo } {
    return { engine: this.engineInfo, model: this.modelInfo };
  }

  async load(): Promise<void> {
    const { location, local, info } = transformersModelOf(this.config, this.context);
    this.modelInfo = info;
    const lib = await import('@huggingface/transformers');
    this.lib = lib;
    lib.env.allowRemoteModels = !local;
    lib.env.allowLocalModels = true;
    if (local) lib.env.localModelPath = '';
    this.engineInfo = { ...this.engineInfo, version: lib.env.version };

    const sessionOptions: Record<string, unknown> = {};
    const o = this.config.engine_options;
    if (o.threads !== undefined) sessionOptions.intraOpNumThreads = o.threads;
    if (o.inter_op_threads !== undefined) sessionOptions.interOpNumThreads = o.inter_op_threads;
    if (o.graph_optimization !== undefined) sessionOptions.graphOptimizationLevel = GRAPH_OPTIMIZATION[String(o.graph_optimization)];

    try {
      this.tokenizer = await lib.AutoTokenizer.from_pretrained(location, { local_files_only: local });
      this.model = await lib.AutoModelForCausalLM.from_pretrained(location, {
        local_files_only: local,
        // Always explicit: 'auto' throws where the CUDA provider is missing.
        device: this.config.device as never,
        dtype: this.config.dtype as never,
        session_options: sessionOptions,
      });
    } catch (err) {
      // a hub id without a network says only "fetch failed": say what it means and what to do
      if (!local && /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo/i.test(errorMessage(err))) {
        throw new RunError('engine_load', `model ${info.id}: cannot download it from the Hugging Face hub (network: ${errorMessage(err)}); download the folder where there is a network and pass it as --model ./path`);
      }
      throw err;
    }
    const eos = (this.model as unknown as { generation_config?: { eos_token_id?: number | number[] | null } }).generation_config?.eos_token_id;
    if (eos !== undefined && eos !== null) this.eosIds = Array.isArray(eos) ? eos : [eos];
    const maxPositions = (this.model.config as unknown as { max_position_embeddings?: number }).max_position_embeddings;
    const needed = this.config.sequence_length + this.config.num_tokens_to_generate;
    if (maxPositions !== undefined && needed > maxPositions) {
      throw new RunError(
        'engine_load',
        `sequence_length + num_tokens_to_generate = ${needed} exceeds the model's max_position_embeddings (${maxPositions})`,
      );
    }
    const folder = local ? location : transformersCacheDir() && join(transformersCacheDir() as string, info.id);
    this.engineInfo.settings = {
      onnxruntime_node: installedVersion('onnxruntime-node'),
      execution_provider: this.config.device,
      // unset, onnxruntime picks: a thread per physical core within an operator, and graph optimization 'all'
      intra_op_threads: o.threads === undefined ? 'onnxruntime default' : Number(o.threads),
      inter_op_threads: o.inter_op_threads === undefined ? 'onnxruntime default' : Number(o.inter_op_threads),
      graph_optimization: o.graph_optimization === undefined ? 'onnxruntime default (all)' : String(o.graph_optimization),
      ...(await onnxFileFacts(folder, this.config.dtype, this.context.cacheDir)),
    };
  }

  private loaded(): { lib: Transformers; model: Model; tokenizer: Tokenizer } {
    if (!this.lib || !this.model || !this.tokenizer) throw new RunError('internal', 'transformers-js engine used before load()');
    return { lib: this.lib, model: this.model, tokenizer: this.tokenizer };
  }

  async tokenize(text: string): Promise<number[]> {
    return this.loaded().tokenizer.encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return this.loaded().tokenizer.decode([...ids], { skip_special_tokens: false });
  }

  async prepare(rows: number[][]): Promise<TransformersInputs> {
    const { lib } = this.loaded();
    const width = rows[0]?.length ?? 0;
    const ids = new BigInt64Array(rows.length * width);
    rows.forEach((row, r) => row.forEach((id, i) => (ids[r * width + i] = BigInt(id))));
    return {
      rows,
      input_ids: new lib.Tensor('int64', ids, [rows.length, width]),
      attention_mask: new lib.Tensor('int64', new BigInt64Array(rows.length * width).fill(1n), [rows.length, width]),
    };
  }

  async generate(inputs: PreparedInputs, newTokens: number, sink: TokenSink): Promise<GenerateResult> {
    const { model } = this.loaded();
    const { input_ids, attention_mask } = inputs as TransformersInputs;
    const output = (await model.generate({
      input_ids,
      attention_mask,
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
      streamer: new StepStreamer(sink) as never,
    } as never)) as TensorT;
    return newTokensOfSequences(output.data as BigInt64Array, output.dims as [number, number], input_ids.dims[1] as number, this.eosIds);
  }

  async flush(): Promise<void> {
    // generate() disposes its KV cache when it returns; nothing else is kept between iterations.
  }

  async dispose(): Promise<void> {
    await this.model?.dispose();
    this.model = undefined;
  }
}

/** New tokens per row of generated sequences (row-major, `dims` [rows, width]), a row ending at its first EOS. */
export function newTokensOfSequences(data: ArrayLike<number | bigint>, dims: readonly [number, number], promptLength: number, eosIds: readonly number[]): GenerateResult {
  const [rows, width] = dims;
  const newTokens: number[] = [];
  let firstRowIds: number[] = [];
  for (let r = 0; r < rows; r++) {
    const ids: number[] = [];
    for (let i = promptLength; i < width; i++) {
      const id = Number(data[r * width + i]);
      ids.push(id);
      if (eosIds.includes(id) && i < width - 1) break;
    }
    newTokens.push(ids.length);
    if (r === 0) firstRowIds = ids;
  }
  return { newTokens, firstRowIds };
}

export function createTransformersJsEngine(config: BenchmarkConfig, context: EngineContext): Engine {
  return new TransformersJsEngine(config, context);
}

/** Where onnxruntime-node keeps its native libraries: the CUDA provider lands here when it was installed (README). */
function onnxruntimeBinDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', `napi-v6`, process.platform, process.arch);
  } catch {
    return null;
  }
}

/**
 * Refuses a transformers.js device this install cannot run, before anything runs: onnxruntime
 * prints several lines of its own and fails every iteration otherwise. cuda needs onnxruntime-node's
 * CUDA provider (installed on demand, README) and an NVIDIA driver; dml is Windows', coreml macOS's.
 */
export function checkOnnxDevice(config: BenchmarkConfig): void {
  const device = config.device;
  const platformOf: Record<string, NodeJS.Platform> = { dml: 'win32', coreml: 'darwin' };
  const needed = platformOf[device];
  if (needed && process.platform !== needed) throw new InputError('config', `engine transformers-js: device ${device} runs on ${needed === 'win32' ? 'Windows' : 'macOS'} only; use --device cpu`);
  if (device !== 'cuda' || process.platform !== 'linux') return;
  const bin = onnxruntimeBinDir();
  if (bin && !existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))) {
    throw new InputError('config', `engine transformers-js: device cuda needs onnxruntime-node's CUDA provider, which this install left out (${bin} has no libonnxruntime_providers_cuda.so); add it with ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install, or use --device cpu`);
  }
  if (!existsSync('/proc/driver/nvidia/version')) throw new InputError('config', 'engine transformers-js: device cuda, but no NVIDIA driver is loaded here (/proc/driver/nvidia/version is missing); use --device cpu');
}

/** Where transformers.js caches hub downloads (its default: `.cache/` in its own package folder), keyed by `<id>/<file>`. */
function transformersCacheDir(): string | null {
  try {
    return join(dirname(dirname(fileURLToPath(import.meta.resolve('@huggingface/transformers')))), '.cache');
  } catch {
    return null;
  }
}

/** How long the hub may take to say whether it has a model before the run is refused. */
const HUB_CHECK_TIMEOUT_MS = 10_000;

/**
 * A hub id loads from transformers.js's cache or from the hub; refuses it before anything runs when
 * it is in neither (no network, or not on the hub), instead of a result of failed iterations.
 */
export async function checkHubModel(id: string): Promise<void> {
  const cache = transformersCacheDir();
  if (cache && existsSync(join(cache, id, 'config.json'))) return;
  const url = `https://huggingface.co/${id}/resolve/main/config.json`;
  const token = process.env.HF_TOKEN ?? process.env.HF_ACCESS_TOKEN;
  let status: number;
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(HUB_CHECK_TIMEOUT_MS), headers: token ? { Authorization: `Bearer ${token}` } : {} });
    status = res.status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new InputError('model', `model ${id}: not in transformers.js's cache (${cache ?? 'none'}) and the Hugging Face hub cannot be reached (${cause ?? errorMessage(err)}); download the folder where there is a network and pass it as --model ./path`);
  }
  if (status >= 400) throw new InputError('model', `model ${id}: the Hugging Face hub has no config.json for it (HTTP ${status}${status === 401 ? ': private or gated; set HF_TOKEN' : ''})`);
}
