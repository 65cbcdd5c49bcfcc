/**
 * zlib inflate into memory the caller owns. `zlib.inflateSync` returns fresh memory each call,
 * and fresh memory is expensive: the kernel faults every new 4 KiB page in on first write (on the
 * 2-core VM of bench/rootio.ts ~1.7 µs a page, ~0.4 ns a byte: a third of inflate's own time). A
 * reader that inflates each basket into one reused buffer, or straight into a slot it owns, pays
 * that only for the memory it hands back.
 *
 * Node has no public API for this. Its zlib streams drive a native handle whose `writeSync(flush,
 * in, inOff, inLen, out, outOff, outLen)` inflates into any buffer (what `inflateSync` itself
 * calls, in Node 10 through 24); it is used when present, and `inflateSync` plus a copy otherwise,
 * so a Node without it reads the same bytes, only slower.
 */
import zlib from 'node:zlib';

interface Handle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

/** One engine per format per thread, reused for every block (a reset is cheaper than a new one). */
interface Engine {
  handle: Handle;
  /** [output bytes left, input bytes left] after each write, as the handle reports them. */
  state: Uint32Array;
  /** The error the handle reported during the current write, if any. */
  error: Error | null;
  /** Keeps the stream that owns the handle alive (its finalizer would close the handle). */
  stream: unknown;
}

const engines: { inflate?: Engine | null; raw?: Engine | null } = {};

/** A one-byte output for checking that a stream has really ended where its output did. */
const probe = new Uint8Array(1);

function engine(raw: boolean): Engine | null {
  const key = raw ? 'raw' : 'inflate';
  let e = engines[key];
  if (e === undefined) {
    const stream = raw ? new zlib.InflateRaw() : new zlib.Inflate();
    const s = stream as unknown as { _handle?: Partial<Handle>; _writeState?: unknown };
    const handle = s._handle;
    e = null;
    if (handle && typeof handle.writeSync === 'function' && typeof handle.reset === 'function' && s._writeState instanceof Uint32Array) {
      const made: Engine = { handle: handle as Handle, state: s._writeState, error: null, stream };
      // The stream's own handler would destroy the stream (and the handle with it); here an error
      // ends only the current block.
      made.handle.onerror = (message, errno, code) => {
        made.error = Object.assign(new Error(message), { errno, code });
      };
      e = made;
    }
    engines[key] = e;
  }
  return e;
}

/**
 * Inflates the zlib stream `body` (raw deflate when `raw`) into exactly `out[at, at + size)` and
 * throws when it does not fill exactly that: an Error from zlib for a damaged or truncated stream,
 * a RangeError for one that inflates past `size` (which is never written past).
 */
export function inflateInto(raw: boolean, body: Uint8Array, out: Uint8Array, at: number, size: number): void {
  const e = engine(raw);
  if (!e) {
    inflateCopy(raw, body, out, at, size);
    return;
  }
  e.handle.reset();
  e.error = null;
  e.handle.writeSync(zlib.constants.Z_FINISH, body, 0, body.length, out, at, size);
  if (e.error) throw e.error;
  const outLeft = e.state[0]!;
  const inLeft = e.state[1]!;
  // Output space left over: the stream ended early (a stream cut short is reported as an error).
  if (outLeft !== 0) throw new Error(`gave ${size - outLeft} bytes, expected ${size}`);
  // The output is full: the stream must end here. One more byte of room tells an ended stream
  // (nothing more comes) from one with more to give (a block inflating past what it declared).
  e.handle.writeSync(zlib.constants.Z_FINISH, body, body.length - inLeft, inLeft, probe, 0, 1);
  if (e.error) throw e.error;
  if (e.state[0] === 0) throw new RangeError(`inflates past ${size} bytes`);
}

/** {@link inflateInto} through the public API: `inflateSync` into fresh memory, then a copy. */
export function inflateCopy(raw: boolean, body: Uint8Array, out: Uint8Array, at: number, size: number): void {
  const opts = { maxOutputLength: size, chunkSize: chunkFor(size) };
  const got = raw ? zlib.inflateRawSync(body, opts) : zlib.inflateSync(body, opts);
  if (got.length !== size) throw new Error(`gave ${got.length} bytes, expected ${size}`);
  out.set(got, at);
}

/**
 * Output chunk for `inflateSync`: the whole block at once (one output buffer, no concatenation
 * copy), within zlib's allowed range. `size` is at most 16 MiB (a 24-bit field).
 */
export function chunkFor(size: number): number {
  return Math.max(zlib.constants.Z_MIN_CHUNK, size + 1);
}
