/**
 * Members of unsplit objects: a TBranchElement that holds a whole object of a class in each
 * entry (no sub-branches; its StreamerInfo element id is -1), as BDSIM writes its samplers
 * (`Primary.` of `BDSOutputROOTEventSampler<float>`). Each entry is the object's elements as
 * the class's StreamerInfo (of the branch's class version) lays them out, in order, with no
 * header of the object's own (the branch says its class and version):
 * base classes (each behind a header of its own; TObject as its own streamer writes it),
 * numbers and fixed arrays of numbers, TStrings, STL containers and std::strings (behind a
 * header), objects (behind a header), pointers to objects (a tag).
 *
 * The reader lists each member that holds numbers, strings or containers of them as a branch of
 * its own, named as ROOT names the member's branch when the object is split (`Primary.` →
 * `Primary./Primary.energy`; a member of an object member `X./X.fPos.fX`; base classes' members
 * as the class's own), and reads one by walking each entry's object to it (layout → walk →
 * builders of stl.ts). Anything else a class holds is listed `unsupported` naming its type;
 * members after one whose size the walk cannot know are unsupported too (the walk cannot get
 * past it). Every entry's walk must end where the object's byte count says.
 */
import { RootFormatError } from './errors.js';
import type { PendingBasket } from './basket.js';
import { branchInfo, STREAMER_ELEMENT, type BranchInfo, type JsBranch } from './branch.js';
import { T, type StreamerElement, type StreamerInfo } from './meta/streamers.js';
import { packedSize, packingOf, untruncate, type Packing } from './packing.js';
import { builderFor, EntryError, forEachEntry, need, NumberBuilder, parseStlType, readStl, skipString, StringBuilder, stlTypeName, type Builder, type StlType } from './stl.js';
import { ELEMENT_SIZE, type Column, type ElementType } from './types.js';
import { containerFields, fieldTypeName } from './object-fields.js';

const BYTECOUNT = 0x40000000;
/** TObject's kIsReferenced bit: a process id (2 bytes) follows its fBits. */
const IS_REFERENCED = 1 << 4;
/** Object members nested deeper than this are not listed (a class that holds itself). */
const MAX_DEPTH = 8;

/** One element of a class as the walk meets it in an object's bytes. */
export type Step =
  | { kind: 'number'; el: StreamerElement; element: ElementType; count: number; packed: Packing | null; counter: boolean }
  | { kind: 'tstring'; el: StreamerElement }
  | { kind: 'stl'; el: StreamerElement; type: StlType | null }
  | { kind: 'object'; el: StreamerElement; cls: string; base: boolean }
  | { kind: 'tobject'; el: StreamerElement; base: boolean }
  | { kind: 'pointer-array'; el: StreamerElement; size: number }
  | { kind: 'pointer'; el: StreamerElement }
  | { kind: 'opaque'; el: StreamerElement; what: string };

/** A member of an unsplit object: where it is (element names from the top class down) and what it holds. */
export interface ObjectMember {
  layouts: ClassLayouts;
  cls: string;
  /** The version of `cls` the branch holds (its entries carry none). */
  version: number;
  /** Element names from the top class to the member (base classes included). */
  path: string[];
  /** How the member's value is read (the step of the version the listing used). */
  kind: 'number' | 'tstring' | 'stl' | 'tobject';
  /** What each entry holds when not an object of `cls` without a header (a split object's TObject branch: the TObject), else null. */
  steps: Step[] | null;
  /** For a field of a container of objects (object-fields.ts): the container's declared type, checked in each version walked. */
  declared?: string;
}

/** The elements of each class version of a file, as walk steps (built once, on first use). */
export class ClassLayouts {
  /** By class, then version: looked up for every object an entry walks, so no key string is built per lookup. */
  private readonly cache = new Map<string, Map<number, Step[] | null>>();
  constructor(private readonly streamers: Map<string, StreamerInfo[]>) {}

