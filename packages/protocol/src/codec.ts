import { Packr } from 'msgpackr';

/**
 * One shared msgpack codec. `moreTypes` makes typed arrays travel as themselves (a single
 * memcpy, no per-element encoding) and a `Set` as a Set. Plain objects travel as records, which
 * leaves msgpack maps to `Map`s, so a Map arrives as a Map (`mapsAsObjects: false`), not as an
 * object with its keys turned into strings. Records are defined inside each frame (no shared
 * structures), so a frame never depends on another; they also encode and decode about twice as
 * fast as maps. `structuredClone: false` refuses the reference extensions on decode: no frame can
 * build a cyclic value.
 */
const packr = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true, bundleStrings: false, structuredClone: false });

/** Encodings larger than this are not left pinning msgpackr's shared output buffer. */
const LARGE_ENCODING_BYTES = 4 * 1024 * 1024;

/**
 * Runs an encode. msgpackr writes every encoding into one shared buffer that it grows as needed
 * and keeps for the next ones; after a large value that buffer would keep the large size (and
 * every later small frame, a view of it, would keep it alive). So after a large encoding the
 * packer starts over on a fresh small buffer, and the large one lives as long as its frame.
 */
function pack(value: unknown): Buffer {
  const out = packr.pack(value);
  if (out.length > LARGE_ENCODING_BYTES) packr.useBuffer(Buffer.allocUnsafeSlow(64 * 1024));
  return out;
}

/** Encodes a frame: an array of messages. */
export function encodeFrame(messages: readonly unknown[]): Buffer {
  return pack(messages);
}

/**
 * Decodes a frame. Throws a plain Error with a reason when the bytes are not a msgpack array
 * of message objects, so callers can close the connection with that reason.
 */
export function decodeFrame(bytes: Uint8Array): Array<{ op: string } & Record<string, unknown>> {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new Error(`undecodable frame (${bytes.length} bytes): ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new Error(`frame is not an array of messages (got ${typeName(value)})`);
  for (let i = 0; i < value.length; i++) {
    const m = value[i] as { op?: unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.op !== 'string') {
      throw new Error(`message ${i} of the frame has no string "op"`);
    }
  }
  return value as Array<{ op: string } & Record<string, unknown>>;
}

/** Encoded size of one value, for byte accounting of results. */
export function encodedSize(value: unknown): number {
  return pack(value).length;
}

/** Encodes a single value (results, task arguments). */
export function encodeValue(value: unknown): Buffer {
  return pack(value);
}

/** Decodes a single value encoded by {@link encodeValue}. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}
