import type { ElementType } from './types.js';

/** How a branch's entries are laid out. */
export type BranchKind = 'scalar' | 'fixed-array' | 'counted-array' | 'vector' | 'string';

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
  entries: number;
}

type Leaf = { _typename: string; fName: string; fLen: number; fIsUnsigned: boolean; fLeafCount?: { fName: string } | null };
export type JsBranch = {
  _typename: string;
  fName: string;
  fClassName?: string;
  fStreamerType?: number;
  fType?: number;
  fEntries: number;
  fEntryOffsetLen: number;
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

/** Classifies a jsroot TBranch/TBranchElement. Never guesses: what it cannot read is 'unsupported'. */
export function describeBranch(b: JsBranch): BranchInfo {
  if (b._typename === 'TBranchElement') {
    const cls = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
    const m = /^vector<\s*(.+?)\s*>$/.exec(cls);
    const el = m ? VECTOR_ELEMENT[m[1]!] : undefined;
    if (el && b.fBranches.arr.length === 0 && (b.fType ?? 0) === 0) return branchInfo(b, `vector<${el}>`, 'vector', el);
    return branchInfo(b, cls || 'TBranchElement', 'unsupported');
  }
  const leaves = b.fLeaves.arr;
  if (leaves.length !== 1) {
    return branchInfo(b, `leaf list of ${leaves.length} leaves (${leaves.map((l) => l.fName).join(':')})`, 'unsupported');
  }
  const leaf = leaves[0]!;
  if (leaf._typename === 'TLeafC') return branchInfo(b, 'string', 'string');
  const t = LEAF[leaf._typename];
  if (!t) return branchInfo(b, leaf._typename, 'unsupported');
  const element = leaf.fIsUnsigned ? t[1] : t[0];
  if (leaf.fLeafCount) {
    if (leaf.fLen > 1) return branchInfo(b, `${element}[${leaf.fLeafCount.fName}][${leaf.fLen}]`, 'unsupported');
    return branchInfo(b, `${element}[${leaf.fLeafCount.fName}]`, 'counted-array', element, 1, leaf.fLeafCount.fName);
  }
  if (leaf.fLen > 1) return branchInfo(b, `${element}[${leaf.fLen}]`, 'fixed-array', element, leaf.fLen);
  return branchInfo(b, element, 'scalar', element);
}

/**
 * Every BranchInfo comes from this one literal, so all share one hidden class: the decoders are
 * then monomorphic in it. (Spread literals gave a class per call site, and per file as V8 tuned
 * their size; a long-lived worker's `arrays` deoptimized on a "wrong map" and was recompiled,
 * ~50 ms of compiler time each, every few runs.)
 */
function branchInfo(b: JsBranch, typeName: string, kind: BranchInfo['kind'], element: ElementType | null = null, inner = 1,
                    counter: string | null = null): BranchInfo {
  return { name: b.fName, typeName, kind, element, inner, counter, entries: Number(b.fEntries) };
}
