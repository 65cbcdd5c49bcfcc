/**
 * A growable big-endian output buffer with ROOT's object-streaming conventions: byte counts,
 * versions, TStrings and the class-tag map used by pointers to objects.
 */
const kByteCountMask = 0x40000000;
const kNewClassTag = 0xffffffff;
const kClassMask = 0x80000000;
const kMapOffset = 2;

export class WBuffer {
  private bytes: Uint8Array;
  private view: DataView;
  pos = 0;
  /** Class name → tag, for references to a class already written in this buffer. */
  private readonly classTags = new Map<string, number>();
  /** Objects already written → tag, so a second pointer to one (a leaf count) is a reference. */
  private readonly objectTags = new Map<object, number>();

  /**
   * @param displacement bytes that precede this buffer in its key (the key header length):
   *   ROOT's class tags are offsets counted from the start of the key.
   */
  constructor(initial = 1024, readonly displacement = 0) {
    this.bytes = new Uint8Array(initial);
    this.view = new DataView(this.bytes.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** Reserves `n` bytes and returns a view and the position to fill them at. */
  reserve(n: number): { view: DataView; at: number } {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return { view: this.view, at };
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array { return this.bytes.subarray(0, this.pos); }

  u8(v: number): void { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1; }
  i8(v: number): void { this.ensure(1); this.view.setInt8(this.pos, v); this.pos += 1; }
  i16(v: number): void { this.ensure(2); this.view.setInt16(this.pos, v); this.pos += 2; }
  u16(v: number): void { this.ensure(2); this.view.setUint16(this.pos, v); this.pos += 2; }
  i32(v: number): void { this.ensure(4); this.view.setInt32(this.pos, v); this.pos += 4; }
  u32(v: number): void { this.ensure(4); this.view.setUint32(this.pos, v >>> 0); this.pos += 4; }
  i64(v: number | bigint): void { this.ensure(8); this.view.setBigInt64(this.pos, BigInt(v)); this.pos += 8; }
  u64(v: number | bigint): void { this.ensure(8); this.view.setBigUint64(this.pos, BigInt(v)); this.pos += 8; }
  f32(v: number): void { this.ensure(4); this.view.setFloat32(this.pos, v); this.pos += 4; }
  f64(v: number): void { this.ensure(8); this.view.setFloat64(this.pos, v); this.pos += 8; }
  raw(b: Uint8Array): void { this.ensure(b.length); this.bytes.set(b, this.pos); this.pos += b.length; }

  /** Overwrites an int32 at an earlier position (byte counts, sizes known only afterwards). */
  patchU32(at: number, v: number): void { this.view.setUint32(at, v >>> 0); }

  /** ROOT TString: one length byte, or 255 then an int32 length for long strings. */
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 255) this.u8(b.length);
    else { this.u8(255); this.i32(b.length); }
    this.raw(b);
  }

  /** A C string (class names after a new-class tag). */
  cstring(s: string): void { this.raw(Buffer.from(s, 'utf8')); this.u8(0); }

  /** Reserves a byte count; returns the position to hand to `endByteCount`. */
  startByteCount(): number { const at = this.pos; this.u32(0); return at; }
  endByteCount(at: number): void { this.patchU32(at, (this.pos - at - 4) | kByteCountMask); }

  /** Byte count + version, the header of every versioned class body. */
  startVersioned(version: number): number { const at = this.startByteCount(); this.i16(version); return at; }

  /** Writes a reference if `obj` is already in this buffer; returns whether it did. */
  writeReference(obj: object): boolean {
    const tag = this.objectTags.get(obj);
    if (tag === undefined) return false;
    this.u32(tag);
    return true;
  }

  /** Null object pointer. */
  nullPointer(): void { this.u32(0); }

  /**
   * The header of a pointer to an object of class `className`: byte count and class tag (the
   * class name the first time, a reference to it afterwards). Returns the byte-count position.
   */
  startObjectAny(className: string, obj?: object): number {
    const at = this.startByteCount();
    if (obj) this.objectTags.set(obj, this.displacement + at + kMapOffset);
    const tag = this.classTags.get(className);
    if (tag !== undefined) this.u32(tag | kClassMask);
    else {
      this.classTags.set(className, this.displacement + this.pos + kMapOffset);
      this.u32(kNewClassTag);
      this.cstring(className);
    }
    return at;
  }
}
