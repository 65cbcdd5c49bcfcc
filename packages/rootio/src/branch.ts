import { ELEMENT_SIZE, type ElementType } from './types.js';
import { canonicalTypeName, parseStlType, stlTypeName, type StlType } from './stl.js';
import { packingOf, type Packing } from './packing.js';
import { isStreamedObject, STREAMED_OBJECTS, type StreamedObject } from './small-objects.js';
import type { ObjectMember } from './object-members.js';
import type { ElementBase } from './element-bases.js';

/** How a branch's entries are laid out. */
export type BranchKind = 'scalar' | 'fixed-array' | 'counted-array' | 'vector' | 'string' | 'nested';

/** A branch as the reader understands it. */
export interface BranchInfo {
  name: string;
  /** e.g. `float`, `vector<float>`, `float[3]`, `float[n]`, `string`; the ROOT class otherwise. */
  typeName: string;
  kind: BranchKind | 'unsupported';
  element: ElementType | null;
  /** Elements per entry of a fixed array. */
  inner: number;
  /** The counter branch of a counted array. */
  counter: string | null;
  /**
   * Bytes before each entry's elements of a counted array: 0, or 1 for a split object's pointer
   * to an array (`Int_t* fX; //[fN]`), which starts each entry with a byte saying whether the
   * pointer was set.
   */
  entryHeader: number;
  /**
   * How the elements of Double32_t/Float16_t branches (TLeafD32/TLeafF16 leaves, split members
   * of those types) are packed, from their range; null for every other branch.
   */
  packed: Packing | null;
  /**
   * TObject's fBits as a split member (type code 15): each element is 4 bytes, or 6 when its
   * kIsReferenced bit is set (see object-bits.ts).
   */
  objectBits: boolean;
  /**
   * A leaf of a leaf list (`x/D:y/I:z/B`, read as `branch.x`…): where its values start in each
   * entry and how many bytes an entry has (the leaves one after another); null for every other branch.
   */
  leafOf: { at: number; stride: number; walk?: LeafWalk | null } | null;
  /** An unsplit TVector2/TVector3 branch, read as a fixed array of its doubles (small-objects.ts); null for every other branch. */
  streamed?: StreamedObject | null;
  /** A member of an unsplit object (see object-members.ts): read by walking each entry's object; null for every other branch. */
  member: ObjectMember | null;
  /**
   * A `nested` branch's STL type when its typeName does not say it whole (a field of each object
   * of a container of objects, object-fields.ts); null for every other branch.
   */
  stl?: StlType | null;
  /**
   * A split object's `std::string` member (`kind: 'string'`): each entry is an STL header and
   * then the string, read by the STL decoder, where other string branches have no header.
   */
  stlString?: boolean;
  /**
   * A number field of a split collection's elements' base class (element-bases.ts), read by
   * walking each entry's elements member-wise with the collection's counts; null for every other branch.
   */
  elementBase?: ElementBase | null;
  entries: number;
}

/**
 * A leaf list whose entries vary in size (a counted leaf, `n/I:px[n]/F`): every leaf's element
 * type, elements per count (`fLen`) and counter (the index of an earlier leaf of the list, or -1),
 * and which of them this branch reads. Its entries are walked leaf by leaf (leaf-list-walk.ts).
 */
export interface LeafWalk {
  leaves: Array<{ element: ElementType; len: number; count: number }>;
  index: number;
}

/** A split member's declaration (type and title, from the file's StreamerInfo of `cls`), or null. */
export type MemberOf = (cls: string, classVersion: number, member: string) => { typeName: string; title: string } | null;

type Leaf = { _typename: string; fName: string; fTitle?: string; fLen: number; fIsUnsigned: boolean; fType?: number; fLeafCount?: { fName: string } | null };
export type JsBranch = {
  _typename: string;
  fName: string;
  fClassName?: string;
  fStreamerType?: number;
  fType?: number;
  fEntries: number;
  fEntryOffsetLen: number;
  fClassVersion?: number;
  /** A split member's index among the elements of its class's StreamerInfo. */
  fID?: number;
  fLeaves: { arr: Leaf[] };
  fBranches: { arr: JsBranch[] };
};

const LEAF: Record<string, [ElementType, ElementType]> = {
  TLeafO: ['bool', 'bool'],
  TLeafB: ['int8', 'uint8'],
  TLeafS: ['int16', 'uint16'],
  TLeafI: ['int32', 'uint32'],
  TLeafL: ['int64', 'uint64'],
  TLeafG: ['int64', 'uint64'],
  TLeafF: ['float', 'float'],
  TLeafD: ['double', 'double'],
};

