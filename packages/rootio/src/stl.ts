/**
 * Unsplit STL containers and strings of a TBranchElement, to any depth: `vector<vector<int>>`,
 * `vector<string>`, `set<T>`, `map<K, V>`, … Each level becomes one offsets array, so a column
 * stays a few flat arrays however deep the type (uproot's shape, without per-entry objects).
 *
 * On disk an entry is a 6-byte object header (byte count, version) and the container; nested
 * containers and strings inside it have no header of their own. A map is written member-wise
 * (the version's 0x4000 bit): a pair header (u16 version, u32 checksum), the count, all keys,
 * then all values, each of the two blocks behind a 6-byte header when its type is an STL class;
 * or object-wise: the count, then key, value, key, value….
 */
import { RootFormatError } from './errors.js';
import type { BranchInfo } from './branch.js';
import type { PendingBasket } from './basket.js';
import type { Counts } from './counted-walk.js';
import { allocate, ELEMENT_SIZE, type ElementType, type Nested, type TypedArray, utf8 } from './types.js';

/** An STL type as the decoder walks it. */
export type StlType =
  | { kind: 'number'; element: ElementType }
  | { kind: 'string'; stl: boolean }
  | { kind: 'list'; container: string; of: StlType }
  | { kind: 'map'; key: StlType; value: StlType }
  /**
   * One number field of each object of a class (ATLAS's `m_persKey` of each `ElementLink<…>`),
   * read by walking the object as the file's StreamerInfo lays it out (object-fields.ts makes these).
   */
  | { kind: 'field'; cls: string; field: string; element: ElementType; make: () => Builder };


const NUMBER: Record<string, ElementType> = {
  bool: 'bool', char: 'int8', 'unsigned char': 'uint8', short: 'int16', 'unsigned short': 'uint16', int: 'int32',
  'unsigned int': 'uint32', long: 'int64', 'long long': 'int64', 'unsigned long': 'uint64', 'unsigned long long': 'uint64',
  Long64_t: 'int64', ULong64_t: 'uint64', float: 'float', double: 'double', Float_t: 'float', Double_t: 'double',
  Int_t: 'int32', UInt_t: 'uint32', Bool_t: 'bool', Short_t: 'int16', UShort_t: 'uint16', Char_t: 'int8', UChar_t: 'uint8',
  int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64',
};

/** How many leading template arguments of each container are its types: the rest are its allocator or comparator. */
const TYPE_ARGS: Record<string, number> = {
  vector: 1, list: 1, deque: 1, set: 1, multiset: 1, unordered_set: 1, map: 2, multimap: 2, unordered_map: 2,
};

/**
 * A C++ type name as this reader matches it: spaces collapsed, `std::` and `const` dropped, and a
 * container's allocator or comparator arguments dropped at any depth, as uproot names them
 * (`vector<float,ROOT::Detail::VecOps::RAdoptAllocator<float> >`, RDataFrame's, is
 * `vector<float>`; a `const std::string` member is `string`).
 */
export function canonicalTypeName(name: string): string {
  const s = name.replace(/\s+/g, ' ').replace(/std::/g, '').replace(/\bconst\s+/g, '').trim();
  const m = /^([\w:]+)\s*<(.*)>$/.exec(s);
  const keep = m ? TYPE_ARGS[m[1]!] : undefined;
  if (!m || keep === undefined) return s;
  const args = splitArgs(m[2]!).map(canonicalTypeName);
  const extra = (a: string) => /^(?:[\w:]*::)?(?:allocator|\w*Allocator|less|greater|hash|equal_to)\s*</.test(a);
  return `${m[1]}<${args.filter((a, i) => i < keep || !extra(a)).join(',')}>`;
}

