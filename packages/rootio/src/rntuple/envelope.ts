/**
 * RNTuple metadata (binary format 1.0): the anchor, and the header, footer and page-list
 * envelopes, little-endian, framed. Parsed into plain descriptions; every count and size is
 * checked against the bytes left before it is used.
 */
import { xxh3 } from './xxh3.js';
import { MetaError, RBuffer } from '../meta/rbuffer.js';

/** A field of the schema tree. */
export interface FieldDesc {
  id: number;
  parent: number;
  role: number;
  flags: number;
  name: string;
  type: string;
  alias: string;
  arraySize: number;
  children: number[];
  /** Physical columns attached to the field, in column-ID order. */
  columns: number[];
}

/** A physical column. */
export interface ColumnDesc {
  id: number;
  type: number;
  bits: number;
  field: number;
  representation: number;
  firstElement: number;
  /** The value range of a quantized column ([0, 0] when none). */
  min: number;
  max: number;
}

/** Where a page is and how many elements it holds. */
export interface PageDesc {
  elements: number;
  offset: number;
  size: number;
  /** An 8-byte checksum follows the page. */
  checksum: boolean;
}

/** One column in one cluster. */
export interface ColumnInCluster {
  /** Index of the cluster's first element in the column; negative when suppressed. */
  elementOffset: number;
  compression: number;
  pages: PageDesc[];
}

export interface ClusterDesc {
  firstEntry: number;
  entries: number;
  /** By physical column ID. */
  columns: ColumnInCluster[];
}

/** A link to an envelope: its compressed location and uncompressed length. */
export interface EnvelopeLink {
  length: number;
  offset: number;
  size: number;
}

export interface Anchor {
  epoch: number;
  major: number;
  minor: number;
  patch: number;
  header: EnvelopeLink;
  footer: EnvelopeLink;
  maxKeySize: number;
}

/** Reads the ROOT::RNTuple anchor object (big-endian, like every classic ROOT object). */
export function readAnchor(buf: RBuffer): Anchor {
  const { end } = buf.version();
  const from = buf.pos;
  const epoch = buf.u16();
  const major = buf.u16();
  const minor = buf.u16();
  const patch = buf.u16();
  const seekHeader = buf.u64();
  const nbytesHeader = buf.u64();
  const lenHeader = buf.u64();
  const seekFooter = buf.u64();
  const nbytesFooter = buf.u64();
  const lenFooter = buf.u64();
  const maxKeySize = buf.u64();
  buf.finish(end, 'ROOT::RNTuple');
  // ROOT appends the XXH3-64 of the fields (from the epoch to the end of the byte count, which
  // the checksum lies outside) and refuses an anchor that does not match it (RMiniFile.cxx:
  // "RNTuple anchor checksum mismatch"): the anchor says where the header and footer are and how
  // large, and a changed size or offset would be followed.
  const fields = buf.bytes.subarray(from, buf.pos);
  if (buf.pos + 8 > buf.bytes.length) buf.fail(`has no checksum after its ${fields.length} bytes of fields (it ends ${buf.bytes.length - buf.pos} bytes after them)`);
  const stored = buf.view.getBigUint64(buf.pos, false);
  const own = xxh3(fields);
  if (own !== stored) buf.fail(`its checksum (XXH3-64) ${hex(stored)} is not that of its ${fields.length} bytes of fields (${hex(own)}): they are damaged`);
  return {
    epoch, major, minor, patch, maxKeySize,
    header: { offset: seekHeader, size: nbytesHeader, length: lenHeader },
    footer: { offset: seekFooter, size: nbytesFooter, length: lenFooter },
  };
}

