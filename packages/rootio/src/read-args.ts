/**
 * Checks of a read's arguments that would otherwise go wrong quietly: `arrays('lep_pt')` (a string
 * where a list of names belongs) was read letter by letter and failed with "no branch named l",
 * and a misspelt option (`{ entrystart: 5 }`, `{ stp: 10 }`, `http: { retry: 2 }`) was ignored
 * while its default applied. rootio depends on no other Gluon package, so this is its own small
 * counterpart of the protocol's `checkOptionKeys`, on near-names.ts's edit distance.
 */

import type { ArraysOptions, IterateOptions } from './tree.js';
import type { OpenOptions } from './file.js';
import type { HttpOptions } from './source.js';
import { availableParallelism } from 'node:os';
import { editDistance } from './near-names.js';
import { fileUrlPath, isFileUrl } from './file-url.js';

/** Every key of an options type, as an object the compiler holds to the type (none missing, none extra). */
type AllKeys<T> = { readonly [K in keyof Required<T>]: true };
/** The keys of an options type, checked complete by the compiler (one entry per key of T). */
export const keysOf = <T>(all: AllKeys<T>): readonly string[] => Object.keys(all);

export const ARRAYS_OPTIONS = keysOf<ArraysOptions>({ entryStart: true, entryStop: true, into: true });
export const ITERATE_OPTIONS = keysOf<IterateOptions>({ entryStart: true, entryStop: true, step: true, reuse: true });
export const OPEN_OPTIONS = keysOf<OpenOptions>({ http: true, metadataTimeoutMs: true, decompressThreads: true });
export const HTTP_OPTIONS = keysOf<HttpOptions>({ retries: true, backoffMs: true, coalesceGap: true, headers: true, timeoutMs: true });

/**
 * Throws a TypeError unless an object's name (tree(), histogram(), object(), rntuple()) is a
 * string: `tree()` and `tree(3)` failed inside the path lookup with "Cannot read properties of
 * undefined (reading 'replace')" and "path.replace is not a function", naming neither call nor file.
 */
export function checkKeyName(where: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new TypeError(`${where}: the name must be a string, a path as keys() lists them ("mini", "dir/tree", "mini;1"), got ${showArg(name)}`);
  }
}

/** Throws a TypeError unless `names` is an array of strings, naming the call (`where`). */
export function checkNames(where: string, names: unknown, what = 'branch'): void {
  if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return;
  const got = typeof names === 'string' ? `the string ${JSON.stringify(names)} (give [${JSON.stringify(names)}])` : showArg(names);
  throw new TypeError(`${where}: the ${what} names must be an array of strings, got ${got}`);
}

/**
 * Throws a TypeError when `opts` is not an object or has a key not in `known`, naming the call,
 * the key, the nearest known key when it is a likely misspelling, and every known key.
 */
export function checkOptions(where: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`${where}: the options must be an object, got ${showArg(opts)}`);
  for (const key of Object.keys(opts)) {
    if (known.includes(key)) continue;
    const near = nearestOption(key, known);
    throw new TypeError(`${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the options are ${known.join(', ')}`);
  }
}

/**
 * A value as an error message shows it, whatever it is: strings quoted (`"5"` is not `5`),
 * bigints with their n (JSON.stringify throws "Do not know how to serialize a BigInt" on them,
 * which replaced the message meant for an `entryStart: 5n`), objects and arrays as JSON.
 */
export function showArg(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v === undefined || typeof v === 'symbol' || typeof v === 'function') return String(v);
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v); // a cycle
  }
}

/**
 * The path or URL openRootFile was given, as a string: a `URL` object is taken as its `href`;
 * anything else than a non-empty string is a TypeError (a number failed with
 * "pathOrUrl.startsWith is not a function", "" with ": no such file"), and so is a URL of a
 * scheme rootio cannot read (`ftp://…` was looked for as a local file and "no such file"), and a
 * `file:` URL that names no local path (file-url.ts).
 */
