import { setMaxListeners } from 'node:events';
import { readSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { linkSignals } from './abort.js';
import { RootFormatError, RootIOError } from './errors.js';
import { fileUrlPath, isFileUrl } from './file-url.js';
import { existingAncestor, missingPathReason } from './missing-path.js';
import { checkHeaders } from './read-args.js';
import { readThreadReady, ThreadRead } from './thread-reads.js';

/**
 * Where file bytes come from. Reads past the end are content errors (a key or basket points
 * beyond the file), so they raise RootFormatError.
 */
export interface ByteSource {
  readonly path: string;
  readonly size: number;
  /** Reads `[offset, offset+length)`; several ranges at once may be coalesced into fewer requests. */
  read(ranges: ReadonlyArray<readonly [number, number]>, opts?: ReadOptions): Promise<Uint8Array[]>;
  close(): Promise<void>;
  /**
   * Reads run beside this thread (libuv's pool) and cost one request per call, not per range, so
   * a reader may split a read into parts and decode each while the next are read (tree.ts).
   */
  readonly readsBeside?: boolean;
  /**
   * Whether {@link readInOrder} can take a read now (a local file on the main thread, its reading
   * thread up; the first ask starts that thread and says no).
   */
  canReadInOrder?(): boolean;
  /** Reads `ranges` one after another, in this order, on a thread of their own, into shared memory `into` (see thread-reads.ts). */
  readInOrder?(ranges: ReadonlyArray<readonly [number, number]>, into: Uint8Array): ThreadRead;
  /** What a read in flight is waiting for (a server's answer), or null: named when a time bound runs out. */
  waiting?(): string | null;
  /** The file's first bytes when opening the source brought them (HttpSource), once; see {@link heldReads}. */
  takeStart?(): Uint8Array | null;
}

export interface ReadOptions {
  /**
   * Put every range's bytes in one SharedArrayBuffer (each result a view into it), so they can be
   * handed to other threads without a copy (see inflate-pool.ts).
   */
  shared?: boolean;
  /**
   * Put the ranges' bytes one after another in this memory (it must have room for all of them),
   * each result a view of it: memory the caller reuses from read to read (see read-memory.ts).
   * Takes the place of `shared` (pass shared memory for that).
   */
  into?: Uint8Array;
  /**
   * Ends this read's requests when it aborts (a time bound run out: see file.ts's guard, another
   * part of a tree read failed: see tree.ts); the read then rejects with RootIOError. A local
   * file's read starts no further pread then (one under way finishes).
   */
  signal?: AbortSignal;
}

/** The memory for all `ranges` (`into`, or new shared memory), with each range's view into it; null when neither is asked. */
function rangeViews(ranges: ReadonlyArray<readonly [number, number]>, opts: ReadOptions | undefined): Uint8Array[] | null {
  if (!opts?.shared && !opts?.into) return null;
  let total = 0;
  for (const r of ranges) total += r[1];
  const all = opts.into ?? new Uint8Array(new SharedArrayBuffer(total));
  if (all.length < total) throw new RangeError(`read: ${all.length} bytes of room for ${total}`);
  const views: Uint8Array[] = [];
  let at = 0;
  for (const r of ranges) {
    views.push(all.subarray(at, at + r[1]));
    at += r[1];
  }
  return views;
}

/**
 * Runs `[a, z)` of ranges that follow each other both in the file and in their `views` (each
 * range's end is the next one's start), covering every range in order.
 */
function adjacentRuns(ranges: ReadonlyArray<readonly [number, number]>, views: Uint8Array[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let a = 0;
  for (let i = 1; i <= ranges.length; i++) {
    const joined = i < ranges.length && ranges[i - 1]![0] + ranges[i - 1]![1] === ranges[i]![0] &&
      views[i - 1]!.buffer === views[i]!.buffer && views[i - 1]!.byteOffset + views[i - 1]!.length === views[i]!.byteOffset;
    if (joined) continue;
    runs.push([a, i]);
    a = i;
  }
  return runs;
}

/** Bytes of ranges `[a, z)` of a run. */
function spanOf(ranges: ReadonlyArray<readonly [number, number]>, a: number, z: number): number {
  return ranges[z - 1]![0] + ranges[z - 1]![1] - ranges[a]![0];
}

/** The memory of views `[a, z)` of a run, as one view. */
function spanView(views: Uint8Array[], a: number, z: number): Uint8Array {
  const first = views[a]!;
  const last = views[z - 1]!;
  return new Uint8Array(first.buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset);
}

function checkRange(path: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RootFormatError(path, offset, `invalid byte range (offset ${offset}, length ${length})`);
  }
  if (offset + length > size) {
    throw new RootFormatError(path, offset, `points past the end of the file: needs ${length} bytes at ${offset}, the file has ${size}`);
  }
}

/** A local file read with positional reads. */
export class LocalSource implements ByteSource {
  /** Only on the main thread: a worker thread reads with blocking preads (see read()). */
  readonly readsBeside = isMainThread;
  /** Reads by the reading thread not yet finished: close() waits for them (they read this descriptor). */
  private readonly inOrder = new Set<Promise<void>>();

  private constructor(readonly path: string, readonly size: number, private readonly fh: FileHandle) {}

  static async open(path: string): Promise<LocalSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new RootIOError(path, e.code === 'ENOENT' || e.code === 'ENOTDIR' ? await noSuchFile(path) : `cannot open: ${e.message}`);
    }
    const st = await fh.stat();
    // open() succeeds on a directory on Linux; its first read would fail with a bare EISDIR.
    if (!st.isFile()) {
      await fh.close();
      throw new RootIOError(path, st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
    }
    return new LocalSource(path, st.size, fh);
  }

  async read(ranges: ReadonlyArray<readonly [number, number]>, opts?: ReadOptions): Promise<Uint8Array[]> {
    for (const [off, len] of ranges) checkRange(this.path, this.size, off, len);
    const into = rangeViews(ranges, opts);
    // In a worker thread nothing else waits on this event loop, and a chunk's hundred-odd basket
    // reads cost less as plain preads than as thread-pool jobs competing with the task for the
    // cores (bench/h4l: 2 workers 0.54 -> 0.50 s). The main thread keeps non-blocking reads.
    // Ranges next to each other in the file whose memory is next to each other too (a read's
    // baskets in file order: ROOT writes a cluster's baskets one after another) are read as one:
    // bench/rootio.ts's 7 branches are 140 baskets in 20 such runs.
    const runs = into ? adjacentRuns(ranges, into) : null;
    if (!isMainThread) {
      if (runs) {
        for (const [a, z] of runs) this.readBlocking(ranges[a]![0], spanOf(ranges, a, z), spanView(into!, a, z));
        return into!;
      }
      // A loop, not .map(): see TreeReader.arrays, into which this is inlined.
      const out: Uint8Array[] = [];
      for (let i = 0; i < ranges.length; i++) out.push(this.readBlocking(ranges[i]![0], ranges[i]![1], into?.[i]));
      return out;
    }
    const ending = { stop: false, signal: opts?.signal };
    const all = runs ? runs.map(([a, z]) => this.readAsync(ranges[a]![0], spanOf(ranges, a, z), spanView(into!, a, z), ending))
      : ranges.map(([offset, length], i) => this.readAsync(offset, length, into?.[i], ending));
    try {
      const got = await Promise.all(all);
      return runs ? into! : got;
    } catch (err) {
      // The others start no further pread, and the read rejects once none is under way.
      ending.stop = true;
      await Promise.allSettled(all);
      throw err;
    }
  }

  canReadInOrder(): boolean {
    return isMainThread && readThreadReady();
  }

  readInOrder(ranges: ReadonlyArray<readonly [number, number]>, into: Uint8Array): ThreadRead {
    for (const [off, len] of ranges) checkRange(this.path, this.size, off, len);
    const read = new ThreadRead(this.path, this.fh.fd, ranges, into);
    this.inOrder.add(read.finished);
    void read.finished.then(() => this.inOrder.delete(read.finished));
    return read;
  }

  /** One range read with non-blocking reads (libuv's thread pool), each pread only while `ending` has not stopped the read. */
  private async readAsync(offset: number, length: number, into: Uint8Array | undefined, ending: { stop: boolean; signal: AbortSignal | undefined }): Promise<Uint8Array> {
    const buf = this.destination(offset, length, into);
    let done = 0;
    while (done < length) {
      if (ending.stop || ending.signal?.aborted) throw new RootIOError(this.path, `the read of ${length} bytes at ${offset} was stopped`);
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      done = this.advance(offset, done, bytesRead);
    }
    return buf;
  }

  /** One range read with blocking preads. */
  private readBlocking(offset: number, length: number, into: Uint8Array | undefined): Uint8Array {
    const buf = this.destination(offset, length, into);
    let done = 0;
    while (done < length) done = this.advance(offset, done, readSync(this.fh.fd, buf, done, length - done, offset + done));
    return buf;
  }

  /** Where a range's bytes go (its range checked by the caller). */
  private destination(offset: number, length: number, into: Uint8Array | undefined): Uint8Array {
    // Not zero-filled: the read loop fills every byte or throws (zeroing cost ~4% of a read's CPU).
    // A plain Uint8Array over it: Buffer's slice() would be a view, not the copy callers expect.
    return into ?? new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
  }

  private advance(offset: number, done: number, bytesRead: number): number {
    if (bytesRead === 0) throw new RootFormatError(this.path, offset + done, 'the file ended early (truncated while open?)');
    return done + bytesRead;
  }

  async close(): Promise<void> {
    // The reading thread must be done with the descriptor before it is closed (and its number reused).
    if (this.inOrder.size) await Promise.all(this.inOrder);
    return this.fh.close();
  }
}

