/**
 * A file's directories: the keys of every subdirectory (TDirectory / TDirectoryFile keys), read
 * level by level when the file opens, and the lookup of a key by its path (`dir/sub/tree`, each
 * part optionally with its cycle, `dir;1/tree;2`, as uproot names them).
 */
import { RootFormatError } from './errors.js';
import { nearNames } from './near-names.js';
import type { ByteSource } from './source.js';
import { parsing, readDirectoryHeader, readKeyList, readPayload, type Key } from './meta/directory.js';

/** One directory: its own keys and, for the newest cycle of each subdirectory name, that subdirectory. */
export interface Directory {
  /** Its path from the top ('' for the top directory, `dir/sub` below). */
  path: string;
  keys: Key[];
  subdirs: Map<Key, Directory>;
}

/** A key of a directory class: its payload is a directory record pointing to a list of keys. */
export function isDirectoryClass(className: string): boolean {
  return className === 'TDirectory' || className === 'TDirectoryFile';
}

/** `dir` joined with `name`, as a path from the top. */
const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** Of keys named alike, the newest cycle (what ROOT's Get(name) reads). */
function newest(keys: readonly Key[]): Key[] {
  return keys.filter((k) => !keys.some((o) => o.name === k.name && o.cycle > k.cycle));
}

/**
 * Reads every subdirectory below the top directory, one level at a time (each level's records,
 * then their lists of keys, asked for together, so a file over HTTP costs two round trips a
 * level). A directory whose list of keys was already read (damage making a loop) is refused, so
 * the walk ends whatever the bytes say; a damaged record is a RootFormatError naming its path.
 */
export async function readDirectories(src: ByteSource, topKeys: Key[], topSeekKeys: number): Promise<Directory> {
  const top: Directory = { path: '', keys: topKeys, subdirs: new Map() };
  const seen = new Map<number, string>([[topSeekKeys, 'the top directory']]);
  let level = [top];
  while (level.length) {
    const todo = level.flatMap((dir) => newest(dir.keys).filter((k) => isDirectoryClass(k.className)).map((key) => ({ dir, key, path: join(dir.path, key.name) })));
    const headers = await Promise.all(todo.map(async ({ key, path }) => {
      const buf = await readPayload(src, key);
      return parsing(src.path, `the directory ${path}`, () => readDirectoryHeader(buf), key.seekKey);
    }));
    for (const [i, h] of headers.entries()) {
      const was = seen.get(h.seekKeys);
      if (was !== undefined) throw new RootFormatError(src.path, todo[i]!.key.seekKey, `the directory ${todo[i]!.path} lists the keys of ${was} (at byte ${h.seekKeys}): damaged, it would loop`);
      seen.set(h.seekKeys, `the directory ${todo[i]!.path}`);
    }
    const lists = await Promise.all(todo.map(({ path }, i) => readKeyList(src, headers[i]!, `the list of keys of the directory ${path}`)));
    level = todo.map(({ dir, key, path }, i) => {
      const sub: Directory = { path, keys: lists[i]!, subdirs: new Map() };
      dir.subdirs.set(key, sub);
      return sub;
    });
  }
  return top;
}

/** Every key below `dir`, each directory's key followed by its contents (uproot's order), named by its path. */
export function listKeys(dir: Directory): Array<{ path: string; key: Key }> {
  return dir.keys.flatMap((key) => {
    const sub = dir.subdirs.get(key);
    return [{ path: join(dir.path, key.name), key }, ...(sub ? listKeys(sub) : [])];
  });
}

/**
 * The key at `path` (`name`, `name;cycle`, `dir/sub/name;cycle`; a leading `/` is the top), the
 * newest cycle unless one is given. A part that does not exist is a RootFormatError naming it,
 * the directory it was looked for in, what that directory holds, and the likely spelling.
 */
export function findKey(file: string, top: Directory, path: string): Key {
  const parts = path.replace(/^\/+/, '').split('/');
  let dir = top;
  for (const part of parts.slice(0, -1)) {
    const key = keyIn(file, dir, path, part);
    const sub = dir.subdirs.get(key);
    if (!sub) {
      const where = join(dir.path, part);
      throw new RootFormatError(file, -1, isDirectoryClass(key.className)
        ? `no object named ${path} in the file: ${where} is an older cycle of a directory (only the newest cycle's keys are read)`
        : `no object named ${path} in the file: ${where} is a ${key.className}, not a directory`);
    }
    dir = sub;
  }
  return keyIn(file, dir, path, parts[parts.length - 1]!);
}

/** The key `part` (`name` or `name;cycle`) of `dir`, the newest cycle unless one is given. */
function keyIn(file: string, dir: Directory, path: string, part: string): Key {
  const [name, cyc] = part.split(';') as [string, string | undefined];
  // Digits only, as a cycle is written: Number() took `hh;`, `hh; 2` and `hh;2.0` (an empty cycle
  // as 0, reported as "has hh in cycle 1, 2, not ").
  if (cyc !== undefined && !/^\d+$/.test(cyc)) {
    const named = dir.keys.filter((k) => k.name === name).map((k) => `${name};${k.cycle}`);
    throw new RootFormatError(file, -1, `no object named ${path} in the file: ${JSON.stringify(cyc)} is not a cycle: ` +
      `after ";" comes a whole number${named.length ? ` (${named.join(', ')})` : ''}, or leave ";" out for the newest`);
  }
  const matches = dir.keys.filter((k) => k.name === name && (cyc === undefined || k.cycle === Number(cyc)));
  if (matches.length === 0) throw new RootFormatError(file, -1, missing(path, dir, name, cyc));
  return matches.reduce((a, b) => (b.cycle > a.cycle ? b : a));
}

/**
 * What to say when `dir` has no key `name` (of cycle `cyc`, if given). A name held in several
 * cycles is listed with each (`hh;1 (TH1D), hh;2 (TH1D)`, as uproot names them) and the one the
 * name alone reads is said: listed once as `hh (TH1D)`, nothing pointed at `hh;2`.
 */
function missing(path: string, dir: Directory, name: string, cyc: string | undefined): string {
  const inDir = dir.path ? `the directory ${dir.path}` : 'the top directory';
  const cycles = (n: string) => dir.keys.filter((k) => k.name === n).length;
  const have = [...new Set(dir.keys.map((k) => `${cycles(k.name) > 1 ? `${k.name};${k.cycle}` : k.name} (${k.className})`))];
  const shown = have.length > 20 ? `${have.slice(0, 20).join(', ')}, … (${have.length} names)` : have.join(', ');
  const named = dir.keys.filter((k) => k.name === name);
  const newest = named.reduce((a, k) => Math.max(a, k.cycle), 0);
  const what = named.length && cyc !== undefined
    ? `${inDir} has ${name} in ${named.length > 1 ? `cycles ${named.map((k) => k.cycle).join(', ')} (${name} alone reads ${name};${newest})` : `cycle ${named[0]!.cycle}`}, not ${cyc}`
    : `${inDir} has no ${name || '(empty name)'}`;
  const near = named.length ? [] : nearNames(name, [...new Set(dir.keys.map((k) => k.name))]);
  const top = dir.path ? `${inDir} holds` : 'it has';
  return `no object named ${path} in the file: ${what}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; ${top}: ${shown || 'nothing'}`;
}
