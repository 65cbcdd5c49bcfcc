import zlib from 'node:zlib';
import { decompress as fzstdDecompress } from 'fzstd';
import { RootFormatError } from './errors.js';
import { lz4DecodeBlock, xxh64 } from './lz4.js';
import { xzDecode } from './xz.js';
import { inflateInto } from './zlib-into.js';
import { allocate } from './types.js';

/** Node ≥ 22.15 has zstd in zlib; older Nodes use fzstd. */
const nodeZstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array, o: zlib.ZlibOptions) => Buffer }).zstdDecompressSync;

/** The size of ROOT's compression block header. */
export const BLOCK_HEADER = 9;

/**
 * Decompresses a ROOT object or basket payload: a sequence of blocks, each with a 9-byte header
 * (algorithm, method, compressed and uncompressed 24-bit sizes), into exactly `expected` bytes.
 * When the payload is already `expected` bytes long it is stored uncompressed (and returned as is).
 *
 * @param at file offset of `src`, for errors
 * @param into where to put the bytes (its first `expected`; it must have room for them): memory the
 *   caller reuses, so no fresh memory is faulted in (see zlib-into.ts). The result is then a view
 *   of it. Without it, the bytes are in memory of their own.
 */
export function decompress(src: Uint8Array, expected: number, path: string, at: number, into?: Uint8Array): Uint8Array {
  if (src.length === expected) return src;
  // Bytes where none are declared: the loop below would decode nothing and return nothing.
  if (!(expected > 0)) throw new RootFormatError(path, at, `${src.length} bytes of data where the header declares ${expected}`);
  if (into && into.length < expected) throw new RangeError(`decompress: ${into.length} bytes of room for ${expected}`);
  // Every block header is checked before memory is taken for `expected` bytes: a size the blocks
  // do not declare (a damaged page's element count, 5e9 bytes) fails here, not in the allocator.
  const blocks: Array<{ alg: string; body: Uint8Array; usize: number; s: number; d: number }> = [];
  for (let s = 0, d = 0; d < expected;) {
    const b = blockAt(src, s, d, expected, path, at);
    blocks.push({ ...b, s, d });
    s += BLOCK_HEADER + b.body.length;
    d += b.usize;
  }
  let out: Uint8Array | null = into ? into.subarray(0, expected) : null;
  for (const b of blocks) {
    try {
      if (b.alg === 'ZL' || b.alg === 'CS') {
        // zlib (and old ROOT's raw deflate) inflate straight into the output.
        out ??= allocate('uint8', expected) as Uint8Array;
        inflateInto(b.alg === 'CS', b.body, out, b.d, b.usize);
      } else {
        const got = decodeBlock(b.alg, b.body, b.usize);
        // Most baskets are one block: keep the decoder's own output instead of copying it.
        if (b.d === 0 && b.usize === expected && !out) return got;
        out ??= allocate('uint8', expected) as Uint8Array;
        out.set(got, b.d);
      }
    } catch (err) {
      throw blockError(err, b.alg, b.usize, path, at + b.s);
    }
  }
  return out!;
}

/** The block header at `s`, checked against the buffer and the bytes still to fill. */
function blockAt(src: Uint8Array, s: number, d: number, expected: number, path: string, at: number): { alg: string; body: Uint8Array; usize: number } {
  if (s + BLOCK_HEADER > src.length) throw new RootFormatError(path, at + s, `compressed data ends inside a block header (${d} of ${expected} bytes decompressed)`);
  const alg = String.fromCharCode(src[s]!, src[s + 1]!);
  const csize = src[s + 3]! | (src[s + 4]! << 8) | (src[s + 5]! << 16);
  const usize = src[s + 6]! | (src[s + 7]! << 8) | (src[s + 8]! << 16);
  const body = src.subarray(s + BLOCK_HEADER, s + BLOCK_HEADER + csize);
  if (body.length !== csize) throw new RootFormatError(path, at + s, `compressed block of ${csize} bytes runs past its buffer`);
  if (usize === 0 || d + usize > expected) throw new RootFormatError(path, at + s, `block claims ${usize} bytes, but only ${expected - d} remain to fill`);
  const method = src[s + 2]!;
  const wants = METHOD[alg];
  // ROOT's R__unzip refuses a block whose third byte is not the one its writer puts there: a
  // changed byte is damage, and an algorithm ROOT never wrote is not to be guessed at.
  if (wants !== undefined && method !== wants) {
    throw new RootFormatError(path, at + s, `cannot decompress ${algName(alg)} block: its method byte (the header's third) is ${method}, where ROOT's ${algName(alg)} blocks have ${wants}: the block header is damaged`);
  }
  return { alg, body, usize };
}

