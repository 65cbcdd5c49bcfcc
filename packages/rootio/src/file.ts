import { RootFormatError, RootIOError, UnsupportedBranchTypeError } from './errors.js';
import { heldReads, openSource, readsEndedBy, type ByteSource, type HttpOptions } from './source.js';
import { TreeReader } from './tree.js';
import { notHistogram, readHistogram, type Histogram } from './histogram.js';
import { readKeyObject, readPayload, readSkeleton, readStreamers, type Key } from './meta/directory.js';
import { findKey, isDirectoryClass, listKeys, readDirectories, type Directory } from './directories.js';
import { RNTupleReader } from './rntuple/reader.js';
import type { ObjectReader } from './meta/objects.js';
import { ClassLayouts } from './object-members.js';
import type { RObject } from './meta/rbuffer.js';
import { checkKeyName, checkLocation, checkOpenValues, checkOptions, HTTP_OPTIONS, OPEN_OPTIONS } from './read-args.js';
import { runningTimeout } from './running-timeout.js';

const RNTUPLE = 'ROOT::RNTuple';

/** One key of a file: of its top directory or of a directory below it. */
export interface KeyInfo {
  /** Its path from the top: `mini` in the top directory, `dir/sub/tree` below (as uproot names them). */
  name: string;
  className: string;
  /**
   * Its cycle: a name written more than once is listed once per cycle, and `name` alone reads the
   * newest (as ROOT's Get does); `${name};${cycle}` reads this one.
   */
  cycle: number;
  title: string;
}

export interface OpenOptions {
  http?: HttpOptions;
  /**
   * Bound on how long opening (the first request to a server included) and reading metadata (an
   * object) may take, slow sources included; running out while a server has not answered is a
   * RootIOError naming the request, and the open's requests are ended.
   */
  metadataTimeoutMs?: number;
  /**
   * Threads that decompress a read's baskets (default 1: each basket is decompressed on the
   * calling thread right before it is decoded). With n > 1, n − 1 worker threads (started on first
   * use, shared by every file of the process) decompress the read's baskets ahead of the calling
   * thread, which decodes them in order and decompresses any basket nobody has claimed yet: all n
   * threads stay busy. Decompressed baskets wait in a ring of at most 32 MiB; the read's
   * compressed bytes are held in shared memory for the threads to read in place. Worth it for
   * reads of many baskets; a read of fewer than 2n baskets is done on the calling thread.
   */
  decompressThreads?: number;
}

/**
 * An open ROOT file. Its header, keys and StreamerInfo are read when it opens (`meta/`); objects
 * are read with the file's own StreamerInfo; tree data goes through the basket reader.
 */
export class RootFile {
  private constructor(
    readonly source: ByteSource,
    private readonly top: Directory,
    private readonly reader: ObjectReader,
    private readonly timeoutMs: number,
    readonly decompressThreads: number,
  ) {}

  /**
   * @internal The declaration (type and title) of member `member` of class `cls` (the version the
   * data was written with, or the only one the file describes), from the file's StreamerInfo; null if none.
   */
  memberOf(cls: string, classVersion: number, member: string): { typeName: string; title: string } | null {
    const infos = this.reader.streamers.get(cls) ?? [];
    const info = infos.find((i) => i.version === classVersion) ?? (infos.length === 1 ? infos[0] : undefined);
    return info?.elements.find((e) => e.name === member) ?? null;
  }

  /** @internal The file's classes as walk steps, for members of unsplit objects (object-members.ts). */
  get layouts(): ClassLayouts {
    this.classLayouts ??= new ClassLayouts(this.reader.streamers);
    return this.classLayouts;
  }
  private classLayouts: ClassLayouts | null = null;

  get path(): string {
    return this.source.path;
  }

  /** Opens a local path, a `file:` URL or an `http(s)://` URL (as a string or a `URL`). */
  static async open(where: string | URL, opts: OpenOptions = {}): Promise<RootFile> {
    const pathOrUrl = checkLocation(where);
    checkOptions(`openRootFile(${pathOrUrl})`, opts, OPEN_OPTIONS);
    checkOptions(`openRootFile(${pathOrUrl}): http`, opts.http, HTTP_OPTIONS);
    checkOpenValues(`openRootFile(${pathOrUrl})`, opts);
    const threads = opts.decompressThreads ?? 1;
    const timeoutMs = opts.metadataTimeoutMs ?? 30_000;
    // The whole open runs under metadataTimeoutMs, its first request to a server included; when
    // the bound runs out, guard's signal ends the requests still in flight (they would otherwise
    // go on retrying after the caller has its error, and keep the process alive).
    const opened: { src: ByteSource | null } = { src: null };
    const first = /^https?:\/\//i.test(pathOrUrl) ? 'the server had not answered the first request' : null;
    try {
      return await guard(pathOrUrl, async (signal) => {
        const src = await openSource(pathOrUrl, opts.http ?? {}, signal);
        if (signal.aborted) {
          await src.close();
          throw new RootIOError(src.path, 'the open was stopped');
        }
        opened.src = src;
        const reads = heldReads(readsEndedBy(src, signal), src.takeStart?.() ?? null);
        if (src.size < 64) throw new RootFormatError(src.path, 0, `not a ROOT file: only ${src.size} bytes`);
        const [head] = await reads.read([[0, 8]]);
        if (String.fromCharCode(...head!.subarray(0, 4)) !== 'root') throw new RootFormatError(src.path, 0, 'not a ROOT file: it does not start with "root"');
        checkFormatVersion(src.path, new DataView(head!.buffer, head!.byteOffset, 8).getInt32(4));
        const sk = await readSkeleton(reads);
        const reader = await readStreamers(reads, sk);
        return new RootFile(src, await readDirectories(reads, sk.keys, sk.seekKeys), reader, timeoutMs, threads);
      }, timeoutMs, 'reading the file header, keys, directories and streamers',
      () => (opened.src ? opened.src.waiting?.() ?? null : first));
    } catch (err) {
      await opened.src?.close();
      throw err;
    }
  }