const VECTOR_ELEMENT: Record<string, ElementType> = {
  bool: 'bool', char: 'int8', 'unsigned char': 'uint8', short: 'int16', 'unsigned short': 'uint16',
  int: 'int32', 'unsigned int': 'uint32', long: 'int64', 'long long': 'int64', 'unsigned long': 'uint64',
  'unsigned long long': 'uint64', Long64_t: 'int64', ULong64_t: 'uint64', float: 'float', double: 'double',
  Float_t: 'float', Double_t: 'double', Int_t: 'int32', UInt_t: 'uint32', Bool_t: 'bool', Short_t: 'int16',
  UShort_t: 'uint16', Char_t: 'int8', UChar_t: 'uint8',
};

/** ROOT's type codes of plain numbers (TVirtualStreamerInfo): a member's `fStreamerType` mod 20. */
export const STREAMER_ELEMENT: Record<number, ElementType> = {
  1: 'int8', 2: 'int16', 3: 'int32', 4: 'int64', 5: 'float', 6: 'int32', 8: 'double', 11: 'uint8', 12: 'uint16',
  13: 'uint32', 14: 'uint64', 15: 'uint32', 16: 'int64', 17: 'uint64', 18: 'bool',
};

/** ROOT's type code of TObject::fBits (kBits). */
const OBJECT_BITS = 15;
/** ROOT's type codes of Double32_t and Float16_t (mod 20). */
const PACKED_DOUBLE = 9;
const PACKED_FLOAT = 19;

/** TBranchElement types: a member of a split object; a split TClonesArray or STL collection, and their members. */
const MEMBER = 0;
const CLONES_TOP = 3;
const STL_TOP = 4;
const CLONES_MEMBER = 31;
const STL_MEMBER = 41;

/**
 * Classifies a TBranch/TBranchElement, named `name` in the tree. `counterOf` names the branch
 * that holds a leaf (for counts). Never guesses: what it cannot read is 'unsupported'.
 */
export function describeBranch(b: JsBranch, name = b.fName, counterOf: (leaf: unknown) => string | null = () => null,
                               memberOf: MemberOf = () => null): BranchInfo {
  if (b._typename === 'TBranchElement') {
    const cls = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
    // A split TClonesArray (3) or STL collection (4): its own entries are the element counts.
    if (b.fType === CLONES_TOP || b.fType === STL_TOP) return branchInfo(b, name, 'int32', 'scalar', 'int32');
    if (b.fBranches.arr.length > 0) return branchInfo(b, name, `${cls || 'TBranchElement'} (split: read its sub-branches)`, 'unsupported');
    // ROOT::VecOps::RVec<T> (RDataFrame's Snapshot) is written as std::vector<T> is.
    const m = /^(?:vector|ROOT::VecOps::RVec)<\s*(.+?)\s*>$/.exec(canonicalTypeName(cls));
    const el = m ? VECTOR_ELEMENT[m[1]!] : undefined;
    if (el && (b.fType ?? 0) === 0) return branchInfo(b, name, `vector<${el}>`, 'vector', el);
    if (((b.fType ?? 0) === 0 || b.fType === -1) && (b.fStreamerType ?? -1) === -1) {
      const stl = parseStlType(cls);
      if (stl?.kind === 'string') return branchInfo(b, name, stlTypeName(stl), 'string');
      // A set of numbers is laid out as a vector of them: the fast path reads it.
      const set = /^set<\s*(.+?)\s*>$/.exec(canonicalTypeName(cls));
      const setEl = set ? VECTOR_ELEMENT[set[1]!] : undefined;
      if (setEl) return branchInfo(b, name, `set<${setEl}>`, 'vector', setEl);
      if (stl && stl.kind !== 'number') return branchInfo(b, name, stlTypeName(stl), 'nested');
      if (b.fBranches.arr.length === 0) {
        // Small objects of a fixed layout: TVector2/TVector3 as their doubles, TDatime as its packed word.
        if (isStreamedObject(cls)) {
          const k = STREAMED_OBJECTS[cls].components.length;
          const info = branchInfo(b, name, `${cls} (double[${k}]: ${STREAMED_OBJECTS[cls].components.join(', ')})`, 'fixed-array', 'double', k);
          info.streamed = cls;
          return info;
        }
        if (cls === 'TDatime') return branchInfo(b, name, 'TDatime (uint32)', 'scalar', 'uint32');
      }
    }
    return splitMember(b, name, cls, counterOf, memberOf) ?? stlMember(b, name, cls, memberOf, counterOf) ?? branchInfo(b, name, memberType(b, cls), 'unsupported');
  }
  const leaves = b.fLeaves.arr;
  if (leaves.length !== 1) {
    const listed = leafListLeaves(b, name);
    if (listed) return branchInfo(b, name, `leaf list (read its leaves: ${listed.map((l) => l.name).join(', ')})`, 'unsupported');
    return branchInfo(b, name, `leaf list of ${leaves.length} leaves (${leaves.map((l) => l.fName).join(':')})`, 'unsupported');
  }
  const leaf = leaves[0]!;
  if (leaf._typename === 'TLeafC') return branchInfo(b, name, 'string', 'string');
  if (leaf._typename === 'TLeafD32' || leaf._typename === 'TLeafF16') return packedLeaf(b, name, leaf, counterOf);
  const t = LEAF[leaf._typename];
  // A TLeafObject holds a whole object streamed by its class (a TH2F, an experiment's event): named by that class.
  if (!t) return branchInfo(b, name, leaf._typename === 'TLeafObject' ? `TLeafObject of ${b.fClassName || leaf.fTitle}` : leaf._typename, 'unsupported');
  const element = leaf.fIsUnsigned ? t[1] : t[0];
  if (leaf.fLeafCount) {
    const counter = counterOf(leaf.fLeafCount) ?? leaf.fLeafCount.fName;
    if (leaf.fLen > 1) return branchInfo(b, name, `${element}[${counter}][${leaf.fLen}]`, 'unsupported');
    return branchInfo(b, name, `${element}[${counter}]`, 'counted-array', element, 1, counter);
  }
  if (leaf.fLen > 1) return branchInfo(b, name, `${element}[${leaf.fLen}]`, 'fixed-array', element, leaf.fLen);
  return branchInfo(b, name, element, 'scalar', element);
}

