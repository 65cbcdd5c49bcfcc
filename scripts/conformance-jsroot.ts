/**
 * rootio-conformance's comparison with jsroot (`--jsroot`): each readable branch of a tree against
 * jsroot's `treeProcess` values, tallied as equal, equal once jsroot's representation is read as
 * ours (by kind), misread by jsroot (by kind, checked against ours), not read by jsroot, or
 * different (a defect). In a module of its own so its test can run it on a few branches.
 */
import type { BranchInfo, Column } from '@gluon/rootio';

/** What the comparison found in one file. */
export interface JsrootTally {
  equal: number;
  differ: number;
  /** Branches jsroot does not read (no values, a crash of its reading, or a misreading below). */
  jsrootFails: number;
  /**
   * Branches whose values equal jsroot's once its representation is read as ours (kind → count):
   * they are equal, not defects (see {@link REPRESENTATIONS}).
   */
  representation: Record<string, number>;
  /** Branches jsroot misreads, recognised against ours (kind → count, see {@link MISREADS}); counted in jsrootFails. */
  misread: Record<string, number>;
  /** Branches named as an earlier branch of their tree: a name reads its first branch, so they are not compared again. */
  sameName: number;
  /** "jsroot could not read: <message>" when jsroot crashed on the file (its comparison ended there). */
  couldNotRead: string | null;
}

/** A tally of nothing yet. */
export function noJsrootTally(): JsrootTally {
  return { equal: 0, differ: 0, jsrootFails: 0, representation: {}, misread: {}, sameName: 0, couldNotRead: null };
}

/** test/helpers.ts's perEntry and normalise, loaded with jsroot by compareJsroot (only --jsroot runs load them). */
let perEntryOf: (c: Column, n: number) => unknown[];
let normaliseOf: (v: unknown) => unknown;

/** Whether jsroot's value of an entry is no reading of it (see compareJsroot). */
function noValue(v: unknown): boolean {
  if (v === undefined) return true;
  const o = v as { _typename?: unknown; This?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o._typename === 'string' && /^ROOT::VecOps::RVec</.test(o._typename) && o.This === null;
}

/**
 * Ways jsroot represents values that ours gives otherwise, the values being the same: each was
 * printed as a "DEFECT … differs from jsroot" (new-user trial: 46 of the 48 differences of a
 * --jsroot run over the committed fixtures), where the values are equal.
 */
export const REPRESENTATIONS = {
  typed: 'jsroot gives an inner list of numbers as a typed array (printed {"0":1}), ours as a list',
  pairs: "jsroot gives a map's entries as {first, second} pairs, ours as keys and values",
  count: "jsroot gives a collection's objects for its branch, ours the number of them",
  rounding: 'Double32_t/Float16_t unpacked to within 4 ulp (of the value, or of 1 below it) of jsroot\'s (its arithmetic rounds otherwise)',
} as const;
export type Representation = keyof typeof REPRESENTATIONS;

/**
 * jsroot's misreadings, each recognised by checking jsroot's values against ours (a branch that
 * differs otherwise is still a defect): counted as jsroot not reading the branch, by kind.
 */
export const MISREADS = {
  referencedBits: "a referenced TObject's fBits member (4 bytes, then its 2-byte process id, when kIsReferenced is set, as ROOT's kBits streaming writes it) read by jsroot as 4-byte words: each element's bits, then the id and the next bits cut across (50331664, 768, 1048576, …)",
} as const;
export type Misread = keyof typeof MISREADS;

/** TObject's kIsReferenced bit: an fBits word with it is followed by a 2-byte process id (TObject.h, TStreamerInfoReadBuffer's kBits). */
const IS_REFERENCED = 0x10;

/**
 * Which of jsroot's misreadings `theirs` is of the branch whose values are `mine`, or null. A
 * TObject's `fBits` member of referenced objects (Delphes' particles) holds 6 bytes an element,
 * which ROOT reads as the bits and then a process id (TStreamerInfoReadBuffer, kBits); jsroot takes
 * 4-byte words from the start of the entry, one per element. Recognised only when every word
 * jsroot gives is those bytes: ours, each referenced element followed by 2 bytes of id (not
 * compared: ours does not return them).
 */
export function jsrootMisread(b: BranchInfo, mine: unknown[], theirs: unknown[]): Misread | null {
  if (!/(^|[./])fBits$/.test(b.name) || !b.typeName.startsWith('uint32[')) return null;
  let referenced = false;
  for (let i = 0; i < mine.length; i++) {
    const ours = mine[i] as number[];
    const words = theirs[i] as number[];
    if (!Array.isArray(ours) || !Array.isArray(words) || words.length !== ours.length) return null;
    // The entry's bytes as ROOT wrote them: null where the process id is (not known here).
    const bytes: Array<number | null> = [];
    for (const bits of ours) {
      bytes.push(bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff);
      if (bits & IS_REFERENCED) {
        referenced = true;
        bytes.push(null, null);
      }
    }
    for (let w = 0; w < words.length; w++) {
      for (let k = 0; k < 4; k++) {
        const want = bytes[4 * w + k];
        if (want !== null && want !== (words[w]! >>> (24 - 8 * k)) % 256) return null;
      }
    }
  }
  return referenced ? 'referencedBits' : null;
}

/** jsroot's value read as ours: typed arrays as lists, a map's {first, second} pairs as [key, value]; `used` says which applied. */
function asOurs(v: unknown, used: Set<Representation>): unknown {
  if (ArrayBuffer.isView(v)) {
    used.add('typed');
    return Array.from(v as unknown as ArrayLike<unknown>, (x) => asOurs(x, used));
  }
  if (Array.isArray(v)) return v.map((x) => asOurs(x, used));
  const pair = v as { _typename?: unknown; first?: unknown; second?: unknown } | null;
  if (typeof pair === 'object' && pair !== null && typeof pair._typename === 'string' && pair._typename.startsWith('pair<')) {
    used.add('pairs');
    return [asOurs(pair.first, used), asOurs(pair.second, used)];
  }
  return v;
}

/** Equal, numbers within 4 ulp (of the larger of the two and 1) where `near` (Double32_t/Float16_t, unpacked by arithmetic of each reader's own); `used` gets 'rounding' when that was needed. */
function sameValue(a: unknown, b: unknown, near: boolean, used: Set<Representation>): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    // The unpacking's error is of the range's scale, not the value's: near 0 it is large beside the value.
    if (!near || Math.abs(a - b) > 4 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b), 1)) return false;
    used.add('rounding');
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i], near, used));
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether our column equals jsroot's values once jsroot's representation is read as ours, and
 * which representations that took (empty: not equal, or equal as it was).
 */
