import { treeProblem } from './meta/shape.js';
import { basketRef, loadedBasket, pendingEmbeddedBasket, pendingFileBasket, Scratch, type Basket, type BasketRef, type EmbeddedBasket, type FileBasket, type PendingBasket } from './basket.js';
import { InflateJob, type Payload } from './inflate-pool.js';
import { giveReadMemory, giveThreadReadMemory, KEEP_MAX_BYTES, takeReadMemory, takeThreadReadMemory } from './read-memory.js';
import { readThreadStats, type ThreadRead } from './thread-reads.js';
import { describeBranch, leafListLeaves, type BranchInfo, type JsBranch } from './branch.js';
import { baseClassBranches, tobjectBranches, unsplitObjectBranches } from './object-members.js';
import { objectFieldBranches } from './object-fields.js';
import { elementBaseBranches } from './element-bases.js';
import { inBranch, RootFormatError, UnsupportedBranchTypeError } from './errors.js';
import type { RootFile } from './file.js';
import { columnSizes, decode, guessedColumnSizes, sharesOffsets } from './decode.js';
import { ReadOffsets } from './shared-offsets.js';
import { Prefaulter, prefaultStats, type Prefault } from './column-prefault.js';
import { ColumnMemory } from './column-memory.js';
import type { Counts } from './counted-walk.js';
import { EntryError } from './stl.js';
import { ELEMENT_SIZE, type Column, type ElementType } from './types.js';
import { nearNames } from './near-names.js';
import { entryRange } from './entry-range.js';
import { ARRAYS_OPTIONS, checkNames, checkOptions, ITERATE_OPTIONS, checkReadValues, showArg } from './read-args.js';

export interface RangeOptions {
  entryStart?: number;
  entryStop?: number;
}

/** Options of `arrays()`. */
export interface ArraysOptions extends RangeOptions {
  /**
   * Columns of an earlier read that the caller is done with: the read writes numeric columns into
   * their memory where it has room (the result's arrays are then views of it), instead of fresh
   * memory, which the kernel must fault in page by page (see column-memory.ts). The given columns
   * are overwritten: nothing may use them after the call.
   */
  into?: Record<string, Column>;
}

/** Options of `iterate()`. */
export interface IterateOptions extends RangeOptions {
  /** Entries per batch (100,000 by default). */
  step?: number;
  /**
   * Each batch is written into the memory of the batch before it (`arrays()`'s `into`): a batch's
   * columns are valid only until the next batch is asked for.
   */
  reuse?: boolean;
}

export interface Batch {
  entryStart: number;
  entryStop: number;
  columns: Record<string, Column>;
}

type JsTree = { fEntries: number; fBranches: { arr: Array<JsBranch & BranchMeta> } };
export type BranchMeta = {
  fWriteBasket: number;
  fMaxBaskets: number;
  fBasketBytes: number[];
  fBasketEntry: number[];
  fBasketSeek: number[];
  fBaskets: { arr: Array<EmbeddedBasket | null> };
};

/**
 * A 1-thread read from a local file reads its first branches' baskets one branch at a time, until
 * those hold 1/OWN_READS of its bytes, and the rest in one batched read. Decoding them then
 * outlasts reading the rest (inflating takes ~0.3 GB/s of compressed bytes, the page-cache copy
 * ~4.5 GB/s on libuv's pool), and the rest takes fewer requests: a branch's baskets lie one per
 * cluster, so each is a pread of its own, where a cluster's baskets of every branch are one
 * (bench/rootio.ts's 7 branches: 140 requests, 45 ms CPU, against 20, 39 ms).
 */
const OWN_READS = 8;

interface BranchState {
  info: BranchInfo;
  refs: BasketRef[];
  hasOffsets: boolean;
  /** The most recently decoded basket: consecutive ranges often share one. */
  cached: { index: number; basket: Basket } | null;
}

/**
 * Reads a TTree column by column: for an entry range it fetches only the baskets that overlap
 * it (in one batched read), decompresses them, and decodes straight into typed arrays.
 */
export class TreeReader {
  readonly numEntries: number;
  readonly branches: BranchInfo[];
  private readonly state = new Map<string, BranchState>();
  private readonly aliases = new Map<string, string>();
  /** Split objects' and split collections' elements' base-class branches listed with their members (baseClassBranches, elementBaseBranches): the branch, then its members. */
  private readonly baseClasses: BranchInfo[][] = [];
  /** Baskets read from the file so far (for tests and benchmarks). */
  basketReads = 0;