  /** The StreamerInfo of `cls` at `version`; the only one, or the newest, when `version` is unknown (-1). */
  info(cls: string, version: number): StreamerInfo | null {
    const all = this.streamers.get(cls) ?? [];
    const exact = all.find((i) => i.version === version);
    if (exact || version >= 0 && all.length !== 1) return exact ?? null;
    return all.reduce<StreamerInfo | null>((a, i) => (!a || i.version > a.version ? i : a), null);
  }

  steps(cls: string, version: number): Step[] | null {
    let versions = this.cache.get(cls);
    if (!versions) this.cache.set(cls, versions = new Map());
    let steps = versions.get(version);
    if (steps === undefined) {
      const info = this.info(cls, version);
      versions.set(version, steps = info ? compile(info) : null);
    }
    return steps;
  }
}

/** Walk steps of a class's elements. */
function compile(info: StreamerInfo): Step[] {
  const counters = new Set(info.elements.map((e) => e.countName).filter(Boolean));
  return info.elements.map((el): Step => {
    const t = el.type;
    if (el.kind === 'TStreamerBase') return el.name === 'TObject' ? { kind: 'tobject', el, base: true } : { kind: 'object', el, cls: el.name, base: true };
    if (el.kind === 'TStreamerSTL' || el.kind === 'TStreamerSTLstring') {
      if (el.arrayLength > 1) return { kind: 'opaque', el, what: `array of ${el.typeName}` };
      return { kind: 'stl', el, type: parseStlType(el.typeName.replace(/\s+/g, ' ').trim()) };
    }
    if (t > 0 && t < T.offsetP && t !== T.charStar && t !== T.offsetL + T.charStar) {
      const base = t % T.offsetL;
      const half = base === T.float16;
      const packed = base === T.double32 || half ? packingOf(el.title, half) : null;
      const element = packed ? (half ? 'float' : 'double') : STREAMER_ELEMENT[base];
      if (!element) return { kind: 'opaque', el, what: `type code ${t}` };
      return { kind: 'number', el, element, count: t > T.offsetL ? Math.max(1, el.arrayLength) : 1, packed, counter: counters.has(el.name) };
    }
    if (t > T.offsetP && t < T.offsetP + 20 && STREAMER_ELEMENT[t - T.offsetP] && t - T.offsetP !== T.double32 && t - T.offsetP !== T.float16) {
      return { kind: 'pointer-array', el, size: ELEMENT_SIZE[STREAMER_ELEMENT[t - T.offsetP]!] };
    }
    if (el.arrayLength > 1) return { kind: 'opaque', el, what: `array of ${el.typeName}` };
    if (t === T.tstring) return { kind: 'tstring', el };
    if (t === T.stlString) return { kind: 'stl', el, type: { kind: 'string', stl: true } };
    if (t === T.tobject) return { kind: 'tobject', el, base: false };
    if (t === T.object || t === T.any || t === T.tnamed) return { kind: 'object', el, cls: el.typeName, base: false };
    if (t === T.objectp || t === T.objectP || t === T.anyp || t === T.anyP) return { kind: 'pointer', el };
    return { kind: 'opaque', el, what: `type code ${t}` };
  });
}

/**
 * The branches an unsplit object branch lists, itself first (`unsupported`: its members are read
 * by their own names), or null when `b` is not one. A collection of objects, or a class the file
 * does not describe, is one unsupported branch saying so.
 */
