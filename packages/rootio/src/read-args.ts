/**
 * Checks of a read's arguments that would otherwise go wrong quietly: `arrays('lep_pt')` (a string
 * where a list of names belongs) was read letter by letter and failed with "no branch named l",
 * and a misspelt option (`{ entrystart: 5 }`, `{ stp: 10 }`, `http: { retry: 2 }`) was ignored
 * while its default applied. rootio depends on no other Gluon package, so this is its own small
 * copy of the protocol's `checkOptionKeys`.
 */

import type { ArraysOptions, IterateOptions } from './tree.js';
import type { OpenOptions } from './file.js';
import type { HttpOptions } from './source.js';

/** Every key of an options type, as an object the compiler holds to the type (none missing, none extra). */
type AllKeys<T> = { readonly [K in keyof Required<T>]: true };
const keysOf = <T>(all: AllKeys<T>): readonly string[] => Object.keys(all);

export const ARRAYS_OPTIONS = keysOf<ArraysOptions>({ entryStart: true, entryStop: true, into: true });
export const ITERATE_OPTIONS = keysOf<IterateOptions>({ entryStart: true, entryStop: true, step: true, reuse: true });
export const OPEN_OPTIONS = keysOf<OpenOptions>({ http: true, metadataTimeoutMs: true, decompressThreads: true });
export const HTTP_OPTIONS = keysOf<HttpOptions>({ retries: true, backoffMs: true, coalesceGap: true, headers: true, timeoutMs: true });

/** Throws a TypeError unless `names` is an array of strings, naming the call (`where`). */
export function checkNames(where: string, names: unknown, what = 'branch'): void {
  if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return;
  const got = typeof names === 'string' ? `the string ${JSON.stringify(names)} (give [${JSON.stringify(names)}])` : JSON.stringify(names) ?? String(names);
  throw new TypeError(`${where}: the ${what} names must be an array of strings, got ${got}`);
}

/**
 * Throws a TypeError when `opts` is not an object or has a key not in `known`, naming the call,
 * the key, the nearest known key when it is a likely misspelling, and every known key.
 */
export function checkOptions(where: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`${where}: the options must be an object, got ${JSON.stringify(opts) ?? String(opts)}`);
  for (const key of Object.keys(opts)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= (Math.min(k.length, key.length) >= 5 ? 3 : 2));
    throw new TypeError(`${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the options are ${known.join(', ')}`);
  }
}

/**
 * Levenshtein distance, one row at a time (option names are short). @gluon/protocol's
 * option-keys.ts has the same few lines: rootio is installed and used alone and depends on no
 * other Gluon package, so it keeps its own rather than pulling in the wire protocol's.
 */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