  private constructor(private readonly file: RootFile, readonly name: string, tree: JsTree) {
    this.numEntries = Number(tree.fEntries);
    // Every branch at any depth, named by its path below a split object (`evt/P3.Px`, as uproot
    // names them; a parent whose name the child already starts with, `P3.`, is not repeated); a
    // leaf's counter found by the leaf object itself (references keep identity).
    const all: Array<{ b: JsBranch & BranchMeta; name: string; path: string }> = [];
    const leafOwner = new Map<unknown, string>();
    const walk = (bs: Array<JsBranch & BranchMeta>, parent: { b: JsBranch; name: string; path: string } | null) => {
      for (const b of bs) {
        let name = b.fName;
        if (parent) {
          const cut = b.fName.startsWith(`${parent.b.fName}.`) ? parent.name.lastIndexOf('/') : parent.name.length;
          name = cut < 0 ? b.fName : `${parent.name.slice(0, cut)}/${b.fName}`;
        }
        // uproot's key: every branch name from the top one, the parent repeated (`evt/P3/P3.Px`).
        const path = parent ? `${parent.path}/${b.fName}` : b.fName;
        all.push({ b, name, path });
        for (const leaf of b.fLeaves?.arr ?? []) leafOwner.set(leaf, name);
        // Sub-branches of a plain TBranch keep their own names, as before.
        if (b.fBranches.arr.length) walk(b.fBranches.arr as Array<JsBranch & BranchMeta>, b._typename === 'TBranch' && !parent ? null : { b, name, path });
      }
    };
    walk(tree.fBranches.arr, null);
    const infos: BranchInfo[] = [];
    const memberOf = (cls: string, version: number, member: string) => file.memberOf(cls, version, member);
    for (const { b, name } of all) {
      const described = describeBranch(b, name, (leaf) => leafOwner.get(leaf) ?? null, memberOf);
      // A leaf list's leaves, and an unsplit object's members (the object itself first), each read from the branch's baskets.
      const leaves = described.kind === 'unsupported' ? leafListLeaves(b, name) : null;
      const base = described.kind === 'unsupported' && !leaves ? baseClassBranches(b, name, file.layouts)
        ?? elementBaseBranches(b, name, file.layouts, b.fLeaves.arr[0]?.fLeafCount ? leafOwner.get(b.fLeaves.arr[0].fLeafCount) ?? null : null) : null;
      if (base && base.length > 1) this.baseClasses.push(base);
      const parts = described.kind !== 'unsupported' ? [described] : leaves ? [described, ...leaves]
        : objectFieldBranches(b, name, file.layouts, memberOf) ?? tobjectBranches(b, name, file.layouts) ?? base ?? unsplitObjectBranches(b, name, file.layouts) ?? [described];
      // The parts of one branch (an unsplit object's members) read its baskets: listed once for all.
      let refs: BasketRef[] | null = null;
      for (const info of parts) {
        infos.push(info);
        // Two branches of one name (it happens): listed both, read the first, as ROOT's FindBranch does.
        if (!this.state.has(info.name)) this.state.set(info.name, { info, refs: refs ??= basketRefs(file.path, b, this.numEntries), hasOffsets: b.fEntryOffsetLen > 0, cached: null });
      }
    }
    // A nested branch can also be asked for by its own name, where that is unambiguous.
    // Counted once: a filter per branch made opening a tree of thousands of branches quadratic.
    const byOwnName = new Map<string, number>();
    for (const { b } of all) byOwnName.set(b.fName, (byOwnName.get(b.fName) ?? 0) + 1);
    for (const { b, name } of all) {
      if (name !== b.fName && !this.state.has(b.fName) && byOwnName.get(b.fName) === 1) this.aliases.set(b.fName, name);
    }
    // And by uproot's path, where it differs (`evt/P3/P3.Px` for `evt/P3.Px`, `Evt/hits/hits.t`
    // for `Evt/hits.t`): uproot's tests and users name them so, and were told no such branch.
    for (const { name, path } of all) {
      if (path !== name && !this.state.has(path) && !this.aliases.has(path)) this.aliases.set(path, name);
    }
    // So can an unsplit object's member (`Primary.energy` for `Primary./Primary.energy`).
    const own = (n: string) => n.slice(n.lastIndexOf('/') + 1);
    const shorts = new Map<string, number>();
    for (const info of infos) if (info.member) shorts.set(own(info.name), (shorts.get(own(info.name)) ?? 0) + 1);
    for (const info of infos) {
      const short = own(info.name);
      if (info.member && shorts.get(short) === 1 && !this.state.has(short) && !this.aliases.has(short)) this.aliases.set(short, info.name);
    }
    this.branches = infos;
  }

