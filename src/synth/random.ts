/**
 * Deterministic random weights, filled in bulk. Speed does not depend on weight values, so any
 * well-spread values do; what matters is that the same seed and tensor name give the same bytes
 * whatever order tensors are written in.
 */

/** 32-bit FNV-1a hash of a string, to derive a per-tensor seed from its name. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** xoshiro128** generator: fast, good enough spread for weights. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** The next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
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