export function unsplitObjectBranches(b: JsBranch, name: string, layouts: ClassLayouts): BranchInfo[] | null {
  const cls = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
  if (b._typename !== 'TBranchElement' || b.fBranches.arr.length > 0 || (b.fType ?? 0) !== 0 || (b.fStreamerType ?? -1) !== -1 || !cls) return null;
  const top = layouts.info(cls, b.fClassVersion ?? -1);
  // A collection class (DataVector<…>) is described by one element standing for itself.
  const collection = /^(std::)?(vector|list|deque|set|multiset|map|multimap|unordered_set|unordered_map)</.test(cls) || top?.elements.some((e) => e.name === 'This');
  if (collection) return [branchInfo(b, name, `${cls} (unsplit collection of objects)`, 'unsupported')];
  if (!top) return [branchInfo(b, name, `${cls} (unsplit object of a class the file does not describe)`, 'unsupported')];
  const prefix = b.fName.endsWith('.') ? b.fName : '';
  const members = memberBranches(b, layouts, top.name, top.version, null, (display) => `${name}/${prefix}${display.join('.')}`);
  const readable = members.filter((m) => m.kind !== 'unsupported').map((m) => m.name);
  const what = readable.length === 0 ? `${cls} (unsplit object: no member of numbers, strings or containers of them)`
    : `${cls} (unsplit object: read its members: ${readable.slice(0, 4).join(', ')}${readable.length > 4 ? `, … (${readable.length})` : ''})`;
  return [branchInfo(b, name, what, 'unsupported'), ...members];
}

/**
 * The branches a split object's TObject branch lists (its base class TObject, not split further:
 * BDSIM's `Header./Header.TObject`), itself first (`unsupported`: its members are read by their
 * own names), or null when `b` is not one. Each entry holds the TObject as its own streamer writes
 * it (a version, fUniqueID, fBits, and a process id when referenced), and its two members read as
 * ROOT names them where it splits them (`Beam./Beam.TObject.fUniqueID`, `….fBits`). Other base
 * classes stay unsupported: KM3NeT's custom streamers write fewer bytes than their StreamerInfo
 * describes (an 8-byte JDAQPreamble with no header), and nothing else shows how one is laid out.
 */
export function tobjectBranches(b: JsBranch, name: string, layouts: ClassLayouts): BranchInfo[] | null {
  const of = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
  if (b._typename !== 'TBranchElement' || b.fBranches.arr.length > 0 || (b.fType ?? -1) !== 0 || b.fStreamerType !== T.tobject || !b.fName.endsWith('TObject')) return null;
  const el = layouts.info(of, b.fClassVersion ?? -1)?.elements.find((e) => e.kind === 'TStreamerBase' && e.name === 'TObject');
  if (!el) return null;
  const members = memberBranches(b, layouts, of, b.fClassVersion ?? -1, [{ kind: 'tobject', el, base: true }], (display) => `${name}.${display.join('.')}`);
  return [branchInfo(b, name, `base class TObject of ${of} (read its members: ${members.map((m) => m.name).join(', ')})`, 'unsupported'), ...members];
}

/**
 * The branches a split object's branch of a base class other than TObject lists (the base not
 * split further: nEXO's `SimHeader/nEXO::HeaderObject`, ATLAS's `X./X.xAOD::AuxContainerBase`),
 * itself first (`unsupported`: its members are read by their own names), or null when `b` is not
 * one. Each entry holds the base object as its class's streamer writes it (a byte count and
 * version, then its members), read as an unsplit object's members are, named below the branch
 * (`SimHeader/nEXO::HeaderObject.m_EventID`, its own base TObject's `….fUniqueID`), as a TObject
 * branch's are. A base class the file does not describe, or whose members hold nothing, lists
 * nothing more and says so.
 */
export function baseClassBranches(b: JsBranch, name: string, layouts: ClassLayouts): BranchInfo[] | null {
  const of = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
  if (b._typename !== 'TBranchElement' || b.fBranches.arr.length > 0 || (b.fType ?? -1) !== 0 || b.fStreamerType !== 0) return null;
  const el = layouts.info(of, b.fClassVersion ?? -1)?.elements[b.fID ?? -1];
  if (!el || el.kind !== 'TStreamerBase' || el.name === 'TObject') return null;
  const what = `base class ${el.name} of ${of}`;
  if (!layouts.info(el.name, -1)) return [branchInfo(b, name, `${what} (a class the file does not describe)`, 'unsupported')];
  const members = memberBranches(b, layouts, of, b.fClassVersion ?? -1, [{ kind: 'object', el, cls: el.name, base: true }], (display) => `${name}.${display.join('.')}`);
  const readable = members.filter((m) => m.kind !== 'unsupported').map((m) => m.name);
  const says = members.length === 0 ? 'holds no members to read'
    : readable.length === 0 ? 'no member of numbers, strings or containers of them'
    : `read its members: ${readable.slice(0, 4).join(', ')}${readable.length > 4 ? `, … (${readable.length})` : ''}`;
  return [branchInfo(b, name, `${what} (${says})`, 'unsupported'), ...members];
}