  /** @internal */
  static fromObject(file: RootFile, name: string, obj: Record<string, unknown>, at = -1): TreeReader {
    const problem = treeProblem(obj);
    if (problem) throw new RootFormatError(file.path, at, `the TTree ${name} is damaged: ${problem}`);
    return new TreeReader(file, name, obj as unknown as JsTree);
  }

  /**
   * Checks each split object's base-class branch listed with its members against its first
   * entry, and lists it unsupported (its members not at all) when that entry is not laid out as
   * the file's StreamerInfo describes the base: a class with a streamer of its own writes what
   * it likes (KM3NeT's JDAQPreamble: its two ints, 8 bytes with no header, where the StreamerInfo
   * describes a byte count, a version, the ints and a TObject), and nothing in the metadata says
   * so. Baskets that do not decompress or parse still raise RootFormatError. @internal
   */
  async checkBaseClasses(): Promise<void> {
    if (this.numEntries === 0) return;
    for (const [top, ...members] of this.baseClasses) {
      const first = members.find((m) => m.kind !== 'unsupported');
      if (!first || this.state.get(first.name)?.info !== first) continue;
      try {
        await this.arrays([first.name], { entryStop: 1 });
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        if (!(err instanceof RootFormatError) || !(cause instanceof EntryError)) throw err;
        top!.typeName = `${top!.typeName.slice(0, top!.typeName.indexOf(' ('))} (written by a streamer of its own: its first entry is not laid out as the file's StreamerInfo describes: ${cause.message})`;
        for (const m of members) {
          this.branches.splice(this.branches.indexOf(m), 1);
          if (this.state.get(m.name)?.info === m) this.state.delete(m.name);
          for (const [alias, to] of this.aliases) if (to === m.name) this.aliases.delete(alias);
        }
      }
    }
  }

  /**
   * Entries where every branch starts a new basket (ROOT's clusters), ascending, from 0 to
   * `numEntries`. A range between two of them decompresses no basket that a neighbouring range
   * also needs, so parallel readers should split there.
   */
  clusterBoundaries(): number[] {
    let common: number[] | null = null;
    for (const s of this.state.values()) {
      if (s.refs.length === 0) continue;
      const starts = new Set(s.refs.map((r) => r.entryStart));
      common = common === null ? [...starts] : common.filter((e) => starts.has(e));
    }
    const out = (common ?? []).filter((e) => e > 0 && e < this.numEntries).sort((a, b) => a - b);
    return this.numEntries > 0 ? [0, ...out, this.numEntries] : [0];
  }

  /** `tree "mini" in /data/x.root`, for messages. */
  private describe(): string {
    return `tree "${this.name}" in ${this.file.path}`;
  }

  branch(name: string): BranchInfo {
    return this.branchState(name).info;
  }