export interface HttpOptions {
  /** Attempts per request on network errors and 5xx answers. Default 4. */
  retries?: number;
  /** First backoff, doubled each attempt. Default 100 ms. */
  backoffMs?: number;
  /** Ranges closer than this are fetched in one request. Default 64 KiB. */
  coalesceGap?: number;
  /**
   * Sent with every request (`Authorization`, …). Checked when the file is opened: names are HTTP
   * tokens, values strings of latin-1 characters without CR, LF or NUL, and no `Range` (rootio sets
   * it); a bad one is a TypeError naming the header, its value never shown.
   */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * @internal For tests and benchmarks: how long the end of a body without Content-Length (a chunked
 * one's end marker) is waited for once the bytes asked are in, in the background (the read does not
 * wait for it), and how many such ends were taken in (the connection kept for the next request) or
 * let go (not there within `waitMs`, more bytes came, or the file was closed: the connection dropped).
 */
export const bodyEnds = { waitMs: 1000, read: 0, dropped: 0 };

/** What outlives a request: the source's close, and the body ends still awaited (see {@link bodyEnds}). */
interface Tail {
  closing: AbortSignal;
  pending: Set<Promise<void>>;
}

/** A file over HTTP(S) read with Range requests. */
export class HttpSource implements ByteSource {
  /** The requests in flight: their range and when they were first asked (see {@link waiting}). */
  private readonly inFlight = new Set<InFlight>();

