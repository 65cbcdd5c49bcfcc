import { FileProxy, openFile } from 'jsroot';
import { RootFormatError, RootIOError, UnsupportedBranchTypeError } from './errors.js';
import { openSource, type ByteSource, type HttpOptions } from './source.js';
import { TreeReader } from './tree.js';
import { decompress } from './decompress.js';
import { readHistogram, type Histogram } from './histogram.js';

/** One entry of a file's top directory. */
export interface KeyInfo {
  name: string;
  className: string;
  cycle: number;
  title: string;
}

export interface OpenOptions {
  http?: HttpOptions;
  /** Bound on how long reading metadata may take before the file is declared damaged. */
  metadataTimeoutMs?: number;
}

type JsKey = { fName: string; fClassName: string; fCycle: number; fTitle: string; fSeekKey: number; fNbytes: number; fKeylen: number; fObjlen: number };

/** jsroot objects are loosely typed; we read the few fields we need from them. */
type JsrootFile = {
  fEND: number;
  fKeys: JsKey[];
  readObject(name: string, cycle?: number): Promise<Record<string, unknown>>;
};

/** Feeds jsroot's metadata parsing from our byte source, so both read the same bytes. */
class SourceProxy extends FileProxy {
  constructor(private readonly src: ByteSource) {
    super();
  }
  async openFile(): Promise<boolean> {
    return true;
  }
  getFileName(): string {
    return this.src.path;
  }
  getFileSize(): number {
    return this.src.size;
  }
  async readBuffer(pos: number, sz: number): Promise<DataView> {
    const [b] = await this.src.read([[pos, sz]]);
    return new DataView(b!.buffer, b!.byteOffset, b!.byteLength);
  }
}

/**
 * An open ROOT file. jsroot parses the directory, streamers and object metadata; tree data goes
 * through our own basket reader.
 */
export class RootFile {
  private constructor(readonly source: ByteSource, private readonly jf: JsrootFile, private readonly timeoutMs: number) {}

  get path(): string {
    return this.source.path;
  }

  /** Opens a local path, a `file:` URL or an `http(s)://` URL. */
  static async open(pathOrUrl: string, opts: OpenOptions = {}): Promise<RootFile> {
    const src = await openSource(pathOrUrl, opts.http ?? {});
    const timeoutMs = opts.metadataTimeoutMs ?? 30_000;
    try {
      if (src.size < 64) throw new RootFormatError(src.path, 0, `not a ROOT file: only ${src.size} bytes`);
      const [head] = await src.read([[0, 4]]);
      if (String.fromCharCode(...head!) !== 'root') throw new RootFormatError(src.path, 0, 'not a ROOT file: it does not start with "root"');
      const jf = (await guard(src.path, openFile(new SourceProxy(src) as never) as Promise<JsrootFile | null>, timeoutMs, 'reading the file header and keys')) as JsrootFile | null;
      if (!jf || !Array.isArray(jf.fKeys)) throw new RootFormatError(src.path, 0, 'cannot read the file header or its list of keys');
      // ROOT's header records where the file ends; a shorter file lost its tail.
      const end = Number(jf.fEND);
      if (!(end <= src.size)) throw new RootFormatError(src.path, 8, `truncated: the header says the file ends at byte ${end}, but it has ${src.size} bytes`);
      const info = jf.fKeys.find((k) => k.fClassName === 'TList' && k.fName === 'StreamerInfo');
      if (info) await verifyKey(src, info);
      return new RootFile(src, jf, timeoutMs);
    } catch (err) {
      await src.close();
      throw err;
    }
  }

  /** The keys of the top directory. */
  keys(): KeyInfo[] {
    return this.jf.fKeys.map((k) => ({ name: k.fName, className: k.fClassName, cycle: k.fCycle, title: k.fTitle }));
  }

  /** Reads an object's metadata with jsroot (bounded in time; damage becomes RootFormatError). */
  async object(name: string): Promise<Record<string, unknown>> {
    const key = this.findKey(name);
    await verifyKey(this.source, key);
    const obj = await guard(this.path, this.jf.readObject(key.fName, key.fCycle), this.timeoutMs, `reading ${name}`);
    if (!obj) throw new RootFormatError(this.path, -1, `cannot read object ${name}`);
    return obj;
  }

  /** Opens a TTree for reading. */
  async tree(name: string): Promise<TreeReader> {
    const key = this.findKey(name);
    if (key.fClassName !== 'TTree' && key.fClassName !== 'TNtuple' && key.fClassName !== 'TNtupleD') {
      throw new RootFormatError(this.path, -1, `${name} is a ${key.fClassName}, not a TTree`);
    }
    const obj = await this.object(name);
    return interpret(this.path, `the TTree ${name}`, () => TreeReader.fromObject(this, name, obj));
  }

  /** Reads a TH1 or TH2 histogram. */
  async histogram(name: string): Promise<Histogram> {
    const obj = await this.object(name);
    return interpret(this.path, `the histogram ${name}`, () => readHistogram(this.path, name, obj));
  }

  private findKey(name: string): JsKey {
    const [base, cyc] = name.split(';');
    const matches = this.jf.fKeys.filter((k) => k.fName === base && (cyc === undefined || k.fCycle === Number(cyc)));
    if (matches.length === 0) {
      const have = [...new Set(this.jf.fKeys.map((k) => `${k.fName} (${k.fClassName})`))].join(', ');
      throw new RootFormatError(this.path, -1, `no object named ${name} in the file; it has: ${have || 'nothing'}`);
    }
    return matches.reduce((a, b) => (b.fCycle > a.fCycle ? b : a));
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

/** Opens a ROOT file; see {@link RootFile.open}. */
export function openRootFile(pathOrUrl: string, opts: OpenOptions = {}): Promise<RootFile> {
  return RootFile.open(pathOrUrl, opts);
}

/**
 * jsroot's own inflate skips zlib's checksum, so a damaged compressed object could parse into
 * wrong metadata (or wrong embedded baskets). Decompressing the key's payload once with our
 * checked decoders first turns such damage into RootFormatError.
 */
async function verifyKey(src: ByteSource, key: JsKey): Promise<void> {
  const seek = Number(key.fSeekKey);
  const [nbytes, keylen, objlen] = [Number(key.fNbytes), Number(key.fKeylen), Number(key.fObjlen)];
  if (!(keylen > 0 && keylen <= nbytes && objlen >= 0 && objlen <= 1 << 30)) {
    throw new RootFormatError(src.path, seek, `key ${key.fName} has an impossible header (${nbytes} bytes, key length ${keylen}, object length ${objlen})`);
  }
  if (nbytes - keylen === objlen) return;
  const [blob] = await src.read([[seek, nbytes]]);
  decompress(blob!.subarray(keylen), objlen, src.path, seek + keylen);
}

/**
 * Interprets an object jsroot parsed from possibly damaged bytes: a missing or mistyped field
 * (a TypeError in our reading of it) means the metadata is damaged, not that the reader is.
 */
export function interpret<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RootFormatError || err instanceof UnsupportedBranchTypeError) throw err;
    throw new RootFormatError(path, -1, `${what} has damaged metadata: ${(err as Error)?.message ?? String(err)}`);
  }
}

/**
 * Runs a jsroot metadata step with a time bound, turning whatever it throws on damaged bytes
 * into RootFormatError (our own I/O errors pass through).
 */
export async function guard<T>(path: string, p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new RootFormatError(path, -1, `${what} did not finish within ${timeoutMs} ms (damaged metadata?)`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof RootFormatError || err instanceof RootIOError) throw err;
    throw new RootFormatError(path, -1, `${what} failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