/** A little-endian cursor over one envelope, with RNTuple's frames. */
class Cursor {
  pos: number;
  private readonly view: DataView;
  /** The XXH3-64 the envelope ends in (checked against its bytes). */
  checksum = 0n;
  /**
   * @param base file offset of the envelope's stored bytes (-1 when unknown)
   * @param compressed whether they are compressed: then a position in `bytes` is no file offset
   */
  constructor(private readonly bytes: Uint8Array, private readonly base: number, private readonly compressed = false, pos = 0, public end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }
  /**
   * Fails at the cursor: its file offset when the envelope is stored as is; when compressed, the
   * envelope's, with the position in its decompressed bytes (that offset plus the position, as
   * was said before 2026-12-08, named a byte of whatever follows the compressed envelope).
   */
  fail(message: string): never {
    if (this.base < 0) throw new MetaError(-1, message);
    if (this.compressed) throw new MetaError(this.base, `${message} (byte ${this.pos} of the envelope, decompressed)`);
    throw new MetaError(this.base + this.pos, message);
  }
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`needs ${n} bytes, only ${this.end - this.pos} left in its frame`);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(): number {
    this.need(8);
    const v = Number(this.view.getBigInt64(this.pos, true));
    this.pos += 8;
    return v;
  }
  u64(): number {
    return Number(this.u64n());
  }
  u64n(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  /** Feature flags: 64-bit words while the last read is negative; any set bit is a feature we do not know. */
  features(): void {
    for (let i = 0; i < 64; i++) {
      this.need(8);
      const v = this.view.getBigInt64(this.pos, true);
      this.pos += 8;
      if (v !== 0n && v !== -0x8000000000000000n) this.fail(`uses format features this reader does not know (flags 0x${BigInt.asUintN(64, v).toString(16)})`);
      if (v >= 0n) return;
    }
    this.fail('feature flags do not end');
  }
  /** Enters a frame: returns where it ends and, for a list frame, its item count (else -1). */
  frame(): { end: number; items: number } {
    const start = this.pos;
    const size = this.i64();
    const list = size < 0;
    const bytes = Math.abs(size);
    if (bytes < (list ? 12 : 8) || start + bytes > this.end) this.fail(`a frame of ${bytes} bytes does not fit in its envelope`);
    const items = list ? this.u32() : -1;
    return { end: start + bytes, items };
  }
  /** Runs `fn` for each item of a list frame (each within the list's bounds), then leaves the list. */
  list(fn: (i: number, end: number) => void): void {
    const { end, items } = this.frame();
    if (items < 0) this.fail('expected a list frame');
    if (items > end - this.pos) this.fail(`a list claims ${items} items in ${end - this.pos} bytes`);
    const outer = this.end;
    this.end = end;
    for (let i = 0; i < items; i++) fn(i, end);
    this.end = outer;
    this.pos = end;
  }
  /** Runs `fn` inside a record frame, then leaves it (unknown trailing fields are skipped). */
  record(fn: () => void): void {
    const { end, items } = this.frame();
    if (items >= 0) this.fail('expected a record frame');
    const outer = this.end;
    this.end = end;
    fn();
    this.end = outer;
    this.pos = end;
  }
  locator(): { offset: number; size: number } {
    const size = this.i32();
    if (size >= 0) return { size, offset: this.u64() };
    const type = (-size >> 24) & 0x7f;
    const own = -size & 0xffff;
    if (type !== 1 || own !== 20) this.fail(`a locator of unknown type ${type}`);
    const big = this.u64();
    return { size: big, offset: this.u64() };
  }
  link(): EnvelopeLink {
    const length = this.u64();
    return { length, ...this.locator() };
  }
}