  private constructor(readonly path: string, readonly size: number, private readonly opts: Required<Omit<HttpOptions, 'headers'>> & { headers: Record<string, string> },
                      /** Aborted by {@link close}: ends every request in flight, every wait between attempts and every body end awaited. */
                      private readonly closing: AbortController, private readonly tail: Tail,
                      /** The file's first bytes, which the opening request brought (see {@link takeStart}). */
                      private start: Uint8Array | null) {}

  /**
   * The file's first bytes (up to {@link START_BYTES}), which the opening request brought, once:
   * the open reads its header and top directory from them rather than asking the server again
   * (file.ts). Not kept after: a later read asks the server, which says if the file changed.
   */
  takeStart(): Uint8Array | null {
    const start = this.start;
    this.start = null;
    return start;
  }

  /** @internal For tests: settles once no body end is awaited any more (see {@link bodyEnds}). */
  async bodyEndsSettled(): Promise<void> {
    while (this.tail.pending.size) await Promise.all(this.tail.pending);
  }

  /** Opens `url`; `signal` ends the opening request (openRootFile's metadataTimeoutMs). */
  static async open(url: string, opts: HttpOptions = {}, signal?: AbortSignal): Promise<HttpSource> {
    const o = { retries: 4, backoffMs: 100, coalesceGap: 64 * 1024, timeoutMs: 30_000, headers: {}, ...opts };
    // Once, here: fetch would refuse a bad header, or a URL that does not parse, on every attempt,
    // each retried as transient.
    checkHeaders(`HttpSource.open(${url})`, o.headers);
    try {
      new URL(url);
    } catch (err) {
      throw new RootIOError(url, `not a valid URL (${(err as Error).message})`);
    }
    const closing = new AbortController();
    // One listener per read in flight, removed when it ends (abort.ts): many at once are no leak.
    setMaxListeners(0, closing.signal);
    const tail: Tail = { closing: closing.signal, pending: new Set() };
    // The file's first bytes: the answer tells the size and whether the server honours ranges, and
    // holds the header and top directory the open reads next. It was a one-byte range, then the
    // open asked bytes 0-7 and 0-127: three round trips for the same bytes.
    let res: Answer;
    try {
      res = await request(url, o.headers, o, 0, START_BYTES, signal, tail, null);
    } catch (err) {
      closing.abort();
      throw err;
    }
    // Not opened: a body end still awaited is let go.
    if (res.status !== 206 || res.total === null || !Number.isSafeInteger(res.total)) closing.abort();
    if (res.status === 200) throw new RootIOError(url, wholeAnswer(res));
    if (res.status !== 206) throw new RootIOError(url, `HTTP ${res.status} ${res.statusText}`);
    if (res.total === null) throw new RootIOError(url, 'the server did not say the file size (no Content-Range total)');
    // Offsets past 2^53 - 1 are not exact as numbers: every read would be of rounded offsets.
    if (!Number.isSafeInteger(res.total)) {
      throw new RootIOError(url, `the server's Content-Range "${res.contentRange}" gives a file size beyond ${Number.MAX_SAFE_INTEGER} bytes (2^53 - 1, the largest offset read exactly): a wrong answer of the server or a proxy before it`);
    }
    return new HttpSource(url, res.total, o, closing, tail, res.body);
  }

