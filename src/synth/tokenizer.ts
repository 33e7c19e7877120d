/**
 * A byte-level BPE tokenizer (the GPT-2 / SmolLM2 family) of any vocabulary size, in the
 * Hugging Face `tokenizer.json` format. The first merges are learned from the default text, so it
 * tokenizes prose into ordinary word pieces; the rest of the vocabulary is filled with byte pairs.
 */
import { DEFAULT_TEXT } from './default-text.js';

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const EOS_TOKEN_ID = 0;
/** Most merges learned from the default text; the rest are byte pairs. */
export const LEARNED_MERGES = 2000;

/** GPT-2's map from bytes to printable characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  }
  return map;
}

/** GPT-2's pre-tokenizer pattern (what `ByteLevel` with `use_regex` splits on). */
const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Words of `text` as GPT-2's byte-level pre-tokenizer sees them, in byte characters. */
function byteLevelWords(text: string, byteChars: string[]): string[][] {
  const encoder = new TextEncoder();
  return Array.from(text.matchAll(PRETOKENIZE), (m) => Array.from(encoder.encode(m[0]), (b) => byteChars[b] as string));
}

/**
 * Learns up to `count` merges from words given as symbol lists (plain byte-pair encoding
 * training: repeatedly merge the most frequent adjacent pair; ties by the pair's text).
 */
export function learnMerges(wordList: readonly string[][], count: number): [string, string][] {
  const wordCounts = new Map<string, number>();
  for (const w of wordList) {
    const key = w.join('\u0000');
    wordCounts.set(key, (wordCounts.get(key) ?? 0) + 1);
  }
  let words = [...wordCounts].map(([w, n]) => ({ symbols: w.split('\u0000'), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    let best: string | undefined;
    let bestCount = 1; // a pair seen once teaches nothing
    for (const [key, n] of pairs) {
      if (n > bestCount || (n === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = n;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    words = words.map(({ symbols, n }) => {
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(symbols[i] as string);
      }
      return { symbols: out, n };
    });
  }
  return merges;
}

export interface TokenizerFiles {
  tokenizerJson: object;
  tokenizerConfig: object;
}

/** Builds tokenizer.json and tokenizer_config.json for a vocabulary of exactly `vocabSize`. */
export function buildByteLevelBpe(vocabSize: number, maxLength: number): TokenizerFiles {
  const byteChars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  let nextId = 0;
  for (const t of SPECIAL_TOKENS) vocab[t] = nextId++;
  for (const c of byteChars) vocab[c] = nextId++;
  const merges: [string, string][] = [];
  const add = (a: string, b: string): void => {
    merges.push([a, b]);
    vocab[a + b] = nextId++;
  };
  for (const [a, b] of learnMerges(byteLevelWords(DEFAULT_TEXT, byteChars), Math.min(LEARNED_MERGES, vocabSize - nextId))) add(a, b);
  // Fill with byte pairs, letters and spaces first, so the remaining merges look like real ones.
  const order = [...byteChars].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  outer: for (const a of order) {
    for (const b of order) {
      if (nextId >= vocabSize) break outer;
      if (vocab[a + b] === undefined) add(a, b);
    }
  }
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: SPECIAL_TOKENS[0],
    eos_token: SPECIAL_TOKENS[0],
    unk_token: SPECIAL_TOKENS[0],
    pad_token: SPECIAL_TOKENS[0],
    add_bos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
  };
  return { tokenizerJson, tokenizerConfig };
}

/** Letters first, then the space marker, then the rest. */
function rank(c: string): number {
  if (/\p{L}/u.test(c) && c.charCodeAt(0) < 128) return 0;
  if (c === 'Ġ') return 1;
  return 2;
}
