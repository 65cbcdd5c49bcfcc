/**
 * The physics of one chunk, column-wise and without per-event objects:
 *
 * 1. objects: per type, the candidates passing type, identification, pT and |η| cuts, the
 *    `maxPerType` leading in pT kept (ties keep file order); four-vectors in GeV from
 *    px = pT·cos φ, py = pT·sin φ, pz = pT·sinh η and E (or E = √(px²+py²+pz²+m²) from a mass);
 * 2. the final state from the counts; events with fewer than 2 objects stop here;
 * 3. every subset of `minParticles`…`maxParticles` of the objects whose types are in
 *    `calculate`, in lexicographic order of the event's object list (electrons, muons, jets,
 *    photons, each by decreasing pT), four-vectors summed in that order; mass
 *    √max(E² − (px² + py² + pz²), 0);
 * 4. peaks removed (|m − centre| ≤ half width, counted per histogram);
 * 5. the mass counted in bin floor(m / binWidth) (from nAll on: the overflow).
 */
import { type PhysicsOptions, binCounts, schemaOf } from './options.js';
import { OBJECT_TYPES, type ObjectBranches } from './schema.js';
import { CountsCodec, parseCountsName, histogramName } from './naming.js';
import { type FsResult, type SparseCounts, emptyResult, sparseOf } from './result.js';

/** A vector branch as rootio returns it. */
export interface Jagged { offsets: ArrayLike<number>; values: ArrayLike<number> }

const NT = OBJECT_TYPES.length;

/** One collection's columns for one object type. */
interface TypeColumns {
  pt: Jagged; eta: Jagged; phi: Jagged; fourth: Jagged; isMass: boolean;
  /** null when the cut is off or the schema has none; every field present, so one hidden class. */
  id: Jagged | null; idMin: number; type: Jagged | null; typeValue: number; ptMin: number; absEtaMax: number;
}

/** The selected objects of one event (scratch, reused). */
export class EventObjects {
  n = 0;
  /** Per type: how many were kept. */
  readonly perType = new Int32Array(NT);
  readonly type: Int32Array;
  readonly pt: Float64Array;
  readonly px: Float64Array;
  readonly py: Float64Array;
  readonly pz: Float64Array;
  readonly e: Float64Array;
  constructor(readonly maxPerType: number) {
    const n = NT * maxPerType;
    this.type = new Int32Array(n); this.pt = new Float64Array(n);
    this.px = new Float64Array(n); this.py = new Float64Array(n); this.pz = new Float64Array(n); this.e = new Float64Array(n);
  }
}

/**
 * One final state's accumulators, per combination code: dense counts of the main bins (nMain,
 * 800 bytes at the defaults, so the many histograms of a chunk stay in cache), the rarer bins
 * from the tail threshold on by bin index, and the removed counts.
 */
interface FsSlot { hists: (Float64Array | undefined)[]; tails: (Map<number, number> | undefined)[]; removed: Float64Array }

/** Thrown for columns that do not fit together; the chunk turns it into a bad-input error naming the file. */
export class ColumnError extends Error { override name = 'ColumnError'; }

function jagged(cols: Record<string, unknown>, name: string): Jagged {
  const c = cols[name] as Jagged | undefined;
  if (!c || !c.offsets || !c.values) throw new ColumnError(`branch ${name} is not a per-object (vector or counted) branch`);
  return c;
}