  /** Reads branches for entries `[entryStart, entryStop)` (with `into`, into an earlier read's memory). */
  async arrays(names: string[], opts: ArraysOptions = {}): Promise<Record<string, Column>> {
    checkNames(`arrays() of ${this.describe()}`, names);
    checkOptions(`arrays() of ${this.describe()}`, opts, ARRAYS_OPTIONS);
    checkReadValues(`arrays() of ${this.describe()}`, opts, names);
    this.file.checkOpen(`arrays() of tree "${this.name}"`);
    const { start, stop } = entryRange(this.describe(), this.numEntries, opts);
    // Plain loops build the arrays here, not .map(): TurboFan's inlined map makes HOLEY arrays
    // where the interpreter makes PACKED ones, so this function's optimized code met arrays of a
    // kind its feedback never saw, deoptimized ("wrong map") and was recompiled (~50 ms of compiler
    // time) every few runs of a long-lived worker.
    const states: BranchState[] = [];
    for (const n of names) states.push(this.branchState(n));
    for (const s of states) if (s.info.kind === 'unsupported') throw new UnsupportedBranchTypeError(s.info.typeName, s.info.name);
    // The baskets to fetch, per branch (each branch once, in the order asked for).
    // Each branch's place in `order` by a map: order.includes and order.indexOf per branch made a
    // read of every branch of a wide tree quadratic in its branches (uproot-issue371.root: 37,483).
    const order: BranchState[] = [];
    const orderOf = new Map<BranchState, number>();
    const wanted: BasketRef[][] = [];
    for (const s of states) {
      if (orderOf.has(s)) continue;
      const refs: BasketRef[] = [];
      for (const ref of s.refs) {
        if (ref.entryStop <= start || ref.entryStart >= stop) continue;
        if (ref.where === 'file' && s.cached?.index !== ref.index) refs.push(ref);
      }
      // In file order: baskets next to each other in the file are then read as one (see LocalSource.read).
      refs.sort((x, y) => x.seek - y.seek);
      orderOf.set(s, order.length);
      order.push(s);
      wanted.push(refs);
    }
    // Into memory reused from read to read (see read-memory.ts); with decompression threads,
    // shared memory, for them to read in place.
    let total = 0;
    let count = 0;
    for (const refs of wanted) for (const r of refs) total += r.bytes;
    for (const refs of wanted) count += refs.length;
    // A read larger than is ever kept gains nothing from one buffer (and one buffer caps its size):
    // it reads into memory of its own, as every read did before.
    const threads = this.file.decompressThreads > 1;
    const source = this.file.source;
    // On 1 thread from a local file on the main thread, a large read's bytes are read by a thread
    // of their own, one pread at a time in the order the decode needs them (thread-reads.ts).
    // Such a read takes the reading thread's kind of memory even while that thread starts (the
    // pool then reads into it): one kind for one mode of reading (see read-memory.ts).
    const forThread = !threads && count > 0 && total >= readThreadStats.minReadBytes && total <= KEEP_MAX_BYTES && source.readsBeside === true;
    const inOrder = forThread && source.canReadInOrder?.() === true;
    const memory = !count || total > KEEP_MAX_BYTES ? null : forThread ? takeThreadReadMemory(total) : takeReadMemory(total, threads);
    this.basketReads += count;
    // On 1 thread from a local file on the main thread (perBranch), the first branches' baskets
    // are each branch's read of its own, all started now in the order the branches are decoded,
    // and a branch is decoded as soon as its bytes are in, while the next branches' are copied
    // from the page cache on the other core (the copy leaves this thread's path): by the reading
    // thread (inOrder: one pread at a time, in this order) or, for a smaller read, libuv's pool.
    // Decompression threads need every payload when their job starts, one HTTP request beats
    // seven, and a worker thread's reads block it (nothing to overlap): there, and for the rest of
    // the branches, one batched read, which joins the baskets next to each other in the file, of
    // any branch, into one pread (fewer requests: see OWN_READS).
    const perBranch = !threads && source.readsBeside === true;
    // The read's first failure (a read of its bytes, or a branch's decoding) ends the rest of it:
    // its reads in flight are ended (HTTP requests aborted; a local read starts no further pread),
    // nothing more is decoded, and it rejects with that failure once none of its reads, its
    // reading thread or its decompression threads runs. It decoded on, in the order asked, and
    // rejected with whatever failed there first, leaving later reads running after the caller
    // had its error.
    // The signal holds that first failure as its reason.
    const stopping = new AbortController();
    const fail = (err: unknown) => {
      if (!stopping.signal.aborted) stopping.abort(err);
    };
    const reads: Array<Promise<Map<BasketRef, Uint8Array>>> = [];
    /** Reads `refs` (into `into` when given); the bytes of each, by its ref. */
    const readRefs = async (refs: BasketRef[], into: Uint8Array | undefined) => {
      const ranges: Array<readonly [number, number]> = [];
      for (const r of refs) ranges.push([r.seek, r.bytes]);
      const blobs = await source.read(ranges, into ? { into, signal: stopping.signal } : { shared: threads, signal: stopping.signal });
      const byRef = new Map<BasketRef, Uint8Array>();
      for (let i = 0; i < refs.length; i++) byRef.set(refs[i]!, blobs[i]!);
      return byRef;
    };
    // With the reading thread: every part below is one range of one read, in the order the parts
    // are made (the order they are decoded in), each settling when its last basket is in.
    const planned: BasketRef[] = [];
    /** Per read (by its index in `reads`), the last of `planned` it needs (-1: none). */
    const needs: number[] = [];
    const partsOf: Array<{ from: number; refs: BasketRef[]; settle: (got: Map<BasketRef, Uint8Array>) => void; fail: (err: unknown) => void }> = [];
    const part = (refs: BasketRef[], into: Uint8Array | undefined): Promise<Map<BasketRef, Uint8Array>> => {
      if (!inOrder) return readRefs(refs, into);
      const from = planned.length;
      planned.push(...refs);
      return new Promise((settle, fail) => partsOf.push({ from, refs, settle, fail }));
    };
    /** Whether each read has settled (fulfilled or not), by its index in `reads`: the memory is given back only when all have. */
    const done: boolean[] = [];
    const note = (read: Promise<Map<BasketRef, Uint8Array>>) => {
      const k = reads.length;
      done.push(false);
      // Each is awaited in turn below; a later branch's failure is not "unhandled" meanwhile.
      const mark = () => {
        done[k] = true;
      };
      read.then(mark, (err: unknown) => {
        mark();
        fail(err);
      });
      reads.push(read);
    };
    let at = 0;
    /** Branches read on their own (the first ones). */
    let own = 0;
    for (; perBranch && own < wanted.length && at * OWN_READS < total; own++) {
      const refs = wanted[own]!;
      let bytes = 0;
      for (const r of refs) bytes += r.bytes;
      note(refs.length ? part(refs, memory?.subarray(at, at + bytes)) : Promise.resolve(new Map<BasketRef, Uint8Array>()));
      needs.push(planned.length - 1);
      at += bytes;
    }
    const rest: BasketRef[] = [];
    for (let j = own; j < wanted.length; j++) rest.push(...wanted[j]!);
    rest.sort((x, y) => x.seek - y.seek);
    const batch = rest.length ? part(rest, memory?.subarray(at)) : Promise.resolve(new Map<BasketRef, Uint8Array>());
    const threadRead = inOrder ? this.startThreadRead(planned, partsOf, memory!) : null;
    for (let j = own; j < wanted.length; j++) {
      const refs = wanted[j]!;
      needs.push(planned.length - 1);
      note(batch.then((byRef) => {
        const mine = new Map<BasketRef, Uint8Array>();
        for (const r of refs) mine.set(r, byRef.get(r)!);
        return mine;
      }));
    }
    // The basket each branch had cached before this read (decoding replaces the cache as it goes).
    const priors = order.map((s) => s.cached);
    const scratch = new Scratch();
    /** The baskets of branch `s` to decode, once its bytes are in. */
    const basketsOf = async (s: BranchState): Promise<PendingBasket[]> => {
      const k = orderOf.get(s)!;
      // Bytes the reading thread has not got to yet are read here: this thread would only wait.
      if (threadRead && !done[k] && needs[k]! >= 0) threadRead.help(needs[k]!);
      const fresh = await reads[k]!;
      stopping.signal.throwIfAborted();
      const baskets: PendingBasket[] = [];
      const prior = priors[k];
      for (const ref of s.refs) {
        if (ref.entryStop <= start || ref.entryStart >= stop) continue;
        baskets.push(prior?.index === ref.index ? loadedBasket(prior.basket) : this.pending(s, ref, fresh.get(ref), stop, scratch));
      }
      return baskets;
    };
    const perState: Array<PendingBasket[] | null> = [];
    // With several decompression threads, other threads decompress the read's baskets ahead of
    // this one, which decodes them in order (and decompresses any nobody has claimed yet).
    let job: InflateJob | null = null;
    const out: Record<string, Column> = {};
    const columnMemory = opts.into ? new ColumnMemory(Object.values(opts.into)) : undefined;
    // Fresh columns of the branch after the one being decoded are allocated once its bytes are in
    // and faulted in on another thread meanwhile (column-prefault.ts); only where the file reads run
    // there too, not into given memory (written before: nothing to fault in), and only for a read
    // large enough that its columns are new pages.
    const prefaulter = perBranch && !columnMemory && total >= prefaultStats.minReadBytes ? new Prefaulter() : null;
    const ahead: Array<Prefault | null | undefined> = [];
    /** Per branch (by its index in `states`): the sizes its memory ahead was guessed at, made before its baskets' headers were in. */
    const guessed: Array<Array<[ElementType, number]> | undefined> = [];
    /** The elements of the last jagged branch whose headers told them, to guess the next one's from. */
    let lastTotal: number | undefined;
    // Jagged columns of this read whose offsets are equal share one array (shared-offsets.ts).
    const offsets = new ReadOffsets();
    /** Whether a branch before the next one (states[0..i]) may share its offsets: kept as the loop goes, not searched per branch. */
    let sharerSeen = false;
    let ended = false;
    try {
      if (threads) {
        for (const s of states) perState.push(await basketsOf(s));
        job = this.startJob(perState as PendingBasket[][]);
      }
      for (let i = 0; i < states.length; i++) {
        stopping.signal.throwIfAborted();
        const s = states[i]!;
        const baskets = perState[i] ?? await basketsOf(s);
        if (sharesOffsets(s.info)) sharerSeen = true;
        if (prefaulter && sharesOffsets(s.info)) {
          const sizes = columnSizes(s.info, baskets, start, stop);
          if (sizes.length === 2) lastTotal = sizes[1]![1];
        }
        // The next branch only: its faults then spread over this branch's decode, where faulting in
        // every later branch at once, beside this thread's own faults, slowed both.
        const j = i + 1;
        if (prefaulter && j < states.length) {
          const kj = orderOf.get(states[j]!)!;
          // One of the first branches, read on its own by the reading thread, is waited for: this
          // thread reads those of its bytes the reading thread has not got to (basketsOf), a few
          // ms, so that its columns are faulted in while this branch decodes, not on this thread
          // when it is decoded (bench/rootio.ts: lep_pt's 39 MB, ~9,600 faults).
          const wait = threadRead !== null && kj < own && !prefaultStats.guessAlways;
          // A turn of the event loop first: a read done on the pool is settled only once its
          // completion is taken in, which awaiting reads already settled (microtasks) never does.
          if (!done[kj] && !wait) await new Promise((resolve) => setImmediate(resolve));
          const inNow = wait || (done[kj] && !prefaultStats.guessAlways);
          // A branch whose baskets do not parse raises its error in its own turn, below.
          const later = inNow ? await basketsOf(states[j]!).catch(() => null) : null;
          if (later) {
            perState[j] = later;
            // Offsets an earlier branch may give it take no memory of their own.
            const shared = sharesOffsets(states[j]!.info) && sharerSeen;
            ahead[j] = prefaulter.start(columnSizes(states[j]!.info, later, start, stop, shared));
            if (wait && ahead[j]) prefaultStats.waited++;
          } else if (!inNow) {
            // Its bytes are still coming (the batch of the later branches is read after the first
            // branches'), so its sizes are guessed from the jagged branch before (lep_eta's from
            // lep_pt's), or its columns would be new pages faulted in on this thread.
            const sizes = guessedColumnSizes(states[j]!.info, lastTotal);
            const made = sizes.length ? prefaulter.start(sizes) : null;
            if (made) {
              ahead[j] = made;
              guessed[j] = sizes;
            }
          }
        }
        // Its columns, once the pool is done faulting them in; memory made for a guess only when
        // the guess was right (else a column would be part of a larger buffer, or not fit).
        const ready = guessed[i] && !sameSizes(guessed[i]!, columnSizes(s.info, baskets, start, stop, true)) ? null : ahead[i];
        if (guessed[i]) prefaultStats.guesses[ready ? 'right' : 'wrong']++;
        const mine = ready ? await ready.memory : columnMemory;
        // fBits members and packed-float arrays are walked from each basket's start, with the counts.
        // So are STL members of a split collection (one container per element), and its elements' base classes' fields.
        const walked = s.info.kind === 'counted-array' && (s.info.objectBits || s.info.packed !== null || !!s.info.elementBase) || s.info.kind === 'nested' && s.info.counter !== null;
        const counts = walked ? await this.countsOver(s.info.counter!, baskets) : null;
        if (s.info.kind === 'counted-array' && !walked) await this.sizeEntries(s.info, baskets);
        // Keyed by the name asked for (a member may be asked for by its own name).
        try {
          out[names[i]!] = decode(this.file.path, s.info, baskets, start, stop, counts, mine, offsets);
        } catch (err) {
          // Entry offsets are checked, and entries decoded, here: their errors name the branch too.
          throw inBranch(err, s.info.name);
        }
      }
      ended = true;
    } catch (err) {
      fail(err);
      throw stopping.signal.reason;
    } finally {
      // A read that failed reads no more of its bytes.
      if (!ended) threadRead?.stop();
      job?.close();
      // Nothing of a failed read runs once it has rejected: its reads (ended above, or a pread
      // already under way), its reading thread and its decompression threads are waited for.
      if (!ended) await Promise.all([Promise.allSettled(reads), threadRead?.finished, job?.drained]);
      // A read that failed leaves no read of zeros writing into memory after it.
      if (prefaulter) await prefaulter.close();
      // Reused once no thread reads it any more and no read still writes into it (a read that
      // failed, or whose branch was never decoded, may still be running); baskets kept past the
      // read were copied out of it.
      // Given back before the read returns where nothing uses it any more, so that a read started
      // right after this one finds it.
      if (memory) {
        const give = forThread ? giveThreadReadMemory : giveReadMemory;
        const reading = done.includes(false) || (threadRead && !threadRead.allRead()) ? Promise.allSettled([...reads, threadRead?.finished]) : null;
        // A job all of whose baskets were taken has no thread reading its payloads any more.
        if (job && !job.idle()) void Promise.all([job.drained, reading]).then(() => give(memory));
        else if (reading) void reading.then(() => give(memory));
        else give(memory);
      }
    }
    return out;
  }