/**
 * The members of an object of `cls` (version `version`) as branches: `steps` are what each entry
 * holds (the class's own elements when null), `column` names a member by its display path.
 */
function memberBranches(b: JsBranch, layouts: ClassLayouts, cls: string, version: number, entrySteps: Step[] | null, column: (display: string[]) => string): BranchInfo[] {
  const members: BranchInfo[] = [];
  let blocked: string | null = null;
  /** Lists `steps` of class `of`, `path` the element names above, `shown` the names' display part. */
  const list = (of: string, steps: Step[], path: string[], shown: string[], depth: number) => {
    for (const s of steps) {
      const here = [...path, s.el.name];
      const display = s.kind === 'object' && s.base || s.kind === 'tobject' && s.base ? shown : [...shown, s.el.name];
      const member = (kind: ObjectMember['kind'], path = here): ObjectMember => ({ layouts, cls, version, path, kind, steps: entrySteps });
      const unsupported = (what: string) => members.push(branchInfo(b, column(display), `${what} member of ${of}${blocked ? ` (after ${blocked}, whose size is not known)` : ''}`, 'unsupported'));
      if (blocked) {
        if (s.kind !== 'object' && s.kind !== 'tobject') unsupported(s.el.typeName || `type code ${s.el.type}`);
        continue;
      }
      switch (s.kind) {
        case 'number': {
          const typeName = s.packed ? (s.element === 'double' ? 'Double32_t' : 'Float16_t') : s.element;
          const info = s.count > 1 ? branchInfo(b, column(display), `${typeName}[${s.count}]`, 'fixed-array', s.element, s.count) : branchInfo(b, column(display), typeName, 'scalar', s.element);
          info.member = member('number');
          members.push(info);
          break;
        }
        case 'tstring': {
          const info = branchInfo(b, column(display), 'TString', 'string');
          info.member = member('tstring');
          members.push(info);
          break;
        }
        case 'stl': {
          // A container of objects of a class of numbers (ATLAS's vector<ElementLink<…>>): each field a member of its own.
          const fields = s.type ? null : containerFields(layouts, s.el.typeName);
          if (fields) {
            const names = fields.map((f) => column([...display, f.name]));
            members.push(branchInfo(b, column(display), `${s.el.typeName} (container of objects: read its members: ${names.join(', ')})`, 'unsupported'));
            fields.forEach((f, k) => {
              const info = branchInfo(b, names[k]!, fieldTypeName(f), 'nested');
              info.stl = f.type;
              info.member = { ...member('stl'), declared: s.el.typeName };
              members.push(info);
            });
            break;
          }
          if (!s.type) {
            unsupported(s.el.typeName);
            break;
          }
          const t = s.type;
          const info = t.kind === 'string' ? branchInfo(b, column(display), 'string', 'string')
            : t.kind === 'list' && t.container === 'vector' && t.of.kind === 'number' ? branchInfo(b, column(display), `vector<${t.of.element}>`, 'vector', t.of.element)
            : t.kind === 'number' ? null : branchInfo(b, column(display), stlTypeName(t), 'nested');
          if (!info) {
            unsupported(s.el.typeName);
            break;
          }
          info.member = member('stl');
          members.push(info);
          break;
        }
        case 'tobject':
          for (const m of ['fUniqueID', 'fBits']) {
            const info = branchInfo(b, column([...display, m]), 'uint32', 'scalar', 'uint32');
            info.member = member('tobject', [...here, m]);
            members.push(info);
          }
          break;
        case 'object': {
          const inner = layouts.steps(s.cls, -1);
          if (!inner || depth >= MAX_DEPTH || inner.some((x) => x.el.name === 'This')) {
            if (!s.base) unsupported(s.el.typeName);
            break;
          }
          list(s.cls, inner, here, display, depth + 1);
          break;
        }
        case 'pointer-array':
          unsupported(`${s.el.typeName} (pointer to an array)`);
          break;
        case 'pointer':
          unsupported(s.el.typeName);
          break;
        case 'opaque':
          unsupported(s.what);
          blocked = `${s.el.name} (${s.what})`;
          break;
      }
    }
  };
  list(cls, entrySteps ?? layouts.steps(cls, version)!, [], [], 0);
  return members;
}