/** Opens an envelope: checks its type and length, returns a cursor on its payload. */
function envelope(bytes: Uint8Array, base: number, stored: number, type: number, what: string): Cursor {
  const c = new Cursor(bytes, base, stored !== bytes.length);
  if (bytes.length < 16) c.fail(`the ${what} envelope is shorter than its framing`);
  const word = c.u64();
  const t = word % 0x10000;
  const length = Math.floor(word / 0x10000);
  if (t !== type) c.fail(`expected the ${what} envelope (type ${type}), found type ${t}`);
  if (length !== bytes.length) c.fail(`the ${what} envelope says it has ${length} bytes, it has ${bytes.length}`);
  c.end = bytes.length - 8; // the checksum
  // Every envelope ends in the XXH3-64 of its bytes: damage inside it (a ZSTD block has no
  // checksum of its own) read as other fields, counts and page locations.
  c.checksum = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(c.end, true);
  if (xxh3(bytes.subarray(0, c.end)) !== c.checksum) {
    c.pos = c.end;
    c.fail(`the ${what} envelope's checksum (XXH3-64) is not that of its ${c.end} bytes: they are damaged`);
  }
  return c;
}

/** The schema: fields and columns, from the header and the footer's schema extension. */
export interface Schema {
  name: string;
  /** The XXH3-64 the header envelope ends in: the footer and every page list name it. */
  headerChecksum: bigint;
  fields: FieldDesc[];
  columns: ColumnDesc[];
  aliases: { column: number; field: number }[];
}

function schemaLists(c: Cursor, s: Schema): void {
  c.list(() => c.record(() => {
    c.u32(); // field version
    c.u32(); // type version
    const parent = c.u32();
    const role = c.u16();
    const flags = c.u16();
    const name = c.str();
    const type = c.str();
    const alias = c.str();
    c.str(); // description
    const arraySize = flags & 1 ? c.u64() : 0;
    const id = s.fields.length;
    s.fields.push({ id, parent, role, flags, name, type, alias, arraySize, children: [], columns: [] });
  }));
  c.list(() => c.record(() => {
    const at = c.pos;
    const type = c.u16();
    const bits = c.u16();
    const why = columnTypeProblem(type, bits);
    if (why) {
      c.pos = at;
      c.fail(`column ${s.columns.length} ${why}`);
    }
    const field = c.u32();
    const flags = c.u16();
    const representation = c.u16();
    const firstElement = flags & 1 ? c.i64() : 0;
    const min = flags & 2 ? c.f64() : 0;
    const max = flags & 2 ? c.f64() : 0;
    s.columns.push({ id: s.columns.length, type, bits, field, representation, firstElement, min, max });
  }));
  c.list(() => c.record(() => {
    // A projected field reads another field's physical column.
    s.aliases.push({ column: c.u32(), field: c.u32() });
  }));
  c.list(() => c.record(() => {}));
}

/**
 * Each column type of format 1.0 has one element width, except the truncated (10–31 bits) and
 * quantized (1–32) floats; the switch column, which this reader does not decode, is not checked.
 * A page's byte size is computed from the width, so a width that does not match the type would
 * decode the wrong number of values: null when the pair is valid, else why not.
 */
function columnTypeProblem(type: number, bits: number): string | null {
  if (type > 0x1d) return `has type 0x${type.toString(16)}, which RNTuple format 1.0 does not define`;
  const fixed = [1, 8, 8, 8, 8, 16, 16, 32, 32, 64, 64, 16, 32, 64, 32, 64, -1, 16, 16, 32, 32, 64, 64, 16, 32, 64, 32, 64][type];
  const ok = type === 0x1c ? bits >= 10 && bits <= 31 : type === 0x1d ? bits >= 1 && bits <= 32 : fixed === -1 || bits === fixed;
  return ok ? null : `has type 0x${type.toString(16)} with ${bits}-bit elements, a width that type does not have`;
}

/**
 * The envelope readers: `bytes` decompressed, `base` the file offset of the envelope as stored and
 * `stored` its stored size (compressed when not `bytes.length`), for errors.
 */
export function readHeader(bytes: Uint8Array, base: number, stored = bytes.length): Schema {
  const c = envelope(bytes, base, stored, 1, 'header');
  c.features();
  const s: Schema = { name: c.str(), headerChecksum: c.checksum, fields: [], columns: [], aliases: [] };
  c.str(); // description
  c.str(); // writer
  schemaLists(c, s);
  return s;
}

