/**
 * Deep equality of read values (columns, batches, decoded bytes) for tests, at memory speed: a
 * typed array is compared byte for byte, where tap's `t.same` walks it element by element and
 * `JSON.stringify(Array.from(...))` builds millions of numbers. Stricter than either: a typed
 * array must have the same type and length, numbers compare with `Object.is` (NaN equals NaN, -0
 * differs from 0; JSON maps NaN to null and -0 to 0), and objects the same own keys in the same
 * order. A difference is reported by its path and first differing index, so a failure says where.
 */

import type { Test } from 'tap';

type View = ArrayBufferView & { length?: number; BYTES_PER_ELEMENT?: number; [i: number]: unknown };

const kind = (v: unknown): string => (v === null ? 'null' : ArrayBuffer.isView(v) ? v.constructor.name : Array.isArray(v) ? 'Array' : typeof v === 'object' ? (v.constructor?.name ?? 'Object') : typeof v);

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : Object.is(v, -0) ? '-0' : typeof v === 'object' && v !== null ? kind(v) : String(v));

const bytesOf = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** The first index at which two views of equal byte length differ, in elements of `a` (its bytes when it has no element size), or -1. */
function firstDifferentElement(a: View, b: View): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (Buffer.compare(x, y) === 0) return -1;
  let i = 0;
  while (x[i] === y[i]) i++;
  return Math.floor(i / (a.BYTES_PER_ELEMENT ?? 1));
}

/**
 * Where `actual` differs from `expected` (`"at .x[12]: 3.5 where 3.25 was expected"`), or null when
 * they are the same values.
 */
export function firstDifference(actual: unknown, expected: unknown, path = ''): string | null {
  const at = path || '(top)';
  if (Object.is(actual, expected)) return null;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return `at ${at}: ${show(actual)} (${kind(actual)}) where ${show(expected)} (${kind(expected)}) was expected`;
  }
  if (kind(actual) !== kind(expected)) return `at ${at}: a ${kind(actual)} where a ${kind(expected)} was expected`;
  if (ArrayBuffer.isView(actual)) {
    const a = actual as View;
    const b = expected as View;
    const len = (v: View) => v.length ?? v.byteLength;
    if (len(a) !== len(b)) return `at ${at}: ${kind(a)} of length ${len(a)} where length ${len(b)} was expected`;
    const i = firstDifferentElement(a, b);
    if (i < 0) return null;
    return a.length === undefined ? `at ${at}: byte ${i} is ${bytesOf(a)[i]} where ${bytesOf(b)[i]} was expected` : `at ${path}[${i}]: ${show(a[i])} where ${show(b[i])} was expected`;
  }
  if (Array.isArray(actual)) {
    const b = expected as unknown[];
    if (actual.length !== b.length) return `at ${at}: Array of length ${actual.length} where length ${b.length} was expected`;
    for (let i = 0; i < actual.length; i++) {
      const d = firstDifference(actual[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (actual instanceof Map || actual instanceof Set) return firstDifference([...actual], [...(expected as Map<unknown, unknown> | Set<unknown>)], `${path}(entries)`);
  if (actual instanceof Date) return firstDifference(actual.getTime(), (expected as Date).getTime(), `${path}(time)`);
  const ka = Object.keys(actual);
  const kb = Object.keys(expected);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return `at ${at}: keys ${ka.join(', ')} where ${kb.join(', ')} were expected`;
  for (const k of ka) {
    const d = firstDifference((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/** Asserts that `actual` is the same values as `expected` (see firstDifference); a failure names where they differ. */
export function sameValues(t: Test, actual: unknown, expected: unknown, message: string): boolean {
  return noDifference(t, firstDifference(actual, expected), message);
}

/** Asserts that a difference found by firstDifference (values compared as they came) is null, naming it if not. */
export function noDifference(t: Test, diff: string | null, message: string): boolean {
  return t.ok(diff === null, diff === null ? message : `${message}: ${diff}`, diff === null ? {} : { diff });
}