  /** The counter's values over every entry of `baskets` (from the first basket's first entry). */
  private async countsOver(counter: string, baskets: PendingBasket[]): Promise<Counts | null> {
    if (baskets.length === 0) return null;
    const from = baskets[0]!.entryStart;
    const to = baskets[baskets.length - 1]!.entryStart + baskets[baskets.length - 1]!.entries;
    return { values: (await this.arrays([counter], { entryStart: from, entryStop: Math.min(to, this.numEntries) }))[counter] as ArrayLike<number | bigint>, from };
  }

  /**
   * A counted array's baskets written without entry offsets (ROOT's offset-map I/O option) get
   * each entry's byte size from the counter branch, read over those baskets' entries.
   */
  private async sizeEntries(info: BranchInfo, baskets: PendingBasket[]): Promise<void> {
    const bare = baskets.filter((b) => b.noOffsets);
    const counts = await this.countsOver(info.counter!, bare);
    if (!counts) return;
    const size = ELEMENT_SIZE[info.element!] * info.inner;
    for (const b of bare) {
      const bytes = new Int32Array(b.entries);
      for (let i = 0; i < b.entries; i++) bytes[i] = info.entryHeader + Number(counts.values[b.entryStart - counts.from + i]) * size;
      b.entryBytes = bytes;
    }
  }