/** Parses a C++ (or our normalized) container type, or null when it is not one this decoder reads. */
export function parseStlType(name: string): StlType | null {
  const s = canonicalTypeName(name);
  if (s === 'string') return { kind: 'string', stl: true };
  if (s === 'TString') return { kind: 'string', stl: false };
  if (NUMBER[s]) return { kind: 'number', element: NUMBER[s]! };
  const m = /^(vector|set|list|unordered_set|map|unordered_map)\s*<(.*)>$/.exec(s);
  if (!m) return null;
  const args = splitArgs(m[2]!);
  if (m[1] === 'map' || m[1] === 'unordered_map') {
    if (args.length !== 2) return null;
    const key = parseStlType(args[0]!);
    const value = parseStlType(args[1]!);
    // A map inside another container is written differently (not member-wise): not read here.
    return key && value && key.kind !== 'map' && value.kind !== 'map' ? { kind: 'map', key, value } : null;
  }
  const of = args.length === 1 ? parseStlType(args[0]!) : null;
  return of && of.kind !== 'map' ? { kind: 'list', container: m[1]!, of } : null;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') depth++;
    else if (s[i] === '>') depth--;
    else if (s[i] === ',' && depth === 0) {
      out.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(s.slice(from).trim());
  return out;
}

/** Our name for a parsed type (`vector<vector<int32>>`, `map<string,vector<int16>>`). */
export function stlTypeName(t: StlType): string {
  switch (t.kind) {
    case 'number': return t.element;
    case 'string': return t.stl ? 'string' : 'TString';
    case 'list': return `${t.container}<${stlTypeName(t.of)}>`;
    case 'map': return `map<${stlTypeName(t.key)},${stlTypeName(t.value)}>`;
    case 'field': return t.element;
  }
}

/** Thrown inside an entry; the caller names the branch and entry. */
export class EntryError extends Error {}

/** Collects one level of a nested column while entries are read. */
export interface Builder {
  /** Reads one item at `p` (never past `end`), returning where it ends. */
  read(v: DataView, bytes: Uint8Array, p: number, end: number): number;
  finish(): Nested;
}

/** Throws unless `n` bytes at `p` lie before `end`. */
export function need(p: number, n: number, end: number): void {
  if (n < 0 || p + n > end) throw new EntryError(`needs ${n} bytes at ${p}, the entry ends at ${end}`);
}

/**
 * The end of a ROOT string at `p` (a length byte, or 255 and a 4-byte length, then the bytes),
 * checked against `end`.
 */
export function skipString(v: DataView, b: Uint8Array, p: number, end: number): number {
  need(p, 1, end);
  let n = b[p++]!;
  if (n === 255) {
    need(p, 4, end);
    n = v.getInt32(p);
    p += 4;
  }
  need(p, n, end);
  return p + n;
}

function count(v: DataView, p: number, end: number, min: number): number {
  need(p, 4, end);
  const n = v.getInt32(p);
  if (n < 0 || n * min > end - p - 4) throw new EntryError(`a container claims ${n} items, more than the entry holds`);
  return n;
}

export class NumberBuilder implements Builder {
  private readonly out: number[] = [];
  private readonly big: bigint[] = [];
  constructor(private readonly element: ElementType) {}
  read(v: DataView, _b: Uint8Array, p: number, end: number): number {
    const size = ELEMENT_SIZE[this.element];
    need(p, size, end);
    switch (this.element) {
      case 'bool': case 'uint8': this.out.push(v.getUint8(p)); break;
      case 'int8': this.out.push(v.getInt8(p)); break;
      case 'int16': this.out.push(v.getInt16(p)); break;
      case 'uint16': this.out.push(v.getUint16(p)); break;
      case 'int32': this.out.push(v.getInt32(p)); break;
      case 'uint32': this.out.push(v.getUint32(p)); break;
      case 'int64': this.big.push(v.getBigInt64(p)); break;
      case 'uint64': this.big.push(v.getBigUint64(p)); break;
      case 'float': this.out.push(v.getFloat32(p)); break;
      case 'double': this.out.push(v.getFloat64(p)); break;
    }
    return p + size;
  }
  finish(): Nested {
    const src = this.element === 'int64' || this.element === 'uint64' ? this.big : this.out;
    const a = allocate(this.element, src.length) as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < src.length; i++) a[i] = src[i]!;
    return a as unknown as TypedArray;
  }
}

export class StringBuilder implements Builder {
  private readonly out: string[] = [];
  private readonly dec = new TextDecoder();
  read(v: DataView, b: Uint8Array, p: number, end: number): number {
    const stop = skipString(v, b, p, end);
    this.out.push(utf8(this.dec, b.subarray(b[p] === 255 ? p + 5 : p + 1, stop)));
    return stop;
  }
  finish(): Nested {
    return this.out;
  }
}

