/**
 * Reads an RNTuple (ROOT's columnar format, binary version 1) field by field into the same column
 * shapes as a TTree: numbers → typed arrays; `std::vector`/`RVec`/`std::set` of numbers →
 * `{offsets, values}`; strings → `string[]`; deeper collections → one offsets array per level;
 * `std::array<T, N>` → `{values, innerShape: [N]}`. A record's members are read by their path
 * (`muon.pt`), since field names never contain a dot.
 */
import { nearNames } from '../near-names.js';
import { decompress } from '../decompress.js';
import { RootFormatError, UnsupportedBranchTypeError } from '../errors.js';
import type { BranchInfo } from '../branch.js';
import { ColumnMemory, FRESH } from '../column-memory.js';
import type { ArraysOptions, Batch, IterateOptions } from '../tree.js';
import { entryRange } from '../entry-range.js';
import { ARRAYS_OPTIONS, checkNames, checkOptions, ITERATE_OPTIONS, checkReadValues, showArg } from '../read-args.js';
import type { ByteSource } from '../source.js';
import { type Column, type ElementType, type Nested, type TypedArray } from '../types.js';
import { parsing } from '../meta/directory.js';
import { readAnchor, readFooter, readHeader, readPageList, RBuffer, type ClusterDesc, type ColumnDesc, type EnvelopeLink, type FieldDesc, type Schema } from './envelope.js';
import { decodePage, pageBytes, type PageValues } from './pages.js';
import { xxh3 } from './xxh3.js';

/** How a field reads: `field` is the one whose columns hold the values (or the offsets). */
type Plan =
  | { kind: 'number'; element: ElementType; field: FieldDesc }
  | { kind: 'string'; field: FieldDesc }
  | { kind: 'list'; field: FieldDesc; of: Plan; child: FieldDesc }
  | { kind: 'array'; size: number; of: Plan; child: FieldDesc }
  | { kind: 'bits'; size: number; field: FieldDesc }
  | { kind: 'cardinality'; field: FieldDesc }
  | { kind: 'record' }
  | { kind: 'unsupported'; why: string };

const NUMBER: Record<string, ElementType> = {
  bool: 'bool', char: 'int8', 'std::byte': 'uint8', 'std::int8_t': 'int8', 'std::uint8_t': 'uint8', 'std::int16_t': 'int16',
  'std::uint16_t': 'uint16', 'std::int32_t': 'int32', 'std::uint32_t': 'uint32', 'std::int64_t': 'int64',
  'std::uint64_t': 'uint64', float: 'float', double: 'double', Double32_t: 'double',
};

const ROLE_COLLECTION = 1;
const ROLE_RECORD = 2;
const FLAG_REPETITIVE = 1;

interface PageRead {
  column: ColumnDesc;
  at: number;
  bytes: number;
  elements: number;
  /** Global index of the page's first element. */
  first: number;
  /** The XXH3-64 of its bytes follows it. */
  checksum: boolean;
}

/** An RNTuple opened for reading. */
export class RNTupleReader {
  readonly numEntries: number;
  readonly branches: BranchInfo[] = [];
  private readonly byName = new Map<string, Plan>();
  /** uproot's names of members a record inherits (`child.base_a1` for `child.:_0.base_a1`): see {@link baseAliases}. */
  private readonly aliases = new Map<string, string>();

  private constructor(private readonly source: ByteSource, readonly name: string, private readonly schema: Schema, private readonly clusters: ClusterDesc[],
                      /** Throws once the file it was opened from is closed (RootFile.checkOpen), naming `what`. */
                      private readonly checkOpen: (what: string) => void) {
    this.numEntries = clusters.reduce((n, c) => Math.max(n, c.firstEntry + c.entries), 0);
    const walk = (f: FieldDesc, path: string) => {
      const plan = this.plan(f);
      this.add(path, plan);
      if (plan.kind === 'record') {
        for (const k of f.children) walk(schema.fields[k]!, `${path}.${schema.fields[k]!.name}`);
        this.baseAliases(f, path);
      }
      // A collection of records (NanoAOD's `_collection0`, `vector<LV>`): each member is jagged.
      if (plan.kind === 'list' && plan.of.kind === 'record') this.members(plan.field, plan.child, path);
    };
    for (const f of schema.fields) if (f.parent === f.id) walk(f, f.name);
  }

  private add(path: string, plan: Plan): void {
    this.byName.set(path, plan);
    this.branches.push(info(path, plan, this.numEntries));
  }