  async read(ranges: ReadonlyArray<readonly [number, number]>, opts?: ReadOptions): Promise<Uint8Array[]> {
    for (const [off, len] of ranges) checkRange(this.path, this.size, off, len);
    const into = rangeViews(ranges, opts);
    // Coalesce nearby ranges: fewer round trips, a little extra data.
    const order = ranges.map((r, i) => i).sort((a, b) => ranges[a]![0] - ranges[b]![0]);
    const groups: Array<{ start: number; end: number; members: number[] }> = [];
    for (const i of order) {
      const [off, len] = ranges[i]!;
      const g = groups.at(-1);
      if (g && off <= g.end + this.opts.coalesceGap) {
        g.end = Math.max(g.end, off + len);
        g.members.push(i);
      } else groups.push({ start: off, end: off + len, members: [i] });
    }
    const out: Uint8Array[] = new Array(ranges.length);
    // This read's requests end when the file is closed, the caller's signal aborts, or one of
    // them fails: the caller has its error then, and the others would go on (and hold their
    // connections) for as long as their server lets them.
    const failed = new AbortController();
    const ending = linkSignals([this.closing.signal, opts?.signal, failed.signal]);
    const all = groups.map((g) => this.readGroup(g, ranges, into, out, ending.signal));
    try {
      await Promise.all(all);
    } catch (err) {
      failed.abort();
      // Rejected once they have ended: no request of the read runs after the caller has its error.
      await Promise.allSettled(all);
      throw err;
    } finally {
      ending.release();
    }
    return out;
  }

  /** Reads one group of coalesced ranges with one request, each range's bytes into `out`. */
  private async readGroup(g: { start: number; end: number; members: number[] }, ranges: ReadonlyArray<readonly [number, number]>,
                          into: Uint8Array[] | null, out: Uint8Array[], signal: AbortSignal): Promise<void> {
    if (g.end === g.start) {
      for (const i of g.members) out[i] = new Uint8Array(0);
      return;
    }
    const asked: InFlight = { from: g.start, to: g.end - 1, since: Date.now() };
    this.inFlight.add(asked);
    let res: Answer;
    try {
      res = await request(this.path, this.opts.headers, this.opts, g.start, g.end - g.start, signal, this.tail, this.size);
    } finally {
      this.inFlight.delete(asked);
    }
    if (res.status === 200) throw new RootIOError(this.path, 'the server stopped honouring HTTP Range requests (answered 200)');
    if (res.status !== 206) throw new RootIOError(this.path, `HTTP ${res.status} ${res.statusText} for bytes ${g.start}-${g.end - 1}`);
    for (const i of g.members) {
      const [off, len] = ranges[i]!;
      const bytes = res.body.subarray(off - g.start, off - g.start + len);
      // Over the network the copy costs nothing next to the transfer.
      if (into) into[i]!.set(bytes);
      out[i] = into ? into[i]! : bytes;
    }
  }

