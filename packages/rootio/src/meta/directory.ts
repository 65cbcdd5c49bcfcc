/**
 * A ROOT file's skeleton: its header, the top directory's keys, and the StreamerInfo list, read
 * from the byte source without any outside library.
 */
import { RootFormatError } from '../errors.js';
import { decompress } from '../decompress.js';
import type { ByteSource } from '../source.js';
import { MetaError, RBuffer, type RObject } from './rbuffer.js';
import { ObjectReader } from './objects.js';

/** One key of a directory: where an object's record is and what it holds. */
export interface Key {
  name: string;
  className: string;
  title: string;
  cycle: number;
  /** File offset of the record (key header then payload). */
  seekKey: number;
  nbytes: number;
  keylen: number;
  objlen: number;
}

/** What the file header says, and the top directory. */
export interface Skeleton {
  version: number;
  end: number;
  seekInfo: number;
  nbytesInfo: number;
  keys: Key[];
  /** File offset of the top directory's list of keys. */
  seekKeys: number;
}

/** A key header at the cursor. */
export function readKey(buf: RBuffer): Key {
  const nbytes = buf.i32();
  const version = buf.i16();
  const objlen = buf.i32();
  buf.u32(); // fDatime
  const keylen = buf.i16();
  const cycle = buf.i16();
  const seekKey = version > 1000 ? buf.i64() : buf.i32();
  if (version > 1000) buf.i64();
  else buf.i32(); // fSeekPdir
  const className = buf.tstring();
  const name = buf.tstring();
  const title = buf.tstring();
  return { name, className, title, cycle, seekKey, nbytes, keylen, objlen };
}

/** Reads `n` bytes at `at`, named `what` in errors; `alongside`, a range in the file, is read with them (its bytes for whoever reads it next through `src`). */
async function readAt(src: ByteSource, at: number, n: number, what: string, alongside?: readonly [number, number]): Promise<RBuffer> {
  // A directory of version ≤ 1000 keeps its seeks as 4-byte signed ints (ROOT's Int_t, read
  // signed by ROOT too): a damaged one reads negative. Said as such, not as a read "at byte
  // -2146276258" that "runs past the end".
  if (at < 0) throw new RootFormatError(src.path, -1, `${what} (${n} bytes) is at byte ${at} as the file gives it, a negative position: the record pointing to it is damaged`);
  if (!(at >= 0 && n > 0 && at + n <= src.size)) {
    throw new RootFormatError(src.path, at, `${what} (${n} bytes at byte ${at}) runs past the end of the file (${src.size} bytes)`);
  }
  const [b] = await src.read(alongside ? [[at, n], alongside] : [[at, n]]);
  return new RBuffer(b!, 0, at);
}

/**
 * Runs `fn`, turning a MetaError (bytes that do not parse) into RootFormatError; `at` is the file
 * offset to name when the error knows none (bytes that were decompressed).
 */
export function parsing<T>(path: string, what: string, fn: () => T, at = -1): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MetaError) throw new RootFormatError(path, err.at >= 0 ? err.at : at, `${what} is damaged: ${err.message}`);
    throw err;
  }
}

/** Reads the header and the top directory's list of keys. */
export async function readSkeleton(src: ByteSource): Promise<Skeleton> {
  const head = await readAt(src, 0, Math.min(src.size, 128), 'the file header');
  const h = parsing(src.path, 'the file header', () => {
    head.skip(4);
    const version = head.i32();
    const begin = head.i32();
    const big = version >= 1000000;
    const end = big ? head.i64() : head.i32();
    big ? head.i64() : head.i32(); // fSeekFree
    head.i32(); // fNbytesFree
    head.i32(); // nfree
    const nbytesName = head.i32();
    head.u8(); // fUnits
    head.i32(); // fCompress
    const seekInfo = big ? head.i64() : head.i32();
    const nbytesInfo = head.i32();
    return { version, begin, end, nbytesName, seekInfo, nbytesInfo };
  });
  if (!(h.end <= src.size)) throw new RootFormatError(src.path, 8, `truncated: the header says the file ends at byte ${h.end}, but it has ${src.size} bytes`);
  const dirAt = h.begin + h.nbytesName;
  const dir = await readAt(src, dirAt, Math.min(64, src.size - dirAt), 'the top directory');
  const d = parsing(src.path, 'the top directory', () => readDirectoryHeader(dir));
  // The StreamerInfo record is read with the list of keys (one round trip over HTTP, not two one
  // after the other); readStreamers finds it among the open's reads (file.ts's heldReads). Only a
  // range in the file: one past it is readStreamers' to refuse, after the keys are read.
  const info = h.seekInfo > 0 && h.nbytesInfo > 0 && h.seekInfo + h.nbytesInfo <= src.size ? [h.seekInfo, h.nbytesInfo] as const : undefined;
  const keys = await readKeyList(src, d, 'the list of keys', info);
  return { version: h.version, end: h.end, seekInfo: h.seekInfo, nbytesInfo: h.nbytesInfo, keys, seekKeys: d.seekKeys };
}