  /**
   * uproot's names for the members a record inherits. ROOT stores each base class as a subfield
   * `:_0`, `:_1`, … of the record; uproot lists the bases' members as the record's own, and a name
   * two bases share with the base's class before it (`multi_grandparent.Child::base_a1`,
   * `multi_grandparent.MultiParent::base_a1`). Each is an alias of the member's path here.
   */
  private baseAliases(record: FieldDesc, path: string): void {
    type Inherited = { name: string; at: string; base: string | null };
    const members = (f: FieldDesc, at: string): Inherited[] => f.children.flatMap((k): Inherited[] => {
      const m = this.schema.fields[k]!;
      if (!/^:_\d+$/.test(m.name)) return [{ name: m.name, at: `${at}.${m.name}`, base: null }];
      // The record's own base names a shared member, not the base's bases.
      return members(m, `${at}.${m.name}`).map((x) => ({ ...x, base: m.type }));
    });
    const all = members(record, path);
    const count = new Map<string, number>();
    for (const x of all) count.set(x.name, (count.get(x.name) ?? 0) + 1);
    for (const x of all) {
      const name = `${path}.${(count.get(x.name) ?? 0) > 1 && x.base ? `${x.base}::` : ''}${x.name}`;
      if (name !== x.at && !this.byName.has(name) && !this.aliases.has(name)) this.aliases.set(name, x.at);
    }
  }

  /** Members of the records in collection `list`, at any depth, as collections themselves. */
  private members(list: FieldDesc, record: FieldDesc, path: string): void {
    for (const k of record.children) {
      const m = this.schema.fields[k]!;
      const inner = this.plan(m);
      if (inner.kind === 'record') this.members(list, m, `${path}.${m.name}`);
      else this.add(`${path}.${m.name}`, { kind: 'list', field: list, of: inner, child: m });
    }
  }

  /** Reads the anchor `anchor` (the key's payload) and the envelopes it points to. */
  /**
   * `reads`: where the open's own reads go (`source` under the open's time bound); the reader keeps
   * `source`. `checkOpen` throws once the file is closed: without it a read after close() failed
   * with Node's bare "Error: file closed", naming neither the file nor the RNTuple.
   */
  static async open(source: ByteSource, name: string, anchor: RBuffer, reads: ByteSource = source,
                    checkOpen: (what: string) => void = () => {}): Promise<RNTupleReader> {
    const path = source.path;
    const a = parsing(path, `the RNTuple anchor of ${name}`, () => readAnchor(anchor));
    if (a.epoch !== 1) throw new RootFormatError(path, -1, `RNTuple ${name} has format version ${a.epoch}.${a.major}.${a.minor}.${a.patch}; this reader reads epoch 1 (ROOT 6.34 and later)`);
    const [header, footer] = await Promise.all([envelopeBytes(reads, a.header, 'header'), envelopeBytes(reads, a.footer, 'footer')]);
    const schema = parsing(path, `the header of RNTuple ${name}`, () => readHeader(header, a.header.offset, a.header.size), a.header.offset);
    const groups = parsing(path, `the footer of RNTuple ${name}`, () => readFooter(footer, a.footer.offset, schema, a.footer.size), a.footer.offset);
    const clusters: ClusterDesc[] = [];
    for (const g of groups) {
      const bytes = await envelopeBytes(reads, g, 'page list');
      clusters.push(...parsing(path, `a page list of RNTuple ${name}`, () => readPageList(bytes, g.offset, schema.columns.length, schema.headerChecksum, g.size), g.offset));
    }
    clusters.sort((x, y) => x.firstEntry - y.firstEntry);
    return new RNTupleReader(source, name, schema, clusters, checkOpen);
  }

  branch(name: string): BranchInfo {
    const b = this.branches.find((x) => x.name === (this.byName.has(name) ? name : this.aliases.get(name) ?? name));
    if (!b) throw this.noField(name);
    return b;
  }