/** Reads one member's value at a position into the column being built. */
export interface Target {
  path: string[];
  read(step: Step, v: DataView, bytes: Uint8Array, p: number, end: number): number;
  found: boolean;
}

/** Reads one object header at `p`: its version, where its members start and (with a byte count) where it ends, else -1. */
function objectHeader(v: DataView, p: number, end: number): { version: number; next: number; objectEnd: number } {
  need(p, 2, end);
  const bc = p + 4 <= end ? v.getUint32(p) : 0;
  if (bc >= 0x80000000) throw new EntryError(`an object header starts with ${bc.toString(16)}, neither a byte count nor a version`);
  if (bc & BYTECOUNT) {
    need(p, 6, end);
    const objectEnd = p + 4 + (bc & ~BYTECOUNT);
    if (objectEnd > end) throw new EntryError(`an object's byte count (${bc & ~BYTECOUNT}) runs past the entry`);
    const version = v.getInt16(p + 4);
    // A class without a version of its own is identified by a checksum after it.
    return version <= 0 ? { version, next: p + 10, objectEnd } : { version, next: p + 6, objectEnd };
  }
  return { version: v.getInt16(p), next: p + 2, objectEnd: -1 };
}

/**
 * Walks one object of `cls` at `p` (its header first). Reads the member `target.path[depth]` names
 * when met (descending into base classes and object members on its path). Returns where the
 * object ends, or -1 when the walk stopped after the target at a member it cannot get past.
 */
export function walkObject(layouts: ClassLayouts, cls: string, v: DataView, bytes: Uint8Array, p: number, end: number, target: Target, depth: number): number {
  const h = objectHeader(v, p, end);
  const steps = layouts.steps(cls, h.version);
  if (!steps) throw new EntryError(`the file does not describe version ${h.version} of ${cls}`);
  const limit = h.objectEnd >= 0 ? h.objectEnd : end;
  const at = walkSteps(layouts, steps, cls, v, bytes, h.next, limit, target, depth);
  if (at < 0) return -1;
  if (h.objectEnd >= 0 && at !== h.objectEnd) throw new EntryError(`${cls} (version ${h.version}): its members end ${at - h.objectEnd} bytes from where its byte count says`);
  return at;
}

