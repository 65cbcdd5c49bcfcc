/**
 * A value kept as its wire encoding (protocol 20): what it is, its size and its type, without
 * decoding it. codec.ts registers it with the codec and finds it in frames.
 */

/**
 * A value already encoded by codec.ts's `encodeValue` (in a worker's task thread, where it was made),
 * kept as its bytes. It travels as a msgpack extension of type {@link ENCODED_VALUE_EXT} holding
 * them, written into the frame with one copy; the receiver decodes it as the value it holds. So a
 * worker stores and serves a result of a million records without making its objects on its main
 * thread (a structured clone from the thread to it cost ~2.5 s of its time and GC; msgpack in the
 * thread ~0.15 s; docs/internals.md, "Results of many small records").
 *
 * Protocol 20: it may only be a value of a `data` reply's `data` (codec.ts's `decodeFrame` refuses
 * it anywhere else), the one place a worker puts the results it serves.
 */
export class EncodedValue {
  /** `bytes` must own their buffer (no view of a larger one): they are copied to task threads whole. */
  constructor(readonly bytes: Uint8Array) {}

  /** The encoded size: what a result's `nbytes` is, exactly. */
  get nbytes(): number {
    return this.bytes.length;
  }

  /** The type name of the value inside, read from its first bytes (`Array`, `Object`, `Map`, `Set`). */
  get typeName(): string {
    return encodedTypeName(this.bytes);
  }
}

/** The msgpack extension type of an {@link EncodedValue} ('g'); msgpackr's own types are elsewhere. */
export const ENCODED_VALUE_EXT = 0x67;

/** The type name of an encoded value from its first bytes, as typeNameOf would name the decoded value. */
export function encodedTypeName(bytes: Uint8Array): string {
  const b = bytes[0] ?? 0xc0;
  if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) return 'Array';
  if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) return 'Map';
  // A record (a declared shape's id, or one defined here: fixext 1 of type 'r'), or a Set ('s').
  if (b >= 0x40 && b <= 0x7f) return 'Object';
  if (b === 0xd4 && bytes[1] === 0x72) return 'Object';
  if (b === 0xd4 && bytes[1] === 0x73) return 'Set';
  return 'Object';
}

