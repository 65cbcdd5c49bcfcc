import { createRequire } from 'node:module';
import type { Options } from 'msgpackr';
import { EncodedValue, ENCODED_VALUE_EXT } from './encoded-value.js';
import { WIRE_RECORDS } from './wire-records.js';

export { EncodedValue, ENCODED_VALUE_EXT, encodedTypeName } from './encoded-value.js';

/**
 * One shared msgpack codec. `moreTypes` makes typed arrays travel as themselves (a single
 * memcpy, no per-element encoding) and a `Set` as a Set. Plain objects travel as records, which
 * leaves msgpack maps to `Map`s, so a Map arrives as a Map (`mapsAsObjects: false`), not as an
 * object with its keys turned into strings. `structuredClone: false` refuses the reference
 * extensions on decode: no frame can build a cyclic value.
 *
 * The hot message shapes are declared once on both sides (wire-records.ts, msgpackr's shared
 * structures), so those messages cost a one-byte record id and decode through a reader compiled
 * once. Every other object's record is defined inside its frame, so a frame never depends on an
 * earlier one: there is no per-connection codec state to grow or fall out of step.
 */
/**
 * A copy of msgpackr for Gluon alone. msgpackr keeps its extensions in one table per loaded copy
 * of the module, read by every Packr and Unpackr of that copy (addExtension has no per-instance
 * form), so Gluon's extension 0x67 registered on the copy a user's code imports (a task module,
 * a client script) changed that code's msgpackr: its unpack of an extension 0x67 returned an
 * EncodedValue, which the next decode of Gluon's then refused ("an encoded value … cannot be
 * inside a value"), and a user's own extension 0x67 replaced Gluon's on the wire. Node loads a
 * CommonJS file again when its require.cache entry is gone: Gluon's copy is loaded that way and
 * the entry put back as it was, so `import 'msgpackr'` and `require('msgpackr')` elsewhere get
 * the copy they would get without Gluon. The same code and version: the bytes are the same.
 */
function ownMsgpackr(): typeof import('msgpackr') {
  const require = createRequire(import.meta.url);
  const path = require.resolve('msgpackr'); // its CommonJS build (dist/node.cjs)
  const theirs = require.cache[path];
  delete require.cache[path];
  try {
    return require(path);
  } finally {
    if (theirs) require.cache[path] = theirs;
    else delete require.cache[path];
  }
}
const { addExtension, Packr, Unpackr } = ownMsgpackr();

const OPTIONS: Options = { useRecords: true, mapsAsObjects: false, moreTypes: true, bundleStrings: false, structuredClone: false };

/** msgpackr's one-byte record ids: 0x40–0x7f. The declared shapes take the first ones. */
const ONE_BYTE_RECORD_IDS = 64;

/**
 * A fresh copy of the declared shapes for one msgpackr instance (it keeps readers and transitions
 * on them). Each is marked shared: a frame may define a record under a declared id (any msgpack
 * writer may), and msgpackr then puts the declared shape back after that frame, error or not,
 * instead of keeping the frame's keys for every later frame of every connection.
 */
function declaredRecords(): string[][] {
  return WIRE_RECORDS.map((keys) => Object.assign([...keys], { isShared: true }));
}

const packr = new Packr({
  ...OPTIONS,
  structures: declaredRecords(),
  maxSharedStructures: WIRE_RECORDS.length,
  // the ids left over for records defined inside a frame, so every id stays one byte
  maxOwnStructures: ONE_BYTE_RECORD_IDS - WIRE_RECORDS.length,
});
const unpackr = new Unpackr({ ...OPTIONS, structures: declaredRecords() });

/**
 * The largest output buffer msgpackr may keep between encodings. It writes every encoding into
 * one shared buffer, grows it to four times an encoding that does not fit, and replaces a full
 * one with a new one of the same size, every later frame a view of it. So one frame of a few MiB
 * made every later buffer up to 16 MiB, each written through (resident) before the next, and
 * kept until its last frame is collected. Past this size the packer starts over on a fresh small
 * buffer, and the large one lives only as long as the frames that view it. (A frame over 256 KiB
 * pays one more copy.)
 */
const MAX_SHARED_BUFFER_BYTES = 1024 * 1024;

/** Runs an encode; see {@link MAX_SHARED_BUFFER_BYTES}. */
function pack(value: unknown): Buffer {
  const out = packr.pack(value);
  if (out.buffer.byteLength > MAX_SHARED_BUFFER_BYTES) packr.useBuffer(Buffer.allocUnsafeSlow(64 * 1024));
  return out;
}

/** The extension values found while one frame decodes, in order; see {@link decodeFrame}. */
let found: EncodedValue[] = [];

