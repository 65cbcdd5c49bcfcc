/**
 * Containers of objects whose class holds only numbers (through its base classes and object
 * members): ATLAS's `vector<ElementLink<…>>` and `vector<vector<ElementLink<…>>>`, each
 * ElementLink a persistent (key, index) pair (`m_persKey`, `m_persIndex`: uint32 each, in its
 * base class ElementLinkBase); `vector<TLorentzVector>` (its object member fP a TVector3: fields
 * `fP.fX` …, as uproot's records nest them), nEXO's `vector<LorentzVector<PxPyPzE4D<float>>>`
 * (`fCoordinates.fX` …), `vector<pair<TLorentzVector,int>>` (the pair a class of its own: `first.fE`,
 * `second`). Such a branch is listed as a container and each number field as
 * a branch of its own, named as ROOT names a split collection's members (`X.parentLink` →
 * `X.parentLink.m_persKey`) and as uproot names the fields: one offsets array per container level
 * and the field's values (`vector<vector<uint32>>`). Every object is walked as the file's
 * StreamerInfo lays it out (each behind its own header: a byte count, and a version, or 0 and
 * the class's checksum for a class without a version of its own), and must end where its byte
 * count says. Written member-wise, each member of the class comes for every object in turn, a
 * base class's members in place of the base, an object member's objects whole (each behind its
 * own header), one after another.
 */
import type { BranchInfo, JsBranch, MemberOf } from './branch.js';
import { branchInfo } from './branch.js';
import { NO_TARGET, walkObject, walkTObject, type ClassLayouts, type Step, type Target } from './object-members.js';
import { EntryError, need, NumberBuilder, parseStlType, stlTypeName, type ObjectsBuilder, type StlType } from './stl.js';
import { ELEMENT_SIZE, type ElementType } from './types.js';

/** Object members nested deeper than this are not looked into (a class that holds itself). */
const MAX_DEPTH = 8;

/** A plain number an object holds: its name as shown (`m_persKey`, `fX`) and its path of element names (base classes included). */
export interface ObjectField {
  name: string;
  path: string[];
  element: ElementType;
}

/**
 * The number fields of an object of `cls` (the only or newest version the file describes), base
 * classes' (TObject's fUniqueID and fBits among them) as the class's own, object members' below
 * the member's name (`fP.fX`), or null when the class holds anything else (strings, containers,
 * arrays, pointers, packed floats) or the file does not describe it.
 */