/** Binds a schema's branches of each type to the read columns, checking they line up. */
function bindColumns(cols: Record<string, unknown>, o: PhysicsOptions, n: number): TypeColumns[] {
  const schema = schemaOf(o);
  return OBJECT_TYPES.map((t) => {
    const b: ObjectBranches = schema.objects[t];
    const useId = o.cuts[t].tightId && b.id !== undefined;
    const tc: TypeColumns = {
      pt: jagged(cols, b.pt), eta: jagged(cols, b.eta), phi: jagged(cols, b.phi), fourth: jagged(cols, b.fourth.branch),
      isMass: b.fourth.kind === 'mass', id: useId ? jagged(cols, b.id!.branch) : null, idMin: b.id?.min ?? 0,
      type: b.type ? jagged(cols, b.type.branch) : null, typeValue: b.type?.value ?? 0,
      ptMin: o.cuts[t].ptMin, absEtaMax: o.cuts[t].absEtaMax,
    };
    const names = [b.pt, b.eta, b.phi, b.fourth.branch, ...(tc.id ? [b.id!.branch] : []), ...(b.type ? [b.type.branch] : [])];
    const all = [tc.pt, tc.eta, tc.phi, tc.fourth, ...(tc.id ? [tc.id] : []), ...(tc.type ? [tc.type] : [])];
    for (let k = 0; k < all.length; k++) {
      if (all[k].offsets.length !== n + 1) throw new ColumnError(`branch ${names[k]} has ${all[k].offsets.length - 1} entries where ${n} were read`);
      if (all[k].offsets[n] !== tc.pt.offsets[n]) throw new ColumnError(`branches ${b.pt} and ${names[k]} hold different numbers of objects (${tc.pt.offsets[n]} and ${all[k].offsets[n]})`);
    }
    return tc;
  });
}

/**
 * Selects event i's objects into `out` (see the module comment). `unitsPerGeV` converts the
 * file's units (MeV: 1000) by division.
 */
export function selectObjects(cols: readonly TypeColumns[], unitsPerGeV: number, i: number, out: EventObjects): void {
  out.n = 0;
  const max = out.maxPerType;
  for (let t = 0; t < NT; t++) {
    out.perType[t] = 0;
    const c = cols[t];
    const base = out.n;
    let kept = 0;
    const start = c.pt.offsets[i], stop = c.pt.offsets[i + 1];
    for (let k = start; k < stop; k++) {
      if (c.type && c.type.values[k] !== c.typeValue) continue;
      if (c.id && !(c.id.values[k] >= c.idMin)) continue;
      const pt = c.pt.values[k] / unitsPerGeV;
      if (!(pt > c.ptMin)) continue;
      const eta = c.eta.values[k];
      if (!(Math.abs(eta) < c.absEtaMax)) continue;
      // Insert by decreasing pT after equal ones; drop what falls past maxPerType.
      let s = kept < max ? kept : max - 1;
      if (kept >= max && !(pt > out.pt[base + s])) continue;
      while (s > 0 && out.pt[base + s - 1] < pt) { copySlot(out, base + s - 1, base + s); s--; }
      const phi = c.phi.values[k];
      const j = base + s;
      out.type[j] = t; out.pt[j] = pt;
      const px = pt * Math.cos(phi), py = pt * Math.sin(phi), pz = pt * Math.sinh(eta);
      out.px[j] = px; out.py[j] = py; out.pz[j] = pz;
      const f = c.fourth.values[k] / unitsPerGeV;
      out.e[j] = c.isMass ? Math.sqrt(px * px + py * py + pz * pz + f * f) : f;
      if (kept < max) kept++;
    }
    out.perType[t] = kept;
    out.n += kept;
  }
}

function copySlot(o: EventObjects, from: number, to: number): void {
  o.type[to] = o.type[from]; o.pt[to] = o.pt[from]; o.px[to] = o.px[from]; o.py[to] = o.py[from]; o.pz[to] = o.pz[from]; o.e[to] = o.e[from];
}

/** The invariant mass of a summed four-vector, GeV: √max(E² − p², 0). */
export function invariantMass(px: number, py: number, pz: number, e: number): number {
  const m2 = e * e - (px * px + py * py + pz * pz);
  return m2 > 0 ? Math.sqrt(m2) : 0;
}

/** The number of subsets of sizes min…max of n objects: Σ C(n, k). */
export function subsetCount(n: number, min: number, max: number): number {
  let total = 0;
  for (let k = min; k <= Math.min(max, n); k++) {
    let c = 1;
    for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
    total += Math.round(c);
  }
  return total;
}

/**
 * Accumulates chunks' events into final-state counts and mass counts (dense per histogram while
 * accumulating; sparse in the result).
 */