/**
 * The leaves of a leaf list (`x/D:y/I:z/B`, several leaves in one TBranch) as branches of their
 * own, `name.x` …: each entry is the leaves' values one after another (TBranch::Fill writes each
 * leaf in turn, no padding). Plain numbers and fixed arrays sit at a fixed place in a fixed-size
 * entry; a leaf counted by an earlier leaf of the list (`n/I:px[n]/F`) makes the entries vary,
 * and then every leaf is read by walking the entries (`leafOf.walk`), the counted ones as
 * counted arrays. Null when a leaf is not a plain number (a string, a packed float), is counted
 * by a leaf outside the list, or is a 2-D counted leaf.
 */
export function leafListLeaves(b: JsBranch, name: string): BranchInfo[] | null {
  const leaves = b.fLeaves.arr;
  if (leaves.length < 2) return null;
  const out: BranchInfo[] = [];
  const walk: LeafWalk['leaves'] = [];
  let at = 0;
  for (const leaf of leaves) {
    const t = LEAF[leaf._typename];
    if (!t || !(leaf.fLen >= 1)) return null;
    const element = leaf.fIsUnsigned ? t[1] : t[0];
    const count = leaf.fLeafCount ? leaves.indexOf(leaves.find((l) => l.fName === leaf.fLeafCount!.fName && l !== leaf)!) : -1;
    // Counted by a leaf outside the list, or by one after it or not a whole number, or a 2-D
    // counted leaf (`p[n][3]`, in no public file to check it against): not read.
    if (leaf.fLeafCount && !(leaf.fLen === 1 && count >= 0 && count < out.length && /^(u?int(8|16|32|64))$/.test(walk[count]!.element) && walk[count]!.len === 1)) return null;
    walk.push({ element, len: leaf.fLen, count });
    const full = `${name}.${leaf.fName}`;
    const info = count >= 0
      ? branchInfo(b, full, `${element}[${name}.${leaves[count]!.fName}]${leaf.fLen > 1 ? `[${leaf.fLen}]` : ''}`, 'counted-array', element, leaf.fLen, `${name}.${leaves[count]!.fName}`)
      : leaf.fLen > 1 ? branchInfo(b, full, `${element}[${leaf.fLen}]`, 'fixed-array', element, leaf.fLen)
      : branchInfo(b, full, element, 'scalar', element);
    info.leafOf = { at, stride: 0, walk: null };
    at += ELEMENT_SIZE[element] * leaf.fLen;
    out.push(info);
  }
  const varies = walk.some((l) => l.count >= 0);
  out.forEach((info, index) => {
    info.leafOf!.stride = varies ? -1 : at;
    if (varies) info.leafOf!.walk = { leaves: walk, index };
  });
  return out;
}

