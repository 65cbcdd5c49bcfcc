import { createHash } from 'node:crypto';

/** Typed arrays larger than this are hashed natively (md5) rather than in the JS loop. */
const NATIVE_HASH_BYTES = 64 * 1024;

/**
 * A fast, deterministic 64-bit hash of task arguments (two 32-bit multiplicative lanes with a
 * murmur finaliser). Keys only need to be unique among the tasks of one cluster, not resistant
 * to adversaries; a cryptographic hash of the msgpack encoding cost ~2 µs per small task here,
 * this a fraction of that.
 */
export class Hasher {
  private a = 0x811c9dc5;
  private b = 0x9747b28c;

  /** A hasher in this one's state (to hash many values after a common prefix). */
  copy(): Hasher {
    const h = new Hasher();
    h.a = this.a;
    h.b = this.b;
    return h;
  }

  /** Mixes in a string. */
  str(s: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    this.a = a;
    this.b = b;
  }

  /** Mixes in a small integer (a type tag or a length). */
  int(n: number): void {
    this.a = Math.imul(this.a ^ (n | 0), 0x01000193);
    this.b = Math.imul(this.b ^ (n | 0), 0x5bd1e995);
    this.b ^= this.b >>> 13;
  }

  /** Mixes in a value's structure and contents. */
  value(v: unknown): void {
    switch (typeof v) {
      case 'number': this.int(1); this.str(Object.is(v, -0) ? '-0' : String(v)); return;
      case 'string': this.int(2); this.int(v.length); this.str(v); return;
      case 'boolean': this.int(v ? 3 : 4); return;
      case 'undefined': this.int(5); return;
      case 'bigint': this.int(6); this.str(v.toString()); return;
      default: break;
    }
    if (v === null) return this.int(7);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      this.int(8);
      this.str(v.constructor.name);
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      this.int(bytes.length);
      this.bytes(bytes);
      return;
    }
    if (v instanceof Date) {
      this.int(9);
      this.str(String(v.getTime()));
      return;
    }
    if (v instanceof RegExp) {
      this.int(14);
      this.str(String(v));
      return;
    }
    // Maps and Sets in insertion order: that is the order they travel in and arrive in.
    if (v instanceof Map) {
      this.int(12);
      this.int(v.size);
      for (const [k, x] of v) {
        this.value(k);
        this.value(x);
      }
      return;
    }
    if (v instanceof Set) {
      this.int(13);
      this.int(v.size);
      for (const x of v) this.value(x);
      return;
    }
    if (Array.isArray(v)) {
      this.int(10);
      this.int(v.length);
      for (const x of v) this.value(x);
      return;
    }
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    this.int(11);
    this.int(keys.length);
    for (const k of keys) {
      this.str(k);
      this.value(o[k]);
    }
  }

  private bytes(u8: Uint8Array): void {
    if (u8.length > NATIVE_HASH_BYTES) {
      this.str(createHash('md5').update(u8).digest('base64'));
      return;
    }
    let a = this.a;
    let b = this.b;
    const words = u8.byteOffset % 4 === 0 ? u8.length >>> 2 : 0;
    if (words) {
      const w = new Int32Array(u8.buffer, u8.byteOffset, words);
      for (let i = 0; i < words; i++) {
        a = Math.imul(a ^ w[i]!, 0x01000193);
        b = Math.imul(b ^ w[i]!, 0x5bd1e995);
        b ^= b >>> 13;
      }
    }
    for (let i = words * 4; i < u8.length; i++) {
      a = Math.imul(a ^ u8[i]!, 0x01000193);
      b = Math.imul(b ^ u8[i]!, 0x5bd1e995);
    }
    this.a = a;
    this.b = b;
  }

  /** 16 hex digits. */
  digest(): string {
    let a = this.a ^ Math.imul(this.b, 0x27d4eb2d);
    let b = this.b ^ Math.imul(a, 0x165667b1);
    a = fmix(a);
    b = fmix(b ^ a);
    return hex32(a) + hex32(b);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(h: number): string {
  return HEX[(h >>> 24) & 255]! + HEX[(h >>> 16) & 255]! + HEX[(h >>> 8) & 255]! + HEX[h & 255]!;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
