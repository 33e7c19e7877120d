/**
 * Deterministic random weights, filled in bulk. Speed does not depend on weight values, so any
 * well-spread values do; what matters is that the same seed and tensor name give the same bytes
 * whatever order tensors are written in.
 */
import { Xoshiro128 } from '../util/random.js';

/** 32-bit FNV-1a hash of a string, to derive a per-tensor seed from its name. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}


/** Fills `out` with uniform values of standard deviation `std` (range ±std·√3). */
export function fillUniform(out: Float32Array, rng: Xoshiro128, std: number): Float32Array {
  const scale = (std * Math.sqrt(3) * 2) / 4294967296;
  const offset = std * Math.sqrt(3);
  for (let i = 0; i < out.length; i++) out[i] = rng.nextUint32() * scale - offset;
  return out;
}

/** The random weights of one named tensor for a seed. */
export function randomWeights(seed: number, name: string, count: number, std: number): Float32Array {
  return fillUniform(new Float32Array(count), new Xoshiro128(seed ^ hashString(name)), std);
}
