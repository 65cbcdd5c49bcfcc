/**
 * Reading the `mini` tree column by column. The reader is @gluon/rootio's
 * `openRootFile(...).tree('mini').arrays(...)`. It is loaded lazily (workers import this module
 * before they read anything) and, while rootio's reader is not available in the installed
 * build, jsroot's tree reader stands in, producing the same columnar layout.
 */
import { stat } from 'node:fs/promises';
import type { Jagged, NumArray } from './columns.js';

/** An error that names the input file and the reason; marks a bad input for skip_bad_files. */
export class BadInputError extends Error {
  override name = 'BadInputError';
  constructor(readonly file: string, readonly reason: string) {
    super(`bad input file ${file}: ${reason}`);
  }
}

export type Column = NumArray | Jagged;

/** One opened tree: entry count, branch names, columnar reads by entry range. */
export interface TreeSource {
  numEntries: number;
  branchNames: string[];
  arrays(names: readonly string[], entryStart: number, entryStop: number): Promise<Record<string, Column>>;
  close(): Promise<void>;
}

interface RootioTree {
  numEntries: number;
  branches: { name: string }[];
  arrays(names: string[], o: { entryStart: number; entryStop: number }): Promise<Record<string, Column>>;
}
interface RootioFile { tree(name: string): Promise<RootioTree>; close(): Promise<void> }
type OpenRootFile = (p: string) => Promise<RootioFile>;

let rootioOpen: OpenRootFile | null | undefined;

async function loadRootio(): Promise<OpenRootFile | null> {
  if (rootioOpen !== undefined) return rootioOpen;
  const mod = (await import('@gluon/rootio')) as Record<string, unknown>;
  rootioOpen = typeof mod.openRootFile === 'function' ? (mod.openRootFile as OpenRootFile) : null;
  return rootioOpen;
}

/** Which reader serves files in this process ('rootio' or the 'jsroot' stand-in). */
export async function readerName(): Promise<'rootio' | 'jsroot'> {
  return (await loadRootio()) ? 'rootio' : 'jsroot';
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Opens `file`'s tree `treeName`; every failure becomes a BadInputError naming the file. */
export async function openTree(file: string, treeName = 'mini'): Promise<TreeSource> {
  const open = await loadRootio();
  if (!/^https?:\/\//.test(file)) {
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch (e) {
      throw new BadInputError(file, `cannot read it (${reason(e)})`);
    }
  }
  if (open) {
    let f: RootioFile;
    try { f = await open(file); } catch (e) { throw new BadInputError(file, reason(e)); }
    let t: RootioTree;
    try { t = await f.tree(treeName); } catch (e) { await f.close().catch(() => {}); throw new BadInputError(file, `no tree "${treeName}" (${reason(e)})`); }
    const branchNames = t.branches.map((b) => b.name);
    return {
      numEntries: t.numEntries,
      branchNames,
      async arrays(names, entryStart, entryStop) {
        checkBranches(file, branchNames, names);
        try { return await t.arrays([...names], { entryStart, entryStop }); } catch (e) { throw new BadInputError(file, reason(e)); }
      },
      close: () => f.close(),
    };
  }
  return openWithJsroot(file, treeName);
}

function checkBranches(file: string, have: string[], want: readonly string[]): void {
  const missing = want.filter((n) => !have.includes(n));
  if (missing.length) throw new BadInputError(file, `missing branch${missing.length > 1 ? 'es' : ''} ${missing.join(', ')}`);
}

async function openWithJsroot(file: string, treeName: string): Promise<TreeSource> {
  const jsroot = (await import('jsroot')) as unknown as { openFile(p: string): Promise<{ readObject(n: string): Promise<unknown> }> };
  const jtree = (await import('jsroot/tree')) as unknown as {
    TSelector: new () => { addBranch(n: string): void; Process(): void; tgtobj: Record<string, unknown> };
    treeProcess(t: unknown, s: unknown, a: { firstentry: number; numentries: number }): Promise<unknown>;
  };
  let tree: { fEntries: number; fBranches: { arr: { fName: string }[] } };
  try {
    const f = await jsroot.openFile(file);
    const obj = await f.readObject(treeName);
    if (!obj) throw new Error(`no tree "${treeName}"`);
    tree = obj as typeof tree;
  } catch (e) {
    throw new BadInputError(file, reason(e));
  }
  const branchNames = tree.fBranches.arr.map((b) => b.fName);
  return {
    numEntries: tree.fEntries,
    branchNames,
    async arrays(names, entryStart, entryStop) {
      checkBranches(file, branchNames, names);
      const n = entryStop - entryStart;
      const vals: Record<string, number[]> = {}, offs: Record<string, number[]> = {};
      const scal: Record<string, Float64Array> = {};
      for (const name of names) { vals[name] = []; offs[name] = [0]; }
      const sel = new jtree.TSelector();
      for (const name of names) sel.addBranch(name);
      let i = 0;
      sel.Process = function () {
        for (const name of names) {
          const v = this.tgtobj[name];
          if (v !== null && typeof v === 'object' && 'length' in (v as object)) {
            const a = v as ArrayLike<unknown>;
            for (let k = 0; k < a.length; k++) vals[name].push(Number(a[k]));
            offs[name].push(vals[name].length);
          } else {
            (scal[name] ??= new Float64Array(n))[i] = Number(v);
          }
        }
        i++;
      };
      try {
        if (n > 0) await jtree.treeProcess(tree, sel, { firstentry: entryStart, numentries: n });
      } catch (e) {
        throw new BadInputError(file, reason(e));
      }
      if (i !== n) throw new BadInputError(file, `read ${i} of ${n} entries ${entryStart}–${entryStop} (truncated?)`);
      const out: Record<string, Column> = {};
      for (const name of names) {
        out[name] = scal[name] ?? (n === 0 ? new Float64Array(0) : { offsets: Int32Array.from(offs[name]), values: Float64Array.from(vals[name]) });
      }
      return out;
    },
    close: async () => {},
  };
}
