import { openFile, TSelector, treeProcess } from 'jsroot';
import type { Column, TypedArray } from '@gluon/rootio';
import { sharedDataDir, SHARED_DATA } from './shared-data.js';

/** `<checkout>/../shared/data`, or null when this clone has no shared data beside it (shared-data.ts). */
export function sharedData(): string | null {
  return sharedDataDir();
}

export const NO_DATA = `shared data not found at ${SHARED_DATA} (beside the checkout); skipping tests on real files`;

/** Every entry of the named branches as jsroot's treeProcess sees them. */
export async function jsrootValues(path: string, tree: string, branches: string[], byObject = false): Promise<Record<string, unknown[]>> {
  const f = await openFile(path);
  const t = await f.readObject(tree);
  const out: Record<string, unknown[]> = Object.fromEntries(branches.map((b) => [b, []]));
  const sel = new TSelector();
  for (const b of branches) sel.addBranch(byObject ? branchObject(t, b) : b, b);
  sel.Process = function (this: { tgtobj: Record<string, unknown> }) {
    for (const b of branches) {
      const v = this.tgtobj[b];
      // jsroot fills one object per branch again at every entry (a leaf list's {x, y, z}): copy it.
      const copied = (x: unknown) => (ArrayBuffer.isView(x) || Array.isArray(x) ? Array.from(x as ArrayLike<unknown>) : x);
      out[b]!.push(ArrayBuffer.isView(v) || Array.isArray(v) ? Array.from(v as ArrayLike<unknown>)
        : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copied(x)])) : v);
    }
  };
  await treeProcess(t, sel);
  return out;
}

/**
 * The branch of a tree whose own name (fName) is `name`, at any depth, for jsroot to read: its
 * search by name does not find some sub-branches (`KM3NETDAQ::JDAQEventHeader` of a split
 * KM3NET_EVENT), which it reads when given the branch itself.
 */
function branchObject(tree: { fBranches: { arr: unknown[] } }, name: string): unknown {
  type B = { fName: string; fBranches?: { arr: B[] } };
  const found: B[] = [];
  const walk = (bs: B[]) => bs.forEach((b) => (b.fName === name && found.push(b), walk(b.fBranches?.arr ?? [])));
  walk(tree.fBranches.arr as B[]);
  if (found.length !== 1) throw new Error(`${found.length} branches named ${name}`);
  return found[0];
}

/** Our column as one JS value per entry, for comparison with jsroot. */
export function perEntry(c: Column, n: number): unknown[] {
  if (Array.isArray(c)) return c;
  if ('offsets' in c) {
    // Each level of a nested column (strings, or lists below) as entries of its own.
    const values = c.values as Column;
    const inner = ArrayBuffer.isView(values) ? null : perEntry(values, c.offsets[n]!);
    return Array.from({ length: n }, (_, i) => (inner ? inner.slice(c.offsets[i]!, c.offsets[i + 1]!) : Array.from((values as TypedArray).subarray(c.offsets[i]!, c.offsets[i + 1]!) as ArrayLike<unknown>)));
  }
  if ('innerShape' in c) {
    const k = c.innerShape[0]!;
    return Array.from({ length: n }, (_, i) => Array.from(c.values.subarray(i * k, (i + 1) * k) as ArrayLike<unknown>));
  }
  return Array.from(c as ArrayLike<unknown>);
}

/** jsroot gives bools as booleans and 64-bit ints as numbers; we give 0/1 and BigInts. */
export function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return v;
}