export function checkLocation(where: unknown): string {
  if (where instanceof URL) return checkCredentials(where.href);
  if (typeof where !== 'string' || where === '') {
    throw new TypeError(`openRootFile: the file must be a path, a file: URL or an http(s) URL (a string or a URL), got ${where === '' ? 'an empty string' : showArg(where)}`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(where)?.[1]?.toLowerCase();
  if (scheme !== undefined && !['file', 'http', 'https'].includes(scheme)) {
    throw new TypeError(`openRootFile(${where}): a ${scheme}: URL cannot be read; give a path, a file: URL or an http(s) URL`);
  }
  // Here, before the open: inside it a bad file: URL was reported as damaged metadata.
  if (isFileUrl(where)) fileUrlPath(where, `openRootFile(${where})`);
  return checkCredentials(where);
}

/**
 * An http(s) URL carrying a user name or password is refused at once, the password not repeated:
 * fetch cannot send them (it refuses such a URL), so every attempt failed alike, was retried as
 * if transient, and the final error printed the password for the logs to keep.
 */
function checkCredentials(where: string): string {
  if (!/^https?:\/\//i.test(where)) return where;
  let url: URL;
  try {
    url = new URL(where);
  } catch {
    return where;
  }
  if (url.username === '' && url.password === '') return where;
  if (url.password !== '') url.password = '***';
  throw new TypeError(`openRootFile(${url.href}): a URL with a user name or password cannot be read (fetch does not send them); ` +
    "give them as a header instead: { http: { headers: { Authorization: 'Basic ' + btoa('user:password') } } }");
}

/** The members of a column that is an object: jagged, fixed-size or nested (types.ts). */
const COLUMN_MEMBERS = ['offsets', 'values', 'keys', 'innerShape'];

/**
 * Whether `into` is one column of a read (`{offsets, values}`, `{values, innerShape}`, a map's
 * `{offsets, keys, values}`) rather than a read's columns, when none of the `names` read is a
 * key of it (a tree may name its branches `offsets` and `values`).
 */
function isOneColumn(into: object, names: readonly string[]): boolean {
  const o = into as Record<string, unknown>;
  if (!('values' in o) || !(o.offsets instanceof Int32Array || Array.isArray(o.innerShape))) return false;
  return Object.keys(o).every((k) => COLUMN_MEMBERS.includes(k)) && !names.some((n) => n in o);
}

/**
 * Throws a TypeError unless `into` (arrays()) is an earlier read's columns (an object of column
 * name to column; null or undefined: none), and `reuse` (iterate()) a boolean. Any other `into`
 * was quietly ignored (a column given instead of the read's object, `into: a.lep_n`, reused
 * nothing), and a string's letters were taken for columns. A jagged column given as `into`
 * (`into: a.lep_pt`) had its offsets and values taken for two columns' memory: the read wrote
 * into offsets that the other columns of its collection, kept by the caller, still share.
 */
export function checkReadValues(where: string, opts: { into?: unknown; reuse?: unknown }, names: readonly string[] = []): void {
  const into = opts.into;
  if (into !== undefined && into !== null && (typeof into !== 'object' || Array.isArray(into) || ArrayBuffer.isView(into) || isOneColumn(into, names))) {
    const notOne = '(give the whole result of the earlier read, not one of its columns)';
    const what = ArrayBuffer.isView(into) ? `a ${into.constructor.name} ${notOne}`
      : typeof into === 'object' && !Array.isArray(into) ? `one column, {${Object.keys(into).join(', ')}} ${notOne}` : showArg(into);
    throw new TypeError(`${where}: into must be the columns of an earlier read (the object arrays() returned), got ${what}`);
  }
  if (opts.reuse !== undefined && typeof opts.reuse !== 'boolean') throw new TypeError(`${where}: reuse must be true or false, got ${showArg(opts.reuse)}`);
}

/** decompressThreads allowed on any machine, however few its cores. */
const MIN_THREAD_CAP = 64;

/**
 * The most decompressThreads taken: 64, or the machine's cores where it has more (so both
 * `availableParallelism()` and 64 are valid everywhere). Unbounded, a mistyped 400 started 399
 * worker threads on a 2-core machine: a read of 4,000 baskets took 143 s and 5.6 GB of RSS, where
 * 1 thread takes 0.1 s and 100 MB; 10^6 would have tried to start 999,999.
 */
function maxDecompressThreads(): number {
  return Math.max(MIN_THREAD_CAP, availableParallelism());
}

/** Largest delay Node's timers take (2^31 − 1 ms); a larger one fires at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Throws unless the values of openRootFile's options are usable, naming the call, the option
 * and the value. Unchecked, `http: { retries: 0 }` made no attempt and failed with an empty
 * reason ("url:  (after 0 attempts)"), `http: { timeoutMs: -1 }` failed every attempt inside
 * fetch, and a bigint or string timeout broke the open with an unrelated message.
 */
export function checkOpenValues(where: string, opts: OpenOptions): void {
  const check = (name: string, v: unknown, ok: (n: number) => boolean, what: string): void => {
    if (v !== undefined && !(typeof v === 'number' && ok(v))) throw new RangeError(`${where}: ${name} must be ${what}, got ${showArg(v)}`);
  };
  const positiveDelay = (n: number) => n > 0 && n <= MAX_DELAY_MS;
  const most = maxDecompressThreads();
  check('decompressThreads', opts.decompressThreads, (n) => Number.isInteger(n) && n >= 1 && n <= most,
    `a positive integer ≤ ${most} (the larger of ${MIN_THREAD_CAP} and this machine's ${availableParallelism()} cores: each thread holds ~12 MB, and threads beyond the cores only take turns)`);
  check('metadataTimeoutMs', opts.metadataTimeoutMs, positiveDelay, `a number of ms > 0 and ≤ ${MAX_DELAY_MS}`);
  const http = opts.http;
  if (http === undefined) return;
  check('http.retries', http.retries, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1 (the attempts per request, the first included)');
  check('http.backoffMs', http.backoffMs, (n) => n >= 0 && n <= MAX_DELAY_MS, `a number of ms ≥ 0 and ≤ ${MAX_DELAY_MS}`);
  check('http.coalesceGap', http.coalesceGap, (n) => Number.isSafeInteger(n) && n >= 0, 'an integer number of bytes ≥ 0');
  check('http.timeoutMs', http.timeoutMs, positiveDelay, `a number of ms > 0 and ≤ ${MAX_DELAY_MS}`);
  checkHeaders(where, http.headers);
}

/** An HTTP token (RFC 9110 §5.6.2): the characters a header name is made of. */
const HEADER_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** What a header value cannot carry: NUL, CR, LF, and characters fetch cannot send as bytes (beyond latin-1). */
const BAD_VALUE = /[\0\r\n]|[^\x00-\xff]/;

/**
 * Throws a TypeError unless `headers` (`http.headers`) is an object of header names to values
 * fetch can send, naming the header and what is wrong, never the value itself: headers carry
 * credentials (`Authorization`), and a name given as `'Authorization: Bearer …'` is shown only up
 * to its first bad character. fetch refused such a header on every attempt, each retried as if
 * the network had failed, and its message quoted the value.
 */
export function checkHeaders(where: string, headers: unknown): void {
  if (headers === undefined) return;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new TypeError(`${where}: http.headers must be an object of header names to strings, got ${kindOf(headers)}`);
  }
  for (const [name, value] of Object.entries(headers)) {
    const badName = HEADER_NAME.exec(name);
    if (name === '' || badName) {
      const shown = badName ? `${JSON.stringify(name.slice(0, badName.index))} then ${charName(badName[0])} (character ${badName.index + 1} of ${name.length}; the rest not shown)` : 'an empty string';
      throw new TypeError(`${where}: http.headers has an invalid header name: ${shown}; a name is letters, digits and !#$%&'*+-.^_\`|~ only (give a value as the name's value, not in the name)`);
    }
    const at = `${where}: http.headers[${JSON.stringify(name)}]`;
    if (name.toLowerCase() === 'range') throw new TypeError(`${at}: rootio sets each request's Range itself; remove this header`);
    if (typeof value !== 'string') throw new TypeError(`${at} must be a string, got ${kindOf(value)}`);
    const bad = BAD_VALUE.exec(value);
    if (bad) throw new TypeError(`${at}: the value has ${charName(bad[0])} at character ${bad.index + 1} of ${value.length}, which a header cannot carry (the value is not shown)`);
  }
}

/** A value's kind, never the value (it may be a credential): `a string`, `a number`, `null`, `an array`. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/** A character as an error names it: `a line feed (U+000A)`, `":" (U+003A)`. */
function charName(c: string): string {
  const code = c.codePointAt(0)!;
  const u = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const names: Record<string, string> = { '\n': 'a line feed', '\r': 'a carriage return', '\0': 'a NUL', ' ': 'a space', '\t': 'a tab' };
  return names[c] ? `${names[c]} (${u})` : code < 0x20 || (code >= 0x7f && code < 0xa0) ? u : `${JSON.stringify(c)} (${u})`;
}

/**
 * The known option nearest `key`, ignoring case, within 2 edits (3 for names of 5 letters or
 * more: `retry` → `retries`). The nearest, not the first within reach: `entrystop` was offered
 * `entryStart` (3 edits, listed first) rather than `entryStop`.
 */
function nearestOption(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const max = Math.min(k.length, key.length) >= 5 ? 3 : 2;
    const d = editDistance(k.toLowerCase(), key.toLowerCase(), max);
    if (d <= max && d < bestD) [best, bestD] = [k, d];
  }
  return best;
}
