/**
 * Reads ROOT objects (TTree, TBranch, TLeaf, TH1, …) the way ROOT wrote them: driven by the
 * file's own StreamerInfo, so every class version a file carries is read by its own description.
 * A few classes have hand-written streamers in ROOT (collections, TArray, TBasket, the streamer
 * classes themselves); those are read by hand here too.
 */
import { CLASS_MASK, BYTECOUNT_MASK, NEW_CLASS_TAG, rootText, type RBuffer, type RObject } from './rbuffer.js';
import { packingOf, untruncate, type Packing } from '../packing.js';
import { indexStreamers, readStreamerElement, readTNamed, readTObject, T, type StreamerElement, type StreamerInfo } from './streamers.js';

type Handler = (r: ObjectReader, buf: RBuffer, into: RObject) => void;

const TARRAY: Record<string, [number, (b: RBuffer, n: number) => ArrayLike<number>]> = {
  TArrayC: [1, (b, n) => Int8Array.from(bytes(b, n), (x) => (x << 24) >> 24)],
  TArrayS: [2, (b, n) => fill(new Int16Array(n), () => b.i16())],
  TArrayI: [4, (b, n) => fill(new Int32Array(n), () => b.i32())],
  TArrayL: [8, (b, n) => fill(new Float64Array(n), () => b.i64())],
  TArrayL64: [8, (b, n) => fill(new Float64Array(n), () => b.i64())],
  TArrayF: [4, (b, n) => fill(new Float32Array(n), () => b.f32())],
  TArrayD: [8, (b, n) => fill(new Float64Array(n), () => b.f64())],
};

function bytes(b: RBuffer, n: number): Uint8Array {
  b.need(n);
  const out = b.bytes.slice(b.pos, b.pos + n);
  b.pos += n;
  return out;
}

function fill<A extends { length: number; [i: number]: number }>(a: A, next: () => number): A {
  for (let i = 0; i < a.length; i++) a[i] = next();
  return a;
}

/** Reads a count and checks that its elements of `size` bytes fit before allocating them. */
function count(b: RBuffer, n: number, size: number, what: string): number {
  if (!(n >= 0) || n * size > b.bytes.length - b.pos) b.fail(`${what} claims ${n} elements, more than its record holds`);
  return n;
}

function readList(r: ObjectReader, buf: RBuffer, into: RObject): void {
  const { version, end } = buf.version();
  if (version > 3) {
    readTObject(buf, into);
    into.fName = buf.tstring();
  }
  const n = count(buf, buf.i32(), 4, 'a TList');
  const arr: (RObject | null)[] = [];
  const opts: string[] = [];
  // Every element is followed by its option string from version 4 on (TList::Streamer); only the
  // long form of a string's length (255, then 4 bytes) came with version 5.
  for (let i = 0; i < n; i++) {
    arr.push(r.readAny(buf));
    opts.push(version > 4 ? buf.tstring() : version > 3 ? shortString(buf) : '');
  }
  into.arr = arr;
  into.opt = opts;
  buf.finish(end, 'TList');
}

/**
 * A string whose length is one byte, whatever its value (the TString of ROOT before version 5
 * lists), as text the way every other name is read (rootText: UTF-8 when valid, else latin-1).
 * TextDecoder's 'latin1' is windows-1252, which made UTF-8's "µ" "Âµ" and a lone 0x80 "€".
 */
function shortString(buf: RBuffer): string {
  const n = buf.u8();
  buf.need(n);
  const s = rootText(buf.bytes, buf.pos, n);
  buf.pos += n;
  return s;
}

