/**
 * A leaf of a leaf list whose entries vary in size (`n/I:px[n]/F:q/F`): each entry is the
 * leaves' values one after another, a counted leaf holding as many elements (of `len` numbers
 * each) as the value of its counter, an earlier leaf of the same entry. The entries are walked
 * from each basket's start, leaf by leaf; an entry must end where the basket's offset table says
 * (when it has one) and a basket walked to its last entry exactly at its end. Rare branches:
 * clarity over speed (as counted-walk.ts).
 */
import type { BranchInfo, LeafWalk } from './branch.js';
import type { PendingBasket } from './basket.js';
import { RootFormatError } from './errors.js';
import { ELEMENT_SIZE, type Column, type ElementType, type TypedArray } from './types.js';

/** Reads one number of `element` at `p` (big-endian), as a number or a BigInt for 64-bit integers. */
function readNumber(v: DataView, p: number, element: ElementType): number | bigint {
  switch (element) {
    case 'bool': case 'uint8': return v.getUint8(p);
    case 'int8': return v.getInt8(p);
    case 'int16': return v.getInt16(p);
    case 'uint16': return v.getUint16(p);
    case 'int32': return v.getInt32(p);
    case 'uint32': return v.getUint32(p);
    case 'int64': return v.getBigInt64(p);
    case 'uint64': return v.getBigUint64(p);
    case 'float': return v.getFloat32(p);
    case 'double': return v.getFloat64(p);
  }
}

/** A typed array of `element` holding `values`. */
function typed(element: ElementType, values: Array<number | bigint>): TypedArray {
  switch (element) {
    case 'bool': case 'uint8': return Uint8Array.from(values as number[]);
    case 'int8': return Int8Array.from(values as number[]);
    case 'int16': return Int16Array.from(values as number[]);
    case 'uint16': return Uint16Array.from(values as number[]);
    case 'int32': return Int32Array.from(values as number[]);
    case 'uint32': return Uint32Array.from(values as number[]);
    case 'int64': return BigInt64Array.from(values as bigint[]);
    case 'uint64': return BigUint64Array.from(values as bigint[]);
    case 'float': return Float32Array.from(values as number[]);
    case 'double': return Float64Array.from(values as number[]);
  }
}

/** Decodes entries `[start, stop)` of one leaf of a varying leaf list (`info.leafOf.walk`). */
export function decodeWalkedLeaf(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number): Column {
  const { leaves, index } = info.leafOf!.walk as LeafWalk;
  const mine = leaves[index]!;
  const values: Array<number | bigint> = [];
  const offsets = new Int32Array(stop - start + 1);
  const counts = new Array<number>(leaves.length).fill(0);
  for (const pending of baskets) {
    const b = pending.load();
    const v = b.view;
    const end = b.dataLength;
    const o = b.offsets;
    const last = Math.min(pending.entries, stop - pending.entryStart);
    let p = 0;
    for (let i = 0; i < last; i++) {
      const entry = pending.entryStart + i;
      const fail = (why: string): never => {
        throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} of its leaf list ${why}`);
      };
      for (const [j, leaf] of leaves.entries()) {
        const n = leaf.count >= 0 ? counts[leaf.count]! : 1;
        const size = ELEMENT_SIZE[leaf.element];
        if (!(n >= 0) || p + n * leaf.len * size > end) fail(`has ${n} elements of leaf ${j}, running past its basket's ${end} bytes`);
        // A counter's value counts a later leaf's elements.
        if (leaf.count < 0 && leaf.len === 1) counts[j] = Number(readNumber(v, p, leaf.element));
        if (j === index && entry >= start) for (let k = 0; k < n * leaf.len; k++) values.push(readNumber(v, p + k * size, leaf.element));
        p += n * leaf.len * size;
      }
      if (o && p !== o[i + 1]) fail(`takes ${p - o[i]!} bytes where the basket's offsets give it ${o[i + 1]! - o[i]!}`);
      if (entry >= start) offsets[entry - start + 1] = values.length / mine.len;
    }
    if (last === pending.entries && p !== end) {
      throw new RootFormatError(path, -1, `branch ${info.name}: a basket of ${pending.entries} entries has ${end} bytes, but its leaves take ${p}`);
    }
    pending.release();
  }
  const out = typed(mine.element, values);
  if (info.kind === 'counted-array') return mine.len > 1 ? { offsets, values: out, innerShape: [mine.len] } : { offsets, values: out };
  return info.kind === 'scalar' ? out : { values: out, innerShape: [mine.len] };
}
