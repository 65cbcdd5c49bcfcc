/**
 * How ROOT packs a Double32_t or Float16_t, from the range in its title (a leaf's `x[low,high,nbits]`,
 * a class member's comment `//[low,high,nbits] …`), as TStreamerElement::GetRange reads it:
 * - `{ low, factor }`: low < high; a 4-byte unsigned integer `raw` stands for `raw / factor + low`
 *   (ROOT's own arithmetic), factor 2^nbits / (high − low) ((2^32 − 1) / (high − low) at 32 bits;
 *   nbits 32 when absent or out of 2–32);
 * - `'float'`: a 4-byte float (a Double32_t without a range);
 * - `{ mantissaBits }`: a float cut to that many mantissa bits, in 3 bytes (an exponent byte and a
 *   16-bit mantissa whose bit nbits+1 is the sign): an empty range with nbits below 15, or a
 *   Float16_t without a range (12 bits).
 */
export type Packing = { low: number; factor: number } | 'float' | { mantissaBits: number };

/**
 * The packing of a Double32_t (`half` false) or Float16_t (`half` true) whose title is `title`.
 * Throws a plain Error naming the range when a bound is not a number ROOT could have meant.
 */
export function packingOf(title: string, half: boolean): Packing {
  const range = rangeIn(title);
  if (!range) return half ? { mantissaBits: 12 } : 'float';
  const parts = range.split(',').map((x) => x.trim());
  let nbits = 32;
  if (parts.length > 2) {
    nbits = Number.parseInt(parts[2]!, 10);
    if (!(nbits >= 2 && nbits <= 32)) nbits = 32;
  }
  const low = rangeNumber(parts[0]!);
  const high = rangeNumber(parts[1]!);
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new Error(`the range [${range}] has a bound that is not a number`);
  if (low < high) return { low, factor: (nbits < 32 ? 2 ** nbits : 0xffffffff) / (high - low) };
  // An empty range: ROOT keeps nbits (below 15) where the low bound was, and reads that many
  // mantissa bits; otherwise whatever the low bound truncates to (0: a float, or 12 for Float16_t).
  const bits = nbits < 15 ? nbits : Math.trunc(low);
  if (bits === 0) return half ? { mantissaBits: 12 } : 'float';
  if (bits < 1 || bits > 14) throw new Error(`the empty range [${range}] makes ROOT read ${bits} mantissa bits, which it cannot have written`);
  return { mantissaBits: bits };
}

/** Bytes one packed element takes in a buffer. */
export function packedSize(p: Packing): 3 | 4 {
  return typeof p === 'object' && 'mantissaBits' in p ? 3 : 4;
}

const word = new DataView(new ArrayBuffer(4));

/** A float cut to `bits` of mantissa, from its exponent byte and 16-bit mantissa (TBufferFile::ReadWithNbits). */
export function untruncate(exponent: number, mantissa: number, bits: number): number {
  word.setUint32(0, ((exponent << 23) | ((mantissa & ((1 << (bits + 1)) - 1)) << (23 - bits))) >>> 0);
  const v = word.getFloat32(0);
  return mantissa & (1 << (bits + 1)) ? -v : v;
}

/**
 * The range in a title: the first `[…]` holding a comma, looking at most at the second bracket
 * (the first may be an array's dimension, `x[3][0,1,8]`), as GetRange does. Null if none.
 */
function rangeIn(title: string): string | null {
  let at = 0;
  for (let tries = 0; tries < 2; tries++) {
    const left = title.indexOf('[', at);
    if (left < 0) return null;
    const right = title.indexOf(']', left);
    if (right < 0) return null;
    const inside = title.slice(left + 1, right);
    if (inside.includes(',')) return inside;
    at = right;
  }
  return null;
}

/** A bound: a literal, or pi as ROOT allows it (`pi`, `-pi`, `2*pi`, `pi/2`). */
function rangeNumber(x: string): number {
  const m = /^(-?[\d.e+-]*)\s*\*?\s*pi\s*(?:\/\s*([\d.e+-]+))?$/i.exec(x);
  if (m) return (m[1] === '' ? 1 : m[1] === '-' ? -1 : Number(m[1])) * Math.PI / (m[2] ? Number(m[2]) : 1);
  return x === '' ? NaN : Number(x);
}
