/**
 * Checks, before a batch is written, that every value fits its branch's type and that jagged
 * offsets are whole and never decrease. Without it the DataView setters stored 1.5 as 1, 300 in
 * a uint8 as 44, NaN or a string as 0, and a vector entry with a negative length that made the
 * file unreadable — all silently.
 */
import type { ElementType } from './types.js';

type IntType = Exclude<ElementType, 'bool' | 'float' | 'double'>;

const INT_RANGE: Record<IntType, readonly [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * A float branch's largest finite value. A finite double that rounds past it (from 2^128 − 2^103
 * on, the midpoint to the next power of two) becomes ±Infinity as a float, so it is refused as an
 * integer past its type's range is; one below that midpoint rounds to a float as any double does.
 */
export const FLOAT_MAX = 3.4028234663852886e38;

/** Typed arrays whose every element fits the branch type, so their values need no check. */
const FITS: Record<ElementType, readonly string[]> = {
  bool: [], // no typed array holds only 0 and 1: every element is checked
  int8: ['Int8Array'],
  uint8: ['Uint8Array', 'Uint8ClampedArray'],
  int16: ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array'],
  uint16: ['Uint8Array', 'Uint8ClampedArray', 'Uint16Array'],
  int32: ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array'],
  uint32: ['Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array'],
  int64: ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array'],
  uint64: ['Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigUint64Array'],
  float: ['Float32Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array'],
  double: ['Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array'],
};

/** What a branch type accepts, for messages. */
function accepts(type: ElementType): string {
  if (type === 'bool') return 'true, false, 0 or 1';
  if (type === 'float') return `a number within ±${FLOAT_MAX} (float's range), NaN or ±Infinity`;
  if (type === 'double') return 'a number (a bigint within its range)';
  const [lo, hi] = INT_RANGE[type];
  return `an integer from ${lo} to ${hi}`;
}

/** Whether one value is stored as given by a branch of this type. */
function fits(type: ElementType, v: unknown): boolean {
  // Only a value whose truth is unambiguous: 2, 0.5, 'x' or null stored as their truth (1, 1,
  // 1, 0) would read back as something other than what was given.
  if (type === 'bool') return v === true || v === false || v === 0 || v === 1 || v === 0n || v === 1n;
  if (type === 'float' || type === 'double') {
    // NaN and ±Infinity given as such are stored as such; a finite value must stay finite.
    const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    if (x === undefined) return false;
    if (typeof v === 'number' && !Number.isFinite(v)) return true;
    return Number.isFinite(type === 'float' ? Math.fround(x) : x);
  }
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else return false;
  const [lo, hi] = INT_RANGE[type];
  return b >= lo && b <= hi;
}

/** A value as a message shows it (strings quoted, bigints with their n). */
export function showValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * Index of the first of values[lo..hi) that a branch of `type` would not store as given, or -1.
 * Typed arrays whose elements always fit are not walked.
 */
export function firstMisfit(type: ElementType, values: ArrayLike<unknown>, lo: number, hi: number): number {
  if (ArrayBuffer.isView(values) && FITS[type].includes(values.constructor.name)) return -1;
  for (let i = lo; i < hi; i++) if (!fits(type, values[i])) return i;
  return -1;
}

/** The class of error for a value that does not fit: a number out of range or a value of another kind. */
export function misfitError(value: unknown): RangeErrorConstructor | TypeErrorConstructor {
  return typeof value === 'number' || typeof value === 'bigint' ? RangeError : TypeError;
}

/** The message for a value that does not fit: what it is, which branch type and what it takes. */
export function misfitMessage(type: ElementType, value: unknown): string {
  return `${showValue(value)} cannot be stored in ${type.startsWith('i') ? 'an' : 'a'} ${type} branch, which takes ${accepts(type)}`;
}

/**
 * Checks jagged offsets: whole numbers that never decrease (the first is checked to be 0 and
 * the last against the values by the caller). Returns the first entry whose end offset is bad,
 * or -1.
 */
export function firstBadOffset(offsets: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++) {
    const hi = offsets[i + 1]!;
    if (!Number.isInteger(hi) || hi < offsets[i]!) return i;
  }
  return -1;
}

/** Index of the first of values[0..n) that is not a number (a string, undefined, a bigint), or -1. */
export function firstNonNumber(values: ArrayLike<unknown>, n: number): number {
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) return -1;
  for (let i = 0; i < n; i++) if (typeof values[i] !== 'number') return i;
  return -1;
}