  /**
   * What the source is waiting for, or null when no request is in flight: the request asked
   * longest ago, which openRootFile names when metadataTimeoutMs runs out (the server, not the file).
   */
  waiting(now = Date.now()): string | null {
    let oldest: InFlight | null = null;
    for (const r of this.inFlight) if (!oldest || r.since < oldest.since) oldest = r;
    if (!oldest) return null;
    const more = this.inFlight.size > 1 ? ` (and ${this.inFlight.size - 1} more ${this.inFlight.size === 2 ? 'request' : 'requests'})` : '';
    return `the server had not answered bytes ${oldest.from}-${oldest.to}, asked ${now - oldest.since} ms before${more}`;
  }

  /** Ends every request in flight and every wait before a retry: each rejects with RootIOError. */
  async close(): Promise<void> {
    this.closing.abort();
    // The body ends awaited are let go of too (their connections dropped) before close settles.
    await this.bodyEndsSettled();
  }
}

/** A request in flight: its bytes `[from, to]` and when it was first asked. */
interface InFlight {
  from: number;
  to: number;
  since: number;
}

/** A finished HTTP exchange: the answer, its whole body and (206) the file size its Content-Range gave. */
interface Answer {
  status: number;
  statusText: string;
  body: Uint8Array;
  total: number | null;
  /** The Content-Range header as sent (206), for errors about it. */
  contentRange: string | null;
  /** Content-Length and Content-Type of another answer than 206, unread, for errors about it. */
  length?: number | null;
  type?: string | null;
}

/**
 * Why a 200 answer to the opening range request cannot be read: a server that ignores ranges
 * sends the whole file; a web page (a login or error page, as a single sign-on front end sends)
 * is not the file at all, which "ignores HTTP Range requests … the whole file" hid.
 */
function wholeAnswer(res: Answer): string {
  const type = res.type?.split(';')[0]?.trim().toLowerCase() || null;
  const size = res.length == null ? null : `${res.length} bytes`;
  const body = size && type ? `${size} of ${type}` : size ?? (type ? `a body of ${type}` : 'a body of unknown length and type');
  if (type === 'text/html' || type === 'application/xhtml+xml' || (res.length != null && res.length < 64)) {
    return `the server answered 200 with ${body} to a range request, not the file's bytes: ` +
      'a web page or message (a login or error page?), not a ROOT file; check the URL and any credentials';
  }
  return `the server ignores HTTP Range requests (answered 200 with the whole file, ${body}, to a range request); ` +
    'ROOT files are read in pieces, so use a server that supports ranges';
}

/**
 * How much of the file's start the opening request asks for: the header (file.ts reads 128 bytes)
 * and the top directory after the TFile key (at fBEGIN + fNbytesName, ~200-400 bytes in), with room
 * for long file names and titles. A few KiB cost no round trip of their own.
 */
export const START_BYTES = 4096;

/** Longest wait a server's Retry-After is honoured for; beyond it the wait is capped here. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * One Range request for bytes `[start, start + length)` with its whole body, retried on what is
 * transient: network errors, no answer in time, 5xx, 429 (after the server's Retry-After), a
 * connection dropped during the body, a body not of the bytes asked for (another range in its
 * Content-Range, a short or long body). Every failure ends in RootIOError saying what went wrong;
 * `signal` (the source closed, the open timed out) ends it at once. A body is never taken beyond
 * the length asked for, so a server sending more costs no more memory. A 200 answer to a range
 * request is returned without reading its body (it would be the whole file). `opened` is the
 * file's size when it was opened (null for the opening request): an answer giving another size
 * (a 206's Content-Range total, a 416 to a range inside that size) is the file changed on the
 * server, said at once (no attempt can read the file as it was).
 */
async function request(url: string, headers: Record<string, string>, o: { retries: number; backoffMs: number; timeoutMs: number },
                       start: number, length: number, signal: AbortSignal | undefined, tail: Tail, opened: number | null): Promise<Answer> {
  const range = `bytes=${start}-${start + length - 1}`;
  const stopped = () => new RootIOError(url, `the read of ${range} was stopped: the file was closed or a time bound (metadataTimeoutMs) ran out`);
  let last = '';
  let wait = 0;
  for (let attempt = 0; attempt < o.retries; attempt++) {
    if (attempt > 0) await sleep(wait, signal);
    if (signal?.aborted) throw stopped();
    wait = o.backoffMs * 2 ** attempt;
    // The attempt's own signal, ended by `signal` or by its time-out (answer and body alike), and
    // untied from `signal` when the attempt is over, whichever way it ends (abort.ts).
    const attemptSignal = linkSignals([signal], o.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers: { ...headers, range }, signal: attemptSignal.signal });
      } catch (err) {
        if (signal?.aborted) throw stopped();
        const why = transportFailure(err, o.timeoutMs, range);
        if (why.permanent) throw new RootIOError(url, why.text);
        last = why.text;
        continue;
      }
      const { status, statusText } = res;
      if (status >= 500 || status === 429) {
        last = `HTTP ${status} ${statusText}`;
        wait = Math.max(wait, retryAfterMs(res.headers.get('retry-after')) ?? 0);
        await res.body?.cancel().catch(() => {});
        continue;
      }
      if (status === 416 && opened !== null) {
        await res.body?.cancel().catch(() => {});
        // RFC 9110: a 416 carries the current size as "bytes */N".
        const now = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(res.headers.get('content-range') ?? '');
        throw new RootIOError(url, changedSize(opened, now ? Number(now[1]) : null, start, range, 'answered 416 Range Not Satisfiable'));
      }
      if (status !== 206) {
        await res.body?.cancel().catch(() => {});
        const length = res.headers.get('content-length');
        return { status, statusText, body: new Uint8Array(0), total: null, contentRange: null,
          length: length !== null && /^\d+$/.test(length) ? Number(length) : null, type: res.headers.get('content-type') };
      }
      const answered = contentRange(res.headers.get('content-range'));
      if (opened === null && (answered?.total == null || !Number.isSafeInteger(answered.total))) {
        // The opening request: no size, or one no offset can be read exactly in, is said by
        // HttpSource.open whatever the body, which is not read.
        await res.body?.cancel().catch(() => {});
        return { status, statusText, body: new Uint8Array(0), total: answered?.total ?? null, contentRange: res.headers.get('content-range') };
      }
      if (opened !== null && answered?.total != null && answered.total !== opened) {
        await res.body?.cancel().catch(() => {});
        throw new RootIOError(url, changedSize(opened, answered.total, start, range, `answered with Content-Range "${res.headers.get('content-range')}"`));
      }
      // The opening request's range may end early, from its start on: a file shorter than asked
      // (the server ends the range at the file's end, RFC 9110), or a server that sends less.
      const got = opened === null && answered && answered.from === start && answered.to < start + length - 1 && answered.to < answered.total!
        ? answered.to - start + 1 : length;
      if (answered && (answered.from !== start || answered.to !== start + got - 1)) {
        // Another range than asked (a proxy's cache, a server that clamps or ignores the start):
        // its bytes would be read as the ones asked for, so the file would be blamed.
        last = `the server answered bytes ${answered.from}-${answered.to} to a request for ${range.slice(6)}`;
        await res.body?.cancel().catch(() => {});
        continue;
      }
      let body: Uint8Array | string;
      try {
        body = await bodyOf(res, got, range, tail);
      } catch (err) {
        if (signal?.aborted) throw stopped();
        const why = transportFailure(err, o.timeoutMs);
        // Each names the range, as every other failure of a body does (the time-out named none).
        last = (err as Error)?.name === 'TimeoutError' ? `the response body of ${range} was not complete within ${o.timeoutMs} ms` : `the connection dropped during the response body of ${range} (${why.text})`;
        continue;
      }
      if (typeof body === 'string') {
        last = body;
        continue;
      }
      return { status, statusText, body, total: answered?.total ?? null, contentRange: res.headers.get('content-range') };
    } finally {
      attemptSignal.release();
    }
  }
  throw new RootIOError(url, `${last} (after ${o.retries} ${o.retries === 1 ? 'attempt' : 'attempts'})`);
}

