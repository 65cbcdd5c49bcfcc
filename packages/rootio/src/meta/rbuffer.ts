/**
 * A cursor over one object's serialized bytes, in ROOT's big-endian format, with the bookkeeping
 * of ROOT's object references (a pointer written twice is stored once, then referred to by the
 * position where it was first written).
 */

/** A ROOT object as this reader produces it: its class name and its members by name. */
export type RObject = { _typename: string; [member: string]: unknown };

export const BYTECOUNT_MASK = 0x40000000;
export const CLASS_MASK = 0x80000000;
export const NEW_CLASS_TAG = 0xffffffff;
/** ROOT counts reference positions from the key's start, plus this. */
export const MAP_OFFSET = 2;

/** Thrown on bytes that do not form what they should; the caller adds the file and offset. */
export class MetaError extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

export class RBuffer {
  pos = 0;
  readonly view: DataView;
  /** Objects and classes already read, by their reference position. */
  readonly refs = new Map<number, RObject | string>();

  /**
   * @param bytes the object's (decompressed) bytes
   * @param keylen length of the key header before them: reference positions count from the key's start
   * @param base file offset of `bytes[0]`, for error messages (-1 when unknown)
   */
  constructor(readonly bytes: Uint8Array, readonly keylen = 0, readonly base = -1) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** File offset of the cursor (or of `at`), for errors. */
  where(at = this.pos): number {
    return this.base >= 0 ? this.base + at : -1;
  }

  fail(message: string, at = this.pos): never {
    throw new MetaError(this.where(at), message);
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail(`needs ${n} bytes, only ${this.bytes.length - this.pos} left`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  /** 64-bit integers as numbers: seeks and counts in metadata stay far below 2^53. */
  i64(): number {
    this.need(8);
    const v = Number(this.view.getBigInt64(this.pos));
    this.pos += 8;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.view.getBigUint64(this.pos));
    this.pos += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A TString: one length byte, or 255 and a 4-byte length. */
  tstring(): string {
    let n = this.u8();
    if (n === 255) n = this.i32();
    this.need(n);
    const s = rootText(this.bytes, this.pos, n);
    this.pos += n;
    return s;
  }

  /** A NUL-terminated string (class names after a new-class tag). */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) this.fail('a class name has no terminating NUL');
    const s = rootText(this.bytes, this.pos, end - this.pos);
    this.pos = end + 1;
    return s;
  }

  /**
   * Moves the cursor to `at`, which a count or length from the file gave: it must lie in the
   * bytes. `from`: where the structure that gave it starts, for the error.
   */
  seek(at: number, what: string, from = this.pos): void {
    if (!(at >= 0 && at <= this.bytes.length)) this.fail(`${what} (${at}) lies outside its ${this.bytes.length}-byte record`, from);
    this.pos = at;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /**
   * A version header: an optional byte count (flagged by its top bits) then the version. Returns
   * where the object ends (`-1` without a byte count) and its version.
   */
  version(): { version: number; end: number } {
    this.need(4);
    const first = this.view.getUint32(this.pos);
    let end = -1;
    if (first & BYTECOUNT_MASK) {
      const count = first & ~BYTECOUNT_MASK;
      this.pos += 4;
      end = this.pos + count;
      if (end > this.bytes.length) this.fail(`an object claims ${count} bytes, past the end of its record`);
    }
    const version = this.i16();
    return { version, end };
  }

  /** Jumps to `end` of a byte-counted object (whatever of it was not read is skipped). */
  finish(end: number, what: string): void {
    if (end < 0) return;
    if (this.pos > end) this.fail(`${what} read ${this.pos - end} bytes past its byte count`);
    this.pos = end;
  }

  /** Reference position of buffer offset `at`. */
  refAt(at: number): number {
    return at + this.keylen + MAP_OFFSET;
  }
}

/** UTF-8 strictly: bytes that are not UTF-8 throw (and are read as latin-1); a byte-order mark is kept, not stripped. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `n` bytes at `at` of a name or title as text. ROOT writes a name's bytes as it was given them:
 * UTF-8 in today's files (a unit "µm" in a title, Greek letters in a branch name), latin-1 in
 * some older ones. Bytes that form UTF-8 are read as UTF-8, others as latin-1 (a lone 0xb5 is
 * "µ"); ASCII, almost every name, is the same either way. Latin-1 text that happens to form UTF-8
 * (two letters such as "Ã©") reads as UTF-8; nothing tells them apart.
 */
export function rootText(b: Uint8Array, at: number, n: number): string {
  let i = at;
  const end = at + n;
  while (i < end && b[i]! < 0x80) i++;
  if (i === end) return latin1(b, at, n);
  // TextDecoder refuses views of shared memory: such bytes are copied first.
  const part = b.buffer instanceof ArrayBuffer ? b.subarray(at, end) : b.slice(at, end);
  try {
    return UTF8.decode(part);
  } catch {
    return latin1(b, at, n);
  }
}

function latin1(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...b.subarray(at + i, at + Math.min(n, i + 4096)));
  return s;
}
