/**
 * The classes that describe classes: a file's StreamerInfo list (TStreamerInfo and its
 * TStreamerElement subclasses), read by hand because they are what every other class is read with.
 */
import type { RBuffer, RObject } from './rbuffer.js';

/** One member (or base class) of a class, as its TStreamerElement describes it. */
export interface StreamerElement {
  /** The TStreamerElement subclass: TStreamerBase, TStreamerBasicType, TStreamerObject, … */
  kind: string;
  name: string;
  title: string;
  type: number;
  arrayLength: number;
  typeName: string;
  /** For pointers to arrays (`Int_t* fX; //[fN]`): the member holding the count. */
  countName: string;
  /** For a base class: its version. */
  baseVersion: number;
}

/** How one version of one class is serialized. */
export interface StreamerInfo {
  name: string;
  version: number;
  checksum: number;
  elements: StreamerElement[];
}

/** Member types (ROOT's TVirtualStreamerInfo::EReadWrite). */
export const T = {
  base: 0, char: 1, short: 2, int: 3, long: 4, float: 5, counter: 6, charStar: 7, double: 8, double32: 9,
  legacyChar: 10, uchar: 11, ushort: 12, uint: 13, ulong: 14, bits: 15, long64: 16, ulong64: 17, bool: 18, float16: 19,
  offsetL: 20, offsetP: 40, object: 61, any: 62, objectp: 63, objectP: 64, tstring: 65, tobject: 66, tnamed: 67,
  anyp: 68, anyP: 69, stl: 300, stlString: 365, streamer: 500, streamLoop: 501,
} as const;

/** Reads TObject's members into `into`. */
export function readTObject(buf: RBuffer, into: RObject): void {
  const { end } = buf.version();
  into.fUniqueID = buf.u32();
  const bits = buf.u32();
  into.fBits = bits;
  // kIsReferenced: a process id follows.
  if (bits & (1 << 4)) buf.u16();
  buf.finish(end, 'TObject');
}

/** Reads TNamed (TObject, fName, fTitle) into `into`. */
export function readTNamed(buf: RBuffer, into: RObject): void {
  const { end } = buf.version();
  readTObject(buf, into);
  into.fName = buf.tstring();
  into.fTitle = buf.tstring();
  buf.finish(end, 'TNamed');
}

/** Reads a TStreamerElement subclass object (after its class tag). */
export function readStreamerElement(buf: RBuffer, kind: string): RObject & StreamerElement {
  const outer = buf.version();
  // TStreamerSTLstring derives from TStreamerSTL: one more header.
  const stl = kind === 'TStreamerSTLstring' ? buf.version() : null;
  const el = { _typename: kind, kind, name: '', title: '', type: 0, arrayLength: 0, typeName: '', countName: '', baseVersion: 0 } as RObject & StreamerElement;
  const inner = buf.version();
  const named: RObject = { _typename: 'TNamed' };
  readTNamed(buf, named);
  el.name = String(named.fName);
  el.title = String(named.fTitle);
  el.type = buf.i32();
  buf.i32(); // fSize
  el.arrayLength = buf.i32();
  buf.i32(); // fArrayDim
  if (inner.version === 1) buf.skip(4 * buf.i32());
  else buf.skip(4 * 5); // fMaxIndex[5]
  el.typeName = buf.tstring();
  if (el.type === T.uchar && (el.typeName === 'Bool_t' || el.typeName === 'bool')) el.type = T.bool;
  buf.finish(inner.end, 'TStreamerElement');
  if (kind === 'TStreamerBase' && outer.version >= 2) el.baseVersion = buf.i32();
  if (kind === 'TStreamerBasicPointer' || kind === 'TStreamerLoop') {
    buf.i32(); // fCountVersion
    el.countName = buf.tstring();
  }
  if (stl) buf.finish(stl.end, 'TStreamerSTL');
  buf.finish(outer.end, kind);
  return el;
}

/** Gathers the TStreamerInfo objects of a StreamerInfo list, by class name. */
export function indexStreamers(list: RObject): Map<string, StreamerInfo[]> {
  const byName = new Map<string, StreamerInfo[]>();
  for (const info of BUILTIN_STREAMERS) byName.set(info.name, [info]);
  const own = new Set<string>();
  for (const o of (list.arr as (RObject | null)[] | undefined) ?? []) {
    if (!o || o._typename !== 'TStreamerInfo') continue;
    const info = o as unknown as StreamerInfo;
    if (!own.has(info.name)) byName.delete(info.name);
    own.add(info.name);
    const all = byName.get(info.name) ?? [];
    all.push(info);
    byName.set(info.name, all);
  }
  return byName;
}

/** A member description for the built-in classes below. */
function member(name: string, type: number, typeName: string): StreamerElement {
  return { kind: type === T.base ? 'TStreamerBase' : 'TStreamerBasicType', name, title: '', type, arrayLength: 0, typeName, countName: '', baseVersion: 0 };
}

function leaf(name: string, type: number, typeName: string): StreamerInfo {
  return {
    name, version: 1, checksum: 0,
    elements: [member('TLeaf', T.base, 'BASE'), member('fMinimum', type, typeName), member('fMaximum', type, typeName)],
  };
}

/**
 * Descriptions of the leaf classes and TTime, for files that do not carry them (ROOT leaves out
 * the StreamerInfo of classes it considers basic in some writes; uproot's and jsroot's readers
 * know them too). A file's own StreamerInfo always wins.
 */
export const BUILTIN_STREAMERS: StreamerInfo[] = [
  {
    name: 'TLeaf', version: 2, checksum: 0,
    elements: [
      member('TNamed', T.base, 'BASE'), member('fLen', T.int, 'int'), member('fLenType', T.int, 'int'), member('fOffset', T.int, 'int'),
      member('fIsRange', T.bool, 'bool'), member('fIsUnsigned', T.bool, 'bool'),
      { ...member('fLeafCount', T.objectP, 'TLeaf*'), kind: 'TStreamerObjectPointer' },
    ],
  },
  leaf('TLeafB', T.char, 'char'), leaf('TLeafS', T.short, 'short'), leaf('TLeafI', T.int, 'int'), leaf('TLeafL', T.long64, 'Long64_t'),
  leaf('TLeafG', T.long, 'long'), leaf('TLeafF', T.float, 'float'), leaf('TLeafD', T.double, 'double'), leaf('TLeafO', T.bool, 'bool'),
  leaf('TLeafC', T.int, 'int'),
  { name: 'TLeafElement', version: 1, checksum: 0, elements: [member('TLeaf', T.base, 'BASE'), member('fID', T.int, 'int'), member('fType', T.int, 'int')] },
  // TTime, as uproot knows it: CAEN's CoMPASS writes TTime objects (a run's real and live time)
  // without their description, which read as {_unread: true}.
  { name: 'TTime', version: 2, checksum: 0, elements: [member('fMilliSec', T.long64, 'Long64_t')] },
];