/**
 * Why a read of a file that changed on the server since it was opened fails: its size then and
 * now (`now` null when the server said only that the range is past its end), and the range asked
 * (`range`, starting at byte `start`).
 * Its offsets come from the file as it was, so it must be opened again.
 */
function changedSize(opened: number, now: number | null, start: number, range: string, said: string): string {
  const sizes = now === null
    ? `${opened} bytes when opened, and ${range.slice(6)} is now past its end`
    : `${opened} bytes when opened, ${now} now${start >= now ? ` (${range.slice(6)} is past the new end)` : ''}`;
  return `the file changed size on the server since it was opened: ${sizes} (the server ${said} to ${range}); ` +
    'open it again to read it as it is now';
}

/** `bytes a-b/total` (total `*` when unknown), or null when absent or unreadable. */
function contentRange(v: string | null): { from: number; to: number; total: number | null } | null {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(v ?? '');
  return m ? { from: Number(m[1]), to: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) } : null;
}

/**
 * The body of a 206 answer of `length` bytes, read into memory of that size and never beyond it,
 * and complete once those bytes are in (whatever the server does after); a string saying what is
 * wrong when the server announces or sends another number of bytes (more than asked: as soon as
 * they come with the bytes asked for).
 */
async function bodyOf(res: Response, length: number, range: string, tail: Tail): Promise<Uint8Array | string> {
  const declared = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
  // A Content-Length counts the encoded bytes, which fetch decodes: only an unencoded one is the body's.
  if (declared !== null && !encoded && Number(declared) !== length) {
    await res.body?.cancel().catch(() => {});
    return `the server announced ${declared} bytes for the ${length} asked (${range})`;
  }
  const out = new Uint8Array(length);
  let at = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > length) {
        await reader.cancel().catch(() => {});
        return `the server sent more than the ${length} bytes asked for (${range})`;
      }
      out.set(value, at);
      at += value.length;
      // Every byte asked is in: the answer is complete. Without a Content-Length (chunked, or
      // ended by closing the connection) its end is what the server says next, which a server may
      // put off while it holds the connection: each attempt then waited its whole time-out and
      // failed. So the read does not wait for it; it is awaited in the background (awaitBodyEnd).
      if (at === length) {
        if (declared === null) awaitBodyEnd(reader, tail);
        else await reader.cancel().catch(() => {});
        break;
      }
    }
  }
  return at === length ? out : `short read: asked for ${length} bytes (${range}), got ${at}`;
}

