/**
 * Unknown keys in an options object (`LocalCluster.start({ nWorker: 2 })`), refused where they are
 * given: JavaScript callers and `as` casts get no type check, and a misspelt key would otherwise be
 * ignored silently while its default applies. One helper for every option object of the client, the deploy launchers and the CLIs.
 */

/**
 * Every key of an options type, as an object the compiler checks (`{ nWorkers: true, … }`, or a
 * table of per-key rules): leaving a key out or adding one the type does not have is a type
 * error, so the runtime list cannot drift from the type.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: unknown };

/**
 * Throws a TypeError when `opts` is not an object or has a key `known` lacks, naming `where`
 * (the call, e.g. `LocalCluster.start`), the key, the nearest known key when one is close (a
 * misspelling), and every known key. `undefined` (options left out) passes.
 */
export function checkOptionKeys<T>(opts: T | undefined, known: OptionKeys<T>, where: string, kind = 'option'): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${where}: the ${kind}s must be an object, got ${Array.isArray(opts) ? 'an array' : String(opts)}`);
  }
  const names = Object.keys(known);
  for (const key of Object.keys(opts)) {
    if (Object.hasOwn(known, key)) continue;
    const near = nearest(key, names);
    throw new TypeError(`${where}: unknown ${kind} "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the ${kind}s are ${names.join(', ')}`);
  }
}

/**
 * How a config file's unknown key is said: `unknown key "host" (did you mean "hosts"? known keys:
 * …)`, the likely key first (the analyses' config.yaml has some 45 keys, so the list alone left
 * the reader to find it), as a flag or an option key is refused.
 */
export function unknownKey(key: string, names: readonly string[]): string {
  const near = nearest(key, names);
  return `unknown key "${key}" (${near ? `did you mean "${near}"? ` : ''}known keys: ${names.join(', ')})`;
}

/**
 * The name closest to `key`, ignoring case, when it is a likely misspelling: at most 2 edits
 * away, 3 for names of 5 letters or more (`retry` → `retries`). Failing that, a name with a word
 * added or left off: the longest known name (4 letters or more) that `key` starts with
 * (`dashboardPort` → `dashboard`, which takes the port in LocalCluster.start), or the only one
 * that starts with `key` (`memory` → `memoryLimit`). Undefined otherwise. The one rule for every
 * option object and CLI flag of the packages above rootio (rootio depends on no Gluon package
 * and keeps its own rule for names in files: near-names.ts).
 */
export function nearest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const k = key.toLowerCase();
  for (const n of names) {
    const d = distance(k, n.toLowerCase());
    if (d <= (Math.min(k.length, n.length) >= 5 ? 3 : 2) && d < bestD) { best = n; bestD = d; }
  }
  if (best !== undefined) return best;
  const within = names.filter((n) => n.length >= 4 && k.startsWith(n.toLowerCase()));
  if (within.length) return within.reduce((a, b) => (b.length > a.length ? b : a));
  const around = k.length >= 4 ? names.filter((n) => n.toLowerCase().startsWith(k)) : [];
  return around.length === 1 ? around[0] : undefined;
}

/** Levenshtein distance, one row at a time (option names are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