export function numberFields(layouts: ClassLayouts, cls: string): ObjectField[] | null {
  const out: ObjectField[] = [];
  const walk = (steps: Step[] | null, path: string[], shown: string[], depth: number): boolean => {
    if (!steps || depth > MAX_DEPTH || steps.some((s) => s.el.name === 'This')) return false;
    for (const s of steps) {
      const here = [...path, s.el.name];
      switch (s.kind) {
        case 'number':
          if (s.count !== 1 || s.packed) return false;
          out.push({ name: [...shown, s.el.name].join('.'), path: here, element: s.element });
          break;
        case 'tobject': {
          const display = s.base ? shown : [...shown, s.el.name];
          for (const m of ['fUniqueID', 'fBits']) out.push({ name: [...display, m].join('.'), path: [...here, m], element: 'uint32' });
          break;
        }
        case 'object':
          // A base class's members are the class's own (`m_persKey` of ElementLinkBase); an object
          // member's are named below it (TLorentzVector's `fP.fX`, as uproot's records nest them).
          if (!walk(layouts.steps(s.cls, -1), here, s.base ? shown : [...shown, s.el.name], depth + 1)) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
  return walk(layouts.steps(cls, -1), [], [], 0) && out.length > 0 ? out : null;
}

/** Collects one field of each object of `cls` met (object-wise, or member-wise by readMany). */
export class FieldBuilder implements ObjectsBuilder {
  readonly objects = true;
  private readonly values: NumberBuilder;
  private readonly target: Target;
  constructor(private readonly layouts: ClassLayouts, private readonly cls: string, private readonly field: ObjectField) {
    const values = new NumberBuilder(field.element);
    this.values = values;
    this.target = {
      path: field.path,
      found: false,
      read(step, v, bytes, p, end) {
        if (step.kind !== 'number' || step.count !== 1 || step.packed || step.element !== field.element) {
          throw new EntryError(`member ${field.name} of ${cls} is a ${step.el.typeName || `type code ${step.el.type}`} in this version of its class, not ${field.element}`);
        }
        return values.read(v, bytes, p, end);
      },
    };
  }
  read(v: DataView, bytes: Uint8Array, p: number, end: number): number {
    this.target.found = false;
    const at = walkObject(this.layouts, this.cls, v, bytes, p, end, this.target, 0);
    if (at < 0 || !this.target.found) throw new EntryError(`an object of ${this.cls} has no member ${this.field.name}`);
    return at;
  }
  /**
   * Member-wise, the class's members come one after another, each for every object, base
   * classes' members in place of the base (no header of their own): `n` m_persKeys, then `n`
   * m_persIndexes for a `vector<ElementLink<…>>` (seen in ATLAS's CutBookkeeper and MET files).
   */
  readMany(v: DataView, bytes: Uint8Array, p: number, end: number, n: number, version: number): number {
    const steps = this.layouts.steps(this.cls, version);
    if (!steps) throw new EntryError(`the file does not describe version ${version} of ${this.cls}`);
    let found = false;
    const walk = (steps: Step[], path: string[], depth: number): void => {
      for (const s of steps) {
        const here = [...path, s.el.name];
        if (s.kind === 'number' && s.count === 1 && !s.packed) {
          need(p, ELEMENT_SIZE[s.element] * n, end);
          if (here.join('.') === this.field.path.join('.')) {
            for (let k = 0; k < n; k++) p = this.target.read(s, v, bytes, p, end);
            found = true;
          } else {
            p += ELEMENT_SIZE[s.element] * n;
          }
        } else if (s.kind === 'tobject') {
          // TObject (a base or a member) as its own streamer writes it, object by object (a version, fUniqueID, fBits, a process id when referenced).
          const mine = this.field.path.slice(0, -1).join('.') === here.join('.');
          for (let k = 0; k < n; k++) {
            this.target.found = false;
            p = walkTObject(v, p, end, mine ? this.target : null, here.length);
          }
          if (mine) found = true;
        } else if (s.kind === 'object' && !s.base) {
          // An object member (TLorentzVector's fP, nEXO's LorentzVector's fCoordinates) is not
          // taken apart: each object's is streamed whole, behind its own header, one object after
          // another (TStreamerInfo::ReadBuffer's kAny for an array of objects; jsroot reads so).
          const mine = this.field.path.length > here.length && this.field.path.slice(0, here.length).join('.') === here.join('.');
          for (let k = 0; k < n; k++) {
            this.target.found = false;
            p = walkObject(this.layouts, s.cls, v, bytes, p, end, mine ? this.target : NO_TARGET, mine ? here.length : 0);
            if (p < 0 || mine && !this.target.found) throw new EntryError(`an object of ${this.cls} has no member ${this.field.name}`);
          }
          if (mine) found = true;
        } else if (s.kind === 'object' && s.base && depth < MAX_DEPTH) {
          const inner = this.layouts.steps(s.cls, s.el.baseVersion > 0 ? s.el.baseVersion : -1);
          if (!inner) throw new EntryError(`the file does not describe ${s.cls}, a base class of ${this.cls}`);
          walk(inner, here, depth + 1);
        } else {
          throw new EntryError(`member ${s.el.name} of ${this.cls} (${s.el.typeName || `type code ${s.el.type}`}) is not read member-wise`);
        }
      }
    };
    walk(steps, [], 0);
    if (!found && n > 0) throw new EntryError(`objects of ${this.cls} have no member ${this.field.name}`);
    return p;
  }
  finish() {
    return this.values.finish();
  }
}

/** Container levels around an object class (`vector<vector<ElementLink<…> > >`: two vectors, then the class), or null. */
function containerOfObjects(typeName: string): { levels: string[]; cls: string } | null {
  const levels: string[] = [];
  let s = typeName.replace(/\s+/g, ' ').replace(/std::/g, '').trim();
  for (let m = /^(vector|list|deque|set)\s*<(.*)>$/.exec(s); m; m = /^(vector|list|deque|set)\s*<(.*)>$/.exec(s)) {
    levels.push(m[1]!);
    s = m[2]!.trim();
  }
  // Containers of numbers, strings or containers are read as STL branches (stl.ts). A pair is a
  // class the file describes (`pair<TLorentzVector,int>`: first, second), each behind its own
  // header as any object; maps, whose pairs are not, are read as maps or not at all.
  if (levels.length === 0 || parseStlType(s) || /^(map|unordered_map|multimap|unordered_set|multiset)\s*</.test(s)) return null;
  return { levels, cls: s };
}

/**
 * The fields of a container of objects of a class of numbers (`vector<ElementLink<…> >`), each
 * with the STL type it reads as (its container levels around the field), or null when
 * `typeName` is not one.
 */
export function containerFields(layouts: ClassLayouts, typeName: string): Array<{ name: string; type: StlType; cls: string }> | null {
  const container = containerOfObjects(typeName);
  const fields = container ? numberFields(layouts, container.cls) : null;
  if (!container || !fields) return null;
  return fields.map((f) => {
    let type: StlType = { kind: 'field', cls: container.cls, field: f.name, element: f.element, make: () => new FieldBuilder(layouts, container.cls, f) };
    for (const level of [...container.levels].reverse()) type = { kind: 'list', container: level, of: type };
    return { name: f.name, type, cls: container.cls };
  });
}

/** A field's typeName: its shape and what it is (`vector<uint32> (m_persKey of each ElementLink<…>)`). */
export function fieldTypeName(f: { name: string; type: StlType; cls: string }): string {
  return `${stlTypeName(f.type)} (${f.name} of each ${f.cls})`;
}

/**
 * The branches a branch holding a container of objects of a class of numbers lists, itself first
 * (`unsupported`: its fields are read by their own names), or null when `b` is not one: an
 * unsplit branch of such a container (`AnalysisJetsAuxDyn.GhostTrack`, class
 * `vector<vector<ElementLink<DataVector<xAOD::IParticle> > > >`), or a split object's member of
 * one (`CutBookkeepersAux.parentLink`, type code 300, declared in the object's StreamerInfo).
 */
export function objectFieldBranches(b: JsBranch, name: string, layouts: ClassLayouts, memberOf: MemberOf): BranchInfo[] | null {
  if (b._typename !== 'TBranchElement' || b.fBranches.arr.length > 0 || (b.fType ?? 0) !== 0) return null;
  const cls = (b.fClassName ?? '').replace(/\s+/g, ' ').trim();
  const st = b.fStreamerType ?? -1;
  const typeName = st === -1 ? cls : st === 300 ? memberOf(cls, b.fClassVersion ?? -1, b.fName.slice(b.fName.lastIndexOf('.') + 1))?.typeName : undefined;
  const fields = typeName ? containerFields(layouts, typeName) : null;
  if (!fields) return null;
  const members = fields.map((f) => {
    const info = branchInfo(b, `${name}.${f.name}`, fieldTypeName(f), 'nested');
    info.stl = f.type;
    return info;
  });
  return [branchInfo(b, name, `${typeName} (container of objects: read its members: ${members.map((m) => m.name).join(', ')})`, 'unsupported'), ...members];
}