/**
 * The third header byte each algorithm's block carries, as ROOT's writers put it (core/zip
 * RZip.cxx R__zipZLIB and R__zipOld: Z_DEFLATED; core/lzma ZipLZMA.c: 0; core/zstd ZipZSTD.cxx:
 * 1; core/lz4 ZipLZ4.cxx: LZ4_versionNumber() / 10000, LZ4's major version, 1 for every LZ4
 * release) and its readers require it (is_valid_header_*, R__unzipLZ4's and R__unzipZSTD's
 * version checks). Unknown algorithms are refused by name later.
 */
const METHOD: Record<string, number> = { ZL: 8, CS: 8, XZ: 0, ZS: 1, L4: 1 };

/** A codec's failure on the block at `where` as a RootFormatError saying what went wrong. */
function blockError(err: unknown, alg: string, usize: number, path: string, where: number): RootFormatError {
  if (err instanceof RootFormatError) return err;
  // zlib's maxOutputLength and fzstd's fixed output buffer end a too-large block this way.
  const overflow = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
  const why = overflow ? `it is damaged or decompresses past its declared ${usize} bytes (${(err as Error).message})` : (err as Error).message;
  return new RootFormatError(path, where, `cannot decompress ${algName(alg)} block: ${why}`);
}

function algName(alg: string): string {
  return ({ ZL: 'zlib', CS: 'old ROOT zlib', L4: 'LZ4', ZS: 'ZSTD', XZ: 'LZMA' } as Record<string, string>)[alg] ?? `unknown ("${alg.replace(/[^\x20-\x7e]/g, '?')}")`;
}

/**
 * One block's bytes (not zlib's: see {@link inflateInto}), exactly `usize` of them, or an Error
 * saying why not. Every codec writes into
 * at most `usize` bytes and stops there, so a block that claims little and inflates to much (a
 * "bomb") costs no more memory than it claims.
 */
function decodeBlock(alg: string, body: Uint8Array, usize: number): Uint8Array {
  let got: Uint8Array;
  switch (alg) {
    case 'ZS':
      got = nodeZstd ? nodeZstd(body, { maxOutputLength: usize }) : fzstdInto(body, usize);
      break;
    case 'XZ':
      return xzDecode(body, usize);
    case 'L4': {
      if (body.length < 8) throw new Error('LZ4 block shorter than its checksum');
      const want = new DataView(body.buffer, body.byteOffset, 8).getBigUint64(0, false);
      const block = body.subarray(8);
      if (xxh64(block) !== want) throw new Error('LZ4 checksum mismatch (the block is damaged)');
      got = new Uint8Array(usize);
      const n = lz4DecodeBlock(block, got);
      if (n !== usize) throw new Error(`LZ4 block gave ${n} bytes, expected ${usize}`);
      return got;
    }
    default:
      throw new Error('unknown compression algorithm');
  }
  if (got.length !== usize) throw new Error(`gave ${got.length} bytes, expected ${usize}`);
  return got;
}

/**
 * A ZSTD frame decoded by fzstd into exactly `usize` bytes. fzstd decodes into the buffer it is
 * given (its window included, so a bomb costs no more than the block claims) but returns that
 * buffer whatever it wrote: a frame of 23,008 bytes in a block claiming 23,009 came back with a
 * zero appended, and one claiming 23,007 with its last byte dropped. So the frame's own content
 * size, which ROOT and uproot always write, must be the block's.
 */
function fzstdInto(body: Uint8Array, usize: number): Uint8Array {
  const holds = zstdContentSize(body);
  if (holds !== undefined && holds !== usize) throw new Error(`its frame holds ${holds} bytes, not the ${usize} its header declares`);
  return fzstdDecompress(body, new Uint8Array(usize));
}

/** The content size a ZSTD frame header declares (RFC 8878 3.1.1.1), or undefined when it declares none. */
export function zstdContentSize(b: Uint8Array): number | undefined {
  if (b.length < 5 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const flags = b[4]!;
  const single = (flags >> 5) & 1;
  const width = flags >> 6 ? 1 << (flags >> 6) : single;
  if (width === 0) return undefined;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][flags & 3]!;
  if (at + width > b.length) return undefined;
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return width === 2 ? v + 256 : v;
}