  /** Iterates the tree in batches of `step` entries. */
  async *iterate(names: string[], opts: IterateOptions = {}): AsyncGenerator<Batch> {
    checkNames(`iterate() of ${this.describe()}`, names);
    checkOptions(`iterate() of ${this.describe()}`, opts, ITERATE_OPTIONS);
    checkReadValues(`iterate() of ${this.describe()}`, opts);
    this.file.checkOpen(`iterate() of tree "${this.name}"`);
    const step = opts.step ?? 100_000;
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`iterate() of ${this.describe()}: step must be a positive integer, got ${showArg(step)}`);
    const { start, stop } = entryRange(this.describe(), this.numEntries, opts);
    let last: Record<string, Column> | undefined;
    for (let a = start; a < stop; a += step) {
      const b = Math.min(a + step, stop);
      const columns = await this.arrays(names, { entryStart: a, entryStop: b, into: opts.reuse ? last : undefined });
      last = columns;
      yield { entryStart: a, entryStop: b, columns };
    }
  }

  /**
   * Reads the baskets of every part, one after another, on the reading thread into `memory`, and
   * settles each part once its last basket is in.
   */
  private startThreadRead(planned: BasketRef[], parts: Array<{ from: number; refs: BasketRef[]; settle: (got: Map<BasketRef, Uint8Array>) => void; fail: (err: unknown) => void }>, memory: Uint8Array): ThreadRead | null {
    const ranges: Array<readonly [number, number]> = [];
    for (const r of planned) ranges.push([r.seek, r.bytes]);
    let read: ThreadRead;
    try {
      read = this.file.source.readInOrder!(ranges, memory);
    } catch (err) {
      // A basket past the end of the file: each branch raises it in its turn, as the pool's reads do.
      for (const p of parts) p.fail(err);
      return null;
    }
    for (const p of parts) {
      read.until(p.from, p.from + p.refs.length - 1).then(() => {
        const byRef = new Map<BasketRef, Uint8Array>();
        for (let i = 0; i < p.refs.length; i++) byRef.set(p.refs[i]!, read.views[p.from + i]!);
        p.settle(byRef);
      }, p.fail);
    }
    return read;
  }

  /** Hands the read's file baskets, in decode order, to decompression threads. */
  private startJob(perState: PendingBasket[][]): InflateJob | null {
    const files: FileBasket[] = [];
    for (const baskets of perState) for (const b of baskets) if ('attach' in b) files.push(b as FileBasket);
    const payloads: Payload[] = [];
    for (const b of files) payloads.push(b.payload);
    const job = InflateJob.start(this.file.path, payloads, this.file.decompressThreads);
    if (job) files.forEach((b, k) => b.attach(job, k));
    return job;
  }

  /**
   * A basket to decode. One that ends past `stop` becomes the branch's cached basket when loaded
   * (the next range starts in it); any other is decompressed into the read's `scratch`.
   */
  private pending(s: BranchState, ref: BasketRef, blob: Uint8Array | undefined, stop: number, scratch: Scratch): PendingBasket {
    const keep = (basket: Basket) => {
      s.cached = { index: ref.index, basket };
      return basket;
    };
    const name = s.info.name;
    let p: PendingBasket;
    try {
      p = ref.where === 'embedded'
        ? pendingEmbeddedBasket(this.file.path, ref, s.hasOffsets, keep)
        : pendingFileBasket(this.file.source, blob!, ref, s.hasOffsets, keep, ref.entryStop > stop, scratch);
    } catch (err) {
      throw inBranch(err, name, ref.index);
    }
    /** `f`, whose failures name the branch and basket. */
    const named = <A extends unknown[], R>(f: (...args: A) => R) => (...args: A): R => {
      try {
        return f(...args);
      } catch (err) {
        throw inBranch(err, name, ref.index);
      }
    };
    // Its decompression (here or, re-raised, a decompression thread's) and its header's checks
    // against the payload fail naming the branch and basket.
    p.load = named(p.load);
    if (p.loadInto) p.loadInto = named(p.loadInto);
    // A decompression thread's failure is re-raised by whichever basket the reader takes next
    // (InflateJob.take): made again by the failed basket's own payload, it names that basket.
    if ('payload' in p) {
      const payload = (p as FileBasket).payload;
      payload.decompress = named(payload.decompress);
    }
    return p;
  }

  private branchState(name: string): BranchState {
    const s = this.state.get(name) ?? this.state.get(this.aliases.get(name) ?? '');
    if (!s) {
      const names = [...this.state.keys()];
      const like = nearNames(name, names).slice(0, 3);
      throw new RootFormatError(this.file.path, -1, `tree ${this.name} has no branch named ${name}${like.length ? ` (did you mean ${like.join(' or ')}?)` : ''} (it has ${names.length}: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ', …' : ''})`);
    }
    return s;
  }
}

