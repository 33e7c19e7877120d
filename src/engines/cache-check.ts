/**
 * Whether a model's KV cache gives what recomputation gives: the logits of every greedy step taken
 * with the cache (as generate() runs) against the logits of the whole sequence so far run again
 * without it. A graph whose cache is wrong (positions, concatenation, masks) drifts from the
 * recomputation; one whose cache is right differs by rounding, or for dynamically quantized
 * activations by their quantization.
 */

/** Per step: the logits of the last position, with the cache and recomputed, and the tokens chosen. */
export interface CacheCheckRows {
  cached: number[][];
  recomputed: number[][];
  tokens: number[];
  recomputedTokens: number[];
}

/**
 * The largest gap between cached and recomputed logits over all steps and tokens, relative to the
 * step's largest recomputed logit; entries a logits processor set to -Infinity (EOS before N) are
 * skipped.
 */
export function maxRelativeLogitGap(rows: Pick<CacheCheckRows, 'cached' | 'recomputed'>): number {
  let worst = 0;
  rows.recomputed.forEach((row, step) => {
    const cached = rows.cached[step];
    if (!cached || cached.length !== row.length) throw new RangeError(`step ${step}: ${cached?.length ?? 0} cached logits against ${row.length} recomputed`);
    const scale = row.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    row.forEach((v, i) => {
      const c = cached[i] as number;
      if (Number.isFinite(c)) worst = Math.max(worst, Math.abs(v - c) / scale);
    });
  });
  return worst;
}
