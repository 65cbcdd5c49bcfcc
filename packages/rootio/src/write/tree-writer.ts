/**
 * TreeWriter: buffers appended columns per branch and writes each basket to the file as soon as
 * it holds `basketEntries` entries, so memory stays bounded by one basket per branch whatever
 * the file size. `finish()` writes the last baskets and the TTree metadata.
 */
import type { RootFileWriter } from './file-writer.js';
import { DEFAULT_BITS, describe, type RObject } from './streamer.js';
import { WBuffer } from './wbuffer.js';
import { BRANCH_TYPES, encodeValues, type ElementType } from './types.js';
import { firstBadOffset, firstMisfit, misfitError, misfitMessage } from './check-values.js';
import { checkOptions, keysOf } from '../read-args.js';

/** One branch to create. */
export interface BranchSpec {
  name: string;
  type: ElementType;
  /**
   * Jagged branches: 'counted' (default for jagged data) is a leaf list `x[n]/F` with a counter
   * branch; 'vector' is a `std::vector<T>` TBranchElement. Omit for scalars.
   */
  jagged?: 'counted' | 'vector';
  /** Counter branch of a counted branch (created as int32 if not declared itself). */
  counter?: string;
  title?: string;
}

export interface TreeOptions {
  /** Entries per basket (and per cluster); default 100 000. */
  basketEntries?: number;
}

/**
 * The keys createTree() and flush() know: any other is refused. A misspelt `jaged: 'vector'` made
 * a scalar branch, `basketEntry` left the default, `xtitle` no title.
 */
const TREE_OPTIONS = keysOf<TreeOptions>({ basketEntries: true });
const BRANCH_KEYS = keysOf<BranchSpec>({ name: true, type: true, jagged: true, counter: true, title: true });
const FLUSH_OPTIONS = keysOf<{ emptyBaskets?: boolean }>({ emptyBaskets: true });

/** A jagged column as appended: entry i is values[offsets[i] .. offsets[i+1]). */
export interface JaggedInput {
  offsets: ArrayLike<number>;
  values: ArrayLike<number> | ArrayLike<bigint>;
}

export type ColumnInput = ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean> | JaggedInput;

/** Bytes in front of each vector<T> entry: byte count (4), version (2), length (4). */
const VECTOR_HEADER = 10;
const DEFAULT_BASKET_ENTRIES = 100_000;
const ENTRY_OFFSET_LEN = 1000;

class BranchState {
  readonly data = new WBuffer(1 << 16);
  /** Start of each pending entry in `data` (jagged branches only). */
  offsets: number[] = [];
  pendingEntries = 0;
  readonly basketSeek: number[] = [];
  readonly basketBytes: number[] = [];
  readonly basketEntry: number[] = [];
  totBytes = 0;
  zipBytes = 0;
  entries = 0;
  /** Largest counter value seen (ROOT keeps it as the counter leaf's fMaximum). */
  maximum = 0;
  leaf!: RObject;
  /** Class version written in front of each vector entry (looked up once, not per entry). */
  readonly vectorVersion: number;
  constructor(readonly spec: BranchSpec, readonly isCounter: boolean, readonly counterOf?: string) {
    this.vectorVersion = spec.jagged === 'vector' ? describe(vectorClass(spec.type)).version : 0;
  }
  get jagged(): boolean { return this.spec.jagged !== undefined; }
  /** The counter branch name of a counted branch. */
  counter(): string { return this.spec.counter!; }
}

export class TreeWriter {
  private readonly branches: BranchState[] = [];
  private readonly byName = new Map<string, BranchState>();
  private readonly basketEntries: number;
  private entries = 0;
  private finished = false;
  /** A manual flush breaks the every-`basketEntries` cluster pattern that fAutoFlush announces. */
  private flushedEarly = false;