/** A Double32_t or Float16_t leaf, its packing read from the range in its title (see Packing). */
function packedLeaf(b: JsBranch, name: string, leaf: Leaf, counterOf: (leaf: unknown) => string | null): BranchInfo {
  const half = leaf._typename === 'TLeafF16';
  if (!leaf.fLeafCount) return packedBranch(b, name, half, leaf.fTitle ?? '', leaf.fLen);
  const counter = counterOf(leaf.fLeafCount);
  if (!counter || leaf.fLen > 1) return branchInfo(b, name, `${leaf._typename} (${half ? 'Float16_t' : 'Double32_t'}) ${counter ? '2-D ' : ''}counted array`, 'unsupported');
  return packedBranch(b, name, half, leaf.fTitle ?? '', 1, counter);
}

/**
 * A branch of packed floats (Double32_t, or Float16_t when `half`), `inner` per entry, packed as
 * `title`'s range says; 'unsupported', naming the range, when the range is not one ROOT could use.
 */
function packedBranch(b: JsBranch, name: string, half: boolean, title: string, inner: number, counter: string | null = null): BranchInfo {
  const cpp = half ? 'Float16_t' : 'Double32_t';
  let packed: Packing;
  try {
    packed = packingOf(title, half);
  } catch (err) {
    return branchInfo(b, name, `${cpp} (${(err as Error).message})`, 'unsupported');
  }
  const element: ElementType = half ? 'float' : 'double';
  const info = counter ? branchInfo(b, name, `${cpp}[${counter}]`, 'counted-array', element, 1, counter)
    : inner > 1 ? branchInfo(b, name, `${cpp}[${inner}]`, 'fixed-array', element, inner)
    : branchInfo(b, name, cpp, 'scalar', element);
  info.packed = packed;
  return info;
}

/** Names what an unreadable member of a split object holds, by its ROOT type code. */
function memberType(b: JsBranch, cls: string): string {
  const st = b.fStreamerType ?? -1;
  if (b.fType !== MEMBER && b.fType !== CLONES_MEMBER && b.fType !== STL_MEMBER) return cls || 'TBranchElement';
  // A base class's branch (not split further) is named after the base: KM3NeT's
  // `KM3NETDAQ::JDAQPreamble` of each JDAQEvent, ATLAS's `xAOD::AuxContainerBase`, TObject.
  if (st === 0 || st === 66 && memberName(b) === 'TObject') return `base class ${memberName(b)} of ${cls}`;
  const what = st === 65 ? 'TString' : st === 365 ? 'std::string' : st === 300 || st === 500 ? 'STL container' : st > 40 && st < 60 ? `pointer to ${STREAMER_ELEMENT[st % 20] ?? 'an'} array` : `type code ${st}`;
  return `${what} member of ${cls}`;
}

/**
 * A leaf member of a split object: a number, a fixed array of numbers, or (inside a split
 * TClonesArray or STL collection) one number per element, counted by the collection's branch.
 */