function equalAsRepresented(b: BranchInfo, ours: Column, mine: unknown[], theirs: unknown[]): Set<Representation> | null {
  const used = new Set<Representation>();
  const near = /Double32_t|Float16_t/.test(b.typeName);
  // A map column's entries as [key, value] pairs, as jsroot's pairs are read.
  const map = ours as { offsets?: Int32Array; keys?: Column; values?: Column };
  let rows = mine;
  if (map.offsets && map.keys && map.values) {
    const n = mine.length;
    const keys = perEntryOf({ offsets: map.offsets, values: map.keys } as Column, n);
    const values = perEntryOf({ offsets: map.offsets, values: map.values } as Column, n);
    rows = keys.map((ks, i) => (ks as unknown[]).map((k, j) => [k, (values[i] as unknown[])[j]]));
  }
  for (let i = 0; i < rows.length; i++) {
    const ref = asOurs(theirs[i], used);
    // A collection's own branch: ours the count, jsroot's the objects.
    if (b.kind === 'scalar' && typeof rows[i] === 'number' && Array.isArray(theirs[i]) && !Array.isArray(rows[i])) {
      used.add('count');
      if (rows[i] !== (theirs[i] as unknown[]).length) return null;
      continue;
    }
    if (!sameValue(normaliseOf(rows[i]), normaliseOf(ref), near, used)) return null;
  }
  return used.size ? used : null;
}

/** What compareJsroot reads of a tree (a TTree, or some of its branches). */
export interface TreeLike {
  numEntries: number;
  branches: BranchInfo[];
  arrays(names: string[]): Promise<Record<string, Column>>;
}

/**
 * Compares a tree's readable branches with jsroot's values, branch by branch: each name once. A
 * tree may hold two branches of one name (uproot-issue513.root's Delphes tree has two `Particle`
 * collections, and so two `Particle.fBits`, `Particle.PT`, …): both readers read a name as its
 * first branch, so the second was the first compared again, and a difference was reported twice.
 */
