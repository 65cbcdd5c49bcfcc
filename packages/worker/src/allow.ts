import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Which task modules a worker will import. A worker that imported whatever the network names
 * would be a remote shell for anyone who can connect, so the default is narrow: packages
 * installed where the worker runs, and files under its working directory. Node's built-in
 * modules are never allowed.
 */
export interface AllowList {
  /** The worker's working directory; bare specifiers resolve from here. */
  cwd: string;
  /** Extra package names (a name allows its subpaths) and directories (by path prefix). */
  extra: string[];
}

/** The outcome of checking a specifier: the URL to import, or why not. */
export type AllowDecision = { ok: true; url: string } | { ok: false; reason: string };

const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '').split('/')[0]!));

export function checkModule(spec: string, allow: AllowList): AllowDecision {
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) {
    return { ok: false, reason: 'Node built-in modules are never allowed as task code' };
  }
  if (spec.startsWith('data:') || spec.startsWith('http:') || spec.startsWith('https:')) {
    return { ok: false, reason: 'only packages and local files can be task code' };
  }
  if (spec.startsWith('file:') || isAbsolute(spec)) {
    let path: string;
    try {
      path = spec.startsWith('file:') ? fileURLToPath(spec) : spec;
    } catch {
      return { ok: false, reason: 'not a valid file URL' };
    }
    const real = realOrSelf(path);
    const dirs = [allow.cwd, ...allow.extra.filter((e) => e.startsWith('/') || e.startsWith('file:')).map(toPath)];
    if (dirs.some((d) => within(real, realOrSelf(d)) || within(path, d))) {
      if (!existsSync(path)) return { ok: false, reason: `file ${path} does not exist on this worker` };
      return { ok: true, url: pathToFileURL(path).href };
    }
    return { ok: false, reason: `file ${path} is outside the worker's directory ${allow.cwd} and every --allow-module directory` };
  }
  if (spec.startsWith('.')) {
    return { ok: false, reason: 'relative specifiers mean nothing on a worker; name a package or a file URL' };
  }
  const { name, subpath } = splitPackage(spec);
  const resolved = resolvePackage(name, subpath, allow.cwd);
  const listed = allow.extra.some((e) => e === name || e === spec || (spec.startsWith(e) && spec[e.length] === '/'));
  if (resolved) return { ok: true, url: resolved };
  if (listed) return { ok: true, url: spec };
  return { ok: false, reason: `package ${name} is not installed where the worker runs (${allow.cwd}); install it there or pass --allow-module ${name}` };
}

function toPath(e: string): string {
  return e.startsWith('file:') ? fileURLToPath(e) : e;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function within(path: string, dir: string): boolean {
  const d = dir.endsWith(sep) ? dir : dir + sep;
  return path === dir || path.startsWith(d);
}

function splitPackage(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, n).join('/'), subpath: parts.length > n ? `./${parts.slice(n).join('/')}` : '.' };
}

/**
 * Resolves `name` + `subpath` the way Node's ESM loader would from `cwd`: the nearest
 * node_modules/<name> (or the enclosing package itself), then its `exports` with the
 * import/node/default conditions, else `main`. Returns a file URL, or null when not found.
 */
function resolvePackage(name: string, subpath: string, cwd: string): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const pkgDir of [join(dir, 'node_modules', name), dir]) {
      const pj = join(pkgDir, 'package.json');
      if (!existsSync(pj)) continue;
      let pkg: { name?: string; exports?: unknown; main?: string };
      try {
        pkg = JSON.parse(readFileSync(pj, 'utf8'));
      } catch {
        continue;
      }
      if (pkgDir === dir && pkg.name !== name) continue;
      const target = exportTarget(pkg, subpath);
      if (!target) return null;
      const file = join(pkgDir, target);
      return existsSync(file) ? pathToFileURL(file).href : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

function exportTarget(pkg: { exports?: unknown; main?: string }, subpath: string): string | null {
  const ex = pkg.exports;
  if (ex === undefined) {
    if (subpath === '.') return pkg.main ?? 'index.js';
    return subpath;
  }
  if (typeof ex === 'string' || Array.isArray(ex)) return subpath === '.' ? pickCondition(ex) : null;
  const map = ex as Record<string, unknown>;
  const keys = Object.keys(map);
  if (keys.length && !keys[0]!.startsWith('.')) return subpath === '.' ? pickCondition(map) : null;
  if (subpath in map) return pickCondition(map[subpath]);
  for (const k of keys) {
    const star = k.indexOf('*');
    if (star < 0) continue;
    const pre = k.slice(0, star);
    const post = k.slice(star + 1);
    if (subpath.startsWith(pre) && subpath.endsWith(post)) {
      const t = pickCondition(map[k]);
      return t ? t.replace('*', subpath.slice(pre.length, subpath.length - post.length)) : null;
    }
  }
  return null;
}

function pickCondition(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const t = pickCondition(x);
      if (t) return t;
    }
    return null;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const c of ['import', 'node', 'default']) if (c in o) return pickCondition(o[c]);
  }
  return null;
}