/** @internal The baskets of a branch with their entry ranges, validated against the tree. */
export function basketRefs(path: string, b: JsBranch & BranchMeta, treeEntries: number): BasketRef[] {
  const refs: BasketRef[] = [];
  const n = Math.max(0, Math.min(b.fMaxBaskets ?? 0, b.fBasketEntry?.length ?? 0));
  const write = Math.min(b.fWriteBasket ?? 0, n);
  const endOf = (k: number, start: number, nev: number | undefined) => {
    const next = k + 1 < n ? Number(b.fBasketEntry[k + 1]) : 0;
    if (next > start) return Math.min(next, treeEntries);
    return Math.min(start + (nev ?? treeEntries - start), treeEntries);
  };
  const emb = b.fBaskets?.arr ?? [];
  for (let k = 0; k < Math.max(write, emb.length); k++) {
    const bytes = k < write ? Number(b.fBasketBytes[k]) : 0;
    if (bytes) {
      const seek = Number(b.fBasketSeek[k]);
      const entryStart = Number(b.fBasketEntry[k]);
      const entryStop = k + 1 < write ? Number(b.fBasketEntry[k + 1]) : endOf(k, entryStart, undefined);
      if (!(entryStart >= 0 && entryStop >= entryStart)) throw new RootFormatError(path, -1, `branch ${b.fName} basket ${k} has an invalid entry range`);
      refs.push(basketRef(k, entryStart, entryStop, { seek, bytes }));
      continue;
    }
    // Not written to the file: the basket may be kept inside the TTree object, past the written
    // ones (a file closed before they were flushed), or in their place (a tree saved whole, every
    // basket in memory, as some writers leave it: zero bytes and seeks in the file).
    const obj = emb[k];
    if (!obj || !obj.fNevBuf) continue;
    const entryStart = Number(b.fBasketEntry[k] ?? 0);
    refs.push(basketRef(k, entryStart, entryStart + obj.fNevBuf, obj));
  }
  return refs;
}

/** Whether two lists of column sizes are the same. */
function sameSizes(a: Array<[ElementType, number]>, b: Array<[ElementType, number]>): boolean {
  return a.length === b.length && a.every(([type, n], i) => b[i]![0] === type && b[i]![1] === n);
}