  constructor(private readonly file: RootFileWriter, readonly name: string, readonly title: string, specs: readonly BranchSpec[], options: TreeOptions) {
    if (!name) throw new Error('createTree: tree name is required');
    checkOptions(`createTree(${name})`, options, TREE_OPTIONS);
    this.basketEntries = options.basketEntries ?? DEFAULT_BASKET_ENTRIES;
    if (!Number.isInteger(this.basketEntries) || this.basketEntries < 1) {
      throw new Error(`createTree(${name}): basketEntries must be a positive integer, got ${options.basketEntries}`);
    }
    const declared = new Map(specs.map((s) => [s.name, s]));
    const counters = new Set<string>();
    for (const s of specs) {
      checkOptions(`createTree(${name}): branch ${(s as Partial<BranchSpec> | null)?.name ?? ''}`, s, BRANCH_KEYS);
      if (!s.name || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(s.name)) throw new Error(`createTree(${name}): bad branch name ${JSON.stringify(s.name)}`);
      if (!(s.type in BRANCH_TYPES)) throw new Error(`createTree(${name}): branch ${s.name} has unknown type ${String(s.type)} (expected one of ${Object.keys(BRANCH_TYPES).join(', ')})`);
      if (s.jagged !== undefined && s.jagged !== 'counted' && s.jagged !== 'vector') throw new Error(`createTree(${name}): branch ${s.name} has jagged = ${String(s.jagged)}; use 'counted' or 'vector'`);
      if (s.jagged === 'counted') {
        if (!s.counter) throw new Error(`createTree(${name}): counted branch ${s.name} needs a counter branch name`);
        const c = declared.get(s.counter);
        if (c && (c.jagged || !['int32', 'uint32', 'int16', 'uint16', 'int8', 'uint8'].includes(c.type))) {
          throw new Error(`createTree(${name}): counter ${s.counter} of ${s.name} must be an integer scalar branch`);
        }
        counters.add(s.counter);
      }
    }
    if (declared.size !== specs.length) {
      const twice = specs.find((s, i) => specs.findIndex((o) => o.name === s.name) !== i)!;
      throw new Error(`createTree(${name}): duplicate branch name ${twice.name}`);
    }
    // A counter goes before its first user, as ROOT needs the counter's leaf before the array's:
    // a declared one is moved up (declared after its user, the array's leaf pointed at nothing and
    // readers took the array for a scalar), an undeclared one becomes an int32 branch there.
    for (const s of specs) {
      if (s.jagged === 'counted' && !this.byName.has(s.counter!)) {
        this.add(new BranchState(declared.get(s.counter!) ?? { name: s.counter!, type: 'int32' }, true));
      }
      if (!this.byName.has(s.name)) this.add(new BranchState(s, counters.has(s.name), s.jagged === 'counted' ? s.counter : undefined));
    }
    for (const b of this.branches) {
      file.useClass(b.spec.jagged === 'vector' ? 'TBranchElement' : 'TBranch');
      file.useClass(b.spec.jagged === 'vector' ? 'TLeafElement' : BRANCH_TYPES[b.spec.type].leafClass);
      if (b.spec.jagged === 'vector') file.useClass(vectorClass(b.spec.type));
    }
    file.useClass('TTree');
  }

  private add(b: BranchState): void {
    this.branches.push(b);
    this.byName.set(b.spec.name, b);
  }

  /** Entries appended so far. */
  get numEntries(): number { return this.entries; }

  /**
   * Appends a batch: one column per branch, all with the same number of entries. Counter
   * branches created implicitly are filled from the jagged offsets; declared counters must
   * agree with them. Full baskets are written before this returns.
   */
  async append(batch: Record<string, ColumnInput>): Promise<void> {
    this.appendSync(batch);
  }