function splitMember(b: JsBranch, name: string, cls: string, counterOf: (leaf: unknown) => string | null, memberOf: MemberOf): BranchInfo | null {
  const st = b.fStreamerType ?? -1;
  const type = b.fType ?? -1;
  const leaf = b.fLeaves.arr[0];
  if (!leaf) return null;
  if (type === MEMBER && st === 65) return branchInfo(b, name, 'TString', 'string');
  // Double32_t and Float16_t members, packed as the range in the member's comment says.
  if (st > 0 && st < 40 && (st % 20 === PACKED_DOUBLE || st % 20 === PACKED_FLOAT)) {
    const declared = memberOf(cls, b.fClassVersion ?? -1, memberName(b));
    const half = st % 20 === PACKED_FLOAT;
    if (declared && type === MEMBER) return packedBranch(b, name, half, declared.title, st > 20 ? leaf.fLen : 1);
    // One per element of a split collection, counted by the collection's branch.
    const counter = (type === CLONES_MEMBER || type === STL_MEMBER) && st < 20 && leaf.fLeafCount ? counterOf(leaf.fLeafCount) : null;
    if (declared && counter) return packedBranch(b, name, half, declared.title, 1, counter);
  }
  // A pointer to an array of numbers counted by another member (`Int_t* fX; //[fN]`).
  const pointed = st > 40 && st < 60 ? STREAMER_ELEMENT[st % 20] : undefined;
  if (type === MEMBER && pointed && leaf.fLeafCount) {
    const counter = counterOf(leaf.fLeafCount);
    if (counter) return branchInfo(b, name, `${pointed}[${counter}]`, 'counted-array', pointed, 1, counter, 1);
  }
  const element = st > 0 && st < 40 ? STREAMER_ELEMENT[st % 20] : undefined;
  if (!element) return null;
  const fixed = st > 20;
  if (st === OBJECT_BITS) {
    const info = type === MEMBER ? branchInfo(b, name, 'uint32', 'scalar', 'uint32') : null;
    const counter = type === CLONES_MEMBER || type === STL_MEMBER ? counterOf(leaf.fLeafCount) : null;
    const bits = info ?? (counter ? branchInfo(b, name, `uint32[${counter}]`, 'counted-array', 'uint32', 1, counter) : null);
    if (bits) bits.objectBits = true;
    return bits;
  }
  if (type === MEMBER) {
    return fixed ? branchInfo(b, name, `${element}[${leaf.fLen}]`, 'fixed-array', element, leaf.fLen) : branchInfo(b, name, element, 'scalar', element);
  }
  if ((type === CLONES_MEMBER || type === STL_MEMBER) && leaf.fLeafCount) {
    const counter = counterOf(leaf.fLeafCount);
    // A fixed array member (Delphes' `Float_t Tau[5]` of each Jet): a counted array of fixed arrays.
    if (counter && fixed) return branchInfo(b, name, `${element}[${counter}][${leaf.fLen}]`, 'counted-array', element, leaf.fLen, counter);
    if (counter) return branchInfo(b, name, `${element}[${counter}]`, 'counted-array', element, 1, counter);
  }
  return null;
}

/**
 * A member of a split object that is an STL container or std::string (type codes 300, 365),
 * whose type the file's StreamerInfo gives: each entry is an object header and then the
 * container as an unsplit branch of that type holds it (a vector of numbers takes the fast path).
 */
function stlMember(b: JsBranch, name: string, cls: string, memberOf: MemberOf, counterOf: (leaf: unknown) => string | null): BranchInfo | null {
  const st = b.fStreamerType ?? -1;
  const inCollection = b.fType === CLONES_MEMBER || b.fType === STL_MEMBER;
  if ((b.fType !== MEMBER && !inCollection) || (st !== 300 && st !== 365) || !cls) return null;
  const declared = memberOf(cls, b.fClassVersion ?? -1, memberName(b))?.typeName;
  const stl = declared ? parseStlType(declared.replace(/\s+/g, ' ').trim()) : null;
  if (!stl) return null;
  if (inCollection) {
    // One container per element of the collection, counted by the collection's branch: one
    // offsets level more than the member's type (entry → elements → the member's levels). Maps
    // there are not read (no file shows how they are laid out).
    const counter = b.fLeaves.arr[0]?.fLeafCount ? counterOf(b.fLeaves.arr[0].fLeafCount) : null;
    if (!counter || stl.kind === 'map' || stl.kind === 'list' && stl.of.kind === 'map') return null;
    return branchInfo(b, name, `${stlTypeName(stl)}[${counter}]`, 'nested', null, 1, counter);
  }
  if (stl.kind === 'list' && stl.container === 'vector' && stl.of.kind === 'number') return branchInfo(b, name, `vector<${stl.of.element}>`, 'vector', stl.of.element);
  if (stl.kind === 'string') {
    const info = branchInfo(b, name, stlTypeName(stl), 'string');
    info.stlString = true;
    return info;
  }
  return branchInfo(b, name, stlTypeName(stl), 'nested');
}

/** A split member branch's member name: its own name after the parents' (`evt.fX` → `fX`). */
function memberName(b: JsBranch): string {
  return b.fName.slice(b.fName.lastIndexOf('.') + 1);
}

/**
 * Every BranchInfo comes from this one literal, so all share one hidden class: the decoders are
 * then monomorphic in it. (Spread literals gave a class per call site, and per file as V8 tuned
 * their size; a long-lived worker's `arrays` deoptimized on a "wrong map" and was recompiled,
 * ~50 ms of compiler time each, every few runs.)
 */
export function branchInfo(b: JsBranch, name: string, typeName: string, kind: BranchInfo['kind'], element: ElementType | null = null, inner = 1,
                    counter: string | null = null, entryHeader = 0): BranchInfo {
  return { name, typeName, kind, element, inner, counter, entryHeader, packed: null, objectBits: false, leafOf: null, streamed: null, member: null, stl: null, stlString: false, elementBase: null, entries: Number(b.fEntries) };
}
