import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Which task modules a worker will import. Whoever can submit a task names its module, so a
 * worker that imported whatever the network names would be a remote shell (`cross-spawn`'s
 * `sync` is an export like any other). Nothing is allowed by default: a module runs only when
 * it was listed with `--allow-module`, or when its package declares it as a task module
 * (`"gluon": {"tasks": ["./tasks"]}` in its package.json). Every specifier is resolved to a real
 * file first (symlinks followed, `..` gone) and that file is what is checked and imported, so no
 * spelling of a path walks around the list. Node's built-in modules are never allowed.
 */
export interface AllowList {
  /** The worker's working directory; bare specifiers resolve from here. */
  cwd: string;
  /**
   * `--allow-module` entries: package names (a name allows its subpaths, `@acme/tasks/x` but not
   * `@acme/tasks-evil`) and files or directories (every file under them): absolute paths, `file:`
   * URLs, or paths relative to `cwd` (`./tasks.mjs`, `../lib`).
   */
  extra: string[];
}

/**
 * The outcome of checking a specifier: the URL to import (a real file), or why not. `missing`:
 * the refusal rests on something absent from this machine that it was told to expect (a listed
 * package, an allowed path or a file under one), which may still be deployed: worth waiting for.
 * `uninstalled`: a package it was not told of is not installed here; installing it (one that
 * declares the module) lifts the refusal, but nothing says it is coming: re-checked, not waited for.
 */
export type AllowDecision = { ok: true; url: string } | { ok: false; reason: string; missing?: true; uninstalled?: true };

const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '').split('/')[0]!));

/** Where `@gluon/worker` is installed: listed packages not found from the cwd resolve from here. */
const SELF_DIR = dirname(fileURLToPath(import.meta.url));

// Where the list is given: the flag, and the option of LocalCluster (whose users never type the flag).
const HOW = 'list it with --allow-module (LocalCluster: allowModules), or declare it in its package.json as "gluon": {"tasks": ["./subpath"]}';

/** Decides whether `spec` may be imported as task code on this worker, and from which file. */
export function checkModule(spec: string, allow: AllowList): AllowDecision {
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) {
    return { ok: false, reason: 'Node built-in modules are never allowed as task code' };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !spec.startsWith('file:')) {
    return { ok: false, reason: 'only packages and local files can be task code' };
  }
  if (spec.startsWith('.')) {
    return { ok: false, reason: 'relative specifiers mean nothing on a worker; name a package or a file URL' };
  }
  const entries = allow.extra.filter(isPathEntry).map((e) => entryPath(e, allow.cwd)).filter((d): d is string => d !== null);
  const dirs = entries.map(realOrNull).filter((d): d is string => d !== null);
  if (spec.startsWith('file:') || isAbsolute(spec)) return checkFile(spec, dirs, entries, allow.cwd);
  return checkPackage(spec, allow, dirs);
}

/** `entries`: the allowed paths as given (absolute), whether or not they exist; `dirs`: the real paths of those that do. */
function checkFile(spec: string, dirs: string[], entries: string[], cwd: string): AllowDecision {
  let path: string;
  try {
    path = toPath(spec);
  } catch {
    return { ok: false, reason: 'not a valid file URL' };
  }
  const real = realOrNull(path);
  if (real === null || !isFile(real)) {
    // Absent under an allowed path, it may yet be deployed there; elsewhere it would be refused anyway.
    const abs = resolve(path);
    if ([...entries, ...dirs].some((d) => within(abs, d))) return { ok: false, reason: `file ${path} does not exist on this worker`, missing: true };
    return { ok: false, reason: `file ${path} does not exist on this worker, and is not under any --allow-module directory; ${HOW}` };
  }
  const url = pathToFileURL(real).href;
  if (dirs.some((d) => ownFileOf(real, d))) return { ok: true, url };
  // A file that its own package declares as a task module is allowed under any spelling, when that
  // package is the one its name resolves to from the worker's directory (as a bare specifier would).
  const declared = declaredBy(real, cwd);
  if (declared === true) return { ok: true, url };
  const file = real === path ? path : `${path} (really ${real})`;
  const installedUnder = dirs.find((d) => within(real, d));
  if (installedUnder !== undefined) {
    return { ok: false, reason: `file ${file} is inside node_modules under the --allow-module directory ${installedUnder}: installed packages are task code only by name (--allow-module PACKAGE) or their own declaration ("gluon": {"tasks": […]}), not as files of a directory` };
  }
  if (declared) return { ok: false, reason: `file ${file} is not under any --allow-module directory; ${declared}; ${HOW}` };
  return { ok: false, reason: `file ${file} is not under any --allow-module directory and not a task module its package declares; ${HOW}` };
}