/**
 * Takes in the end of a body whose bytes are all in, when it is there already or comes within
 * `bodyEnds.waitMs`, in the background: a chunked body's end marker may come in a packet after
 * the last bytes, and a body not read to its end costs its connection (cancelled, undici drops
 * the socket; each read over HTTP then opened a new one). Let go of when it does not come in
 * that time (a server holding the connection), when more bytes come instead, or when the source
 * is closed.
 */
function awaitBodyEnd(reader: ReadableStreamDefaultReader<Uint8Array>, tail: Tail): void {
  let stop!: () => void;
  const stopped = new Promise<null>((resolve) => (stop = () => resolve(null)));
  if (tail.closing.aborted) stop();
  else tail.closing.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, bodyEnds.waitMs);
  // A held connection does not keep the process alive.
  timer.unref();
  const end: Promise<void> = Promise.race([reader.read().catch(() => null), stopped]).then(async (next) => {
    clearTimeout(timer);
    tail.closing.removeEventListener('abort', stop);
    if (next?.done) {
      bodyEnds.read++;
    } else {
      bodyEnds.dropped++;
      await reader.cancel().catch(() => {});
    }
    tail.pending.delete(end);
  });
  tail.pending.add(end);
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const end = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', end);
      done();
    };
    const timer = setTimeout(end, ms);
    signal?.addEventListener('abort', end, { once: true });
  });
}

/** Retry-After as seconds or an HTTP date, in ms (capped), or null when absent or unreadable. */
export function retryAfterMs(v: string | null, now = Date.now()): number | null {
  if (!v) return null;
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}

/**
 * Names why a request failed: DNS, refused, reset, TLS, time-out, … from undici's error and its
 * cause; `permanent` when trying again cannot help (a port fetch refuses to connect to).
 * `unanswered`: the range of a request whose fetch itself failed, so no answer's head had arrived.
 * A connection closed then is said to be closed before any answer to it: a server that writes its head and part of a body and
 * destroys the socket in the same tick (Node's server sends what it wrote on the next tick) sends
 * nothing, which "the connection closed" left to be taken for a drop of the answer.
 */
