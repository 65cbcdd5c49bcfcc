import { decompress } from '../src/decompress.js';
import { readKey } from '../src/meta/directory.js';
import { RBuffer } from '../src/meta/rbuffer.js';
import { readAnchor, readFooter, readHeader, readPageList } from '../src/rntuple/envelope.js';

/**
 * Where a ROOT file's structures are, found by walking its records from fBEGIN (every key, basket
 * and RNTuple blob is one) on the undamaged file, so the fuzzer can aim at each kind of structure
 * instead of hitting payload bytes nearly every time. Pure: bytes in, regions out.
 */
export interface Region {
  /** What the bytes are: `file header`, `key header TBasket`, `block header ZL`, `rntuple page list`… */
  kind: string;
  start: number;
  end: number;
}

export interface FileMap {
  regions: Region[];
  /** Sum of every record's declared uncompressed size: what reading the whole file may need. */
  declaredBytes: number;
}

const CODECS = new Set(['ZL', 'CS', 'L4', 'ZS', 'XZ']);

export function mapFile(bytes: Uint8Array): FileMap {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const regions: Region[] = [];
  const version = dv.getInt32(4);
  const begin = dv.getInt32(8);
  const big = version >= 1_000_000;
  const end = big ? Number(dv.getBigInt64(12)) : dv.getInt32(12);
  regions.push({ kind: 'file header', start: 0, end: Math.min(begin, 100) });
  let declaredBytes = 0;
  const rntuples: Array<{ at: number; payload: Uint8Array }> = [];
  for (let pos = begin; pos + 4 <= Math.min(end, bytes.length);) {
    const nbytes = dv.getInt32(pos);
    if (nbytes < 0) { pos -= nbytes; continue; } // a free gap
    if (nbytes === 0) break;
    let key;
    try {
      key = readKey(new RBuffer(bytes.subarray(pos, pos + nbytes), 0, pos));
    } catch {
      break;
    }
    const cls = key.className.replace(/^ROOT::/, '');
    regions.push({ kind: `key header ${cls}`, start: pos, end: pos + key.keylen });
    declaredBytes += key.objlen + key.keylen;
    const p0 = pos + key.keylen;
    const p1 = pos + nbytes;
    if (p1 - p0 !== key.objlen) {
      for (let s = p0; s + 9 <= p1;) {
        const alg = String.fromCharCode(bytes[s]!, bytes[s + 1]!);
        if (!CODECS.has(alg)) break;
        const csize = bytes[s + 3]! | (bytes[s + 4]! << 8) | (bytes[s + 5]! << 16);
        regions.push({ kind: `block header ${alg} (${cls})`, start: s, end: s + 9 });
        regions.push({ kind: `block body ${alg} (${cls})`, start: s + 9, end: Math.min(p1, s + 9 + csize) });
        s += 9 + csize;
      }
    } else if (p1 > p0) regions.push({ kind: `payload ${cls}`, start: p0, end: p1 });
    if (cls === 'RNTuple') {
      try {
        rntuples.push({ at: p0, payload: decompress(bytes.subarray(p0, p1), key.objlen, 'map', p0) });
        regions.push({ kind: 'rntuple anchor', start: p0, end: p1 });
      } catch { /* an anchor we cannot read maps nothing more */ }
    }
    pos += nbytes;
  }
  for (const r of rntuples) mapRNTuple(bytes, r.payload, r.at, regions);
  return { regions, declaredBytes };
}

/** The envelopes, page lists and pages an RNTuple anchor points to. */
function mapRNTuple(bytes: Uint8Array, anchorBytes: Uint8Array, at: number, regions: Region[]): void {
  try {
    const a = readAnchor(new RBuffer(anchorBytes, 0, at));
    const env = (l: { offset: number; size: number; length: number }) => decompress(bytes.subarray(l.offset, l.offset + l.size), l.length, 'map', l.offset);
    const envelope = (kind: string, l: { offset: number; size: number }) => {
      regions.push({ kind, start: l.offset, end: l.offset + l.size });
      blockHeader(bytes, l.offset, l.size, kind, regions);
    };
    envelope('rntuple header', a.header);
    envelope('rntuple footer', a.footer);
    const schema = readHeader(env(a.header), a.header.offset);
    for (const g of readFooter(env(a.footer), a.footer.offset, schema)) {
      envelope('rntuple page list', g);
      for (const c of readPageList(env(g), g.offset, schema.columns.length, schema.headerChecksum)) {
        for (const col of c.columns) {
          for (const p of col.pages) {
            regions.push({ kind: 'rntuple page', start: p.offset, end: p.offset + p.size });
            blockHeader(bytes, p.offset, p.size, 'rntuple page', regions);
          }
        }
      }
    }
  } catch { /* whatever was mapped before the failure stays */ }
}

/** The first block header of a compressed envelope or page, labelled with what it holds. */
function blockHeader(bytes: Uint8Array, at: number, size: number, what: string, regions: Region[]): void {
  const alg = String.fromCharCode(bytes[at]!, bytes[at + 1]!);
  if (size > 9 && CODECS.has(alg)) regions.push({ kind: `block header ${alg} (${what})`, start: at, end: at + 9 });
}

/** Region kinds by the bytes they hold, for the report: `block header ZL` and the like. */
export function kindsOf(map: FileMap): string[] {
  return [...new Set(map.regions.map((r) => r.kind))].sort();
}
