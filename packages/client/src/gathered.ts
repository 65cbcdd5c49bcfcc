/**
 * The structures `gather` takes: the futures found anywhere in arrays and plain objects (at most
 * 64 levels deep), and the same structure rebuilt with their values in their places.
 */
import { Future } from './future.js';

/** What `gather` returns for a structure of futures: the same structure with values. */
export type Gathered<T> = T extends Future<infer V>
  ? V
  : T extends ArrayBufferView
    ? T
    : T extends readonly unknown[]
      ? { [I in keyof T]: Gathered<T[I]> }
      : T extends Record<string, unknown>
        ? { [K in keyof T]: Gathered<T[K]> }
        : T;

/** The futures anywhere in `x`, in the order a depth-first walk meets them (repeats kept). */
export function futuresIn(x: unknown): Future[] {
  const found: Future[] = [];
  const collect = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    if (v instanceof Future) {
      found.push(v);
      return;
    }
    if (Array.isArray(v)) for (const y of v) collect(y, depth + 1);
    else if (isPlainObject(v)) for (const y of Object.values(v)) collect(y, depth + 1);
  };
  collect(x, 0);
  return found;
}

/** `x` with each future replaced by its key's value in `values`: new arrays and objects, the rest as it was. */
export function withValues<T>(x: T, values: Map<string, unknown>): Gathered<T> {
  const rebuild = (v: unknown, depth: number): unknown => {
    if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (v instanceof Future) return values.get(v.key);
    if (Array.isArray(v)) return v.map((y) => rebuild(y, depth + 1));
    if (!isPlainObject(v)) return v;
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = rebuild((v as Record<string, unknown>)[k], depth + 1);
    return o;
  };
  return rebuild(x, 0) as Gathered<T>;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
