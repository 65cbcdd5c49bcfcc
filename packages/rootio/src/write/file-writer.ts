/**
 * RootFileWriter: an append-only ROOT file. Records (baskets, objects) go to disk as soon as they
 * are complete; the file-level records (StreamerInfo, keys list, free segments, directory and
 * header) are written by `close()`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { compressPayload, compressionCode, type CompressionSettings } from './compress.js';
import { BEGIN, DIRECTORY_BYTES, START_BIG_FILE, datime, keyLength, writeDirectory, writeFileHeader, writeKeyHeader, type KeyHeader } from './keys.js';
import { WBuffer } from './wbuffer.js';
import { RootIOError } from '../errors.js';
import { existingAncestor, missingDirectoryReason } from '../missing-path.js';
import { dependencies, writeBody, writeStreamerInfoList, type RObject } from './streamer.js';
import { histogramObject, type HistogramInput } from './histogram.js';
import { TreeWriter, type BranchSpec, type TreeOptions } from './tree-writer.js';
import { checkOptions, keysOf } from '../read-args.js';

/** The keys create() knows, at each level: any other is refused, not ignored while its default applies. */
const WRITER_OPTIONS = keysOf<WriterOptions>({ compression: true, seekOffset: true, stamp: true, name: true });
const COMPRESSION_KEYS = keysOf<CompressionSettings>({ algorithm: true, level: true });
const STAMP_KEYS = keysOf<NonNullable<WriterOptions['stamp']>>({ uuid: true, time: true });

export interface WriterOptions {
  /** Default zlib level 1 (ROOT's default algorithm; fast). `{algorithm: 'none', level: 0}` stores raw. */
  compression?: CompressionSettings;
  /**
   * Leave a hole of this many bytes (a sparse region on most filesystems) before the first
   * record. For testing 64-bit addresses without writing gigabytes; 0 by default.
   */
  seekOffset?: number;
  /**
   * Fixes the file's UUID and timestamps, which are otherwise random and the current time, so
   * that the same content gives byte-identical files (reproducible datasets).
   */
  stamp?: { uuid: Uint8Array; time: Date };
  /**
   * The file's name as stored in it (its TFile key and directory, the keys list): default the
   * path's base name. A file written under a temporary name and renamed once whole (so that no
   * reader meets it cut) gives its final name here, and gets the bytes it would have got there.
   */
  name?: string;
}

/** Where a payload landed, for the callers that keep seeks (tree branches). */
export interface WrittenRecord {
  seek: number;
  nbytes: number;
  objlen: number;
  keylen: number;
}

export class RootFileWriter {
  private pos: number;
  private readonly keys: KeyHeader[] = [];
  private readonly classes = new Set<string>();
  private readonly trees: TreeWriter[] = [];
  private readonly cycles = new Map<string, number>();
  private readonly uuid: Uint8Array;
  private readonly created: number;
  private closed = false;
  readonly fileName: string;

  private constructor(
    readonly path: string, private readonly fd: number, readonly compression: CompressionSettings, seekOffset: number,
    private readonly stamp: WriterOptions['stamp'], name: string | undefined,
  ) {
    this.fileName = name ?? basename(path);
    this.uuid = stamp ? stamp.uuid : randomBytes(16);
    this.created = datime(stamp?.time);
    // The header and top directory are rewritten at close; their size is fixed.
    this.pos = BEGIN + this.topKeyLength() + this.topNamedLength() + DIRECTORY_BYTES + seekOffset;
  }