  /** `append` without the promise (the work is synchronous). */
  appendSync(batch: Record<string, ColumnInput>): void {
    if (this.finished) throw new Error(`tree ${this.name}: append after the file was closed`);
    for (const key of Object.keys(batch)) if (!this.byName.has(key)) throw new Error(`tree ${this.name}: batch has column ${key}, which is not a branch`);
    let n = -1;
    const lengths = new Map<string, number>();
    for (const b of this.branches) {
      const col = batch[b.spec.name];
      let len: number;
      if (col === undefined) {
        if (b.isCounter && !this.branches.some((u) => u.counterOf === b.spec.name && batch[u.spec.name] === undefined)) continue;
        throw new Error(`tree ${this.name}: batch lacks column ${b.spec.name}`);
      }
      if (b.jagged) {
        const j = col as JaggedInput;
        if (!isArrayLike(j.offsets) || !isArrayLike(j.values)) throw new Error(`tree ${this.name}: column ${b.spec.name} is jagged and needs {offsets, values} arrays`);
        len = j.offsets.length - 1;
        if (len < 0 || j.offsets[0] !== 0) throw new Error(`tree ${this.name}: column ${b.spec.name}: offsets must start with 0 and have entries + 1 values`);
        const bad = firstBadOffset(j.offsets, len);
        if (bad >= 0) throw new Error(`tree ${this.name}: column ${b.spec.name}: offsets must be integers that never decrease, got ${j.offsets[bad]} then ${j.offsets[bad + 1]} at entry ${this.entries + bad}`);
        if (j.offsets[len]! > j.values.length) throw new Error(`tree ${this.name}: column ${b.spec.name}: last offset ${j.offsets[len]} is past the ${j.values.length} values`);
      } else {
        if ((col as JaggedInput).offsets !== undefined) throw new Error(`tree ${this.name}: column ${b.spec.name} is a scalar branch but got {offsets, values}`);
        if (!isArrayLike(col)) throw new Error(`tree ${this.name}: column ${b.spec.name} must be a typed array or an array`);
        len = (col as ArrayLike<number>).length;
      }
      lengths.set(b.spec.name, len);
      if (n < 0) n = len;
      else if (len !== n) throw new Error(`tree ${this.name}: column ${b.spec.name} has ${len} entries, others have ${n}`);
    }
    if (n < 0) throw new Error(`tree ${this.name}: empty batch`);
    for (const b of this.branches) {
      const col = batch[b.spec.name];
      if (col !== undefined) this.checkValues(b, col, n);
    }
    // Counts of each counted branch must agree with its counter.
    const counts = new Map<string, Int32Array>();
    for (const b of this.branches) {
      if (b.spec.jagged !== 'counted') continue;
      const off = (batch[b.spec.name] as JaggedInput).offsets;
      const c = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        c[i] = off[i + 1]! - off[i]!;
      }
      const given = batch[b.counter()] as ArrayLike<number> | undefined;
      const prev = counts.get(b.counter());
      for (let i = 0; i < n; i++) {
        const expect = prev ? prev[i]! : given ? Number(given[i]) : c[i]!;
        if (expect !== c[i]) throw new Error(`tree ${this.name}: entry ${this.entries + i}: ${b.spec.name} has ${c[i]} values but counter ${b.counter()} says ${expect}`);
      }
      counts.set(b.counter(), c);
    }
    // Fill basket by basket so no branch buffer grows past one basket.
    for (let start = 0; start < n;) {
      const room = this.basketEntries - this.branches[0]!.pendingEntries;
      const stop = Math.min(n, start + room);
      for (const b of this.branches) {
        const col = batch[b.spec.name] ?? counts.get(b.spec.name)!;
        this.fill(b, col, start, stop);
      }
      this.entries += stop - start;
      start = stop;
      if (this.branches[0]!.pendingEntries >= this.basketEntries) for (const b of this.branches) this.writeBasket(b);
    }
  }

  /** Refuses the batch (before anything of it is written) if a value would not be stored as given. */
  private checkValues(b: BranchState, col: ColumnInput, n: number): void {
    const j = b.jagged ? col as JaggedInput : undefined;
    const values = j ? j.values : col as ArrayLike<unknown>;
    const at = firstMisfit(b.spec.type, values, 0, j ? j.offsets[n]! : n);
    if (at < 0) return;
    let entry = at;
    if (j) for (entry = 0; j.offsets[entry + 1]! <= at;) entry++;
    const which = j ? `, value ${at - j.offsets[entry]!} of it` : '';
    const E = misfitError(values[at]);
    throw new E(`tree ${this.name}: column ${b.spec.name}, entry ${this.entries + entry}${which}: ${misfitMessage(b.spec.type, values[at])}`);
  }

  private fill(b: BranchState, col: ColumnInput, start: number, stop: number): void {
    const t = BRANCH_TYPES[b.spec.type];
    if (!b.jagged) {
      encodeValues(b.data, b.spec.type, col as ArrayLike<number>, start, stop);
      if (b.isCounter) for (let i = start; i < stop; i++) b.maximum = Math.max(b.maximum, Number((col as ArrayLike<number>)[i]));
    } else {
      const j = col as JaggedInput;
      const isVector = b.spec.jagged === 'vector';
      for (let i = start; i < stop; i++) {
        b.offsets.push(b.data.pos);
        const lo = j.offsets[i]!, hi = j.offsets[i + 1]!;
        if (isVector) {
          // Each entry is a streamed vector: byte count, class version, length, elements.
          const { view, at } = b.data.reserve(VECTOR_HEADER);
          view.setUint32(at, ((hi - lo) * t.size + 6) | 0x40000000);
          view.setInt16(at + 4, b.vectorVersion);
          view.setInt32(at + 6, hi - lo);
        }
        encodeValues(b.data, b.spec.type, j.values, lo, hi);
      }
    }
    b.pendingEntries += stop - start;
  }

  /**
   * Ends the current baskets now: every branch's pending entries go to disk as one basket.
   * Branches with nothing pending are skipped unless `emptyBaskets` is set, which writes a
   * 0-entry basket for them (legal ROOT, for testing readers; uproot takes a 0-byte flat basket
   * for an embedded one, so it is not the default).
   */
  flush(options: { emptyBaskets?: boolean } = {}): void {
    if (this.finished) throw new Error(`tree ${this.name}: flush after the file was closed`);
    checkOptions(`tree ${this.name}: flush()`, options, FLUSH_OPTIONS);
    if (this.branches.some((b) => b.pendingEntries !== 0) || options.emptyBaskets) this.flushedEarly = true;
    for (const b of this.branches) this.writeBasket(b, options.emptyBaskets === true);
  }

  /** Writes the pending entries of a branch as one basket (nothing when there are none, unless `empty`). */
  private writeBasket(b: BranchState, empty = false): void {
    if (b.pendingEntries === 0 && !empty) return;
    const dataLen = b.data.pos;
    const nev = b.pendingEntries;
    let payload = b.data.finish();
    let keylenHolder = 0;
    const spec = b.spec;
    const rec = this.file.writeRecord({
      className: 'TBasket', name: spec.name, title: this.name, cycle: 1, forceBig: true, keep: false,
      extraHeaderBytes: 19,
      payload: (buf) => {
        keylenHolder = buf.displacement;
        buf.raw(payload);
        if (b.jagged) {
          buf.i32(nev + 1);
          for (const o of b.offsets) buf.i32(o + keylenHolder);
          buf.i32(dataLen + keylenHolder);
        }
      },
      extraHeader: (buf, keylen, objlen) => {
        buf.i16(3); // TBasket version
        buf.i32(keylen + objlen); // fBufferSize
        buf.i32(b.jagged ? ENTRY_OFFSET_LEN : BRANCH_TYPES[spec.type].size); // fNevBufSize
        buf.i32(nev);
        buf.i32(keylen + dataLen); // fLast
        buf.i8(0); // flag: header written separately from the buffer
      },
    });
    payload = new Uint8Array(0);
    b.basketSeek.push(rec.seek);
    b.basketBytes.push(rec.nbytes);
    b.basketEntry.push(b.entries);
    b.entries += nev;
    b.totBytes += rec.objlen + rec.keylen;
    b.zipBytes += rec.nbytes;
    b.pendingEntries = 0;
    b.offsets = [];
    b.data.pos = 0;
  }

  /** Writes the remaining baskets and the TTree object. Called by the file's `close()`. */
  finish(): void {
    if (this.finished) return;
    for (const b of this.branches) this.writeBasket(b);
    this.finished = true;
    const leaves = new Map<string, RObject>();
    for (const b of this.branches) leaves.set(b.spec.name, this.leafObject(b, leaves));
    const branchObjs = this.branches.map((b) => this.branchObject(b, leaves.get(b.spec.name)!));
    let tot = 0, zip = 0;
    for (const b of this.branches) { tot += b.totBytes; zip += b.zipBytes; }
    const tree: RObject = {
      _class: 'TTree', fName: this.name, fTitle: this.title, fBits: DEFAULT_BITS | 0x8,
      fLineColor: 602, fLineStyle: 1, fLineWidth: 1, fFillColor: 0, fFillStyle: 1001,
      fMarkerColor: 1, fMarkerStyle: 1, fMarkerSize: 1,
      fEntries: this.entries, fTotBytes: tot, fZipBytes: zip, fSavedBytes: 0, fFlushedBytes: zip,
      fWeight: 1, fTimerInterval: 0, fScanField: 25, fUpdate: 0, fDefaultEntryOffsetLen: ENTRY_OFFSET_LEN,
      fNClusterRange: 0, fMaxEntries: 1e12, fMaxEntryLoop: 1e12, fMaxVirtualSize: 0,
      fAutoSave: -300000000, fAutoFlush: this.flushedEarly ? 0 : this.basketEntries, fEstimate: 1000000,
      fClusterRangeEnd: null, fClusterSize: null, fIOFeatures: { fIOBits: 0 },
      fBranches: branchObjs, fLeaves: this.branches.map((b) => leaves.get(b.spec.name)!),
      fAliases: null, fIndexValues: [], fIndex: [], fTreeIndex: null, fFriends: null, fUserInfo: null, fBranchRef: null,
    };
    this.file.writeObject(tree, this.name, this.title);
  }

  private leafObject(b: BranchState, leaves: Map<string, RObject>): RObject {
    const t = BRANCH_TYPES[b.spec.type];
    const s = b.spec;
    if (s.jagged === 'vector') {
      return {
        // ROOT's vector leaves carry fLenType 4 (or 0) whatever the element type; readers ignore it.
        _class: 'TLeafElement', fName: s.name, fTitle: s.name, fBits: DEFAULT_BITS, fLen: 1, fLenType: 4, fOffset: 0,
        fIsRange: false, fIsUnsigned: false, fLeafCount: null, fID: -1, fType: -1,
      };
    }
    return {
      _class: t.leafClass, fName: s.name, fTitle: s.jagged === 'counted' ? `${s.name}[${b.counter()}]` : s.name, fBits: DEFAULT_BITS,
      fLen: 1, fLenType: t.size, fOffset: 0, fIsRange: b.isCounter, fIsUnsigned: t.unsigned,
      fLeafCount: s.jagged === 'counted' ? leaves.get(b.counter())! : null,
      fMinimum: 0, fMaximum: b.isCounter ? b.maximum : 0,
    };
  }

  private branchObject(b: BranchState, leaf: RObject): RObject {
    const s = b.spec;
    const nb = b.basketSeek.length;
    const maxBaskets = nb + 1;
    const seeks = [...b.basketSeek, 0];
    const entry = [...b.basketEntry, b.entries];
    const bytes = [...b.basketBytes, 0];
    const t = BRANCH_TYPES[s.type];
    const common: RObject = {
      _class: s.jagged === 'vector' ? 'TBranchElement' : 'TBranch',
      fName: s.name,
      fTitle: s.title ?? (s.jagged === 'vector' ? s.name : s.jagged === 'counted' ? `${s.name}[${b.counter()}]/${t.code}` : `${s.name}/${t.code}`),
      fBits: 0x03400000, fFillColor: 0, fFillStyle: 1001,
      fCompress: this.file.compressionCode, fBasketSize: 32000,
      fEntryOffsetLen: b.jagged ? ENTRY_OFFSET_LEN : 0, fWriteBasket: nb, fEntryNumber: b.entries,
      fIOFeatures: { fIOBits: 0 }, fOffset: 0, fMaxBaskets: maxBaskets, fSplitLevel: s.jagged === 'vector' ? 99 : 0,
      fEntries: b.entries, fFirstEntry: 0, fTotBytes: b.totBytes, fZipBytes: b.zipBytes,
      fBranches: [], fLeaves: [leaf], fBaskets: [],
      fBasketBytes: bytes, fBasketEntry: entry, fBasketSeek: seeks, fFileName: '',
    };
    if (s.jagged !== 'vector') return common;
    const cls = vectorClass(s.type);
    const d = describe(cls);
    return {
      ...common, fClassName: cls, fParentName: '', fClonesName: '', fCheckSum: d.checkSum, fClassVersion: d.version,
      fID: -1, fType: 0, fStreamerType: -1, fMaximum: 0, fBranchCount: null, fBranchCount2: null,
    };
  }
}

function isArrayLike(v: unknown): boolean {
  return ArrayBuffer.isView(v) || Array.isArray(v);
}

/** The C++ class of a vector branch of this element type. */
export function vectorClass(type: ElementType): string {
  return `vector<${BRANCH_TYPES[type].cxx}>`;
}
