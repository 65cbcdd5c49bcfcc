/**
 * Checks of LocalCluster.start()'s option values that would otherwise fail late and unclearly: a
 * `cwd` that is not a directory made every spawn fail (node reports it as `spawn node ENOENT`,
 * which names the wrong thing) and start() waited out its whole timeout; a negative `timeoutMs`
 * or a `dashboard` that is neither a boolean nor a port were taken as something else. Values the
 * processes take as CLI flags (`maxFrameBytes: '1KB'`) are checked here with the CLIs' own ranges,
 * so the error names the option, not `gluon-worker: --max-frame-bytes` in a child's stderr; an
 * `allowModules` or `env` of the wrong shape was spread character by character.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entryPath, isPathEntry, isRelativeEntry } from '@gluon/worker/allow';
import {
  ALLOWED_FAILURES_FLAG, checkTokenOption, HEARTBEAT_TTL_FLAG, LIMIT_FLAGS, MEMORY_LIMIT_FLAG, checkTlsOptionKeys, unauthenticatedFlag, type Flag, type TlsFiles,
} from '@gluon/protocol/tools';
import type { LocalClusterOptions } from './local-cluster.js';
import { tsSibling } from './ts-sibling.js';

/** The options whose values are CLI flag values, with the flag that checks them, and whether a number is taken as well as a string. */
const FLAG_OPTIONS: [keyof LocalClusterOptions, Flag<unknown>, string, boolean][] = [
  ['maxFrameBytes', LIMIT_FLAGS['max-frame-bytes'], "a size like '1MiB' or a number of bytes", true],
  ['maxMessageBytes', LIMIT_FLAGS['max-message-bytes'], "a size like '8MiB' or a number of bytes", true],
  ['memoryLimit', MEMORY_LIMIT_FLAG['memory-limit'], "a size like '4GiB'", false],
  ['heartbeatTtl', HEARTBEAT_TTL_FLAG['heartbeat-ttl'], "a duration like '30s'", false],
  ['allowedFailures', ALLOWED_FAILURES_FLAG['allowed-failures'], 'an integer', true],
  ['maxUnauthenticatedConnections', unauthenticatedFlag('')['max-unauthenticated-connections'], 'a whole number from 1', true],
];