export class FinalStateCounter {
  private readonly fsCodec: CountsCodec;
  private readonly combCodec: CountsCodec;
  private readonly combSpace: number;
  /** Per final-state code: its accumulators. */
  private readonly perFs = new Map<number, FsSlot>();
  /** Per combination code: peak windows [centre, half width, …], or undefined. */
  private readonly peaks: (Float64Array | undefined)[];
  /** Type weights of the combination code (mixed radix). */
  private readonly combWeight = new Int32Array(NT);
  private readonly calc = new Uint8Array(NT);
  private readonly obj: EventObjects;
  private readonly idx: Int32Array;
  /** The event's eligible objects (components, combination-code weight) and the walk's stack. */
  private readonly X: Float64Array; private readonly Y: Float64Array; private readonly Z: Float64Array;
  private readonly E: Float64Array; private readonly W: Int32Array;
  private readonly at: Int32Array; private readonly code: Int32Array;
  private readonly sx: Float64Array; private readonly sy: Float64Array; private readonly sz: Float64Array; private readonly se: Float64Array;
  private readonly nMain: number;
  private readonly nAll: number;
  private fsCounts = new Map<number, number>();
  events = 0;
  lessThanTwo = 0;
  combinations = 0;

  constructor(readonly opts: PhysicsOptions) {
    ({ nMain: this.nMain, nAll: this.nAll } = binCounts(opts));
    this.fsCodec = new CountsCodec(opts.maxPerType + 1);
    this.combCodec = new CountsCodec(opts.maxParticles + 1);
    const b = opts.maxParticles + 1;
    this.combSpace = b ** NT;
    for (let t = 0; t < NT; t++) { this.combWeight[t] = b ** (NT - 1 - t); this.calc[t] = opts.calculate.includes(OBJECT_TYPES[t]) ? 1 : 0; }
    this.peaks = new Array(this.combSpace).fill(undefined);
    if (opts.postprocess) {
      for (const p of opts.peaks) {
        for (const name of p.combinations) {
          const c = parseCountsName(name);
          if (c.some((x) => x > opts.maxParticles)) continue;      // never formed
          const code = this.combCodec.code(c[0], c[1], c[2], c[3]);
          const prev = this.peaks[code];
          const w = new Float64Array((prev?.length ?? 0) + 2);
          if (prev) w.set(prev);
          w[w.length - 2] = p.center; w[w.length - 1] = p.halfWidth;
          this.peaks[code] = w;
        }
      }
    }
    this.obj = new EventObjects(opts.maxPerType);
    const n = NT * opts.maxPerType, depth = opts.maxParticles + 1;
    this.idx = new Int32Array(n);
    this.X = new Float64Array(n); this.Y = new Float64Array(n); this.Z = new Float64Array(n); this.E = new Float64Array(n); this.W = new Int32Array(n);
    this.at = new Int32Array(depth); this.code = new Int32Array(depth);
    this.sx = new Float64Array(depth); this.sy = new Float64Array(depth); this.sz = new Float64Array(depth); this.se = new Float64Array(depth);
  }

  /** Processes `n` events of read columns (units per GeV from the schema). */
  add(cols: Record<string, unknown>, n: number): void {
    const o = this.opts, schema = schemaOf(o);
    const bound = bindColumns(cols, o, n);
    const obj = this.obj, idx = this.idx, calc = this.calc;
    for (let i = 0; i < n; i++) {
      selectObjects(bound, schema.unitsPerGeV, i, obj);
      this.events++;
      if (obj.n < 2) { this.lessThanTwo++; continue; }
      const pt = obj.perType;
      const fs = this.fsCodec.code(pt[0], pt[1], pt[2], pt[3]);
      this.fsCounts.set(fs, (this.fsCounts.get(fs) ?? 0) + 1);
      if (!o.masses) continue;
      let m = 0;
      for (let k = 0; k < obj.n; k++) if (calc[obj.type[k]]) idx[m++] = k;
      if (m < o.minParticles) continue;
      let slot = this.perFs.get(fs);
      if (!slot) {
        slot = { hists: new Array<Float64Array | undefined>(this.combSpace).fill(undefined),
          tails: new Array<Map<number, number> | undefined>(this.combSpace).fill(undefined), removed: new Float64Array(this.combSpace) };
        this.perFs.set(fs, slot);
      }
      this.walk(slot, m);
    }
  }