  /**
   * Every key of the file: the top directory's and, after each directory's own key (class
   * `TDirectory`/`TDirectoryFile`), the keys below it, named by their path (`dir/sub/tree`). Every
   * name here is what {@link tree}, {@link rntuple}, {@link histogram} and {@link object} take
   * (with `;cycle` for another cycle than the newest). Only the newest cycle of a directory is
   * descended into, as ROOT's Get reads paths.
   */
  keys(): KeyInfo[] {
    return listKeys(this.top).map(({ path, key: k }) => ({ name: path, className: k.className, cycle: k.cycle, title: k.title }));
  }

  /** Reads an object by its path (see {@link keys}; bounded in time; damage becomes RootFormatError). */
  async object(name: string): Promise<RObject> {
    this.checkCall('object', name);
    const key = this.findKey(name);
    // A directory's record is no object a streamer reads: read as one, it was called damaged
    // ("one (TDirectory) is damaged: no description (StreamerInfo) of class TDirectory version 5").
    if (isDirectoryClass(key.className)) {
      // keys() names paths without cycles or a leading '/' (one;1/two is one/two).
      const dir = name.replace(/^\/+/, '').replace(/;\d+(?=\/|$)/g, '');
      const below = this.keys().filter((k) => k.name.startsWith(`${dir}/`)).map((k) => k.name);
      throw new RootFormatError(this.path, -1, `${name} is a directory (${key.className}), not an object to read: read what it holds by its path (${below.slice(0, 8).join(', ') || 'it is empty'}${below.length > 8 ? ', …' : ''})`);
    }
    return guard(this.path, (signal) => readKeyObject(readsEndedBy(this.source, signal), key, this.reader), this.timeoutMs, `reading ${name}`,
      () => this.source.waiting?.() ?? null);
  }

  /**
   * The TTree objects read so far, by key. A reader made from one only reads it (its branch and
   * basket lists), so each call to {@link tree} makes a new reader from the same object instead of
   * reading and parsing it again (1-3 ms for bench/rootio.ts's tree, a read of the key's bytes,
   * inflating and streaming them). The file's keys are read once, when it opens; its objects are
   * taken as unchanging as the keys that locate them.
   */
  private readonly treeObjects = new Map<Key, Promise<RObject>>();

  /** Opens a TTree by its path (`mini`, `dir/sub/tree`) for reading (its object read once per file: see `treeObjects`). */
  async tree(name: string): Promise<TreeReader> {
    this.checkCall('tree', name);
    const key = this.findKey(name);
    if (key.className === RNTUPLE) throw new RootFormatError(this.path, -1, `${name} is an RNTuple, not a TTree: open it with file.rntuple('${name}')`);
    if (key.className !== 'TTree' && key.className !== 'TNtuple' && key.className !== 'TNtupleD') {
      throw new RootFormatError(this.path, -1, `${name} is a ${key.className}, not a TTree`);
    }
    let read = this.treeObjects.get(key);
    if (!read) {
      read = this.object(name);
      this.treeObjects.set(key, read);
      // A failed read (a timeout, an I/O error) is not kept: the next call tries again.
      read.catch(() => this.treeObjects.delete(key));
    }
    const obj = await read;
    const tree = interpret(this.path, `the TTree ${name}`, () => TreeReader.fromObject(this, name, obj, key.seekKey), key.seekKey);
    await tree.checkBaseClasses();
    return tree;
  }

  /**
   * Opens an RNTuple (ROOT's columnar format, binary version 1: ROOT 6.34 and later). Its reader
   * has the TreeReader's shape: `numEntries`, `branches`, `arrays(names, range)`, `iterate()`.
   */
  async rntuple(name: string): Promise<RNTupleReader> {
    this.checkCall('rntuple', name);
    const key = this.findKey(name);
    if (key.className !== RNTUPLE) throw new RootFormatError(this.path, -1, `${name} is a ${key.className}, not an RNTuple`);
    return guard(this.path, async (signal) => {
      const reads = readsEndedBy(this.source, signal);
      return RNTupleReader.open(this.source, name, await readPayload(reads, key), reads, (what) => this.checkOpen(what));
    }, this.timeoutMs, `reading RNTuple ${name}`, () => this.source.waiting?.() ?? null);
  }