/** Throws a RangeError (TypeError for a value of the wrong type) naming the option and its value when one is unusable. */
export function checkLocalClusterValues(opts: LocalClusterOptions): void {
  for (const name of ['nWorkers', 'nthreads'] as const) {
    const v = opts[name];
    const lo = name === 'nWorkers' ? 0 : 1;
    if (v !== undefined && !(Number.isInteger(v) && v >= lo)) throw new RangeError(`LocalCluster: ${name} must be an integer ≥ ${lo}, got ${show(v)}`);
  }
  checkTokenOption(opts.token, 'LocalCluster.start');
  const t = opts.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t > 0)) {
    throw new RangeError(`LocalCluster: timeoutMs must be a number of milliseconds > 0, got ${String(t)}`);
  }
  const d = opts.dashboard;
  if (d !== undefined && typeof d !== 'boolean' && !(Number.isInteger(d) && d >= 0 && d <= 65535)) {
    throw new RangeError(`LocalCluster: dashboard must be true, false or a port number from 0 to 65535, got ${JSON.stringify(d)}`);
  }
  // Its fields are checked by the scheduler, whose environment fills them (its error names them).
  const link = opts.dashboardLink;
  if (link !== undefined && typeof link !== 'string') throw new TypeError(`LocalCluster: dashboardLink must be a URL template ('https://gluon.example.org/{host}/{port}/'), got ${show(link)}`);
  // Dropped unsaid before: the link clients were meant to be given, with no dashboard behind it.
  if (link !== undefined && d === false) throw new RangeError('LocalCluster: dashboardLink with dashboard: false (no dashboard is served, so there is nothing to link to): leave one of them out');
  for (const [name, flag, like, numberOk] of FLAG_OPTIONS) {
    const v = opts[name];
    if (v === undefined) continue;
    if (!(typeof v === 'string' || (numberOk && typeof v === 'number'))) throw new TypeError(`LocalCluster: ${name} must be ${like}, got ${show(v)}`);
    flag.parse(String(v), `LocalCluster: ${name}`);
  }
  const mods = opts.allowModules;
  if (mods !== undefined && !Array.isArray(mods)) {
    throw new TypeError(`LocalCluster: allowModules must be an array of module specifiers (['@me/tasks']), got ${show(mods)}`);
  }
  // Element by element: JSON showed a URL object as its string, so a refused [new URL(…)] read
  // 'must be an array of module specifiers, got ["file:///…/tasks.js"]'.
  const bad = mods?.findIndex((m) => typeof m !== 'string' && !(m instanceof URL)) ?? -1;
  if (bad >= 0) {
    throw new TypeError(`LocalCluster: allowModules[${bad}] must be a module specifier (a string, or a file URL as remote() takes), got ${describeValue(mods![bad])}`);
  }
  const env = opts.env;
  if (env !== undefined && !(env !== null && typeof env === 'object' && !Array.isArray(env) && Object.values(env).every((x) => typeof x === 'string'))) {
    throw new TypeError(`LocalCluster: env must be an object of strings ({ NAME: 'value' }), got ${show(env)}`);
  }
  if (opts.tls !== undefined && typeof opts.tls !== 'boolean') {
    checkTlsOptionKeys(opts.tls, 'LocalCluster.start: tls', 'listener');
    // Every process serves wss:// with these files (the worker refuses to start without them), and
    // a listener requiring client certificates needs the CA that signs them.
    const missing = (['cert', 'key', ...(opts.tls.requireClientCert ? ['ca'] as const : [])] as const).filter((k) => !(opts.tls as Record<string, unknown>)[k]);
    if (missing.length) {
      throw new TypeError(`LocalCluster: tls needs cert and key${opts.tls.requireClientCert ? ', and ca with requireClientCert' : ''} (file paths, used by every process); ${missing.join(' and ')} missing (tls: true makes a temporary CA)`);
    }
    // Whether each file can be read is tlsFilePaths' (start() calls it), with where it looked.
  }
  if (opts.cwd !== undefined) {
    let why: string | undefined;
    try {
      if (!statSync(opts.cwd).isDirectory()) why = 'it is not a directory';
    } catch (e) {
      why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message;
    }
    if (why) throw new RangeError(`LocalCluster: cwd ${opts.cwd} cannot be the processes' working directory: ${why}`);
  }
}

/** How {@link allowModulePaths}' errors name an entry (by its index) and the directory a relative entry is taken from. */
export interface AllowModuleNames {
  entry: (i: number) => string;
  base: string;
}

const LOCAL_CLUSTER_NAMES: AllowModuleNames = { entry: (i) => `LocalCluster: allowModules[${i}]`, base: 'this script\'s working directory' };

/**
 * The `allowModules` entries as the workers get them: a path relative to the script's working
 * directory (`./tasks`, `../lib`, `.`), where the script's other paths are taken from too, made
 * absolute. The workers took it from their own working directory (the `cwd` option when given),
 * so the same entry named another place than the script's `fs` calls did, and one that named
 * nothing was a warning in a worker's hidden stderr and tasks refused a minute later. A path
 * entry (relative, absolute or a `file:` URL) that names nothing on this machine is refused,
 * naming the absolute path looked at. Package names are left to the workers' lookup from `cwd`.
 * `gluon-cluster --allow-module` takes its entries by the same rule (`names` says how its errors
 * name them): its jobs' workers may start in another directory.
 */
