/**
 * What to say about a local path that does not exist. A physicist's typo is a case
 * (data_a.4lep.root for data_A.4lep.root), a dropped or doubled letter, or a folder higher up
 * (…-4lap/Data/…), and a bare "no such file" sent them hunting through the whole path.
 */
import { readdir, stat } from 'node:fs/promises';
import { nearNames } from './near-names.js';
import { basename, dirname, join } from 'node:path';

/** What exists of a missing path: its deepest existing ancestor, whether that is a directory, and its entries. */
export interface ExistingAncestor {
  path: string;
  isDirectory: boolean;
  entries: readonly string[];
}

/** The reason for a RootIOError about `path`, which does not exist: "no such file", then what is known. */
export function missingPathReason(path: string, found: ExistingAncestor | null): string {
  if (!found) return 'no such file';
  if (!found.isDirectory) return `no such file (${found.path} is a file, not a directory)`;
  const missing = firstMissing(path, found.path);
  const name = basename(missing);
  const uproot = uprootForm(path, found, name);
  if (uproot) return `no such file (${uproot})`;
  const said = likelyName(found, name);
  if (missing === path) return `no such file${said ? ` (${said})` : ''}`;
  return `no such file (no ${name} in ${found.path}${said ? `; ${said}` : ''})`;
}

/**
 * The reason a file cannot be created at `path` (absolute) whose directory does not exist:
 * that directory, then which part of it is missing (and its likely spelling) or is a file.
 * The writer's open said only "ENOENT: no such file or directory, open '…'".
 */
export function missingDirectoryReason(path: string, found: ExistingAncestor | null): string {
  const dir = dirname(path);
  if (!found) return `its directory ${dir} does not exist`;
  if (!found.isDirectory) {
    return found.path === dir ? `${dir} is a file, not a directory` : `its directory ${dir} does not exist (${found.path} is a file, not a directory)`;
  }
  const missing = firstMissing(path, found.path);
  const said = likelyName(found, basename(missing));
  const where = missing === dir ? said : `no ${basename(missing)} in ${found.path}${said ? `; ${said}` : ''}`;
  return `its directory ${dir} does not exist${where ? ` (${where})` : ''}; create it first`;
}

/**
 * What to say of `name`, missing from the directory `found`: one near name is a typo's likely
 * target; several equally near (data_E among data_A…D) are a family the wanted one is missing
 * from, so the directory's like-named entries are listed instead.
 */
function likelyName(found: ExistingAncestor, name: string): string {
  const like = nearNames(name, found.entries);
  return like.length === 1 ? `did you mean ${like[0]}?` : listing(found, name);
}

/**
 * uproot's `"file.root:tree"` (a file and an object in it, one string) said only "no such file":
 * when the part before a colon of the missing name is an entry of its directory, says to open
 * that file and ask it for the rest.
 */
function uprootForm(path: string, found: ExistingAncestor, name: string): string | null {
  const colon = name.indexOf(':');
  if (colon <= 0 || !found.entries.includes(name.slice(0, colon))) return null;
  const file = join(found.path, name.slice(0, colon));
  const object = path.slice(file.length + 1);
  const then = object ? `, then ask it for ${object} (file.tree(${JSON.stringify(object)}), file.histogram(…), file.object(…))` : '';
  return `openRootFile takes the file alone, not uproot's "file.root:object": open ${file}${then}`;
}

/** "DIR holds N entries ending .root: a, b, …" (the name's ending), or nothing when none has it. */
function listing(found: ExistingAncestor, name: string): string {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  const alike = ext ? found.entries.filter((e) => e.endsWith(ext)) : [];
  if (!alike.length) return '';
  const shown = alike.slice().sort();
  return `${found.path} holds ${shown.length} ${shown.length === 1 ? 'entry' : 'entries'} ending ${ext}: ${shown.slice(0, 8).join(', ')}${shown.length > 8 ? ', …' : ''}`;
}

/** The component of `path` just below its existing ancestor `existing`, as a full path. */
function firstMissing(path: string, existing: string): string {
  let p = path;
  while (dirname(p) !== existing && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Looks up the deepest existing ancestor of `path` (I/O; what it cannot read it leaves out). */
export async function existingAncestor(path: string): Promise<ExistingAncestor | null> {
  for (let p = dirname(path); ; p = dirname(p)) {
    const st = await stat(p).catch(() => null);
    if (st) {
      const entries = st.isDirectory() ? await readdir(p).catch(() => [] as string[]) : [];
      return { path: p, isDirectory: st.isDirectory(), entries };
    }
    if (dirname(p) === p) return null;
  }
}