const HANDLERS: Record<string, Handler> = {
  TObject: (_r, buf, into) => readTObject(buf, into),
  TNamed: (_r, buf, into) => readTNamed(buf, into),
  TList: readList,
  THashList: readList,
  TObjArray: (r, buf, into) => {
    const { version, end } = buf.version();
    if (version > 2) readTObject(buf, into);
    if (version > 1) into.fName = buf.tstring();
    const n = count(buf, buf.i32(), 4, 'a TObjArray');
    into.fLowerBound = buf.i32();
    const arr: (RObject | null)[] = [];
    for (let i = 0; i < n; i++) arr.push(r.readAny(buf));
    into.arr = arr;
    buf.finish(end, 'TObjArray');
  },
  TObjString: (_r, buf, into) => {
    const { end } = buf.version();
    readTObject(buf, into);
    into.fString = buf.tstring();
    buf.finish(end, 'TObjString');
  },
  TStreamerInfo: (r, buf, into) => {
    const { end } = buf.version();
    readTNamed(buf, into);
    const info = into as unknown as StreamerInfo;
    info.name = String(into.fName);
    info.checksum = buf.u32();
    info.version = buf.i32();
    const elements = r.readAny(buf);
    info.elements = ((elements?.arr as unknown[]) ?? []).filter((e): e is StreamerElement => !!e && typeof (e as StreamerElement).type === 'number');
    buf.finish(end, 'TStreamerInfo');
  },
  TBasket: (_r, buf, into) => readBasket(buf, into),
  // Both have streamers of their own that write no version header, which the StreamerInfo's
  // description of TDatime (a version, then fDatime) does not say: read by it, the next bytes
  // were taken as a byte count and the object called damaged ("an object claims 675414016 bytes").
  TDatime: (_r, buf, into) => {
    into.fDatime = buf.u32();
  },
  // A std::string written as an object of its own (a key of class `string`, as LHCb's
  // FileSummaryRecord): its length and characters, as a TString.
  string: (_r, buf, into) => {
    into.fString = buf.tstring();
  },
};

for (const [name, [size, read]] of Object.entries(TARRAY)) {
  // TArrays carry no version header: a count, then the values.
  HANDLERS[name] = (_r, buf, into) => {
    const n = count(buf, buf.i32(), size, name);
    into.fN = n;
    into.fArray = read(buf, n);
  };
}
for (const kind of ['TStreamerBase', 'TStreamerBasicType', 'TStreamerBasicPointer', 'TStreamerLoop', 'TStreamerObject',
  'TStreamerObjectPointer', 'TStreamerObjectAny', 'TStreamerObjectAnyPointer', 'TStreamerString', 'TStreamerSTL',
  'TStreamerSTLstring', 'TStreamerArtificial']) {
  HANDLERS[kind] = (_r, buf, into) => Object.assign(into, readStreamerElement(buf, kind));
}

/**
 * TBasket's own streamer: its key header, its counts and, for a basket kept inside its TTree,
 * the entry offsets and the data. `fBufferRef.arr` holds the data after the key header, as
 * a basket read from the file would.
 */
function readBasket(buf: RBuffer, into: RObject): void {
  into.fNbytes = buf.i32();
  const keyVersion = buf.i16();
  into.fObjlen = buf.i32();
  buf.u32(); // fDatime
  const keylen = buf.i16();
  into.fKeylen = keylen;
  into.fCycle = buf.i16();
  if (keyVersion > 1000) buf.skip(16);
  else buf.skip(8);
  into.fClassName = buf.tstring();
  into.fName = buf.tstring();
  into.fTitle = buf.tstring();
  const version = buf.i16();
  into.fBufferSize = buf.i32();
  let nevBufSize = buf.i32();
  // Written with the offset-map I/O option: a negative size, then one byte of I/O bits.
  if (nevBufSize < 0) {
    nevBufSize = -nevBufSize;
    into.fIOBits = buf.u8();
  }
  into.fNevBufSize = nevBufSize;
  into.fNevBuf = buf.i32();
  const last = buf.i32();
  into.fLast = last;
  let flag = buf.u8();
  const generateOffsets = flag >= 80;
  if (generateOffsets) flag -= 80;
  into.fEntryOffset = null;
  if (!generateOffsets && flag && flag % 10 !== 2) {
    if (into.fNevBuf) {
      const n = count(buf, buf.i32(), 4, 'a basket offset table');
      const offsets = fill(new Int32Array(n), () => buf.i32());
      if (flag > 20 && flag < 40) for (let i = 0; i < n; i++) offsets[i]! &= ~0xff000000;
      into.fEntryOffset = offsets;
    }
    if (flag > 40) buf.skip(4 * count(buf, buf.i32(), 4, 'a basket displacement table'));
  }
  if (flag === 1 || flag > 10) {
    const n = version > 1 ? last : buf.i32();
    if (!(n >= keylen)) buf.fail(`an embedded basket holds ${n} bytes, less than its ${keylen}-byte key`);
    const all = bytes(buf, n);
    into.fBufferRef = { arr: all.subarray(keylen) };
  }
}

