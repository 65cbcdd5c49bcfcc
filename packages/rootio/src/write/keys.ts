/**
 * TKey headers and the file-level records (header, top directory, keys list, free segments).
 * Small keys (version 4) carry 32-bit seeks; big keys (version 1004) 64-bit ones, used once an
 * address passes ROOT's kStartBigFile.
 */
import { WBuffer } from './wbuffer.js';

/** ROOT switches to 64-bit addresses past this offset (TFile::kStartBigFile). */
export const START_BIG_FILE = 2_000_000_000;

/** The fields of a key as stored in the keys list and in front of every record. */
export interface KeyHeader {
  nbytes: number;
  objlen: number;
  datime: number;
  cycle: number;
  seekKey: number;
  seekPdir: number;
  className: string;
  name: string;
  title: string;
  big: boolean;
  /** Bytes of class-specific header after the key fields (TBasket's 19). */
  extra?: number;
}

function stringLength(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return n < 255 ? 1 + n : 5 + n;
}

/** Length of a key header with these strings. */
export function keyLength(className: string, name: string, title: string, big: boolean): number {
  return 18 + (big ? 16 : 8) + stringLength(className) + stringLength(name) + stringLength(title);
}

export function writeKeyHeader(buf: WBuffer, k: KeyHeader): void {
  buf.i32(k.nbytes);
  buf.i16(k.big ? 1004 : 4);
  buf.i32(k.objlen);
  buf.u32(k.datime);
  buf.i16(keyLength(k.className, k.name, k.title, k.big) + (k.extra ?? 0));
  buf.i16(k.cycle);
  if (k.big) { buf.i64(k.seekKey); buf.i64(k.seekPdir); } else { buf.i32(k.seekKey); buf.i32(k.seekPdir); }
  buf.string(k.className);
  buf.string(k.name);
  buf.string(k.title);
}

/** ROOT's packed TDatime for a JS date. */
export function datime(d: Date = new Date()): number {
  return (((d.getFullYear() - 1995) << 26) | ((d.getMonth() + 1) << 22) | (d.getDate() << 17) |
    (d.getHours() << 12) | (d.getMinutes() << 6) | d.getSeconds()) >>> 0;
}

/** File header fields. */
export interface FileHeader {
  end: number;
  seekFree: number;
  nbytesFree: number;
  nbytesName: number;
  compress: number;
  seekInfo: number;
  nbytesInfo: number;
  uuid: Uint8Array;
}

/** ROOT release the layout follows (6.26/00), as `fVersion`. */
export const ROOT_VERSION = 62600;
export const BEGIN = 100;

export function writeFileHeader(buf: WBuffer, h: FileHeader): void {
  const big = h.end > START_BIG_FILE || h.seekFree > START_BIG_FILE || h.seekInfo > START_BIG_FILE;
  buf.raw(Buffer.from('root'));
  buf.i32(big ? ROOT_VERSION + 1_000_000 : ROOT_VERSION);
  buf.i32(BEGIN);
  if (big) { buf.i64(h.end); buf.i64(h.seekFree); } else { buf.i32(h.end); buf.i32(h.seekFree); }
  buf.i32(h.nbytesFree);
  buf.i32(1); // nfree
  buf.i32(h.nbytesName);
  buf.u8(big ? 8 : 4);
  buf.i32(h.compress);
  if (big) buf.i64(h.seekInfo); else buf.i32(h.seekInfo);
  buf.i32(h.nbytesInfo);
  buf.i16(1); // UUID version
  buf.raw(h.uuid);
  while (buf.pos < BEGIN) buf.u8(0);
}

/** The TDirectory part of the top directory record (60 bytes in both layouts). */
export interface DirectoryFields {
  datimeC: number;
  datimeM: number;
  nbytesKeys: number;
  nbytesName: number;
  seekKeys: number;
  uuid: Uint8Array;
}

export const DIRECTORY_BYTES = 60;

export function writeDirectory(buf: WBuffer, d: DirectoryFields): void {
  const big = d.seekKeys > START_BIG_FILE;
  buf.i16(big ? 1005 : 5);
  buf.u32(d.datimeC);
  buf.u32(d.datimeM);
  buf.i32(d.nbytesKeys);
  buf.i32(d.nbytesName);
  if (big) { buf.i64(BEGIN); buf.i64(0); buf.i64(d.seekKeys); }
  else { buf.i32(BEGIN); buf.i32(0); buf.i32(d.seekKeys); }
  buf.i16(1); // UUID version
  buf.raw(d.uuid);
  if (!big) for (let i = 0; i < 3; i++) buf.i32(0); // room ROOT keeps to grow into 64-bit seeks
}