function checkPackage(spec: string, allow: AllowList, dirs: string[]): AllowDecision {
  const { name, subpath } = splitPackage(spec);
  if (!isPackageName(name)) return { ok: false, reason: `"${name}" is not a package name` };
  // Node would resolve `pkg/../../x` of a package without "exports" outside the package.
  if (subpath !== '.' && subpath.slice(2).split('/').some((s) => s === '' || s === '.' || s === '..' || /%2f|%5c|\\/i.test(s))) {
    return { ok: false, reason: `the subpath ${subpath} of ${name} has an empty, "." or ".." segment` };
  }
  // The packages installed inside a package (its node_modules) are not its files.
  if (subpath.split('/').includes('node_modules')) {
    return { ok: false, reason: `the subpath ${subpath} of ${name} is inside its node_modules: a package installed there is task code only by its own name or declaration` };
  }
  const listed = allow.extra.some((e) => e === name || e === spec || (spec.startsWith(e) && spec[e.length] === '/'));
  const pkg = findPackage(name, allow.cwd) ?? (listed ? findPackage(name, SELF_DIR) : null);
  if (!pkg) {
    // Listed, it is expected here and may yet be installed; unlisted, installing it is enough only
    // when the package declares the module, which the advice says rather than naming every way.
    const reason = `package ${name} is not installed where the worker runs (${allow.cwd})${listed ? '' : `; ${installAdvice(name, subpath)}`}${fileNamedLike(spec, allow.cwd)}`;
    return listed ? { ok: false, reason, missing: true } : { ok: false, reason, uninstalled: true };
  }
  const target = exportTarget(pkg.json, subpath);
  if (!target) return { ok: false, reason: `package ${name} does not export ${subpath}` };
  const real = realOrNull(join(pkg.dir, target));
  if (real === null || !isFile(real)) return { ok: false, reason: `${spec} resolves to ${join(pkg.dir, target)}, which does not exist on this worker`, missing: true };
  if (!within(real, pkg.dir)) return { ok: false, reason: `${spec} resolves to ${real}, outside its package ${pkg.dir}` };
  const url = pathToFileURL(real).href;
  if (listed || dirs.some((d) => ownFileOf(real, d)) || declaredTasks(pkg.json).includes(subpath)) return { ok: true, url };
  return { ok: false, reason: `${spec} is not an allowed task module (package ${name} declares ${describeTasks(pkg.json)}); ${HOW}` };
}

/** A package name (`pkg`, `@scope/pkg`): no `.` or `..` as a whole part, nothing that walks a path. */
function isPackageName(name: string): boolean {
  return /^(@[^/@\s]+\/)?[^/@\s.][^/\s]*$/.test(name);
}

/**
 * What to do about an unlisted package that is not installed where the worker runs. A package that
 * declares the module (`@gluon/analysis-h4l/tasks`) needs only installing: a new user was told to
 * list it with --allow-module or declare it, neither of which applies. The worker can see the
 * declaration only where it finds the package, beside its own install; found nowhere, the advice
 * says when the flag is needed as well.
 */
function installAdvice(name: string, subpath: string): string {
  const install = 'install the package where the worker runs (start the worker in a directory where it is installed)';
  const pkg = findPackage(name, SELF_DIR);
  if (pkg && declaredTasks(pkg.json).includes(subpath)) return `${install}; it declares ${subpath} as a task module, so nothing else is needed`;
  if (pkg) return `${install}, and, as it does not declare ${subpath} as a task module, ${HOW}`;
  return `${install}; unless its package.json declares ${subpath} as a task module ("gluon": {"tasks": ["${subpath}"]}), also list it with --allow-module (LocalCluster: allowModules)`;
}

/**
 * A bare specifier that is the name of a file where the worker runs (`remote('tasks.cjs', …)`, the
 * "./" left off) names a package all the same, as Node's import() does: says so, and how a file is
 * named. The refusal said only that package tasks.cjs is not installed, beside the very file.
 */
function fileNamedLike(spec: string, cwd: string): string {
  const file = join(cwd, spec);
  if (!isFile(file)) return '';
  return `. There is a file ${file}, but "${spec}" names a package: name a file by its path or file URL (new URL('./${spec}', import.meta.url); in CommonJS pathToFileURL(require.resolve('./${spec}')))`;
}

/** The subpaths a package.json declares as task modules (`gluon.tasks`), normalised to `./x` or `.`. */
function declaredTasks(pkg: PackageJson): string[] {
  const tasks = (pkg.gluon as { tasks?: unknown } | undefined)?.tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.filter((x): x is string => typeof x === 'string').map((x) => (x === '.' || x.startsWith('./') ? x : `./${x}`));
}

function describeTasks(pkg: PackageJson): string {
  const t = declaredTasks(pkg);
  return t.length ? `only ${t.join(', ')} as task modules` : 'no task modules';
}

