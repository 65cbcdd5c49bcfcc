/**
 * What to say about a local path that does not exist. A physicist's typo is a case
 * (data_a.4lep.root for data_A.4lep.root), a dropped or doubled letter, or a folder higher up
 * (…-4lap/Data/…), and a bare "no such file" sent them hunting through the whole path.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

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
  const like = nearNames(name, found.entries);
  // One near name is a typo's likely target; several equally near (data_E among data_A…D) are a
  // family the wanted one is missing from, so the directory's like-named entries are listed instead.
  const said = like.length === 1 ? `did you mean ${like[0]}?` : listing(found, name);
  if (missing === path) return `no such file${said ? ` (${said})` : ''}`;
  return `no such file (no ${name} in ${found.path}${said ? `; ${said}` : ''})`;
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

/**
 * The entries nearest `name`: those that differ only in case, else those at the smallest edit
 * distance, if that is at most 1 (names under 8 letters) or 2 (longer names; none under 3).
 */
export function nearNames(name: string, entries: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const same = entries.filter((e) => e.toLowerCase() === lower && e !== name);
  if (same.length) return same;
  if (name.length < 3) return [];
  const max = name.length < 8 ? 1 : 2;
  let best = max + 1;
  let out: string[] = [];
  for (const e of entries) {
    if (Math.abs(e.length - name.length) > max) continue;
    const d = editDistance(e.toLowerCase(), lower, max);
    if (d < best) [best, out] = [d, [e]];
    else if (d === best) out.push(e);
  }
  return best <= max ? out : [];
}

/** Levenshtein distance, stopped once every path through a row exceeds `max` (then max + 1). */
function editDistance(a: string, b: string, max: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, row[j]!);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
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