/**
 * Reads objects from buffers of one file, with that file's StreamerInfo.
 */
export class ObjectReader {
  constructor(readonly streamers: Map<string, StreamerInfo[]> = new Map()) {}

  /** A reader that knows the classes of a StreamerInfo list (as read by a bare reader). */
  static withStreamerList(list: RObject): ObjectReader {
    return new ObjectReader(indexStreamers(list));
  }

  /** An object written through a pointer: a class tag (or a reference) then the object, or null. */
  readAny(buf: RBuffer): RObject | null {
    const start = buf.pos;
    const first = buf.u32();
    let tag = first;
    let counted = false;
    let end = -1;
    if (first & BYTECOUNT_MASK && first !== NEW_CLASS_TAG) {
      counted = true;
      end = buf.pos + (first & ~BYTECOUNT_MASK);
      tag = buf.u32();
    }
    if (!(tag & CLASS_MASK)) {
      if (tag === 0) return null;
      const ref = buf.refs.get(tag);
      if (ref === undefined || typeof ref === 'string') {
        if (end >= 0) buf.finish(end, 'an object reference');
        return null;
      }
      return ref;
    }
    let cls: string;
    if (tag === NEW_CLASS_TAG) {
      const classAt = buf.pos - 4;
      cls = buf.cstring();
      buf.refs.set(counted ? buf.refAt(classAt) : buf.refs.size + 1, cls);
    } else {
      const ref = buf.refs.get((tag & ~CLASS_MASK) >>> 0);
      if (typeof ref !== 'string') buf.fail(`an object refers to class tag ${(tag & ~CLASS_MASK) >>> 0}, which was never defined`);
      cls = ref;
    }
    const obj: RObject = { _typename: cls };
    // Registered before its members are read: they may point back to it.
    buf.refs.set(counted ? buf.refAt(start) : buf.refs.size + 1, obj);
    this.readInto(buf, cls, obj, end);
    if (end >= 0) buf.finish(end, cls);
    return obj;
  }

  /** An object of a known class written in place (with its own version header, if it has one). */
  readObject(buf: RBuffer, cls: string): RObject {
    const obj: RObject = { _typename: cls };
    this.readInto(buf, cls, obj, -1);
    return obj;
  }

  /**
   * Reads class `cls` into `into` (also used for base classes, whose members join the derived
   * object's). `outerEnd`: where an enclosing byte count says the object ends, to skip a class
   * with no description.
   */
  private readInto(buf: RBuffer, cls: string, into: RObject, outerEnd: number): void {
    const handler = HANDLERS[cls];
    if (handler) return handler(this, buf, into);
    const at = buf.pos;
    const { version, end } = buf.version();
    const info = this.streamerFor(cls, version, buf);
    if (!info) {
      const skipTo = end >= 0 ? end : outerEnd;
      if (skipTo < 0) buf.fail(`no description (StreamerInfo) of class ${cls} version ${version} in the file`, at);
      into._unread = true;
      buf.pos = skipTo;
      return;
    }
    for (const el of info.elements) this.member(buf, el, into);
    buf.finish(end, cls);
  }

  private streamerFor(cls: string, version: number, buf: RBuffer): StreamerInfo | undefined {
    const all = this.streamers.get(cls);
    if (!all) return undefined;
    if (version <= 0) {
      // Classes without a version of their own are identified by checksum.
      const sum = buf.u32();
      return all.find((i) => i.checksum === sum) ?? (all.length === 1 ? all[0] : undefined);
    }
    return all.find((i) => i.version === version);
  }

