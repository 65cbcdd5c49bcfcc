/**
 * Base classes of a split collection's elements: KM3NeT's `vector<KM3NETDAQ::JDAQSuperFrame>`
 * lists its elements' base JDAQPreamble, and JDAQModuleIdentifier (a base of their base
 * JDAQSuperFrameHeader), as sub-branches of their own, not split further
 * (`….vector<KM3NETDAQ::JDAQSuperFrame>.KM3NETDAQ::JDAQPreamble`: a TBranchElement of type 41
 * whose StreamerInfo element is a TStreamerBase). Like the collection's other members, an entry
 * holds its elements' bases member-wise with no header: each number member of the base for every
 * element in turn (JDAQPreamble: n lengths, then n types), a base of the base in its place, then
 * TObject element by element as its own streamer writes it (a version, fUniqueID, fBits). The
 * base's number fields are listed as counted arrays, counted by the collection's branch and named
 * below the branch (`….KM3NETDAQ::JDAQPreamble.length`, `….fUniqueID`), and read by walking each
 * entry with its count (object-fields.ts FieldBuilder.readMany); each entry must end where its
 * elements do.
 */
import { branchInfo, type BranchInfo, type JsBranch } from './branch.js';
import type { PendingBasket } from './basket.js';
import type { Counts } from './counted-walk.js';
import { FieldBuilder, numberFields, type ObjectField } from './object-fields.js';
import type { ClassLayouts } from './object-members.js';
import { EntryError, forEachEntry } from './stl.js';
import type { Column, TypedArray } from './types.js';

/** A number field of a split collection's elements' base class, as a branch reads it. */
export interface ElementBase {
  layouts: ClassLayouts;
  /** The base class, and its version as the elements' class StreamerInfo names it (-1: the only or newest). */
  cls: string;
  version: number;
  field: ObjectField;
}

/** A split collection member (TBranchElement type 41: an element of an STL collection). */
const STL_MEMBER = 41;

/**
 * The branches a split STL collection's base-class sub-branch lists, itself first (`unsupported`:
 * its fields are read by their own names), or null when `b` is not one or its base holds
 * anything but numbers (then it stays unsupported as before). `counter` is the collection's
 * branch, which holds each entry's element count.
 */
export function elementBaseBranches(b: JsBranch, name: string, layouts: ClassLayouts, counter: string | null): BranchInfo[] | null {
  const of = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
  if (b._typename !== 'TBranchElement' || b.fType !== STL_MEMBER || b.fStreamerType !== 0 || b.fBranches.arr.length > 0 || !counter) return null;
  const el = layouts.info(of, b.fClassVersion ?? -1)?.elements[b.fID ?? -1];
  if (!el || el.kind !== 'TStreamerBase' || el.name === 'TObject') return null;
  const version = el.baseVersion > 0 ? el.baseVersion : -1;
  // The version the elements were written with, else nothing can say how their bases are laid out.
  if (!layouts.steps(el.name, version)) return null;
  const fields = numberFields(layouts, el.name);
  if (!fields) return null;
  const members = fields.map((field) => {
    const info = branchInfo(b, `${name}.${field.name}`, `${field.element}[${counter}]`, 'counted-array', field.element, 1, counter);
    info.elementBase = { layouts, cls: el.name, version, field };
    return info;
  });
  const what = `base class ${el.name} of each ${of} (read its members: ${members.map((m) => m.name).join(', ')})`;
  return [branchInfo(b, name, what, 'unsupported'), ...members];
}

/** Decodes entries `[start, stop)` of a field of a split collection's elements' base (`info.elementBase`), `counts` its element counts. */
export function decodeElementBase(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, counts: Counts | null): Column {
  const { layouts, cls, version, field } = info.elementBase!;
  const fields = new FieldBuilder(layouts, cls, field);
  const offsets = new Int32Array(stop - start + 1);
  let e = 0;
  forEachEntry(path, info, `${cls} of each element`, baskets, start, stop, (view, data, begin, end, entry) => {
    const n = counts ? Number(counts.values[entry - counts.from]) : NaN;
    if (!(n >= 0)) throw new EntryError(`it has no element count in ${info.counter}`);
    const p = fields.readMany(view, data, begin, end, n, version);
    if (p !== end) throw new EntryError(`${end - p} bytes are left over after its ${n} elements' ${cls}`);
    offsets[e + 1] = offsets[e]! + n;
    e++;
  });
  // A field's values are numbers: NumberBuilder's typed array.
  return { offsets, values: fields.finish() as TypedArray };
}