function walkSteps(layouts: ClassLayouts, steps: Step[], cls: string, v: DataView, bytes: Uint8Array, p: number, end: number, target: Target, depth: number): number {
  // Made only for a class with counters: this runs for every object of every entry.
  let counts: Map<string, number> | null = null;
  for (const s of steps) {
    const mine = !target.found && target.path[depth] === s.el.name;
    if (mine && depth === target.path.length - 1) {
      if (s.kind === 'number' && s.counter) (counts ??= new Map()).set(s.el.name, counterValue(v, p, end, s.element));
      p = target.read(s, v, bytes, p, end);
      target.found = true;
      continue;
    }
    switch (s.kind) {
      case 'number': {
        const size = s.packed ? packedSize(s.packed) : ELEMENT_SIZE[s.element];
        need(p, size * s.count, end);
        if (s.counter) (counts ??= new Map()).set(s.el.name, counterValue(v, p, end, s.element));
        p += size * s.count;
        break;
      }
      case 'tstring':
        p = skipString(v, bytes, p, end);
        break;
      case 'stl': {
        const h = objectHeader(v, p, end);
        if (h.objectEnd < 0) throw new EntryError(`member ${s.el.name} (${s.el.typeName}) has no byte count to skip it by`);
        p = h.objectEnd;
        break;
      }
      case 'tobject':
        p = walkTObject(v, p, end, mine ? target : null, depth + 1);
        break;
      case 'object': {
        const q = mine || !hasByteCount(v, p, end) ? walkObject(layouts, s.cls, v, bytes, p, end, mine ? target : NO_TARGET, depth + 1) : objectHeader(v, p, end).objectEnd;
        if (q < 0) return -1;
        p = q;
        break;
      }
      case 'pointer-array': {
        need(p, 1, end);
        const set = bytes[p++]!;
        if (set) {
          const n = counts?.get(s.el.countName);
          if (n === undefined) throw new EntryError(`member ${s.el.name} is counted by ${s.el.countName}, which is not a number before it`);
          need(p, n * s.size, end);
          p += n * s.size;
        }
        break;
      }
      case 'pointer': {
        // A pointer to an object: 0 (null), a reference to one read before, or the object behind its byte count.
        need(p, 4, end);
        const tag = v.getUint32(p);
        p += tag & BYTECOUNT && tag < 0x80000000 ? 4 + (tag & ~BYTECOUNT) : 4;
        need(p, 0, end);
        break;
      }
      case 'opaque':
        if (target.found) return -1;
        throw new EntryError(`member ${s.el.name} of ${cls} (${s.what}) cannot be walked past`);
    }
  }
  return p;
}

export const NO_TARGET: Target = { path: [], found: true, read: () => -1 };

function hasByteCount(v: DataView, p: number, end: number): boolean {
  need(p, 4, end);
  return (v.getUint32(p) & BYTECOUNT) !== 0;
}

/** TObject as its own streamer writes it (a version, fUniqueID, fBits, and a process id when referenced), reading `target`'s part. */
export function walkTObject(v: DataView, p: number, end: number, target: Target | null, depth: number): number {
  let q = hasByteCount(v, p, end) ? p + 6 : p + 2;
  need(q, 8, end);
  const bits = v.getUint32(q + 4);
  if (target) target.read({ kind: 'number', el: { name: target.path[depth]! } as StreamerElement, element: 'uint32', count: 1, packed: null, counter: false }, v, new Uint8Array(0), target.path[depth] === 'fBits' ? q + 4 : q, end);
  if (target) target.found = true;
  q += 8;
  if (bits & IS_REFERENCED) q += 2;
  need(q, 0, end);
  return q;
}

/** The value of a member that counts a pointer-to-array member after it. */
function counterValue(v: DataView, p: number, end: number, e: ElementType): number {
  need(p, ELEMENT_SIZE[e], end);
  return e === 'int64' || e === 'uint64' ? Number(v.getBigInt64(p)) : readNumber(v, p, e);
}

function readNumber(v: DataView, p: number, e: ElementType): number {
  switch (e) {
    case 'bool': case 'uint8': return v.getUint8(p);
    case 'int8': return v.getInt8(p);
    case 'int16': return v.getInt16(p);
    case 'uint16': return v.getUint16(p);
    case 'uint32': return v.getUint32(p);
    case 'float': return v.getFloat32(p);
    case 'double': return v.getFloat64(p);
    default: return v.getInt32(p);
  }
}

/** Packed floats of a member (Double32_t, Float16_t), unpacked as they are read. */
class PackedBuilder implements Builder {
  private readonly out: number[] = [];
  constructor(private readonly packed: Packing, private readonly half: boolean) {}
  read(v: DataView, _b: Uint8Array, p: number, end: number): number {
    const p0 = this.packed;
    need(p, packedSize(p0), end);
    if (p0 === 'float') this.out.push(v.getFloat32(p));
    else if ('factor' in p0) this.out.push(v.getUint32(p) / p0.factor + p0.low);
    else this.out.push(untruncate(v.getUint8(p), v.getUint16(p + 1), p0.mantissaBits));
    return p + packedSize(p0);
  }
  finish(): Float32Array | Float64Array {
    return this.half ? Float32Array.from(this.out) : Float64Array.from(this.out);
  }
}