addExtension({
  Class: EncodedValue,
  type: ENCODED_VALUE_EXT,
  pack: (v: EncodedValue) => v.bytes,
  // A view of the frame, resolved once the frame is decoded: decoding the bytes here would be a
  // re-entrant unpack, which copies the whole frame so far each time (msgpackr's saveState).
  unpack: (bytes: Uint8Array) => {
    const v = new EncodedValue(bytes);
    found.push(v);
    return v;
  },
});

/** How decodeFrame treats encoded values (the only place they may be: a `data` reply's values). */
export interface DecodeOptions {
  /**
   * Keep them as {@link EncodedValue}s (each a copy of its bytes, owning its buffer) rather than
   * decoding them: a worker fetching its task's dependencies hands the bytes to the task thread,
   * which decodes them there.
   */
  keepEncoded?: boolean;
}

/** Encodes a frame: an array of messages. */
export function encodeFrame(messages: readonly unknown[]): Buffer {
  return pack(messages);
}

/**
 * Decodes a frame. Throws a plain Error with a reason when the bytes are not a msgpack array
 * of message objects, so callers can close the connection with that reason.
 */
export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions = {}): Array<{ op: string } & Record<string, unknown>> {
  let value: unknown;
  let encoded: EncodedValue[];
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new Error(`undecodable frame (${bytes.length} bytes): ${(err as Error).message}`);
  } finally {
    encoded = found;
    if (found.length) found = [];
  }
  if (!Array.isArray(value)) throw new Error(`frame is not an array of messages (got ${typeName(value)})`);
  for (let i = 0; i < value.length; i++) {
    const m = value[i] as { op?: unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.op !== 'string') {
      throw new Error(m instanceof Map && typeof m.get('op') === 'string'
        ? `message ${i} of the frame is a msgpack map, not a record: the peer speaks Gluon protocol 2 or older`
        : `message ${i} of the frame has no string "op"`);
    }
  }
  if (encoded.length) resolveEncoded(value as Array<Record<string, unknown>>, encoded, opts);
  return value as Array<{ op: string } & Record<string, unknown>>;
}

/**
 * Decodes (or, with `keepEncoded`, copies) the encoded values of a frame's `data` replies in
 * place. One anywhere else is a protocol error: no Gluon process puts one there, and a value of a
 * class would reach code that expects plain data.
 */
function resolveEncoded(messages: Array<Record<string, unknown>>, encoded: EncodedValue[], opts: DecodeOptions): void {
  let resolved = 0;
  for (const m of messages) {
    const data = m.op === 'data' ? m.data : undefined;
    if (data === null || typeof data !== 'object' || Object.getPrototypeOf(data) !== Object.prototype) continue;
    const values = data as Record<string, unknown>;
    for (const key of Object.keys(values)) {
      const v = values[key];
      if (!(v instanceof EncodedValue)) continue;
      resolved++;
      // A copy that owns its buffer: the view keeps the whole frame alive, and a copy to a task
      // thread clones a view's whole buffer. (A Buffer's own slice() would be another view.)
      values[key] = opts.keepEncoded ? new EncodedValue(Uint8Array.prototype.slice.call(v.bytes)) : decodeEncoded(v, key);
    }
  }
  if (resolved !== encoded.length) {
    throw new Error(`an encoded value (msgpack extension ${ENCODED_VALUE_EXT}) may only be a value of a data reply's data; the frame has ${encoded.length - resolved} elsewhere`);
  }
}

/** The value inside an encoded value of a data reply; a failure names the key. */
function decodeEncoded(v: EncodedValue, key: string): unknown {
  try {
    return decodeValue(v.bytes);
  } catch (err) {
    throw new Error(`the encoded value of ${key.length > 80 ? `${key.slice(0, 80)}…` : key} in a data reply does not decode (${v.bytes.length} bytes): ${(err as Error).message}`);
  }
}

/** Encoded size of one value, for byte accounting of results. */
export function encodedSize(value: unknown): number {
  return pack(value).length;
}

/** Encodes a single value (results, task arguments). */
export function encodeValue(value: unknown): Buffer {
  return pack(value);
}

/**
 * Decodes a single value encoded by {@link encodeValue}. An encoded value inside it is refused:
 * only a frame's `data` replies may hold one ({@link decodeFrame}).
 */
export function decodeValue(bytes: Uint8Array): unknown {
  let value: unknown;
  let n: number;
  try {
    value = unpackr.unpack(bytes);
  } finally {
    n = found.length;
    if (n) found = [];
  }
  if (n) throw new Error(`an encoded value (msgpack extension ${ENCODED_VALUE_EXT}) cannot be inside a value; it held ${n}`);
  return value;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}