/** A builder of objects of a class (object-fields.ts), which can also read them written member-wise. */
export interface ObjectsBuilder extends Builder {
  readonly objects: true;
  /** Reads `n` objects of class version `version` written member-wise at `p`, returning where they end. */
  readMany(v: DataView, bytes: Uint8Array, p: number, end: number, n: number, version: number): number;
}

function isObjects(b: Builder): b is ObjectsBuilder {
  return (b as Partial<ObjectsBuilder>).objects === true;
}

class ListBuilder implements Builder {
  private readonly offsets: number[] = [0];
  constructor(readonly items: Builder) {}
  /**
   * A container of objects written member-wise (the header's 0x4000 bit; TStreamerInfo's
   * ReadBufferSTL): the objects' class version (and its checksum when 0 or less), the count, then
   * each member of the class for every object.
   */
  readMemberwise(v: DataView, b: Uint8Array, p: number, end: number, items: ObjectsBuilder): number {
    need(p, 2, end);
    const version = v.getInt16(p);
    p += 2;
    if (version <= 0) {
      need(p, 4, end);
      p += 4;
    }
    const n = count(v, p, end, 1);
    p = items.readMany(v, b, p + 4, end, n, version);
    this.offsets.push(this.offsets.at(-1)! + n);
    return p;
  }
  read(v: DataView, b: Uint8Array, p: number, end: number): number {
    const n = count(v, p, end, 1);
    p += 4;
    for (let i = 0; i < n; i++) p = this.items.read(v, b, p, end);
    this.offsets.push(this.offsets.at(-1)! + n);
    return p;
  }
  finish(): Nested {
    return { offsets: Int32Array.from(this.offsets), values: this.items.finish() };
  }
}

class MapBuilder implements Builder {
  private readonly offsets: number[] = [0];
  /** Set per entry from its header: member-wise (keys, then values) or object-wise (pairs). */
  memberwise = true;
  constructor(private readonly type: Extract<StlType, { kind: 'map' }>, private readonly keys: Builder, private readonly values: Builder) {}
  read(v: DataView, b: Uint8Array, p: number, end: number): number {
    let n: number;
    if (this.memberwise) {
      need(p, 6, end);
      p += 6; // the pair's version and checksum
      n = count(v, p, end, 1);
      p += 4;
      p = block(this.type.key, this.keys, n, v, b, p, end);
      p = block(this.type.value, this.values, n, v, b, p, end);
    } else {
      // Object-wise (TGenCollectionStreamer::ReadMap): the count, then each pair's key and value;
      // a container key or value is its count and items, with no header of its own (ATLAS's
      // ByteStreamAuxContainer_v1 maps of string to vector<float>, vector<vector<int>>, …,
      // checked against the byte count of the map's header).
      n = count(v, p, end, 1);
      p += 4;
      for (let i = 0; i < n; i++) {
        p = this.keys.read(v, b, p, end);
        p = this.values.read(v, b, p, end);
      }
    }
    this.offsets.push(this.offsets.at(-1)! + n);
    return p;
  }
  finish(): Nested {
    return { offsets: Int32Array.from(this.offsets), keys: this.keys.finish(), values: this.values.finish() };
  }
}

/** `n` items of one member of a member-wise map: behind a header when the member is an STL class (and there are items). */
function block(t: StlType, into: Builder, n: number, v: DataView, b: Uint8Array, p: number, end: number): number {
  // An empty map has no blocks, so no block headers either.
  if (n > 0 && isStlClass(t)) p = header(v, p, end).next;
  for (let i = 0; i < n; i++) p = into.read(v, b, p, end);
  return p;
}

function isStlClass(t: StlType): boolean {
  return t.kind === 'list' || t.kind === 'map' || (t.kind === 'string' && t.stl);
}

/** An STL object's header (byte count, version): where its contents start, and whether a map is member-wise. */
export function header(v: DataView, p: number, end: number): { next: number; memberwise: boolean } {
  need(p, 6, end);
  const bc = v.getUint32(p);
  if (!(bc & 0x40000000)) throw new EntryError('an object header has no byte count');
  return { next: p + 6, memberwise: (v.getUint16(p + 4) & 0x4000) !== 0 };
}