/** The builder of a member's column, and how one entry's value is read into it. */
function targetFor(info: BranchInfo): { target: Target; finish: () => Column } {
  const m = info.member!;
  let builder: Builder | null = null;
  // Whether a container step is the member's type, per step (a class version's steps are built
  // once), not per entry: parsing the member's type name at every entry was 13% of reading
  // uproot-issue371.root's 37,483 branches.
  const stlMatches = new Map<Step, boolean>();
  let memberType: string | undefined;
  const target: Target = {
    path: m.path,
    found: false,
    read(step, v, bytes, p, end) {
      switch (step.kind) {
        case 'number': {
          builder ??= step.packed ? new PackedBuilder(step.packed, step.element === 'float') : new NumberBuilder(step.element);
          if (step.count !== info.inner || step.element !== info.element) throw new EntryError(`member ${step.el.name} holds ${step.count} ${step.element} in this version of its class, not ${info.inner} ${info.element}`);
          for (let k = 0; k < step.count; k++) p = builder.read(v, bytes, p, end);
          return p;
        }
        case 'tstring':
          builder ??= new StringBuilder();
          return builder.read(v, bytes, p, end);
        case 'stl': {
          let same = stlMatches.get(step);
          if (same === undefined) {
            same = m.declared !== undefined ? step.el.typeName === m.declared : !!step.type && stlTypeName(step.type) === (memberType ??= stlTypeName(parsedType(info)));
            stlMatches.set(step, same);
          }
          if (!same) throw new EntryError(`member ${step.el.name} is a ${step.el.typeName} in this version of its class`);
          builder ??= builderFor(info.stl ?? step.type!);
          const h = objectHeader(v, p, end);
          const at = readStl(builder, v, bytes, p, end);
          if (h.objectEnd >= 0 && at !== h.objectEnd) throw new EntryError(`member ${step.el.name} (${step.el.typeName}) ends ${at - h.objectEnd} bytes from where its byte count says`);
          return at;
        }
        default:
          throw new EntryError(`member ${step.el.name} is a ${step.el.typeName || `type code ${step.el.type}`} in this version of its class`);
      }
    },
  };
  const finish = (): Column => {
    // No entry read (an empty range): an empty column of the member's type.
    builder ??= info.kind === 'string' ? new StringBuilder() : info.kind === 'vector' || info.kind === 'nested' ? builderFor(info.stl ?? parsedType(info)) : new NumberBuilder(info.element!);
    const out = builder.finish() as Column;
    return info.kind === 'fixed-array' ? { values: out as Float64Array, innerShape: [info.inner] } : out;
  };
  return { target, finish };
}

function parsedType(info: BranchInfo): StlType {
  return info.kind === 'string' ? { kind: 'string', stl: true } : parseStlType(info.typeName)!;
}

/** Decodes entries `[start, stop)` of a member of an unsplit object (`info.member`). */
export function decodeObjectMember(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number): Column {
  const m = info.member!;
  const { target, finish } = targetFor(info);
  const steps = m.steps ?? m.layouts.steps(m.cls, m.version)!;
  forEachEntry(path, info, `${m.cls} object`, baskets, start, stop, (view, data, begin, end) => {
    target.found = false;
    const at = walkSteps(m.layouts, steps, m.cls, view, data, begin, end, target, 0);
    if (!target.found) throw new EntryError(`its ${m.cls} object has no member ${m.path.join('.')}`);
    if (at >= 0 && at !== end) throw new EntryError(`${end - at} bytes are left over after the ${m.cls} object`);
  });
  return finish();
}
