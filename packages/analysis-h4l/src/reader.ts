/**
 * Reading the `mini` tree column by column through @gluon/rootio, with every failure turned
 * into a BadInputError that names the file and the reason.
 */
import { stat } from 'node:fs/promises';
import { openRootFile, type RootFile, type TreeReader } from '@gluon/rootio';
import type { Jagged, NumArray } from './columns.js';
import { reasonOf } from './errors.js';

/** An error that names the input file and the reason; marks a bad input for skip_bad_files. */
export class BadInputError extends Error {
  override name = 'BadInputError';
  readonly reason: string;
  constructor(readonly file: string, reason: string) {
    // rootio's messages start with the path already: name it once.
    while (reason.startsWith(`${file}: `)) reason = reason.slice(file.length + 2);
    super(`bad input file ${file}: ${reason}`);
    this.reason = reason;
  }
}

export type Column = NumArray | Jagged;

/** One opened tree: entry count, branch names, columnar reads by entry range. */
export interface TreeSource {
  numEntries: number;
  /** Entries where every branch starts a basket, from 0 to numEntries (chunks should split there). */
  clusters: number[];
  branchNames: string[];
  arrays(names: readonly string[], entryStart: number, entryStop: number): Promise<Record<string, Column>>;
  close(): Promise<void>;
}

const reason = reasonOf;

/** Opens `file`'s tree `treeName`; every failure becomes a BadInputError naming the file. */
export async function openTree(file: string, treeName = 'mini'): Promise<TreeSource> {
  if (!/^https?:\/\//.test(file)) {
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch (e) {
      throw new BadInputError(file, `cannot read it (${reason(e)})`);
    }
  }
  let f: RootFile;
  try { f = await openRootFile(file); } catch (e) { throw new BadInputError(file, reason(e)); }
  let t: TreeReader;
  try { t = await f.tree(treeName); } catch (e) {
    await f.close().catch(() => {});
    throw new BadInputError(file, `no tree "${treeName}" (${reason(e)})`);
  }
  const branchNames = t.branches.map((b) => b.name);
  return {
    numEntries: t.numEntries,
    clusters: t.clusterBoundaries(),
    branchNames,
    async arrays(names, entryStart, entryStop) {
      checkBranches(file, branchNames, names);
      try { return (await t.arrays([...names], { entryStart, entryStop })) as Record<string, Column>; } catch (e) { throw new BadInputError(file, reason(e)); }
    },
    close: () => f.close(),
  };
}

function checkBranches(file: string, have: string[], want: readonly string[]): void {
  const missing = want.filter((n) => !have.includes(n));
  if (missing.length) throw new BadInputError(file, `missing branch${missing.length > 1 ? 'es' : ''} ${missing.join(', ')}`);
}

/**
 * Open trees kept per thread, so later chunks of a file (and re-runs over the same dataset) skip
 * re-reading its metadata: jsroot parses the streamers and the TTree (~2 ms per file), which a
 * worker paid for all 15 files of the 4ℓ dataset on every run when only 4 stayed open. Each
 * entry holds a file descriptor and the tree's metadata (small next to the data).
 */
const openTrees = new Map<string, Promise<TreeSource>>();
const MAX_OPEN = 32;

/**
 * Like openTree, but shares the opened tree between calls for the same tree of the same file
 * version (path, size, mtime; URLs by address) in this thread, keeping at most 32 open. Do not
 * close the result.
 */
export async function sharedTree(file: string, treeName = 'mini'): Promise<TreeSource> {
  let key = `${treeName}|${file}`;
  if (!/^https?:\/\//.test(file)) {
    try {
      const st = await stat(file);
      key = `${key}|${st.size}|${st.mtimeMs}`;
    } catch (e) {
      throw new BadInputError(file, `cannot read it (${reason(e)})`);
    }
  }
  let p = openTrees.get(key);
  if (p) {
    openTrees.delete(key);         // re-insert: most recently used last
    openTrees.set(key, p);
    return p;
  }
  p = openTree(file, treeName);
  openTrees.set(key, p);
  p.catch(() => openTrees.delete(key));
  while (openTrees.size > MAX_OPEN) {
    const [oldKey, old] = openTrees.entries().next().value as [string, Promise<TreeSource>];
    openTrees.delete(oldKey);
    old.then((t) => t.close(), () => {}).catch(() => {});
  }
  return p;
}