  /**
   * Reads fields for entries `[entryStart, entryStop)`; with `into`, numeric values go into an
   * earlier read's memory, as a TTree's do.
   */
  async arrays(names: string[], opts: ArraysOptions = {}): Promise<Record<string, Column>> {
    checkNames(`arrays() of RNTuple "${this.name}" in ${this.source.path}`, names, 'field');
    checkOptions(`arrays() of RNTuple "${this.name}" in ${this.source.path}`, opts, ARRAYS_OPTIONS);
    checkReadValues(`arrays() of RNTuple "${this.name}" in ${this.source.path}`, opts, names);
    this.checkOpen(`arrays() of RNTuple "${this.name}"`);
    const { start, stop } = entryRange(`RNTuple "${this.name}" in ${this.source.path}`, this.numEntries, opts);
    const out: Record<string, Column> = {};
    const memory = opts.into ? new ColumnMemory(Object.values(opts.into)) : FRESH;
    for (const n of names) {
      const plan = this.byName.get(n) ?? this.byName.get(this.aliases.get(n) ?? '');
      if (!plan) throw this.noField(n);
      out[n] = (await this.read(n, plan, start, stop, memory)) as Column;
    }
    return out;
  }

  /** Iterates the RNTuple in batches of `step` entries. */
  async *iterate(names: string[], opts: IterateOptions = {}): AsyncGenerator<Batch> {
    checkNames(`iterate() of RNTuple "${this.name}" in ${this.source.path}`, names, 'field');
    checkOptions(`iterate() of RNTuple "${this.name}" in ${this.source.path}`, opts, ITERATE_OPTIONS);
    checkReadValues(`iterate() of RNTuple "${this.name}" in ${this.source.path}`, opts);
    this.checkOpen(`iterate() of RNTuple "${this.name}"`);
    const step = opts.step ?? 100_000;
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`iterate() of RNTuple "${this.name}" in ${this.source.path}: step must be a positive integer, got ${showArg(step)}`);
    const { start, stop } = entryRange(`RNTuple "${this.name}" in ${this.source.path}`, this.numEntries, opts);
    let last: Record<string, Column> | undefined;
    for (let a = start; a < stop; a += step) {
      const b = Math.min(a + step, stop);
      const columns = await this.arrays(names, { entryStart: a, entryStop: b, into: opts.reuse ? last : undefined });
      last = columns;
      yield { entryStart: a, entryStop: b, columns };
    }
  }

  private noField(name: string): RootFormatError {
    const have = this.branches.map((b) => b.name);
    // As a tree's missing branch: the likely spelling, and `…` when the list is cut.
    const like = nearNames(name, have).slice(0, 3);
    return new RootFormatError(this.source.path, -1, `RNTuple ${this.name} has no field named ${name}${like.length ? ` (did you mean ${like.join(' or ')}?)` : ''} (it has ${have.length}: ${have.slice(0, 40).join(', ')}${have.length > 40 ? ', …' : ''})`);
  }

  private plan(f: FieldDesc): Plan {
    const kids = f.children.map((k) => this.schema.fields[k]!);
    if (f.type === 'std::string' && f.columns.length) return { kind: 'string', field: f };
    if (/^ROOT::RNTupleCardinality</.test(f.type) && f.columns.length) return { kind: 'cardinality', field: f };
    if (f.flags & FLAG_REPETITIVE && f.columns.length && /^std::bitset</.test(f.type)) return { kind: 'bits', size: f.arraySize, field: f };
    if (f.flags & FLAG_REPETITIVE && kids.length === 1 && f.columns.length === 0) {
      return { kind: 'array', size: f.arraySize, of: this.plan(kids[0]!), child: kids[0]! };
    }
    if (f.role === ROLE_COLLECTION && kids.length === 1 && f.columns.length) return { kind: 'list', field: f, of: this.plan(kids[0]!), child: kids[0]! };
    if (f.role === ROLE_RECORD && kids.length > 0) return { kind: 'record' };
    // std::atomic<T> and enums: a field with one `_0` subfield holding the value.
    if (f.columns.length === 0 && kids.length === 1 && f.role === 0) return this.plan(kids[0]!);
    const element = NUMBER[f.type];
    if (element && f.columns.length && !(f.flags & FLAG_REPETITIVE)) return { kind: 'number', element, field: f };
    return { kind: 'unsupported', why: f.type || '(untyped)' };
  }

  private async read(name: string, plan: Plan, s: number, e: number, memory: ColumnMemory): Promise<Nested | { values: TypedArray; innerShape: number[] }> {
    switch (plan.kind) {
      case 'number':
        return this.elements(name, plan.field, 0, s, e, plan.element, memory);
      case 'string': {
        const f = plan.field;
        const { offsets, first, last } = await this.offsets(name, f, s, e, (c) => this.columnOffset(f, 1, c));
        const chars = (await this.elements(name, f, 1, first, last, 'uint8')) as Uint8Array;
        const dec = new TextDecoder();
        const out: string[] = [];
        for (let i = 0; i + 1 < offsets.length; i++) out.push(dec.decode(chars.subarray(offsets[i]!, offsets[i + 1]!)));
        return out;
      }
      case 'list': {
        // Collections of records are read by their members' paths (the record says which); a
        // collection of collections of records, or of fixed-size arrays, is not read.
        if (plan.of.kind !== 'record' && !readable(plan)) throw new UnsupportedBranchTypeError(`RNTuple field of type ${plan.field.type}`, name);
        const child = principal(this.schema, plan.child);
        const { offsets, first, last } = await this.offsets(name, plan.field, s, e, (c) => (child ? this.columnOffset(child, 0, c) : 0));
        return { offsets, values: (await this.read(name, plan.of, first, last, memory)) as Nested };
      }
      case 'cardinality': {
        const { offsets } = await this.offsets(name, plan.field, s, e, () => 0);
        const out = new Uint32Array(e - s);
        for (let i = 0; i < out.length; i++) out[i] = offsets[i + 1]! - offsets[i]!;
        return out;
      }
      case 'array': {
        if (plan.of.kind !== 'number') throw new UnsupportedBranchTypeError(`RNTuple array of ${plan.child.type}`, name);
        const values = (await this.read(name, plan.of, s * plan.size, e * plan.size, memory)) as TypedArray;
        return { values, innerShape: [plan.size] };
      }
      case 'bits':
        return { values: await this.elements(name, plan.field, 0, s * plan.size, e * plan.size, 'bool', memory), innerShape: [plan.size] };
      case 'record': {
        const members = this.branches.filter((b) => b.name.startsWith(`${name}.`)).map((b) => b.name);
        throw new UnsupportedBranchTypeError(`record (read its members: ${members.join(', ')})`, name);
      }
      case 'unsupported':
        throw new UnsupportedBranchTypeError(`RNTuple field of type ${plan.why}`, name);
    }
  }

  /** The columns of representation `r` of a field (a field may have several, one primary per cluster). */
  private representation(f: FieldDesc, cluster: ClusterDesc): ColumnDesc[] {
    const cols = f.columns.map((k) => this.schema.columns[k]!);
    const reps = [...new Set(cols.map((c) => c.representation))];
    for (const r of reps) {
      const inRep = cols.filter((c) => c.representation === r);
      if ((cluster.columns[inRep[0]!.id]?.elementOffset ?? 0) >= 0) return inRep;
    }
    return cols.filter((c) => c.representation === reps[0]);
  }

  /** Global index of the first element, in cluster `k`, of a field's `i`-th column. */
  private columnOffset(f: FieldDesc, i: number, k: number): number {
    const cluster = this.clusters[k]!;
    const col = this.representation(f, cluster)[i];
    // A column added while writing (deferred: firstElement > 0) is one of a field added at the
    // top level, so it has one element per entry (times the fixed-size arrays it is in) in every
    // cluster, those before its first element zeros: its cluster starts where the cluster's first
    // entry does, not where its first page does. That is firstElement when the field came in
    // within the cluster (ATLAS PHYSLITE's AuxDyn fields: 1), which read as "the index column goes
    // backwards" and the file as damaged.
    if (col && col.firstElement > 0) return cluster.firstEntry * this.repetitions(f);
    const cc = col ? cluster.columns[col.id] : undefined;
    return cc ? Math.abs(cc.elementOffset) : 0;
  }

  /** Elements per entry of a field's columns: the sizes of the fixed-size arrays (and bitsets) it is in. */
  private repetitions(f: FieldDesc): number {
    let n = 1;
    for (let a = f, depth = 0; depth < this.schema.fields.length; depth++) {
      if (a.flags & FLAG_REPETITIVE) n *= a.arraySize;
      if (a.parent === a.id) break;
      a = this.schema.fields[a.parent]!;
    }
    return n;
  }

  /** Elements `[g0, g1)` of a field's `i`-th column, over every cluster that holds them, in `memory` where it has room. */
  private async elements(name: string, f: FieldDesc, i: number, g0: number, g1: number, element: ElementType, memory = FRESH): Promise<TypedArray> {
    if (!(Number.isSafeInteger(g0) && Number.isSafeInteger(g1) && 0 <= g0 && g0 <= g1 && g1 - g0 <= 2 ** 31)) {
      throw new RootFormatError(this.source.path, -1, `RNTuple ${this.name}: field ${name} asks for elements ${g0}–${g1}, which its metadata cannot hold (damaged?)`);
    }
    if (g1 === g0) return memory.take(element, 0);
    const reads: PageRead[] = [];
    let deferred = 0;
    let listed = 0;
    for (const cluster of this.clusters) {
      const col = this.representation(f, cluster)[i];
      if (!col) throw new RootFormatError(this.source.path, -1, `RNTuple ${this.name}: field ${name} has no column ${i}`);
      deferred = Math.max(deferred, col.firstElement);
      const cc = cluster.columns[col.id];
      // Clusters written before a column was added (a schema extension) do not list it.
      if (!cc) continue;
      let first = Math.abs(cc.elementOffset);
      for (const p of cc.pages) {
        if (first < g1 && first + p.elements > g0) {
          reads.push({ column: col, at: p.offset, bytes: p.size, elements: p.elements, first, checksum: p.checksum });
          listed += Math.min(g1, first + p.elements) - Math.max(g0, first);
        }
        first += p.elements;
      }
    }
    // Checked before the memory is taken: a damaged index column asks for up to 2^31 elements
    // (16 GiB of doubles) that no page lists.
    if (listed < g1 - g0 && !(deferred > g0)) throw this.uncovered(name, listed, g0, g1);
    const out = memory.take(element, g1 - g0);
    const blobs = reads.length ? await this.source.read(reads.map((r) => [r.at, r.bytes + (r.checksum ? 8 : 0)] as const)) : [];
    let covered = 0;
    reads.forEach((r, k) => {
      const size = pageBytes(r.column.type, r.column.bits, r.elements);
      let values: PageValues;
      try {
        values = decodePage(r.column, decompress(this.checked(blobs[k]!, r), size, this.source.path, r.at), r.elements, name);
      } catch (err) {
        // The codec's message names the file and the page's offset; this names the field.
        if (err instanceof RootFormatError) throw new RootFormatError(this.source.path, err.offset, `RNTuple ${this.name}, field ${name}: ${err.reason}`);
        throw err;
      }
      const a = Math.max(g0, r.first);
      const z = Math.min(g1, r.first + r.elements);
      copy(values, a - r.first, z - r.first, out, a - g0);
      covered += z - a;
    });
    if (covered !== g1 - g0) {
      // A deferred column (added while writing) reads as zeros before its first element.
      if (covered < g1 - g0 && deferred > g0) zeroMissing(out, g0, Math.min(deferred, g1));
      else throw this.uncovered(name, covered, g0, g1);
    }
    return out;
  }

  /**
   * A page's bytes, checked against the XXH3-64 after them when it has one (ROOT writes one for
   * every page by default): damage inside a ZSTD page, which has no checksum of its own, read as
   * other values.
   */
  private checked(blob: Uint8Array, r: PageRead): Uint8Array {
    if (!r.checksum) return blob;
    const page = blob.subarray(0, r.bytes);
    if (xxh3(page) !== new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getBigUint64(r.bytes, true)) {
      throw new RootFormatError(this.source.path, r.at, `the page of ${r.elements} elements (${r.bytes} bytes) is not that of its checksum (XXH3-64): damaged`);
    }
    return page;
  }

  private uncovered(name: string, covered: number, g0: number, g1: number): RootFormatError {
    return new RootFormatError(this.source.path, -1, `RNTuple ${this.name}: field ${name}'s pages hold ${covered} of elements ${g0}–${g1}`);
  }

  /**
   * Entries `[s, e)` of a collection field as offsets from the first entry's first element, with
   * the global range of the child elements they span. The index column holds each entry's end,
   * counted from its cluster's first child element (`childStart(k)`).
   */
  private async offsets(name: string, f: FieldDesc, s: number, e: number, childStart: (k: number) => number): Promise<{ offsets: Int32Array; first: number; last: number }> {
    const from = Math.max(0, s - 1);
    const ends = await this.elements(name, f, 0, from, e, 'double');
    const offsets = new Int32Array(e - s + 1);
    // Per cluster, once: where its index elements and its child elements start.
    const starts = this.clusters.map((_c, k) => this.columnOffset(f, 0, k));
    const bases = this.clusters.map((_c, k) => childStart(k));
    let first = -1;
    let k = 0;
    for (let g = s; g < e; g++) {
      while (k + 1 < starts.length && starts[k + 1]! <= g) k++;
      const clusterFirst = starts[k]!;
      const base = bases[k]!;
      const startRel = g === clusterFirst ? 0 : ends[g - 1 - from]!;
      const endRel = ends[g - from]!;
      if (!(endRel >= startRel)) throw new RootFormatError(this.source.path, -1, `RNTuple ${this.name}: field ${name}'s index column goes backwards at element ${g} (${startRel} then ${endRel}): damaged`);
      if (first < 0) first = base + (startRel as number);
      offsets[g - s + 1] = base + (endRel as number) - first;
    }
    if (first < 0) first = 0;
    return { offsets, first, last: first + offsets[e - s]! };
  }
}

