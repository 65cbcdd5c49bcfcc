import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAX_KEY_LENGTH, MAX_NAME_TEXT, MAX_TIMEOUT_MS, type FnRef } from '@gluon/protocol';
import { checkOptionKeys } from '@gluon/protocol';
import { tsSibling } from './ts-sibling.js';

/** Per-call options of a remote function. */
export interface TaskOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Re-runs allowed after the task throws (or times out). Default 0. */
  retries?: number;
  /**
   * Milliseconds a run may take on a worker: then its thread is stopped and the run fails with
   * `TaskTimeoutError` (kind `exception`, retried while `retries` allow). Default: no limit.
   */
  timeoutMs?: number;
  /** An explicit key instead of the content hash. */
  key?: string;
  /** Replaces the export name as the key's group (`<group>-<hash>`), for the dashboard and stats. */
  group?: string;
  /** `false` gives each call a fresh key even with equal arguments (for impure tasks). Default true. */
  pure?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * A function that runs on workers, named by module and export. Its type parameter carries the
 * real function's signature so `submit` and `gather` are typed.
 */
export interface RemoteFunction<F extends AnyFn = AnyFn> {
  readonly fn: FnRef;
  readonly options: TaskOptions;
  /** The same function with other task options, e.g. `inc.with({ retries: 2 })`. */
  with(options: TaskOptions): RemoteFunction<F>;
  /** Phantom: the wrapped signature. */
  readonly __signature?: F;
}

/**
 * Names task code: a module specifier the workers can import, and one of its exports.
 * `remote<typeof import('./tasks.js').inc>('@me/tasks', 'inc')`.
 */
export function remote<F extends AnyFn = AnyFn>(module: string | URL, exportName: string, options: TaskOptions = {}): RemoteFunction<F> {
  const spec = moduleSpec(module, 'remote()');
  if (typeof exportName !== 'string' || exportName === '') throw new TypeError(`remote(): the export name for ${spec} must be a non-empty string`);
  // It is the task's group unless one is given, shown on the dashboard (protocol MAX_NAME_TEXT).
  if (exportName.length > MAX_NAME_TEXT) throw new RangeError(`remote(): the export name for ${spec} must have at most ${MAX_NAME_TEXT} characters (the dashboard shows it as the tasks' group), got ${quoted(exportName)}`);
  checkTaskOptions(options, `${spec}#${exportName}`);
  const fn: FnRef = { module: sourceFor(spec), export: exportName };
  return { fn, options, with: (more) => remote<F>(spec, exportName, { ...options, ...more }) };
}

/**
 * A task module's specifier from what `where` (`remote()`, `remoteFrom()`) was given: a non-empty
 * string or URL that a worker can import, i.e. not relative.
 */
function moduleSpec(module: unknown, where: string): string {
  const spec = module instanceof URL ? module.href : module;
  if (typeof spec !== 'string' || spec === '') throw new TypeError(`${where}: the module specifier must be a non-empty string or URL`);
  if (spec.startsWith('.')) {
    // Both module systems' spellings: import.meta.url is a syntax error in a CommonJS script
    // (found by the new-user trial, whose .cjs script was told to use it).
    throw new TypeError(`${where}: "${spec}" is relative; workers cannot know what it is relative to. Use a package name, or new URL('${spec}', import.meta.url) in an ES module (in CommonJS: pathToFileURL(require.resolve('${spec}')), with pathToFileURL from node:url)`);
  }
  return spec;
}

/** Each task option: what a valid value is, as the scheduler's `update-graph` schema has it. */
const OPTION_RULES: { [K in keyof Required<TaskOptions>]: [ok: (v: unknown) => boolean, what: string] } = {
  priority: [(v) => typeof v === 'number' && Number.isFinite(v), 'a finite number'],
  retries: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer ≥ 0'],
  timeoutMs: [(v) => typeof v === 'number' && v >= 1 && v <= MAX_TIMEOUT_MS, `a number of milliseconds in [1, ${MAX_TIMEOUT_MS}]`],
  key: [(v) => typeof v === 'string' && v !== '' && v.length <= MAX_KEY_LENGTH, `a non-empty string of at most ${MAX_KEY_LENGTH} characters (the protocol's bound on a task key)`],
  group: [(v) => typeof v === 'string' && v !== '' && v.length <= MAX_NAME_TEXT, `a non-empty string of at most ${MAX_NAME_TEXT} characters (the dashboard shows it)`],
  pure: [(v) => typeof v === 'boolean', 'true or false'],
};

/**
 * Refuses a bad task option where it is given (`remote()`, `with()`): sent as is, the scheduler
 * would close the connection over it (a protocol error), and the reconnect re-sends it.
 */
function checkTaskOptions(options: TaskOptions, fn: string, where = 'remote()'): void {
  checkOptionKeys(options, OPTION_RULES, `${where} for ${fn}`, 'task option');
  for (const [name, v] of Object.entries(options)) {
    const rule = OPTION_RULES[name as keyof TaskOptions]!;
    if (v !== undefined && !rule[0](v)) throw new RangeError(`${where}: ${name} of ${fn} must be ${rule[1]}, got ${typeof v === 'string' ? quoted(v) : String(v)}`);
  }
}

/** A string as an error quotes it: a value of any length is cut to its start and its length. */
function quoted(v: string): string {
  return v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}… (${v.length} characters)` : JSON.stringify(v);
}

/** Throws unless `fn` is a remote function: `where` (`submit()`) names the call. */
export function assertRemote(fn: unknown, where: string): asserts fn is RemoteFunction {
  if (isRemoteFunction(fn)) return;
  const got = typeof fn === 'string' ? `the string ${JSON.stringify(fn)}` : typeof fn === 'function' ? `a plain function${fn.name ? ` (${fn.name})` : ''}` : fn === null ? 'null' : typeof fn;
  throw new TypeError(`${where}: the task function must be a remote function (remote(module, name) or remoteFrom(module)), got ${got}; plain functions do not travel`);
}

/** Remote functions for every export of a module, typed by the module's type. */
export type RemoteModule<M> = { [K in keyof M as M[K] extends AnyFn ? K : never]: M[K] extends AnyFn ? RemoteFunction<M[K]> : never };

/**
 * All exports of a module as remote functions:
 * `const { inc, add } = remoteFrom<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url))`.
 */
export function remoteFrom<M>(module: string | URL, options: TaskOptions = {}): RemoteModule<M> {
  // Checked here, not at the first destructured name: remoteFrom('./tasks.mjs') used to return,
  // and the error came later, as remote()'s.
  const spec = moduleSpec(module, 'remoteFrom()');
  checkTaskOptions(options, spec, 'remoteFrom()');
  const cache = new Map<string, RemoteFunction>();
  return new Proxy({} as RemoteModule<M>, {
    get(_t, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      let f = cache.get(name);
      if (!f) cache.set(name, (f = remote(spec, name, options)));
      return f;
    },
  });
}

/**
 * Under tsx a script's sibling `./tasks.js` exists only as `tasks.ts`: name the file that is
 * really there, so workers (which load TypeScript through tsx) import the same code.
 */
function sourceFor(spec: string): string {
  if (!spec.startsWith('file:') || !/\.(m|c)?js$/.test(spec)) return spec;
  try {
    const ts = tsSibling(fileURLToPath(spec));
    return ts === null ? spec : pathToFileURL(ts).href;
  } catch {
    return spec;
  }
}

export function isRemoteFunction(x: unknown): x is RemoteFunction {
  return !!x && typeof x === 'object' && 'fn' in x && typeof (x as RemoteFunction).with === 'function';
}