function transportFailure(err: unknown, timeoutMs: number, unanswered?: string): { text: string; permanent: boolean } {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { text: `no answer${unanswered ? ` to ${unanswered}` : ''} within ${timeoutMs} ms`, permanent: false };
  const code = e?.cause?.code ?? (e as { code?: string })?.code;
  // OpenSSL's messages end in a line feed, which the error printed as "\\n" before "(after N attempts)".
  const detail = (e?.cause?.message ?? e?.message ?? String(err)).trim();
  if (!code && detail === 'bad port') {
    return { text: 'fetch refuses to connect to this port (a port the Fetch standard blocks, such as 1, 6000 or 10080): serve the file on another port', permanent: true };
  }
  const what: Record<string, string> = {
    ENOTFOUND: 'host not found (DNS)', EAI_AGAIN: 'host name lookup failed (DNS)', ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable', ETIMEDOUT: 'connection timed out',
    UND_ERR_SOCKET: unanswered ? `the connection closed before any answer to ${unanswered}` : 'the connection closed', UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  };
  if (code && what[code]) return { text: `${what[code]} (${detail})`, permanent: false };
  if (code && /CERT|SSL|TLS/i.test(code)) {
    // What OpenSSL says when the server answers a TLS hello in plain HTTP: an https:// URL for an http:// server.
    const plain = /wrong version number/i.test(detail) ? ' (the server did not answer in TLS: is it an http:// server?)' : '';
    return { text: `TLS: ${detail}${plain}`, permanent: false };
  }
  return { text: code ? `${code}: ${detail}` : detail, permanent: false };
}

/** Why a local path that does not exist is missing: which part, and the names near it. */
async function noSuchFile(path: string): Promise<string> {
  const full = resolve(path);
  return missingPathReason(full, await existingAncestor(full).catch(() => null));
}

/**
 * `source` with every read ended when `signal` aborts (a metadata step's time bound: file.ts's
 * guard); its other members are the source's. Not to be kept beyond the step: once `signal` has
 * aborted, every read through it is refused.
 */
export function readsEndedBy(source: ByteSource, signal: AbortSignal): ByteSource {
  return {
    path: source.path,
    size: source.size,
    read: (ranges, opts) => source.read(ranges, { ...opts, signal }),
    close: () => source.close(),
    waiting: () => source.waiting?.() ?? null,
  };
}

/**
 * The reads of a file's open: a range inside bytes it read before is served from them, not asked
 * again. Its metadata is small, and over HTTP each request is a round trip: the file's start comes
 * with the opening request (`start`), and the StreamerInfo record with the list of keys, and the
 * record is read twice (its key, then the key's payload). Until 2026-12-08 an open over HTTP asked
 * the start three times and the record twice, 7 requests one after the other. Not to be kept
 * beyond the open: it holds every byte it read.
 */
export function heldReads(source: ByteSource, start: Uint8Array | null): ByteSource {
  const held: Array<{ at: number; bytes: Uint8Array }> = start?.length ? [{ at: 0, bytes: start }] : [];
  const holding = (off: number, len: number) => held.find((h) => off >= h.at && off + len <= h.at + h.bytes.length);
  return {
    path: source.path,
    size: source.size,
    close: () => source.close(),
    waiting: () => source.waiting?.() ?? null,
    async read(ranges, opts) {
      // Memory the caller gives (or shared memory) is filled by the source.
      if (opts?.into || opts?.shared) return source.read(ranges, opts);
      const out: Uint8Array[] = new Array(ranges.length);
      const ask: number[] = [];
      for (let i = 0; i < ranges.length; i++) {
        const [off, len] = ranges[i]!;
        const h = holding(off, len);
        if (h) out[i] = h.bytes.slice(off - h.at, off - h.at + len);
        else ask.push(i);
      }
      if (ask.length) {
        const got = await source.read(ask.map((i) => ranges[i]!), opts);
        ask.forEach((i, k) => {
          out[i] = got[k]!;
          held.push({ at: ranges[i]![0], bytes: got[k]! });
        });
      }
      return out;
    },
  };
}

/** Opens a local path, a `file:` URL (a relative one, `file:data/x.root`, from the working directory) or an http(s) URL. */
export async function openSource(pathOrUrl: string, http: HttpOptions = {}, signal?: AbortSignal): Promise<ByteSource> {
  if (/^https?:\/\//i.test(pathOrUrl)) return HttpSource.open(pathOrUrl, http, signal);
  // Decoded (`%20` is a space, which `URL.pathname` leaves encoded); a relative one from the working directory.
  const p = isFileUrl(pathOrUrl) ? fileUrlPath(pathOrUrl, `openSource(${pathOrUrl})`) : pathOrUrl;
  const missing = await stat(p).then(() => false, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return true;
    throw new RootIOError(p, `cannot open: ${err.message}`);
  });
  if (missing) throw new RootIOError(p, await noSuchFile(p));
  return LocalSource.open(p);
}