function copy(src: PageValues, a: number, z: number, out: TypedArray, at: number): void {
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const srcBig = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (big === srcBig && out.constructor === src.constructor) {
    (out as Float64Array).set((src as Float64Array).subarray(a, z), at);
    return;
  }
  const o = out as unknown as { [i: number]: number | bigint };
  for (let i = a; i < z; i++) o[at + i - a] = big ? BigInt(src[i]!) : Number(src[i]!);
}

function zeroMissing(out: TypedArray, g0: number, upTo: number): void {
  for (let g = g0; g < upTo; g++) (out as unknown as { [i: number]: number | bigint })[g - g0] = out instanceof BigInt64Array || out instanceof BigUint64Array ? 0n : 0;
}

/** The field whose columns count a field's items (the first with columns, depth first). */
function principal(s: Schema, f: FieldDesc): FieldDesc | null {
  if (f.columns.length) return f;
  for (const k of f.children) {
    const p = principal(s, s.fields[k]!);
    if (p) return p;
  }
  return null;
}

function typeName(p: Plan): string {
  switch (p.kind) {
    case 'number': return p.element;
    case 'string': return 'string';
    case 'list': return `vector<${typeName(p.of)}>`;
    case 'array': return `${typeName(p.of)}[${p.size}]`;
    case 'bits': return `bool[${p.size}]`;
    case 'cardinality': return 'uint32';
    case 'record': return 'record';
    case 'unsupported': return p.why;
  }
}

