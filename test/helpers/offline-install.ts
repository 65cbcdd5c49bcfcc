/**
 * Installing Gluon's tarballs into a directory outside the repository with npm, offline, from the
 * local npm cache. `npm ci` of the repository fills that cache with tarballs only (a lockfile
 * names them by URL and integrity, so npm fetches no package metadata), and npm cannot resolve
 * version ranges offline without metadata. So the install gets a lockfile too: the tarballs'
 * entries, and the repository lockfile's entries for everything the tarballs need at run time
 * (the same versions CI tests with), laid out the same way.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A packed workspace package. */
export interface Packed {
  /** Its name (`@gluon/scheduler`). */
  name: string;
  /** Its folder in the repository, relative to the root (`packages/scheduler`). */
  repoPath: string;
  /** The tarball's absolute path. */
  tarball: string;
}

interface LockEntry {
  version?: string; resolved?: string; integrity?: string; link?: boolean; license?: string;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: Record<string, string>; engines?: Record<string, string>; os?: string[]; cpu?: string[]; libc?: string[];
  dev?: boolean; optional?: boolean; devOptional?: boolean; peer?: boolean; hasInstallScript?: boolean; funding?: unknown;
}

/** Where node would find `name` from `from` in a lockfile's layout (nearest node_modules first). */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const at = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[at]) return at;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut >= 0 ? dir.slice(0, cut) : '';
  }
}

/**
 * Writes `package.json` and `package-lock.json` into `appDir` so that `npm ci --offline` installs
 * `packed` (and what they depend on at run time, from `repoRoot`'s lockfile).
 */
export function writeOfflineInstall(repoRoot: string, appDir: string, packed: Packed[]): void {
  const repoLock = (JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const byRepoPath = new Map(packed.map((p) => [p.repoPath, p]));
  const out: Record<string, LockEntry> = {};
  const rootDeps = Object.fromEntries(packed.map((p) => [p.name, `file:${relative(appDir, p.tarball)}`]));
  out[''] = { name: 'gluon-install-test', dependencies: rootDeps } as LockEntry;

  /** The app's location for a repository lockfile location (workspace folders become node_modules/<name>). */
  const appLocation = (loc: string): string => {
    for (const p of packed) if (loc === p.repoPath || loc.startsWith(`${p.repoPath}/`)) return `node_modules/${p.name}${loc.slice(p.repoPath.length)}`;
    return loc;
  };
  const required = new Set<string>();
  const queue: { loc: string; optional: boolean }[] = [];

  for (const p of packed) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, p.repoPath, 'package.json'), 'utf8')) as LockEntry & { name: string };
    const integrity = `sha512-${createHash('sha512').update(readFileSync(p.tarball)).digest('base64')}`;
    out[`node_modules/${p.name}`] = {
      version: manifest.version, resolved: `file:${relative(appDir, p.tarball)}`, integrity, license: manifest.license,
      ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
      ...(manifest.bin ? { bin: manifest.bin } : {}), ...(manifest.engines ? { engines: manifest.engines } : {}),
    };
    queue.push({ loc: p.repoPath, optional: false });
  }
  const seen = new Map<string, boolean>(); // location → reached only through optional edges
  while (queue.length) {
    const { loc, optional } = queue.shift()!;
    const entry = repoLock[loc]!;
    const edges: [string, boolean][] = [
      ...Object.keys(entry.dependencies ?? {}).map((n) => [n, false] as [string, boolean]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n) => [n, true] as [string, boolean]),
      ...Object.keys(entry.peerDependencies ?? {}).map((n) => [n, entry.peerDependenciesMeta?.[n]?.optional === true] as [string, boolean]),
    ];
    for (const [name, optEdge] of edges) {
      let at = resolveIn(repoLock, loc, name);
      if (at && repoLock[at]!.link) at = repoLock[at]!.resolved; // a workspace: one of the tarballs
      if (!at) {
        if (optEdge) continue;
        throw new Error(`${loc} needs ${name}, which the repository lockfile does not have`);
      }
      const opt = optional || optEdge;
      if (byRepoPath.has(at)) continue;
      if (!opt) required.add(at);
      if (seen.has(at) && (seen.get(at) === false || opt)) continue;
      seen.set(at, opt);
      queue.push({ loc: at, optional: opt });
    }
  }
  for (const loc of seen.keys()) {
    const { dev: _d, devOptional: _do, optional: _o, peer: _p, ...entry } = repoLock[loc]!;
    // Platform packages of other systems may be missing from the repository lockfile; npm ci
    // would call the new lockfile out of sync for naming them.
    if (entry.optionalDependencies) {
      entry.optionalDependencies = Object.fromEntries(Object.entries(entry.optionalDependencies).filter(([n]) => resolveIn(repoLock, loc, n)));
    }
    out[appLocation(loc)] = { ...entry, ...(required.has(loc) ? {} : { optional: true }) };
  }
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'gluon-install-test', private: true, type: 'module', dependencies: rootDeps }, null, 2)}\n`);
  writeFileSync(join(appDir, 'package-lock.json'), `${JSON.stringify({ name: 'gluon-install-test', lockfileVersion: 3, requires: true, packages: out }, null, 2)}\n`);
}
