/**
 * Serialises objects member by member from their streamer descriptions (streamer-catalog.ts),
 * and serialises those descriptions themselves as the file's TStreamerInfo records, so the bytes
 * and the schema that explains them can never disagree.
 */
import { CATALOG } from './streamer-catalog.js';
import type { ClassDescription, ElementDescription } from './streamer-types.js';
import { WBuffer } from './wbuffer.js';

/** A ROOT object to serialise: its class and its members by their C++ names. */
export interface RObject {
  _class: string;
  [member: string]: unknown;
}

/** The bit pattern ROOT leaves in fBits of objects it writes (kNotDeleted | kIsOnHeap). */
export const DEFAULT_BITS = 0x03000000;

const VECTOR_CTYPES: Record<string, [number, string]> = {
  bool: [18, 'Bool_t'], char: [1, 'Char_t'], 'unsigned char': [11, 'UChar_t'], short: [2, 'Short_t'],
  'unsigned short': [12, 'UShort_t'], int: [3, 'Int_t'], 'unsigned int': [13, 'UInt_t'], Long64_t: [16, 'Long64_t'],
  ULong64_t: [17, 'ULong64_t'], float: [5, 'Float_t'], double: [8, 'Double_t'],
};

/**
 * ROOT's class checksum for an STL collection, which has no data members of its own: the name
 * hashed as id = id·3 + c (TClass::GetCheckSum). Reproduces the checksums ROOT wrote for
 * vector<float>, vector<int>, vector<bool> and vector<unsigned int> in the reference files.
 */
export function collectionCheckSum(className: string): number {
  let id = 0;
  for (const c of Buffer.from(className, 'utf8')) id = (Math.imul(id, 3) + c) >>> 0;
  return id;
}

/** The description of a class, building `vector<T>` ones for element types the catalog lacks. */
export function describe(className: string): ClassDescription {
  const known = CATALOG[className];
  if (known) return known;
  const m = /^vector<(.+)>$/.exec(className);
  const ct = m ? VECTOR_CTYPES[m[1]!] : undefined;
  if (ct) {
    return {
      version: 6,
      checkSum: collectionCheckSum(className),
      elements: [{ kind: 'stl', name: 'This', title: `<${ct[1]}> Used to call the proper TStreamerInfo case`, type: 500, size: 0, typeName: className, stlType: 1, ctype: ct[0] }],
    };
  }
  throw new Error(`rootio writer: no streamer description for class ${className}`);
}

/** Classes whose StreamerInfo must accompany `className` (its bases and members, transitively). */
export function dependencies(className: string, into: Set<string> = new Set()): Set<string> {
  if (into.has(className) || NO_INFO.has(className)) return into;
  into.add(className);
  for (const el of describe(className).elements) {
    if (el.kind === 'base' || el.kind === 'object' || el.kind === 'any' || el.kind === 'pointer') {
      const dep = el.kind === 'base' ? el.name : el.typeName.replace(/\*$/, '');
      if (dep !== 'TObject' && !(dep in CATALOG)) continue; // abstract pointees (TVirtualIndex) carry no info
      dependencies(dep, into);
    }
  }
  return into;
}
/** Custom-streamed leaf types ROOT does not describe in StreamerInfo (TArrays). */
const NO_INFO = new Set(['TArrayD', 'TArrayF', 'TArrayI', 'TArray']);

function writeBasic(buf: WBuffer, type: number, v: unknown): void {
  const n = v === undefined || v === null ? 0 : v;
  switch (type) {
    case 1: buf.i8(Number(n)); return;
    case 2: buf.i16(Number(n)); return;
    case 3: case 6: buf.i32(Number(n)); return;
    case 4: case 16: buf.i64(typeof n === 'bigint' ? n : BigInt(Math.trunc(Number(n)))); return;
    case 5: buf.f32(Number(n)); return;
    case 8: buf.f64(Number(n)); return;
    case 11: buf.u8(Number(n)); return;
    case 12: buf.u16(Number(n)); return;
    case 13: case 15: buf.u32(Number(n)); return;
    case 14: case 17: buf.u64(typeof n === 'bigint' ? n : BigInt(Math.trunc(Number(n)))); return;
    case 18: buf.u8(n ? 1 : 0); return;
    default: throw new Error(`rootio writer: basic type code ${type} not supported`);
  }
}

function writeTObject(buf: WBuffer, obj: Partial<RObject> | undefined, bits = DEFAULT_BITS): void {
  buf.i16(1);
  buf.u32(Number(obj?.['fUniqueID'] ?? 0));
  buf.u32(Number(obj?.['fBits'] ?? bits));
}

/** A TObjArray / TList body; `items` may hold nulls (TObjArray slots). */
function writeCollection(buf: WBuffer, className: string, items: readonly (RObject | null)[]): void {
  const isList = className === 'TList' || className === 'THashList';
  const at = buf.startVersioned(isList ? 5 : 3);
  writeTObject(buf, undefined, DEFAULT_BITS);
  buf.string('');
  buf.i32(items.length);
  if (!isList) buf.i32(0); // fLowerBound
  for (const item of items) {
    writeObjectAny(buf, item);
    if (isList) buf.u8(0); // per-entry option string
  }
  buf.endByteCount(at);
}

function writeTArray(buf: WBuffer, className: string, values: ArrayLike<number> | undefined): void {
  const n = values?.length ?? 0;
  buf.i32(n);
  for (let i = 0; i < n; i++) {
    const v = values![i]!;
    if (className === 'TArrayD') buf.f64(v); else if (className === 'TArrayF') buf.f32(v); else buf.i32(v);
  }
}