/**
 * Whether a field reads as a column: numbers, strings, cardinalities, bitsets, fixed-size arrays
 * of numbers, and collections of any of these but arrays, to any depth.
 */
function readable(p: Plan): boolean {
  switch (p.kind) {
    case 'number': case 'string': case 'cardinality': case 'bits': return true;
    case 'array': return p.of.kind === 'number';
    case 'list': return p.of.kind !== 'array' && readable(p.of);
    default: return false;
  }
}

function info(name: string, p: Plan, entries: number): BranchInfo {
  const numeric = (q: Plan) => q.kind === 'number';
  // Listed as read: a collection whose items are not readable at some depth is unsupported,
  // not `nested` (vector<vector<record>> was listed nested and its read refused).
  const kind: BranchInfo['kind'] = p.kind === 'number' || p.kind === 'cardinality' ? 'scalar'
    : p.kind === 'string' ? 'string'
      : p.kind === 'list' ? (numeric(p.of) ? 'vector' : readable(p) ? 'nested' : 'unsupported')
        : p.kind === 'bits' || (p.kind === 'array' && numeric(p.of)) ? 'fixed-array'
          : 'unsupported';
  const element = p.kind === 'number' ? p.element : p.kind === 'cardinality' ? 'uint32' : p.kind === 'bits' ? 'bool'
    : (p.kind === 'list' || p.kind === 'array') && p.of.kind === 'number' ? p.of.element : null;
  const typeNameOf = p.kind === 'record' ? 'record (read its members by path)'
    : p.kind === 'list' && p.of.kind === 'record' ? 'vector<record> (read its members by path)' : typeName(p);
  return { name, typeName: typeNameOf, kind, element, inner: p.kind === 'array' || p.kind === 'bits' ? p.size : 1, counter: null, entryHeader: 0, packed: null, objectBits: false, leafOf: null, member: null, stl: null, stlString: false, entries };
}

async function envelopeBytes(source: ByteSource, link: EnvelopeLink, what: string): Promise<Uint8Array> {
  if (!(link.size > 0 && link.offset >= 0 && link.offset + link.size <= source.size && link.length >= 16 && link.length <= 1 << 30)) {
    throw new RootFormatError(source.path, link.offset, `the RNTuple ${what} envelope (${link.size} bytes at ${link.offset}, ${link.length} uncompressed) lies outside the file`);
  }
  const [b] = await source.read([[link.offset, link.size]]);
  return decompress(b!, link.length, source.path, link.offset);
}