  /**
   * Every subset of idx[0..m) with minParticles…maxParticles members, depth-first in
   * lexicographic order; each member's four-vector added to the sums of the subset without it.
   */
  private walk(slot: FsSlot, m: number): void {
    const o = this.opts, obj = this.obj, idx = this.idx;
    const X = this.X, Y = this.Y, Z = this.Z, E = this.E, W = this.W;
    for (let a = 0; a < m; a++) { const k = idx[a]; X[a] = obj.px[k]; Y[a] = obj.py[k]; Z[a] = obj.pz[k]; E[a] = obj.e[k]; W[a] = this.combWeight[obj.type[k]]; }
    const minP = o.minParticles, maxP = Math.min(o.maxParticles, m);
    const at = this.at, sx = this.sx, sy = this.sy, sz = this.sz, se = this.se, code = this.code;
    const hists = slot.hists, removed = slot.removed, peaks = this.peaks, nMain = this.nMain, nAll = this.nAll, width = o.binWidth;
    let d = 0, n = 0;
    at[0] = -1;
    for (;;) {
      const a = ++at[d];
      if (a >= m) { if (--d < 0) break; continue; }
      const x = sx[d] + X[a], y = sy[d] + Y[a], z = sz[d] + Z[a], e = se[d] + E[a], c = code[d] + W[a];
      if (d + 1 >= minP) {
        n++;
        const mass = invariantMass(x, y, z, e);
        const w = peaks[c];
        let keep = true;
        if (w !== undefined) {
          for (let p = 0; p < w.length; p += 2) if (Math.abs(mass - w[p]) <= w[p + 1]) { keep = false; break; }
        }
        if (keep) {
          let h = hists[c];
          if (h === undefined) { h = new Float64Array(nMain); hists[c] = h; }
          const b = Math.floor(mass / width);
          if (b < nMain) h[b]++;
          else this.countTail(slot, c, b < nAll ? b : nAll);
        } else {
          removed[c]++;
        }
      }
      if (d + 1 < maxP && a + 1 < m) {
        d++;
        sx[d] = x; sy[d] = y; sz[d] = z; se[d] = e; code[d] = c; at[d] = a;
      }
    }
    this.combinations += n;
  }

  private countTail(slot: FsSlot, comb: number, bin: number): void {
    let t = slot.tails[comb];
    if (t === undefined) { t = new Map(); slot.tails[comb] = t; }
    t.set(bin, (t.get(bin) ?? 0) + 1);
  }

  /** The accumulated counts as a result (chunks 0: the caller counts chunks). */
  result(): FsResult {
    const r = emptyResult(this.opts.binWidth, this.nMain, this.nAll);
    r.events = this.events;
    r.lessThanTwo = this.lessThanTwo;
    r.combinations = this.combinations;
    for (const [code, n] of this.fsCounts) r.finalStates[this.fsCodec.name(code)] = n;
    for (const [fsCode, slot] of this.perFs) {
      const fs = this.fsCodec.name(fsCode);
      for (let c = 0; c < this.combSpace; c++) {
        const h = slot.hists[c];
        const name = h || slot.removed[c] ? histogramName(this.combCodec.name(c), fs, this.opts.binWidth) : '';
        if (h) r.hists[name] = withTail(sparseOf(h), slot.tails[c]);
        if (slot.removed[c]) r.removed[name] = slot.removed[c];
      }
    }
    return r;
  }
}

/** Main-bin sparse counts followed by the tail bins (all above them, so the result stays ascending). */
function withTail(main: SparseCounts, tail: Map<number, number> | undefined): SparseCounts {
  if (!tail) return main;
  const keys = [...tail.keys()].sort((a, b) => a - b);
  const bins = new Int32Array(main.bins.length + keys.length), counts = new Float64Array(bins.length);
  bins.set(main.bins); counts.set(main.counts);
  keys.forEach((k, i) => { bins[main.bins.length + i] = k; counts[main.counts.length + i] = tail.get(k)!; });
  return { bins, counts };
}