  private member(buf: RBuffer, el: StreamerElement, into: RObject): void {
    const t = el.type;
    if (el.kind === 'TStreamerBase') {
      if (el.name === 'TObject') readTObject(buf, into);
      else this.readInto(buf, el.name, into, -1);
      return;
    }
    if (t > 0 && t < T.offsetL) {
      into[el.name] = this.basic(buf, t, el);
      return;
    }
    if (t > T.offsetL && t < T.offsetP) {
      into[el.name] = Array.from({ length: count(buf, el.arrayLength, 1, el.name) }, () => this.basic(buf, t - T.offsetL, el));
      return;
    }
    if (t > T.offsetP && t < T.offsetP + 20) {
      // A pointer to an array sized by an earlier member (`//[fN]`): a flag byte, then the values.
      const n = Number(into[el.countName] ?? 0);
      into[el.name] = buf.u8() ? Array.from({ length: count(buf, n, 1, el.name) }, () => this.basic(buf, t - T.offsetP, el)) : [];
      return;
    }
    const times = el.arrayLength > 0 ? el.arrayLength : 1;
    const one = (): unknown => {
      switch (t) {
        case T.object:
        case T.any:
        case T.object + T.offsetL:
        case T.any + T.offsetL: {
          const o = this.readObject(buf, el.typeName);
          // A TArray member is its values (fXbins, fSumw2), as ROOT users see it.
          return TARRAY[el.typeName] ? o.fArray : o;
        }
        case T.objectp:
        case T.objectP:
        case T.anyp:
        case T.anyP:
        case T.objectp + T.offsetL:
        case T.objectP + T.offsetL:
        case T.anyp + T.offsetL:
        case T.anyP + T.offsetL:
          return this.readAny(buf);
        case T.tstring:
        case T.stlString:
          return buf.tstring();
        case T.tobject: {
          const o: RObject = { _typename: 'TObject' };
          readTObject(buf, o);
          return o;
        }
        case T.tnamed:
          return this.readObject(buf, 'TNamed');
        case T.stl:
          return this.stl(buf, el);
        default:
          return this.skipCounted(buf, el);
      }
    };
    // Each element takes a byte at least: a damaged description's 16,777,216 elements would have
    // Array.from allocate 128 MB of slots before the first one failed to read.
    into[el.name] = times === 1 ? one() : Array.from({ length: count(buf, times, 1, el.name) }, one);
  }

  private basic(buf: RBuffer, t: number, el: StreamerElement): number | string {
    switch (t) {
      case T.char:
      case T.legacyChar:
        return buf.i8();
      case T.short:
        return buf.i16();
      case T.int:
      case T.counter:
        return buf.i32();
      case T.long:
      case T.long64:
        return buf.i64();
      case T.float:
        return buf.f32();
      case T.double:
        return buf.f64();
      case T.uchar:
      case T.bool:
        return buf.u8();
      case T.ushort:
        return buf.u16();
      case T.uint:
      case T.bits:
        return buf.u32();
      case T.ulong:
      case T.ulong64:
        return buf.u64();
      case T.double32:
      case T.float16:
        return packedFloat(buf, t === T.float16, el);
      case T.charStar: {
        const n = count(buf, buf.i32(), 1, el.name);
        return String.fromCharCode(...bytes(buf, n));
      }
      default:
        return buf.fail(`member ${el.name} has type code ${t}, which this reader does not know`);
    }
  }

  /** STL members: vectors of numbers are read; anything else is skipped by its byte count. */
  private stl(buf: RBuffer, el: StreamerElement): unknown {
    const { end } = buf.version();
    const m = /^vector<\s*(double|float|int|unsigned int|Long64_t|long)\s*>$/.exec(el.typeName);
    let value: unknown;
    if (m) {
      const read: Record<string, () => number> = {
        double: () => buf.f64(), float: () => buf.f32(), int: () => buf.i32(), 'unsigned int': () => buf.u32(),
        Long64_t: () => buf.i64(), long: () => buf.i64(),
      };
      const n = count(buf, buf.i32(), 4, el.name);
      value = Array.from({ length: n }, read[m[1]!]!);
    }
    if (end < 0) buf.fail(`member ${el.name} (${el.typeName}) has no byte count to skip it by`);
    buf.finish(end, el.name);
    return value;
  }

  private skipCounted(buf: RBuffer, el: StreamerElement): undefined {
    const { end } = buf.version();
    if (end < 0) buf.fail(`member ${el.name} (${el.typeName}, type code ${el.type}) cannot be read or skipped`);
    buf.finish(end, el.name);
    return undefined;
  }
}

/** A packed float member (Double32_t, Float16_t), as its title's range says (see Packing). */
function packedFloat(buf: RBuffer, half: boolean, el: StreamerElement): number {
  let p: Packing;
  try {
    p = packingOf(el.title, half);
  } catch (err) {
    return buf.fail(`member ${el.name}: ${(err as Error).message}`);
  }
  if (p === 'float') return buf.f32();
  if ('factor' in p) return buf.u32() / p.factor + p.low;
  const exp = buf.u8();
  return untruncate(exp, buf.u16(), p.mantissaBits);
}