export async function compareJsroot(r: { jsroot: JsrootTally; defects: string[] }, path: string, name: string, tree: TreeLike): Promise<void> {
  const { jsrootValues, perEntry, normalise } = await import('../packages/rootio/test/helpers.js');
  perEntryOf = perEntry;
  normaliseOf = normalise;
  // A member of an unsplit object is compared with that member of jsroot's objects (read once per object branch).
  const objects = new Map<string, Promise<unknown[]>>();
  const values = async (b: BranchInfo): Promise<unknown[]> => {
    // A field of a container of objects (`X.links.m_persKey`): that field of each of jsroot's objects in the container.
    const field = / \((\S+) of each .*\)$/.exec(b.typeName)?.[1];
    if (field && b.name.endsWith(`.${field}`)) {
      const container = b.name.slice(0, -field.length - 1);
      // A field of an object member is a path (`first.fP.fX`): followed member by member.
      const pick = (v: unknown): unknown => (Array.isArray(v) ? v.map(pick) : field.split('.').reduce<unknown>((x, f) => (x as Record<string, unknown> | undefined)?.[f], v));
      return (await values({ ...b, name: b.member ? container : container.slice(container.lastIndexOf('/') + 1), typeName: '' })).map(pick);
    }
    if (!b.member) return (await jsrootValues(path, name, [b.name]))[b.name] ?? [];
    const top = b.name.slice(0, b.name.indexOf('/'));
    if (!objects.has(top)) objects.set(top, jsrootValues(path, name, [top]).then((v) => v[top] ?? []));
    const fields = b.name.slice(top.length + 1 + (top.endsWith('.') ? top.length : 0)).split('.');
    const plain = (x: unknown): unknown => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<unknown>) : Array.isArray(x) ? x.map(plain) : x);
    return (await objects.get(top)!).map((o) => plain(fields.reduce<unknown>((x, f) => (x as Record<string, unknown> | undefined)?.[f], o)));
  };
  const compared = new Set<string>();
  for (const b of tree.branches) {
    if (b.kind === 'unsupported' || tree.numEntries === 0) continue;
    if (compared.has(b.name)) {
      r.jsroot.sameName++;
      continue;
    }
    compared.add(b.name);
    // jsroot misreads these (checked by hand): an unsplit TVector2/TVector3 ("Missmatch in
    // TObject", garbage values) and a leaf list's leaves once a counted leaf makes its entries
    // vary (it takes the leaves at fixed places). Counted as jsroot not reading them.
    if (b.typeName.startsWith('TVector') || b.leafOf?.walk) {
      r.jsroot.jsrootFails++;
      continue;
    }
    let ours: Column;
    try {
      ours = (await tree.arrays([b.name]))[b.name]!;
    } catch {
      continue; // counted above
    }
    let theirs: unknown[];
    try {
      theirs = await values(b);
      if (theirs.length !== tree.numEntries) throw new Error('short');
      // Entries jsroot gives no value for (undefined: a split object's TObject or base-class
      // members; an RVec as an object of no data, {_typename: 'ROOT::VecOps::RVec<float>', This:
      // null}) are jsroot not reading the branch: they were counted as defects of ours.
      if (theirs.every(noValue)) throw new Error('no values');
    } catch {
      r.jsroot.jsrootFails++;
      continue;
    }
    // jsroot turns a fixed char array into a C string (up to its first zero byte); compare that.
    const mine = perEntry(ours, tree.numEntries).map((v, i) =>
      b.typeName.startsWith('int8[') && typeof theirs[i] === 'string' && Array.isArray(v) ? (v.includes(0) ? v.slice(0, v.indexOf(0)) : v) : normalise(v));
    // jsroot gives a TDatime as its object; ours is its packed word.
    const ref = theirs.map((v) => (b.typeName.startsWith('int8[') && typeof v === 'string' ? Array.from(v, (ch) => (ch.charCodeAt(0) << 24) >> 24)
      : b.typeName.startsWith('TDatime') ? (v as { fDatime: number }).fDatime : normalise(v)));
    const at = mine.findIndex((v, i) => JSON.stringify(v) !== JSON.stringify(ref[i]));
    const represented = at < 0 ? null : equalAsRepresented(b, ours, mine, theirs);
    const misread = at < 0 || represented ? null : jsrootMisread(b, mine, ref);
    if (at < 0) r.jsroot.equal++;
    else if (represented) {
      r.jsroot.equal++;
      for (const k of represented) r.jsroot.representation[k] = (r.jsroot.representation[k] ?? 0) + 1;
    } else if (misread) {
      r.jsroot.jsrootFails++;
      r.jsroot.misread[misread] = (r.jsroot.misread[misread] ?? 0) + 1;
    } else {
      r.jsroot.differ++;
      r.defects.push(`${path.split('/').pop()} ${name} ${b.name} (${b.typeName}): differs from jsroot at entry ${at}: ${JSON.stringify(mine[at])?.slice(0, 200)} vs ${JSON.stringify(ref[at])?.slice(0, 200)}`);
    }
  }
}

/**
 * Runs `compare` (jsroot's reading of one tree beside ours). jsroot raises some errors from its
 * own callbacks (a RangeError from a DataView in its basket loop, on uproot-issue407.root and
 * uproot-issue433-splitlevel2.root), outside any promise we hold: that ended this process (the
 * file's own tallies lost with it) and the promise never settled. Such a throw while comparing is
 * recorded as the file's `couldNotRead`; false then (jsroot is left mid-read: compare no more).
 * Errors `compare` itself rejects with propagate as before.
 */
export async function guardJsroot(r: { jsroot: JsrootTally }, tree: string, compare: () => Promise<void>): Promise<boolean> {
  let crash!: (err: unknown) => void;
  const crashed = new Promise<{ crash: unknown }>((resolve) => (crash = (err) => resolve({ crash: err })));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    const end = await Promise.race([compare().then(() => null), crashed]);
    if (!end) return true;
    const err = end.crash as Error | undefined;
    r.jsroot.couldNotRead = `jsroot could not read: ${err?.constructor?.name ?? 'Error'}: ${err?.message ?? String(end.crash)} (tree ${tree})`;
    return false;
  } finally {
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
    // jsroot's callbacks still queued after a crash may throw again: the first throw is the one recorded.
    if (r.jsroot.couldNotRead) process.on('uncaughtException', () => {}).on('unhandledRejection', () => {});
  }
}