  /** Reads a histogram: TH1, TH2, TH3 (any element type) or a profile (TProfile, TProfile2D, TProfile3D). */
  async histogram(name: string): Promise<Histogram> {
    this.checkCall('histogram', name);
    const key = this.findKey(name);
    // By the key's class, before reading it: a directory was read as an object and called damaged.
    const not = notHistogram(name, key.className);
    if (not) throw new RootFormatError(this.path, -1, not);
    const at = key.seekKey;
    const obj = await this.object(name);
    return interpret(this.path, `the histogram ${name}`, () => readHistogram(this.path, name, obj, at), at);
  }

  /** The key at `path` (see {@link keys}); a part that is not there is a RootFormatError naming it. */
  private findKey(path: string): Key {
    return findKey(this.path, this.top, path);
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  private closedFlag = false;

  /**
   * Throws a RootIOError naming the file and `what` once the file is closed. Without it a read
   * after close() failed with Node's bare "Error: file closed" (or, for a tree, as damaged
   * metadata: "RootFormatError … reading mini failed: file closed"), or quietly still read
   * (HTTP files, whose close() holds nothing).
   */
  checkOpen(what: string): void {
    if (this.closedFlag) throw new RootIOError(this.path, `${what}: the file was closed (close() was called); open it again to read from it`);
  }

  /** The checks before `call(name)` reads an object: a string name, and the file still open. */
  private checkCall(call: string, name: unknown): void {
    checkKeyName(`${call}() in ${this.path}`, name);
    this.checkOpen(`${call}(${name})`);
  }

  /** Closes the file; reads after it are refused. Closing twice is harmless. */
  close(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    this.closedFlag = true;
    return this.source.close();
  }
}

/** Opens a ROOT file; see {@link RootFile.open}. */
export function openRootFile(pathOrUrl: string | URL, opts: OpenOptions = {}): Promise<RootFile> {
  return RootFile.open(pathOrUrl, opts);
}

/**
 * Interprets an object parsed from possibly damaged bytes: a missing or mistyped field
 * (a TypeError in our reading of it) means the metadata is damaged, not that the reader is.
 */
export function interpret<T>(path: string, what: string, fn: () => T, at = -1): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RootFormatError || err instanceof UnsupportedBranchTypeError) throw err;
    throw Object.assign(new RootFormatError(path, at, `${what} has damaged metadata: ${(err as Error)?.message ?? String(err)}`), { cause: err });
  }
}

/**
 * Runs a metadata step with a time bound, turning whatever it throws on damaged bytes
 * into RootFormatError (our own I/O errors pass through). When the bound runs out while the
 * source is still waiting for bytes (`waiting` says for what: a server that stalls), that is a
 * RootIOError naming the wait; otherwise the time went on the bytes, a RootFormatError. The step
 * reads under `signal`, which aborts once it is over, whichever way (done, failed, out of time):
 * a request it left in flight is ended, not left holding its connection.
 */
export async function guard<T>(path: string, step: (signal: AbortSignal) => Promise<T>, timeoutMs: number, what: string,
                               waiting?: () => string | null): Promise<T> {
  let cancel: (() => void) | undefined;
  const over = new AbortController();
  try {
    return await Promise.race([
      step(over.signal),
      new Promise<never>((_r, reject) => {
        // Counted while this process runs: starvation is the machine's load, not the file's damage.
        cancel = runningTimeout(timeoutMs, () => {
          const on = waiting?.();
          reject(on ? new RootIOError(path, `${what} did not finish within ${timeoutMs} ms (metadataTimeoutMs): ${on}`)
            : new RootFormatError(path, -1, `${what} did not finish within ${timeoutMs} ms (damaged metadata?)`));
        });
      }),
    ]);
  } catch (err) {
    if (err instanceof RootFormatError || err instanceof RootIOError) throw err;
    // The original error stays attached as `cause`: its stack is where the check is missing.
    throw Object.assign(new RootFormatError(path, -1, `${what} failed: ${(err as Error)?.message ?? String(err)}`), { cause: err });
  } finally {
    cancel?.();
    over.abort();
  }
}

/**
 * The header's format version is the writing ROOT's (6.22/06 writes 62206), plus 1,000,000 in a
 * file with 64-bit offsets. Text that happens to begin with "root" (`/etc/passwd`: "root:x:0:0")
 * fails here, named as not a ROOT file, rather than further on as a truncated or damaged one.
 */
function checkFormatVersion(path: string, version: number): void {
  const release = version % 1_000_000;
  if (version > 0 && version < 2_000_000 && release >= 10_000) return;
  throw new RootFormatError(path, 4, `not a ROOT file: it starts with "root" but its format version reads ${version} ` +
    '(a ROOT file\'s is the version of the ROOT that wrote it, 62206 for 6.22/06, plus 1000000 where it has 64-bit offsets)');
}
