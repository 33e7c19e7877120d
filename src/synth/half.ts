/**
 * float32 -> float16 in bulk with the table method (van der Zijp): two 512-entry tables indexed
 * by sign and exponent give the half's base bits and the mantissa shift. Truncates the mantissa,
 * which is harmless for random weights and fast: one table lookup per value, no branches.
 */
const base = new Uint16Array(512);
const shift = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const e = i - 127;
  let b: number;
  let s: number;
  if (e < -24) {
    b = 0x0000;
    s = 24;
  } else if (e < -14) {
    b = 0x0400 >> (-e - 14);
    s = -e - 1;
  } else if (e <= 15) {
    b = (e + 15) << 10;
    s = 13;
  } else if (e < 128) {
    b = 0x7c00;
    s = 24;
  } else {
    b = 0x7c00;
    s = 13;
  }
  base[i] = b;
  base[i | 0x100] = b | 0x8000;
  shift[i] = s;
  shift[i | 0x100] = s;
}

/** Converts every value of `src` into `out` (float16 bits). */
export function toHalf(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const f = bits[i] as number;
    const idx = f >>> 23;
    out[i] = (base[idx] as number) + ((f & 0x007fffff) >>> (shift[idx] as number));
  }
  return out;
}

/** float16 bits -> number (for tests and Q8_0 scales). */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
