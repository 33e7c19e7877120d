/**
 * What differs between OpenAI-compatible servers, in one place: the shapes of their tokenizer
 * endpoints, and the fields where a response says how long the server itself took and how much of
 * the prompt came from its cache. The streaming protocol itself is shared (openai-stream.ts).
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every((t) => Number.isInteger(t));

/** A JSON POST below the server's origin: the answer, or null on any failure. */
export type PostJson = (path: string, body: unknown) => Promise<unknown>;

/** The chat request's messages for a prompt text (what requestBody sends). */
export const chatMessages = (text: string): { role: 'user'; content: string }[] => [{ role: 'user', content: text }];

/** One server family's /tokenize and /detokenize (both below the server's origin, not under /v1). */
export interface TokenizerShape {
  name: 'vllm' | 'llama.cpp' | 'tgi';
  tokenizeBody(model: string, text: string): unknown;
  /** The ids in a /tokenize answer; null when the answer is not of this shape. */
  tokens(answer: unknown): number[] | null;
  /** Null when this server family has no /detokenize. */
  detokenizeBody: ((model: string, ids: readonly number[]) => unknown) | null;
  text(answer: unknown): string | null;
  /** Tokens of a whole chat prompt (template applied, as the server counts it); null when this family cannot say. */
  chatPromptCount(post: PostJson, model: string, text: string): Promise<number | null>;
}

const lengthOf = (ids: number[] | null): number | null => (ids ? ids.length : null);

/** Tried in this order; the first that answers a non-empty text with a non-empty list is used. */
export const TOKENIZER_SHAPES: readonly TokenizerShape[] = [
  {
    // vLLM and SGLang: {model, prompt} -> {tokens, count, max_model_len}
    name: 'vllm',
    tokenizeBody: (model, text) => ({ model, prompt: text, add_special_tokens: false }),
    tokens: (a) => (isObject(a) && isIdList(a.tokens) ? a.tokens : null),
    detokenizeBody: (model, ids) => ({ model, tokens: ids }),
    text: (a) => (isObject(a) && typeof a.prompt === 'string' ? a.prompt : null),
    // vLLM's /tokenize takes chat messages and applies the template
    chatPromptCount: async (post, model, text) => {
      const a = await post('/tokenize', { model, messages: chatMessages(text), add_generation_prompt: true });
      return isObject(a) && isIdList(a.tokens) ? a.tokens.length : null;
    },
  },
  {
    // llama.cpp's server: {content} -> {tokens}; it answers a vLLM-shaped body with {"tokens": []}
    name: 'llama.cpp',
    tokenizeBody: (_model, text) => ({ content: text, add_special: false }),
    tokens: (a) => (isObject(a) && isIdList(a.tokens) ? a.tokens : null),
    detokenizeBody: (_model, ids) => ({ tokens: ids }),
    text: (a) => (isObject(a) && typeof a.content === 'string' ? a.content : null),
    // the template applied by /apply-template, then tokenized with its special tokens
    chatPromptCount: async (post, _model, text) => {
      const applied = await post('/apply-template', { messages: chatMessages(text) });
      if (!isObject(applied) || typeof applied.prompt !== 'string') return null;
      const a = await post('/tokenize', { content: applied.prompt, add_special: true, parse_special: true });
      return isObject(a) && isIdList(a.tokens) ? a.tokens.length : null;
    },
  },
  {
    // Hugging Face TGI: {inputs} -> [{id, text, start, stop}, ...]; no /detokenize
    name: 'tgi',
    tokenizeBody: (_model, text) => ({ inputs: text, add_special_tokens: false }),
    tokens: (a) => (Array.isArray(a) && a.every((t) => isObject(t) && Number.isInteger(t.id)) ? a.map((t) => (t as { id: number }).id) : null),
    detokenizeBody: null,
    text: () => null,
    // TGI's /chat_tokenize answers {tokenize_response: [{id, ...}], templated_text}
    chatPromptCount: async (post, model, text) => {
      const a = await post('/chat_tokenize', { model, messages: chatMessages(text) });
      return lengthOf(isObject(a) && Array.isArray(a.tokenize_response) ? a.tokenize_response.map(() => 0) : null);
    },
  },
];

/** The server's own account of one request, where its responses carry one (llama.cpp `timings`). */
export interface ServerTimings {
  /** Prompt processing, from the slot starting it to the first token sampled. */
  prompt_ms: number;
  /** Prompt tokens the server processed (not taken from its cache). */
  prompt_n: number;
  /** Prompt tokens taken from its cache. */
  cache_n: number;
  predicted_n: number;
  /** From the first token to the last. */
  predicted_ms: number;
  /** predicted_ms over the predicted_n − 1 decode steps: the server's ITL. */
  itl_ms: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** llama.cpp's `timings` object of a chunk; null when the chunk has none. */
export function serverTimings(chunk: Json): ServerTimings | null {
  const t = isObject(chunk.timings) ? chunk.timings : null;
  if (!t) return null;
  const promptMs = num(t.prompt_ms);
  const promptN = num(t.prompt_n);
  const predictedN = num(t.predicted_n);
  const predictedMs = num(t.predicted_ms);
  if (promptMs === null || promptN === null || predictedN === null || predictedMs === null) return null;
  return {
    prompt_ms: promptMs,
    prompt_n: promptN,
    cache_n: num(t.cache_n) ?? 0,
    predicted_n: predictedN,
    predicted_ms: predictedMs,
    itl_ms: predictedN >= 2 ? predictedMs / (predictedN - 1) : null,
  };
}

/** Prompt tokens the server says it served from its cache: vLLM's usage details, or llama.cpp's timings. */
export function cachedPromptTokens(chunk: Json): number | null {
  const usage = isObject(chunk.usage) ? chunk.usage : null;
  const details = usage && isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : null;
  const vllm = details ? num(details.cached_tokens) : null;
  if (vllm !== null) return vllm;
  const timings = isObject(chunk.timings) ? chunk.timings : null;
  return timings ? num(timings.cache_n) : null;
}