export function allowModulePaths(mods: readonly string[], base = process.cwd(), names: AllowModuleNames = LOCAL_CLUSTER_NAMES): string[] {
  return mods.map((m, i) => {
    // The workers' own reading of an entry (allow.ts), so both take the same entries for paths.
    if (!isPathEntry(m)) return m;
    const abs = entryPath(m, base);
    if (abs === null) throw new RangeError(`${names.entry(i)} ${JSON.stringify(m)} is not a valid file URL`);
    const relative = isRelativeEntry(m);
    // remote() names tsx's `tasks.ts` for a `./tasks.js` that is not there: allow that same file.
    const ts = tsSibling(abs);
    if (ts !== null) return m.startsWith('file:') ? pathToFileURL(ts).href : ts;
    if (!existsSync(abs)) {
      throw new RangeError(`${names.entry(i)} ${JSON.stringify(m)}: no such file or directory: ${abs}`
        + (relative ? ` (a relative entry is taken from ${names.base}, ${base})` : ''));
    }
    return relative ? abs : m;
  });
}

/**
 * The `tls` files as every process and client of the cluster gets them: a relative path taken
 * from the script's working directory (`process.cwd()`), as `allowModules` entries are and as the
 * script's own `fs` calls take it, whatever `cwd` is, made absolute. A relative path used to be
 * checked from the script's directory and then read from `cwd` by the processes, which named
 * another file there or none (the scheduler's `--tls-cert …: cannot read it` in its stderr). A file
 * this process cannot read is refused, naming the absolute path looked at (the scheduler would fail
 * on it naming its flag).
 */
export function tlsFilePaths(tls: TlsFiles, base = process.cwd()): TlsFiles {
  const out: TlsFiles = { ...tls };
  for (const k of ['cert', 'key', 'ca'] as const) {
    const file = tls[k];
    if (file === undefined) continue;
    if (typeof file !== 'string') throw new TypeError(`LocalCluster: tls.${k} must be a file path, got ${show(file)}`);
    const abs = resolve(base, file);
    try {
      accessSync(abs, constants.R_OK);
      if (statSync(abs).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message;
      throw new RangeError(isAbsolute(file) ? `LocalCluster: tls.${k} ${file} cannot be read: ${why}`
        : `LocalCluster: tls.${k} ${JSON.stringify(file)} cannot be read: ${why}: ${abs} (a relative path is taken from this script's working directory, ${base})`);
    }
    out[k] = abs;
  }
  return out;
}

/** What a value is, for an element that is not a specifier: `the number 5`, `an object {"a":1}`. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `${Array.isArray(v) ? 'an array' : `an object${v.constructor && v.constructor !== Object ? ` (${v.constructor.name})` : ''}`} ${JSON.stringify(v) ?? ''}`.trimEnd();
  return `the ${typeof v} ${show(v)}`;
}

/** A value as given: strings quoted (`"2"`), numbers as such. */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}

/** The CLI flags LocalCluster passes from its options (the port is its own choice). */
const FLAG_OF_OPTION: Record<string, string> = {
  '--dashboard-port': 'dashboard', '--no-dashboard': 'dashboard', '--host': 'host', '--memory-limit': 'memoryLimit',
  '--max-frame-bytes': 'maxFrameBytes', '--max-message-bytes': 'maxMessageBytes', '--heartbeat-ttl': 'heartbeatTtl',
  '--allowed-failures': 'allowedFailures', '--allow-module': 'allowModules', '--tls-cert': 'tls.cert', '--tls-key': 'tls.key',
  '--tls-ca': 'tls.ca', '--require-client-cert': 'tls.requireClientCert',
};

/**
 * For a process's start-up error that names CLI flags (`dashboard cannot listen on …:8817 …
 * (pick another --dashboard-port …)`): which LocalCluster option each one comes from, since its
 * user set no flag (`the flags LocalCluster sets from its options: --dashboard-port and
 * --no-dashboard from dashboard`); '' when it names none.
 */
export function optionsOfFlags(text: string): string {
  const byOption = new Map<string, string[]>();
  for (const [f] of text.matchAll(/--[a-z][a-z-]*/g)) {
    const o = FLAG_OF_OPTION[f];
    if (o && !byOption.get(o)?.includes(f)) byOption.set(o, [...(byOption.get(o) ?? []), f]);
  }
  return byOption.size ? `\n(the flags LocalCluster sets from its options: ${[...byOption].map(([o, fs]) => `${fs.join(' and ')} from ${o}`).join('; ')})` : '';
}