/** Writes the body of an object of `className` (as its class streamer would). */
export function writeBody(buf: WBuffer, className: string, obj: any): void {
  switch (className) {
    case 'TObject': writeTObject(buf, obj); return;
    case 'TObjArray': case 'TList': case 'THashList': writeCollection(buf, className, (obj ?? []) as RObject[]); return;
    case 'TArrayD': case 'TArrayF': case 'TArrayI': writeTArray(buf, className, obj?.fArray ?? obj); return;
  }
  const desc = describe(className);
  const at = buf.startVersioned(desc.version);
  for (const el of desc.elements) writeElement(buf, el, obj);
  buf.endByteCount(at);
}

function writeElement(buf: WBuffer, el: ElementDescription, obj: any): void {
  const value = obj?.[el.name];
  switch (el.kind) {
    case 'base': writeBody(buf, el.name, obj); return;
    case 'basic':
      if (el.arrayLength) for (let i = 0; i < el.arrayLength; i++) writeBasic(buf, el.type, (value as ArrayLike<unknown> | undefined)?.[i]);
      else writeBasic(buf, el.type, value);
      return;
    case 'string': buf.string(String(value ?? '')); return;
    case 'object': case 'any': writeBody(buf, el.typeName, value); return;
    case 'pointer':
      // '->' members (type 63) are streamed in place; plain pointers (64) carry a class tag or 0.
      if (el.type === 63) writeBody(buf, el.typeName.replace(/\*$/, ''), value);
      else writeObjectAny(buf, (value ?? null) as RObject | null);
      return;
    case 'basicPointer': {
      const n = Number(obj?.[el.countName!] ?? 0);
      const arr = value as ArrayLike<unknown> | undefined;
      if (!arr || n <= 0) { buf.u8(0); return; }
      buf.u8(1);
      for (let i = 0; i < n; i++) writeBasic(buf, el.type - 40, arr[i]);
      return;
    }
    case 'stl': throw new Error(`rootio writer: STL member ${el.name} is not supported`);
  }
}

/** A pointer to an object: 0, a reference to an object already in this buffer, or the object with its class. */
export function writeObjectAny(buf: WBuffer, obj: RObject | null): void {
  if (!obj) { buf.nullPointer(); return; }
  if (buf.writeReference(obj)) return;
  const at = buf.startObjectAny(obj._class, obj);
  writeBody(buf, obj._class, obj);
  buf.endByteCount(at);
}

const ELEMENT_CLASS: Record<ElementDescription['kind'], [string, number]> = {
  base: ['TStreamerBase', 3], basic: ['TStreamerBasicType', 2], string: ['TStreamerString', 2],
  object: ['TStreamerObject', 2], any: ['TStreamerObjectAny', 2], pointer: ['TStreamerObjectPointer', 2],
  basicPointer: ['TStreamerBasicPointer', 2], stl: ['TStreamerSTL', 3],
};

function writeTNamed(buf: WBuffer, name: string, title: string, bits = DEFAULT_BITS): void {
  const at = buf.startVersioned(1);
  writeTObject(buf, undefined, bits);
  buf.string(name);
  buf.string(title);
  buf.endByteCount(at);
}

function writeStreamerElement(buf: WBuffer, el: ElementDescription): void {
  const [cls, version] = ELEMENT_CLASS[el.kind];
  const outer = buf.startObjectAny(cls);
  const body = buf.startVersioned(version);
  const inner = buf.startVersioned(4);
  writeTNamed(buf, el.name, el.title);
  buf.i32(el.type);
  buf.i32(el.size);
  buf.i32(el.arrayLength ?? 0);
  buf.i32(el.arrayDim ?? 0);
  for (let i = 0; i < 5; i++) buf.i32(el.maxIndex?.[i] ?? 0);
  buf.string(el.typeName);
  buf.endByteCount(inner);
  if (el.kind === 'base') buf.i32(el.baseVersion ?? 0);
  else if (el.kind === 'basicPointer') { buf.i32(el.countVersion ?? 0); buf.string(el.countName ?? ''); buf.string(el.countClass ?? ''); }
  else if (el.kind === 'stl') { buf.i32(el.stlType ?? 0); buf.i32(el.ctype ?? 0); }
  buf.endByteCount(body);
  buf.endByteCount(outer);
}

/** One TStreamerInfo object (as a pointer, with its class tag) describing `className`. */
function writeStreamerInfo(buf: WBuffer, className: string): void {
  const desc = describe(className);
  const outer = buf.startObjectAny('TStreamerInfo');
  const body = buf.startVersioned(9);
  writeTNamed(buf, className, '', 0x03010000);
  buf.u32(desc.checkSum);
  buf.i32(desc.version);
  const arr = buf.startObjectAny('TObjArray');
  const arrBody = buf.startVersioned(3);
  writeTObject(buf, undefined, 0);
  buf.string('');
  buf.i32(desc.elements.length);
  buf.i32(0);
  for (const el of desc.elements) writeStreamerElement(buf, el);
  buf.endByteCount(arrBody);
  buf.endByteCount(arr);
  buf.endByteCount(body);
  buf.endByteCount(outer);
}

/** The StreamerInfo record's payload: a TList of TStreamerInfo for `classes`. */
export function writeStreamerInfoList(buf: WBuffer, classes: Iterable<string>): void {
  const list = [...classes];
  const at = buf.startVersioned(5);
  writeTObject(buf, undefined, 0x02000000);
  buf.string('');
  buf.i32(list.length);
  for (const cls of list) {
    writeStreamerInfo(buf, cls);
    buf.u8(0);
  }
  buf.endByteCount(at);
}