/** The builder of one level of `t` (and of the levels below). */
export function builderFor(t: StlType): Builder {
  switch (t.kind) {
    case 'number': return new NumberBuilder(t.element);
    case 'string': return new StringBuilder();
    case 'list': return new ListBuilder(builderFor(t.of));
    case 'map': return new MapBuilder(t, builderFor(t.key), builderFor(t.value));
    case 'field': return t.make();
  }
}

/**
 * Reads one STL object at `p` (its header, then its contents) into `top`, a builder of its type;
 * returns where it ends.
 */
export function readStl(top: Builder, v: DataView, b: Uint8Array, p: number, end: number): number {
  const h = header(v, p, end);
  if (top instanceof MapBuilder) top.memberwise = h.memberwise;
  // A container of objects written member-wise: each member of every object together.
  if (h.memberwise && top instanceof ListBuilder && isObjects(top.items)) return top.readMemberwise(v, b, h.next, end, top.items);
  return top.read(v, b, h.next, end);
}

/**
 * Visits entries `[start, stop)` of `baskets` (each loaded once, released after its entries):
 * `each(view, data, begin, end, entry)`. An EntryError thrown by `each` becomes a RootFormatError
 * naming the branch, the entry and `what` the entry should have been.
 */
export function forEachEntry(path: string, info: BranchInfo, what: string, baskets: PendingBasket[], start: number, stop: number,
                             each: (view: DataView, data: Uint8Array, begin: number, end: number, entry: number) => void): void {
  for (const pending of baskets) {
    const b = pending.load();
    const o = b.offsets;
    if (!o) throw new RootFormatError(path, -1, `branch ${info.name}: a basket of ${what} entries has no entry offsets`);
    const a = Math.max(0, start - pending.entryStart);
    const z = Math.min(pending.entries, stop - pending.entryStart);
    for (let i = a; i < z; i++) {
      try {
        each(b.view, b.data, o[i]!, o[i + 1]!, pending.entryStart + i);
      } catch (err) {
        if (!(err instanceof EntryError)) throw err;
        // The EntryError stays its cause: a caller checking a layout against an entry (tree.ts) tells it from damaged baskets.
        throw Object.assign(new RootFormatError(path, -1, `branch ${info.name}: entry ${pending.entryStart + i} is not a valid ${what}: ${err.message}`), { cause: err });
      }
    }
    pending.release();
  }
}

/** Decodes entries `[start, stop)` of an unsplit STL branch of type `type`. */
export function decodeStl(path: string, info: BranchInfo, type: StlType, baskets: PendingBasket[], start: number, stop: number): Nested {
  const top = builderFor(type);
  forEachEntry(path, info, info.typeName, baskets, start, stop, (view, data, begin, end) => {
    const p = readStl(top, view, data, begin, end);
    if (p !== end) throw new EntryError(`${end - p} bytes are left over`);
  });
  return top.finish();
}

/**
 * Decodes entries `[start, stop)` of an STL member of a split collection (Trk's `vector<int>
 * rec_stages` of each element of KM3NeT's `vector<Trk>`, counted by `info.counter`): an entry is
 * one header (byte count, version) and then, for each of the entry's elements, the member's
 * container with no header of its own; an entry without elements may have no bytes at all.
 * The column has one offsets level more than the member's type: entry → elements → its levels.
 */
export function decodeCountedStl(path: string, info: BranchInfo, type: StlType, baskets: PendingBasket[], start: number, stop: number, counts: Counts | null): Nested {
  const items = builderFor(type);
  const offsets = new Int32Array(stop - start + 1);
  let e = 0;
  forEachEntry(path, info, info.typeName, baskets, start, stop, (view, data, begin, end, entry) => {
    const n = counts ? Number(counts.values[entry - counts.from]) : NaN;
    if (!(n >= 0)) throw new EntryError(`it has no element count in ${info.counter}`);
    let p = begin;
    if (n > 0 || p < end) {
      const h = header(view, p, end);
      if (h.memberwise) throw new EntryError('its containers are written member-wise, which is not read');
      p = h.next;
    }
    for (let k = 0; k < n; k++) p = items.read(view, data, p, end);
    if (p !== end) throw new EntryError(`${end - p} bytes are left over after its ${n} elements`);
    offsets[e + 1] = offsets[e]! + n;
    e++;
  });
  return { offsets, values: items.finish() };
}