/** Where a directory's list of keys is: the part of a TDirectory(File) record a reader needs. */
export interface DirectoryHeader {
  nbytesKeys: number;
  seekKeys: number;
}

/**
 * A directory record at the cursor (TDirectoryFile::Streamer's layout, the top directory's and a
 * subdirectory key's payload alike): 64-bit seeks when its version is above 1000.
 */
export function readDirectoryHeader(dir: RBuffer): DirectoryHeader {
  const v = dir.i16();
  dir.skip(8); // fDatimeC, fDatimeM
  const nbytesKeys = dir.i32();
  dir.i32(); // fNbytesName
  const big = v > 1000;
  if (big) dir.skip(16);
  else dir.skip(8); // fSeekDir, fSeekParent
  const seekKeys = big ? dir.i64() : dir.i32();
  return { nbytesKeys, seekKeys };
}

/** Reads the list of keys a directory header points to; `what` names it in errors. */
export async function readKeyList(src: ByteSource, d: DirectoryHeader, what: string, alongside?: readonly [number, number]): Promise<Key[]> {
  const kl = await readAt(src, d.seekKeys, d.nbytesKeys, what, alongside);
  return parsing(src.path, what, () => {
    const own = readKey(kl);
    kl.seek(own.keylen, `the key length of ${what}`, 0);
    const n = kl.i32();
    if (!(n >= 0 && n * 18 <= d.nbytesKeys)) kl.fail(`claims ${n} keys in ${d.nbytesKeys} bytes`);
    return Array.from({ length: n }, () => readKey(kl));
  });
}

/**
 * The decompressed payload of a key's record, with the key header re-read from the record and
 * checked against the directory's copy.
 */
export async function readPayload(src: ByteSource, key: Key): Promise<RBuffer> {
  if (!(key.keylen > 0 && key.keylen <= key.nbytes && key.objlen >= 0 && key.objlen <= 1 << 30)) {
    throw new RootFormatError(src.path, key.seekKey, `key ${key.name} has an impossible header (${key.nbytes} bytes, key length ${key.keylen}, object length ${key.objlen})`);
  }
  const rec = await readAt(src, key.seekKey, key.nbytes, `the record of ${key.name}`);
  const own = parsing(src.path, `the key of ${key.name}`, () => readKey(rec));
  if (own.keylen !== key.keylen || own.objlen !== key.objlen || own.name !== key.name) {
    throw new RootFormatError(src.path, key.seekKey, `the record of ${key.name} does not match its key (it names ${own.name}, ${own.objlen} bytes)`);
  }
  const body = rec.bytes.subarray(key.keylen);
  const stored = body.length === key.objlen;
  const bytes = decompress(body, key.objlen, src.path, key.seekKey + key.keylen);
  return new RBuffer(bytes, key.keylen, stored ? key.seekKey + key.keylen : -1);
}

/** Reads the StreamerInfo list: the reader for every other object of the file. Its key joins `sk.keys`. */
export async function readStreamers(src: ByteSource, sk: Skeleton): Promise<ObjectReader> {
  if (!sk.seekInfo || !sk.nbytesInfo) return new ObjectReader();
  const rec = await readAt(src, sk.seekInfo, sk.nbytesInfo, 'the StreamerInfo record');
  const key = parsing(src.path, 'the StreamerInfo key', () => readKey(rec));
  key.seekKey = sk.seekInfo;
  if (!sk.keys.some((k) => k.name === key.name && k.seekKey === key.seekKey)) sk.keys.push(key);
  const buf = await readPayload(src, key);
  const list = parsing(src.path, 'the StreamerInfo list', () => new ObjectReader().readObject(buf, 'TList'));
  return ObjectReader.withStreamerList(list);
}

/** Reads the object behind `key` with `reader`. */
export async function readKeyObject(src: ByteSource, key: Key, reader: ObjectReader): Promise<RObject> {
  const buf = await readPayload(src, key);
  // Damage inside a compressed object has no file byte of its own: the key's is named.
  return parsing(src.path, `${key.name} (${key.className})`, () => reader.readObject(buf, key.className), key.seekKey);
}
