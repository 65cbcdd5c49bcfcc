import { deflateSync } from 'node:zlib';
import { decompress } from '../src/decompress.js';
import { xxh3 } from '../src/rntuple/xxh3.js';
import type { FileMap, Region } from './fuzz-map.js';
import { rng } from './damage.js';

/**
 * One seeded mutation of a ROOT file, aimed at a structure of its map (or anywhere): pure, so a
 * case is replayed from (file, seed, index) alone. `what` says which bytes changed and how.
 */
export interface Mutation {
  bytes: Uint8Array;
  what: string;
  /** The region kind aimed at (`anywhere` when none). */
  target: string;
  /** The kind of change: `bit flip`, `int32 extreme`, `truncate`, `inner` (inside a compressed block)… */
  op: string;
}

/** The case `index` of file `name` under `seed`: its own stream, independent of the other cases. */
export function caseRng(seed: number, name: string, index: number): () => number {
  let h = seed >>> 0;
  for (const ch of `${name}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
  return rng(h);
}

type Next = () => number;
const int = (next: Next, lo: number, hi: number) => lo + Math.floor(next() * Math.max(1, hi - lo));
const pickOf = <T>(next: Next, xs: readonly T[]): T => xs[int(next, 0, xs.length)]!;

/** A region of a kind drawn first: the one TTree key is aimed at as often as all 400 baskets. */
function pickRegion(next: Next, regions: readonly Region[]): Region {
  const kinds = [...new Set(regions.map((x) => x.kind))];
  const kind = pickOf(next, kinds);
  return pickOf(next, regions.filter((x) => x.kind === kind));
}

/** Values that break size and count checks: zero, all ones, sign bits, just past the file, huge. */
function extremes(fileSize: number): number[] {
  return [0, 1, -1, 0x7fffffff, -0x80000000, 0x40000000, 0x3fffffff, 0xffff, 0x7fff, 0x8000, fileSize, fileSize + 1, fileSize - 1, -fileSize, 1 << 24];
}

/** Changes `b` in place within [start, end); returns the description and op. */
function scribble(b: Uint8Array, start: number, end: number, next: Next, fileSize: number): { what: string; op: string } {
  const len = Math.max(1, end - start);
  const at = start + int(next, 0, len);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r = next();
  if (r < 0.25) {
    const n = int(next, 1, 4);
    const flips: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = start + int(next, 0, len);
      const bit = int(next, 0, 8);
      if (p < b.length) b[p]! ^= 1 << bit;
      flips.push(`${p}.${bit}`);
    }
    return { what: `bit flips at ${flips.join(',')}`, op: 'bit flip' };
  }
  if (r < 0.55) {
    const width = pickOf(next, [1, 2, 4, 8] as const);
    const little = next() < 0.3; // RNTuple envelopes and pages are little-endian
    const v = pickOf(next, extremes(fileSize));
    if (at + width > b.length) return { what: `nothing (${width}-byte write past the end)`, op: 'none' };
    if (width === 1) b[at] = v & 0xff;
    else if (width === 2) dv.setInt16(at, v, little);
    else if (width === 4) dv.setInt32(at, v, little);
    else dv.setBigInt64(at, BigInt(v) * (next() < 0.2 ? 1n << 20n : 1n), little);
    return { what: `int${width * 8}${little ? 'le' : ''} ${v} at ${at}`, op: `int${width * 8} extreme` };
  }
  if (r < 0.7) {
    const n = int(next, 1, 65);
    const v = pickOf(next, [0, 0xff, 0x7f, 0x80]);
    b.fill(v, at, Math.min(b.length, at + n));
    return { what: `${n} bytes of 0x${v.toString(16)} at ${at}`, op: 'fill' };
  }
  if (r < 0.85) {
    // A copy of other bytes of the same file over these: plausible-looking structure in the wrong place.
    const n = int(next, 2, 65);
    const from = int(next, 0, Math.max(1, b.length - n));
    b.copyWithin(at, from, from + n);
    return { what: `${n} bytes from ${from} copied to ${at}`, op: 'duplicate' };
  }
  const n = int(next, 1, 17);
  const k = int(next, 1, 9) * (next() < 0.5 ? -1 : 1);
  const src = Math.max(0, at + k);
  b.copyWithin(at, src, Math.min(b.length, src + n));
  return { what: `${n} bytes at ${at} shifted by ${-k}`, op: 'shift' };
}

/**
 * The block whose header is `region`, decompressed, changed, and deflated back in its place (as a
 * zlib block) when it fits: the parsers behind a checksum get damaged input that passes it.
 */
function inner(src: Uint8Array, region: Region, next: Next, regions: readonly Region[]): Mutation | null {
  const s = region.start;
  const csize = src[s + 3]! | (src[s + 4]! << 8) | (src[s + 5]! << 16);
  const usize = src[s + 6]! | (src[s + 7]! << 8) | (src[s + 8]! << 16);
  let plain: Uint8Array;
  try {
    plain = Uint8Array.from(decompress(src.subarray(s, s + 9 + csize), usize, 'fuzz', s));
  } catch {
    return null;
  }
  const { what, op } = scribble(plain, 0, plain.length, next, src.length);
  // An RNTuple envelope ends in the XXH3-64 of its bytes: made that of the changed bytes, so the
  // parsers behind it are reached (damage that keeps the old checksum is caught by it).
  if (/\(rntuple (header|footer|page list)\)/.test(region.kind) && plain.length >= 16) {
    new DataView(plain.buffer).setBigUint64(plain.length - 8, xxh3(plain.subarray(0, plain.length - 8)), true);
  }
  const body = deflateSync(plain, { level: 9 });
  if (body.length > csize) return null;
  const b = Uint8Array.from(src);
  b.set([0x5a, 0x4c, 8, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16], s);
  b.set(body, s + 9);
  // An RNTuple page is followed by the XXH3-64 of its bytes: made that of the new ones, likewise.
  const page = region.kind.endsWith('(rntuple page)') ? regions.find((x) => x.kind === 'rntuple page' && x.start === s) : undefined;
  if (page && page.end + 8 <= b.length) new DataView(b.buffer).setBigUint64(page.end, xxh3(b.subarray(page.start, page.end)), true);
  // The rest of the old body is left as it was: nothing reads past a block's declared size.
  const named = region.kind.endsWith('(rntuple header)') && plain.length >= 16;
  return { bytes: named ? renameHeader(b, regions, new DataView(plain.buffer).getBigUint64(plain.length - 8, true)) : b, what: `inside the ${region.kind.slice(13)} block at ${s} (${usize} bytes): ${what}, as zlib`, target: `inside ${region.kind.replace('block header', 'block')}`, op: `inner ${op}` };
}

/**
 * The footer and every page list begin with the XXH3-64 of their header, which a changed header no
 * longer has: made `sum` (and each envelope's own checksum theirs), so that the changed schema is
 * read against them. Each goes back in place (as zlib when compressed) where it fits; a page list
 * that does not is appended as is at the end of the file and the footer's link to it changed. Where
 * the footer does not fit, the read ends at its cross-check, as for a header changed alone.
 */
function renameHeader(b: Uint8Array, regions: readonly Region[], sum: bigint): Uint8Array {
  /** The envelope at `r` decompressed (a view of `b` when stored as is), or null. */
  const open = (r: Region) => {
    const s = r.start;
    const compressed = regions.some((x) => x.start === s && x.kind.startsWith('block header'));
    const usize = b[s + 6]! | (b[s + 7]! << 8) | (b[s + 8]! << 16);
    try {
      const plain = compressed ? Uint8Array.from(decompress(b.subarray(s, r.end), usize, 'fuzz', s)) : b.subarray(s, r.end);
      return plain.length >= 24 ? { plain, compressed, dv: new DataView(plain.buffer, plain.byteOffset, plain.byteLength) } : null;
    } catch {
      return null;
    }
  };
  /** The envelope sealed and put back at `r`; false when it does not fit. */
  const putBack = (r: Region, e: { plain: Uint8Array; compressed: boolean; dv: DataView }) => {
    e.dv.setBigUint64(e.plain.length - 8, xxh3(e.plain.subarray(0, e.plain.length - 8)), true);
    if (!e.compressed) return true; // changed in place
    const s = r.start;
    const body = deflateSync(e.plain, { level: 9 });
    if (body.length > (b[s + 3]! | (b[s + 4]! << 8) | (b[s + 5]! << 16))) return false;
    b.set([0x5a, 0x4c, 8, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16], s);
    b.set(body, s + 9);
    return true;
  };
  const tail: Uint8Array[] = [];
  let size = b.length;
  const moved: Array<{ from: Region; length: number; to: number }> = [];
  for (const r of regions.filter((x) => x.kind === 'rntuple page list')) {
    const e = open(r);
    if (!e) continue;
    e.dv.setBigUint64(8, sum, true);
    if (putBack(r, e)) continue;
    moved.push({ from: r, length: e.plain.length, to: size });
    tail.push(e.plain);
    size += e.plain.length;
  }
  for (const r of regions.filter((x) => x.kind === 'rntuple footer')) {
    const e = open(r);
    if (!e) continue;
    // Its checksum follows its feature flags (64-bit words while negative).
    let at = 8;
    while (at + 8 <= e.plain.length - 8 && e.dv.getBigInt64(at, true) < 0n) at += 8;
    at += 8;
    if (at + 8 > e.plain.length - 8) continue;
    e.dv.setBigUint64(at, sum, true);
    // A link to a page list: its length (u64), locator size (i32) and offset (u64).
    for (const m of moved) {
      const link = Buffer.alloc(20);
      link.writeBigUInt64LE(BigInt(m.length), 0);
      link.writeInt32LE(m.from.end - m.from.start, 8);
      link.writeBigUInt64LE(BigInt(m.from.start), 12);
      const k = Buffer.from(e.plain.buffer, e.plain.byteOffset, e.plain.length).indexOf(link);
      if (k < 0) continue;
      e.dv.setInt32(k + 8, m.length, true);
      e.dv.setBigUint64(k + 12, BigInt(m.to), true);
    }
    putBack(r, e);
  }
  if (tail.length === 0) return b;
  const out = new Uint8Array(size);
  out.set(b);
  let at = b.length;
  for (const x of tail) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

/** One mutation of `src` (mapped by `map`) drawn from `next`. */
export function mutate(src: Uint8Array, map: FileMap, next: Next): Mutation {
  const r = next();
  if (r < 0.08) {
    // Truncation, at a structure's edge (±2) or anywhere.
    const region = next() < 0.6 ? pickRegion(next, map.regions) : null;
    const cut = region ? Math.max(0, Math.min(src.length - 1, (next() < 0.5 ? region.start : region.end) + int(next, -2, 3))) : int(next, 0, src.length);
    return { bytes: src.subarray(0, cut), what: `truncated to ${cut} of ${src.length} bytes`, target: region?.kind ?? 'anywhere', op: 'truncate' };
  }
  if (r < 0.12) {
    // Bytes inserted or removed: everything after moves, as when a writer and its pointers disagree.
    const region = pickRegion(next, map.regions);
    const at = int(next, region.start, region.end);
    const n = int(next, 1, 33);
    if (next() < 0.5) {
      const out = new Uint8Array(src.length + n);
      out.set(src.subarray(0, at));
      out.set(src.subarray(at, at + n), at); // a duplicate of the bytes that follow
      out.set(src.subarray(at), at + n);
      return { bytes: out, what: `${n} bytes at ${at} duplicated (file grows)`, target: region.kind, op: 'insert' };
    }
    const out = new Uint8Array(src.length - Math.min(n, src.length - at));
    out.set(src.subarray(0, at));
    out.set(src.subarray(at + n), at);
    return { bytes: out, what: `${n} bytes removed at ${at}`, target: region.kind, op: 'delete' };
  }
  const headers = map.regions.filter((x) => x.kind.startsWith('block header'));
  if (r < 0.4 && headers.length > 0) {
    // Prefer the blocks of metadata and of RNTuple envelopes: their parsers are the deepest.
    for (let tries = 0; tries < 4; tries++) {
      const m = inner(src, pickRegion(next, headers), next, map.regions);
      if (m) return m;
    }
  }
  const b = Uint8Array.from(src);
  const region = r < 0.92 ? pickRegion(next, map.regions) : null;
  const { what, op } = scribble(b, region?.start ?? 0, region?.end ?? b.length, next, src.length);
  return { bytes: b, what: `${region ? `${region.kind} [${region.start}, ${region.end}): ` : ''}${what}`, target: region?.kind ?? 'anywhere', op };
}