  /** Creates (truncates) `path` for writing. */
  static async create(path: string, options: WriterOptions = {}): Promise<RootFileWriter> {
    // Every refusal of an option names the call and the file, as checkOptions' do (until
    // 2026-12-08 these were plain Errors saying `RootFileWriter:` and no file).
    const call = `RootFileWriter.create(${path})`;
    checkOptions(call, options, WRITER_OPTIONS);
    checkOptions(`${call}: compression`, options.compression, COMPRESSION_KEYS);
    checkOptions(`${call}: stamp`, options.stamp, STAMP_KEYS);
    const compression = options.compression ?? { algorithm: 'zlib', level: 1 };
    if (compression.algorithm !== 'zlib' && compression.algorithm !== 'none') {
      throw new TypeError(`${call}: compression algorithm ${String(compression.algorithm)} is not supported for writing (zlib or none)`);
    }
    if (!Number.isInteger(compression.level) || compression.level < 0 || compression.level > 9) {
      throw new RangeError(`${call}: compression level must be an integer 0..9, got ${compression.level}`);
    }
    const seekOffset = options.seekOffset ?? 0;
    if (!Number.isSafeInteger(seekOffset) || seekOffset < 0) throw new RangeError(`${call}: seekOffset must be a non-negative integer, got ${seekOffset}`);
    if (options.stamp && (!(options.stamp.uuid instanceof Uint8Array) || options.stamp.uuid.length !== 16 || Number.isNaN(options.stamp.time?.getTime()))) {
      throw new TypeError(`${call}: stamp needs a 16-byte uuid and a valid time`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || !options.name || options.name.includes('/'))) {
      throw new TypeError(`${call}: name must be a non-empty file name without '/', got ${JSON.stringify(options.name)}`);
    }
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      throw new RootIOError(path, `cannot create the file: ${await createFailure(path, err as NodeJS.ErrnoException)}`);
    }
    return new RootFileWriter(path, fd, compression, seekOffset, options.stamp, options.name);
  }

  /** fCompress as stored in the header and in branches. */
  get compressionCode(): number { return compressionCode(this.compression); }

  private topKeyLength(): number { return keyLength('TFile', this.fileName, '', false); }
  private topNamedLength(): number { return 1 + Buffer.byteLength(this.fileName) + 1; }

  private assertOpen(what: string): void {
    if (this.closed) throw new Error(`RootFileWriter(${this.path}): ${what} after close()`);
  }

  /** Appends raw bytes at the end of the file. */
  private append(bytes: Uint8Array): number {
    const at = this.pos;
    this.writeAt(bytes, at);
    this.pos += bytes.length;
    return at;
  }

  private writeAt(bytes: Uint8Array, at: number): void {
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    } catch (err) {
      throw new RootIOError(this.path, `write of ${bytes.length} bytes at ${at} failed: ${(err as Error).message}`);
    }
  }

  /** Marks classes whose StreamerInfo the file must carry. */
  useClass(className: string): void { dependencies(className, this.classes); }

  /**
   * Writes one record: key header, then the (compressed) payload made by `fill`, which is given
   * a buffer whose tag displacement is the key length. `extraHeader` (TBasket fields) follows the
   * key header and counts as part of it. Returns where it went.
   */
  writeRecord(opts: {
    className: string; name: string; title: string; cycle?: number; forceBig?: boolean; keep?: boolean; compress?: boolean;
    extraHeader?: (buf: WBuffer, keylen: number, objlen: number) => void; extraHeaderBytes?: number;
    payload: Uint8Array | ((buf: WBuffer) => void);
  }): WrittenRecord {
    this.assertOpen(`writing ${opts.className} ${opts.name}`);
    const seek = this.pos;
    const big = opts.forceBig === true || seek > START_BIG_FILE;
    const keylen = keyLength(opts.className, opts.name, opts.title, big) + (opts.extraHeaderBytes ?? 0);
    let data: Uint8Array;
    if (typeof opts.payload === 'function') {
      const body = new WBuffer(1024, keylen);
      opts.payload(body);
      data = body.finish();
    } else data = opts.payload;
    const stored = opts.compress === false ? data : compressPayload(data, this.compression);
    const key: KeyHeader = {
      nbytes: keylen + stored.length, objlen: data.length, datime: this.created, cycle: opts.cycle ?? 1,
      seekKey: seek, seekPdir: BEGIN, className: opts.className, name: opts.name, title: opts.title, big, extra: opts.extraHeaderBytes ?? 0,
    };
    const head = new WBuffer(keylen);
    writeKeyHeader(head, key);
    opts.extraHeader?.(head, keylen, data.length);
    if (head.pos !== keylen) throw new Error(`rootio writer: internal error, key header of ${opts.name} is ${head.pos} bytes, expected ${keylen}`);
    this.append(head.finish());
    this.append(stored);
    if (opts.keep !== false) this.keys.push(key);
    return { seek, nbytes: key.nbytes, objlen: data.length, keylen };
  }

  /** Writes a named object as a top-level key (histograms, trees). */
  writeObject(obj: RObject, name: string, title: string): WrittenRecord {
    const cycle = (this.cycles.get(name) ?? 0) + 1;
    this.cycles.set(name, cycle);
    this.useClass(obj._class);
    return this.writeRecord({ className: obj._class, name, title, cycle, payload: (buf) => writeBody(buf, obj._class, obj) });
  }

  /** Writes a TH1D, TH1F or TH2D; see HistogramInput for the fields and their checks. */
  writeHistogram(h: HistogramInput): void {
    const obj = histogramObject(h);
    this.writeObject(obj, h.name, h.title ?? '');
  }

  /** Starts a tree; append batches to it, it is finished by `close()` (or its own `close()`). */
  createTree(name: string, title: string, branches: readonly BranchSpec[], options: TreeOptions = {}): TreeWriter {
    this.assertOpen(`creating tree ${name}`);
    const tree = new TreeWriter(this, name, title, branches, options);
    this.trees.push(tree);
    return tree;
  }

  /** Finishes open trees, then writes StreamerInfo, keys list, free segments, directory and header. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      for (const t of this.trees) t.finish();
      this.writeTail();
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  private writeTail(): void {
    const info = this.writeRecord({
      className: 'TList', name: 'StreamerInfo', title: 'Doubly linked list', keep: false, // ROOT keeps it out of the keys list
      payload: (buf) => writeStreamerInfoList(buf, this.classes),
    });
    // The keys list: every top-level object's key.
    const keys = [...this.keys];
    const keysList = this.writeRecord({
      className: 'TFile', name: this.fileName, title: '', keep: false, compress: false,
      payload: (buf) => { buf.i32(keys.length); for (const k of keys) writeKeyHeader(buf, k); },
    });
    // Free segments: one TFree from the end of file (after this record) to ROOT's big-file mark.
    const freeSeek = this.pos;
    const freeBig = freeSeek > START_BIG_FILE - 1000;
    const freeKeylen = keyLength('TFile', this.fileName, '', freeBig);
    const freeLen = freeBig ? 18 : 10;
    const end = freeSeek + freeKeylen + freeLen;
    const free = new WBuffer(freeLen);
    if (freeBig) { free.i16(1001); free.i64(end); free.i64(end + START_BIG_FILE); }
    else { free.i16(1); free.i32(end); free.i32(START_BIG_FILE); }
    const freeRec = this.writeRecord({
      className: 'TFile', name: this.fileName, title: '', keep: false, forceBig: freeBig, compress: false,
      payload: free.finish(),
    });
    if (this.pos !== end) throw new Error(`rootio writer: internal error, file ends at ${this.pos}, free segment says ${end}`);

    const nbytesName = this.topKeyLength() + this.topNamedLength();
    const head = new WBuffer(BEGIN + nbytesName + DIRECTORY_BYTES);
    writeFileHeader(head, {
      end, seekFree: freeRec.seek, nbytesFree: freeRec.nbytes, nbytesName, compress: this.compressionCode,
      seekInfo: info.seek, nbytesInfo: info.nbytes, uuid: this.uuid,
    });
    const dirLen = nbytesName + DIRECTORY_BYTES;
    writeKeyHeader(head, {
      nbytes: dirLen, objlen: dirLen - this.topKeyLength(), datime: this.created, cycle: 1, seekKey: BEGIN, seekPdir: 0,
      className: 'TFile', name: this.fileName, title: '', big: false,
    });
    head.string(this.fileName);
    head.string('');
    writeDirectory(head, {
      datimeC: this.created, datimeM: datime(this.stamp?.time), nbytesKeys: keysList.nbytes, nbytesName, seekKeys: keysList.seek, uuid: this.uuid,
    });
    this.writeAt(head.finish(), 0);
  }
}

/**
 * Why `path` could not be created: a directory of it that does not exist (or is a file) is named
 * with the part missing; any other failure is said as the system says it.
 */
async function createFailure(path: string, err: NodeJS.ErrnoException): Promise<string> {
  if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') return err.message;
  const full = resolve(path);
  const found = await existingAncestor(full).catch(() => null);
  // The directory is there (a dangling symbolic link at the path, say): the system's words.
  if (found?.path === dirname(full) && found.isDirectory) return err.message;
  return missingDirectoryReason(full, found);
}