/** Reads the footer: the schema extension (into `s`) and the cluster groups' page-list links. */
export function readFooter(bytes: Uint8Array, base: number, s: Schema, stored = bytes.length): EnvelopeLink[] {
  const c = envelope(bytes, base, stored, 2, 'footer');
  c.features();
  sameHeader(c, s.headerChecksum, 'footer');
  c.record(() => {
    if (c.pos < c.end) schemaLists(c, s);
  });
  const groups: EnvelopeLink[] = [];
  c.list(() => c.record(() => {
    c.u64(); // minimum entry
    c.u64(); // entry span
    c.u32(); // clusters
    groups.push(c.link());
  }));
  link(s);
  return groups;
}

/**
 * The footer and each page list begin with the header envelope's XXH3-64, "to cross-check that
 * header and footer belong together" (the format's specification); ROOT refuses a mismatch
 * ("XxHash-3 mismatch between header and footer", "… and page list"). Each envelope's own
 * checksum passes when it was written whole for another header: a footer from another file, or a
 * header changed and its checksum made that of its new bytes, would be read against a schema its
 * columns and pages are not of.
 */
function sameHeader(c: Cursor, header: bigint, what: string): void {
  const at = c.pos;
  const named = c.u64n();
  if (named !== header) {
    c.pos = at;
    c.fail(`it is the ${what} of another header: it names the header checksum (XXH3-64) ${hex(named)}, and this RNTuple's header envelope ends in ${hex(header)}`);
  }
}

const hex = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

/** Ties fields to their children and columns, and checks the references. */
function link(s: Schema): void {
  for (const f of s.fields) {
    if (f.parent >= s.fields.length) throw new MetaError(-1, `field ${f.name} names parent ${f.parent}, which does not exist`);
    if (f.parent !== f.id) s.fields[f.parent]!.children.push(f.id);
  }
  for (const col of s.columns) {
    const f = s.fields[col.field];
    if (!f) throw new MetaError(-1, `column ${col.id} names field ${col.field}, which does not exist`);
    f.columns.push(col.id);
  }
  for (const a of s.aliases) {
    const f = s.fields[a.field];
    if (!f || !s.columns[a.column]) throw new MetaError(-1, `an alias column names field ${a.field} and column ${a.column}, which do not both exist`);
    f.columns.push(a.column);
  }
}

export function readPageList(bytes: Uint8Array, base: number, nColumns: number, headerChecksum: bigint, stored = bytes.length): ClusterDesc[] {
  const c = envelope(bytes, base, stored, 3, 'page list');
  sameHeader(c, headerChecksum, 'page list');
  const clusters: ClusterDesc[] = [];
  c.list(() => c.record(() => {
    const firstEntry = c.u64();
    const word = c.u64();
    const flags = Math.floor(word / 2 ** 56);
    if (flags & 1) c.fail('sharded clusters are not part of the format this reader knows');
    clusters.push({ firstEntry, entries: word % 2 ** 56, columns: [] });
  }));
  let k = 0;
  c.list(() => {
    const cluster = clusters[k++];
    if (!cluster) c.fail('more page lists than clusters');
    c.list(() => {
      const pages: PageDesc[] = [];
      const { end, items } = c.frame();
      if (items < 0) c.fail('expected a list of pages');
      for (let p = 0; p < items; p++) {
        const n = c.i32();
        pages.push({ elements: Math.abs(n), checksum: n < 0, ...c.locator() });
      }
      const elementOffset = c.i64();
      const compression = elementOffset >= 0 ? c.u32() : 0;
      c.pos = end;
      cluster.columns.push({ elementOffset, compression, pages });
    });
    // Clusters written before a schema extension list only the columns that existed then.
    if (cluster.columns.length > nColumns) c.fail(`a cluster lists ${cluster.columns.length} columns, the schema has ${nColumns}`);
  });
  return clusters;
}

export { RBuffer };