/**
 * Whether the real file `real` is one of the task modules declared by the package around it, and
 * that package is installed where the worker runs: the one its `name` resolves to from `cwd`.
 * Any package.json on the machine used to count, so whoever could write a file anywhere (`/tmp`,
 * `/dev/shm`) and submit a task ran code of their own: a `package.json` declaring `./x.mjs`
 * beside an `x.mjs` that calls `child_process`. Returns true, false (not declared), or why a
 * declaration does not count.
 */
function declaredBy(real: string, cwd: string): boolean | string {
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    const json = readPackageJson(join(dir, 'package.json'));
    if (json) {
      const declared = declaredTasks(json).some((sub) => {
        const target = exportTarget(json, sub);
        return target !== null && realOrNull(join(dir, target)) === real;
      });
      if (!declared) return false;
      const where = join(dir, 'package.json');
      // The name is checked before it is looked up: findPackage joins it to a path (`../../x` walks anywhere).
      if (typeof json.name !== 'string' || !isPackageName(json.name)) return `${where} declares it, but has no valid package name, so it is not a package installed where the worker runs (${cwd})`;
      const found = findPackage(json.name, cwd);
      if (found?.dir !== realOrNull(dir)) {
        return `${where} declares it, but package ${json.name} ${found ? `resolves to ${found.dir}` : 'is not installed'} where the worker runs (${cwd})`;
      }
      return true;
    }
    if (dirname(dir) === dir) return false;
  }
}

interface PackageJson {
  name?: string;
  exports?: unknown;
  main?: string;
  gluon?: unknown;
}

function readPackageJson(path: string): PackageJson | null {
  if (!existsSync(path)) return null;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' ? (v as PackageJson) : null;
  } catch {
    return null;
  }
}

/**
 * Whether an allow-list entry names a file or directory rather than a package: an absolute path,
 * a `file:` URL, or a path relative to the worker's working directory (`.`, `./x`, `../x`; a
 * relative entry was once taken for a package name and so allowed nothing, silently).
 */
export function isPathEntry(e: string): boolean {
  return isAbsolute(e) || e.startsWith('file:') || isRelativeEntry(e);
}

/** Whether an allow-list entry is a path relative to a working directory (`.`, `..`, `./x`, `../x`). */
export function isRelativeEntry(e: string): boolean {
  return e === '.' || e === '..' || /^\.\.?[\\/]/.test(e);
}

/** The absolute path a path entry names (relative ones from `cwd`), or `null` for a malformed `file:` URL. */
export function entryPath(e: string, cwd: string): string | null {
  try {
    return resolve(cwd, toPath(e));
  } catch {
    return null;
  }
}

/**
 * The path entries of an allow-list that name nothing on this machine, each with why, for a
 * worker to refuse at start-up rather than fail every task later.
 */
export function missingAllowPaths(extra: string[], cwd: string): string[] {
  return extra.filter(isPathEntry).flatMap((e) => {
    const p = entryPath(e, cwd);
    if (p === null) return [`${e}: not a valid file URL`];
    return realOrNull(p) === null ? [`${e}: no such file or directory (${p})`] : [];
  });
}

function toPath(e: string): string {
  return e.startsWith('file:') ? fileURLToPath(e) : e;
}

function realOrNull(p: string | null): string | null {
  if (p === null) return null;
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether the real file `real` is one an `--allow-module` directory `dir` allows: under it, and
 * not inside a node_modules below it. A project directory holds its dependencies there, and every
 * export of an installed package is a function a task may name (cross-spawn's `sync` runs a
 * shell): listing the project allowed them all, as files.
 */
function ownFileOf(real: string, dir: string): boolean {
  if (!within(real, dir)) return false;
  return !relative(dir, real).split(sep).includes('node_modules');
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
 * Finds package `name` the way Node's resolver would from `from`: the nearest
 * node_modules/<name>, or the enclosing package itself. Returns its real directory.
 */
function findPackage(name: string, from: string): { dir: string; json: PackageJson } | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const pkgDir of [join(dir, 'node_modules', name), dir]) {
      const json = readPackageJson(join(pkgDir, 'package.json'));
      if (!json || (pkgDir === dir && json.name !== name)) continue;
      const real = realOrNull(pkgDir);
      if (real) return { dir: real, json };
    }
    if (dirname(dir) === dir) return null;
  }
}

/** The file (relative to the package) that `subpath` maps to: `exports` with import/node/default, else `main`. */
function exportTarget(pkg: PackageJson, subpath: string): string | null {
  const ex = pkg.exports;
  if (ex === undefined) {
    if (subpath === '.') return pkg.main ?? 'index.js';
    return subpath;
  }
  if (typeof ex === 'string' || Array.isArray(ex)) return subpath === '.' ? pickCondition(ex) : null;
  if (ex === null || typeof ex !== 'object') return null;
  const map = ex as Record<string, unknown>;
  const keys = Object.keys(map);
  if (keys.length && !keys[0]!.startsWith('.')) return subpath === '.' ? pickCondition(map) : null;
  if (Object.hasOwn(map, subpath)) return pickCondition(map[subpath]);
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
