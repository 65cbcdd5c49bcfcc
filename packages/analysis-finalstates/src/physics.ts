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
import { type FsResult, HistPacker, emptyResult, grown } from './result.js';

/** A vector branch as rootio returns it. */
export interface Jagged { offsets: ArrayLike<number>; values: ArrayLike<number> }

const NT = OBJECT_TYPES.length;

/** One collection's columns for one object type. */
interface TypeColumns {
  pt: Jagged; eta: Jagged; phi: Jagged; fourth: Jagged; isMass: boolean;
  /** null when the cut is off or the schema has none; every field present, so one hidden class. */
  id: Jagged | null; idMin: number; type: Jagged | null; typeValue: number; ptMin: number; absEtaMax: number;
}

/**
 * The selected objects of one event (scratch, reused): type, pT and where in its type's columns
 * each sits. Four-vectors are made later, only for the objects that enter combinations, so the
 * trigonometry (most of the selection's cost) is skipped for events with fewer than 2 objects,
 * for objects pushed out of the leading maxPerType and for types not combined.
 */
export class EventObjects {
  n = 0;
  /** Per type: how many were kept. */
  readonly perType = new Int32Array(NT);
  readonly type: Int32Array;
  readonly pt: Float64Array;
  /** The object's index in its type's value arrays. */
  readonly at: Int32Array;
  constructor(readonly maxPerType: number) {
    const n = NT * maxPerType;
    this.type = new Int32Array(n); this.pt = new Float64Array(n); this.at = new Int32Array(n);
  }
}

/**
 * One final state's events and accumulators, per combination code: the index of its histogram in the
 * counter's flat counts (-1 until its first mass) and the masses removed as peaks.
 */
interface FsSlot { fs: number; events: number; hist: Int32Array; removed: Float64Array }

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
  const max = out.maxPerType, opt = out.pt, oat = out.at;
  for (let t = 0; t < NT; t++) {
    const c = cols[t];
    const base = out.n;
    let kept = 0;
    const start = c.pt.offsets[i], stop = c.pt.offsets[i + 1];
    for (let k = start; k < stop; k++) {
      if (c.type && c.type.values[k] !== c.typeValue) continue;
      if (c.id && !(c.id.values[k] >= c.idMin)) continue;
      const pt = c.pt.values[k] / unitsPerGeV;
      if (!(pt > c.ptMin)) continue;
      if (!(Math.abs(c.eta.values[k]) < c.absEtaMax)) continue;
      // Insert by decreasing pT after equal ones; drop what falls past maxPerType.
      let s = kept < max ? kept : max - 1;
      if (kept >= max && !(pt > opt[base + s])) continue;
      while (s > 0 && opt[base + s - 1] < pt) { opt[base + s] = opt[base + s - 1]; oat[base + s] = oat[base + s - 1]; s--; }
      opt[base + s] = pt; oat[base + s] = k;
      if (kept < max) kept++;
    }
    for (let j = base; j < base + kept; j++) out.type[j] = t;
    out.perType[t] = kept;
    out.n += kept;
  }
}

/**
 * The four-vector (GeV) of the object at index k of type columns c, whose pT is `pt` GeV, into
 * slot j of X, Y, Z, E.
 */
function fourVector(c: TypeColumns, k: number, pt: number, unitsPerGeV: number,
                    X: Float64Array, Y: Float64Array, Z: Float64Array, E: Float64Array, j: number): void {
  const phi = c.phi.values[k], eta = c.eta.values[k];
  const px = pt * Math.cos(phi), py = pt * Math.sin(phi), pz = pt * Math.sinh(eta);
  X[j] = px; Y[j] = py; Z[j] = pz;
  const f = c.fourth.values[k] / unitsPerGeV;
  E[j] = c.isMass ? Math.sqrt(px * px + py * py + pz * pz + f * f) : f;
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
 * Accumulates chunks' events into final-state counts and mass counts: every histogram's main
 * bins dense in one flat array (they stay in cache), its rarer bins from the tail threshold on
 * by index; sparse in the result.
 */
export class FinalStateCounter {
  private readonly fsCodec: CountsCodec;
  private readonly combCodec: CountsCodec;
  private readonly combSpace: number;
  /** Per final-state code: the index of its slot in `slots`, -1 before its first event. */
  private readonly slotOf: Int32Array;
  private readonly slots: FsSlot[] = [];
  /** Slots of earlier chunks, cleared, for reuse (see reset). */
  private readonly spare: FsSlot[] = [];
  /** Histogram names by final-state code · combSpace + combination code. */
  private readonly names = new Map<number, string>();
  /** Peak windows of combination code c: (centre, half width) pairs in pk[pkFrom[c] … pkFrom[c + 1]). */
  private readonly pkFrom: Int32Array;
  private readonly pk: Float64Array;
  /** Type weights of the combination code (mixed radix). */
  private readonly combWeight = new Int32Array(NT);
  private readonly calc = new Uint8Array(NT);
  private readonly obj: EventObjects;
  /** The event's combined objects (four-vector components, combination-code weight). */
  private readonly X: Float64Array; private readonly Y: Float64Array; private readonly Z: Float64Array;
  private readonly E: Float64Array; private readonly W: Int32Array;
  /** The walk's stack: per depth, the member index, the summed four-vector and the combination code. */
  private readonly at: Int32Array; private readonly code: Int32Array;
  private readonly sx: Float64Array; private readonly sy: Float64Array; private readonly sz: Float64Array; private readonly se: Float64Array;
  private readonly nMain: number;
  private readonly nAll: number;
  private readonly width: number;
  /** Main bins of every histogram: histogram h's at [h·nMain, (h + 1)·nMain). */
  private counts: Float64Array;
  /** Per histogram: its final-state and combination codes. */
  private readonly histFs: number[] = [];
  private readonly histComb: number[] = [];
  /**
   * Bins from nMain on (the last, nAll, the overflow), dense for the histograms that have any:
   * histogram h's at tailOf[h]·nTail (-1: none yet). High masses are common (jets in VBF events
   * give ~10% of their masses above 1 TeV), so these stay arrays, not maps.
   */
  private tails: Float64Array;
  private tailOf = new Int32Array(64);
  private nTails = 0;
  private readonly nTail: number;
  events = 0;
  lessThanTwo = 0;
  combinations = 0;

  constructor(readonly opts: PhysicsOptions) {
    ({ nMain: this.nMain, nAll: this.nAll } = binCounts(opts));
    this.width = opts.binWidth;
    this.fsCodec = new CountsCodec(opts.maxPerType + 1);
    this.combCodec = new CountsCodec(opts.maxParticles + 1);
    const b = opts.maxParticles + 1;
    this.combSpace = b ** NT;
    this.slotOf = new Int32Array((opts.maxPerType + 1) ** NT).fill(-1);
    for (let t = 0; t < NT; t++) { this.combWeight[t] = b ** (NT - 1 - t); this.calc[t] = opts.calculate.includes(OBJECT_TYPES[t]) ? 1 : 0; }
    const windows: number[][] = Array.from({ length: this.combSpace }, () => []);
    if (opts.postprocess) {
      for (const p of opts.peaks) {
        for (const name of p.combinations) {
          const c = parseCountsName(name);
          if (c.some((x) => x > opts.maxParticles)) continue;      // never formed
          windows[this.combCodec.code(c[0], c[1], c[2], c[3])].push(p.center, p.halfWidth);
        }
      }
    }
    this.pkFrom = new Int32Array(this.combSpace + 1);
    for (let c = 0; c < this.combSpace; c++) this.pkFrom[c + 1] = this.pkFrom[c] + windows[c].length;
    this.pk = Float64Array.from(windows.flat());
    this.counts = new Float64Array(this.nMain * 64);
    this.nTail = this.nAll - this.nMain + 1;
    this.tails = new Float64Array(this.nTail * 8);
    this.obj = new EventObjects(opts.maxPerType);
    const n = NT * opts.maxPerType, depth = opts.maxParticles + 1;
    this.X = new Float64Array(n); this.Y = new Float64Array(n); this.Z = new Float64Array(n); this.E = new Float64Array(n); this.W = new Int32Array(n);
    this.at = new Int32Array(depth); this.code = new Int32Array(depth);
    this.sx = new Float64Array(depth); this.sy = new Float64Array(depth); this.sz = new Float64Array(depth); this.se = new Float64Array(depth);
  }

  /** Processes `n` events of read columns (units per GeV from the schema). */
  add(cols: Record<string, unknown>, n: number): void {
    const o = this.opts, units = schemaOf(o).unitsPerGeV;
    const bound = bindColumns(cols, o, n);
    const obj = this.obj, calc = this.calc, slotOf = this.slotOf, weight = this.combWeight;
    const X = this.X, Y = this.Y, Z = this.Z, E = this.E, W = this.W;
    const nested = o.maxParticles <= 4;
    for (let i = 0; i < n; i++) {
      selectObjects(bound, units, i, obj);
      this.events++;
      if (obj.n < 2) { this.lessThanTwo++; continue; }
      const pt = obj.perType;
      const fs = this.fsCodec.code(pt[0], pt[1], pt[2], pt[3]);
      let s = slotOf[fs];
      if (s < 0) {
        s = slotOf[fs] = this.slots.length;
        const slot = this.spare.pop() ?? { fs, events: 0, hist: new Int32Array(this.combSpace).fill(-1), removed: new Float64Array(this.combSpace) };
        slot.fs = fs;
        this.slots.push(slot);
      }
      const slot = this.slots[s];
      slot.events++;
      if (!o.masses) continue;
      let m = 0;
      for (let t = 0; t < NT; t++) if (calc[t]) m += pt[t];
      if (m < o.minParticles) continue;
      // The combined objects' four-vectors, in the event's object order.
      m = 0;
      for (let k = 0; k < obj.n; k++) {
        const t = obj.type[k];
        if (!calc[t]) continue;
        fourVector(bound[t], obj.at[k], obj.pt[k], units, X, Y, Z, E, m);
        W[m++] = weight[t];
      }
      if (nested) this.upToFour(slot, m); else this.walk(slot, m);
    }
  }

  /**
   * Every subset of the m objects in X…W with minParticles…maxParticles (≤ 4) members, as nested
   * loops (the sums stay in registers): in lexicographic order, each member's four-vector added
   * to the sums of the subset without it, as {@link walk} does for more members.
   */
  private upToFour(slot: FsSlot, m: number): void {
    const X = this.X, Y = this.Y, Z = this.Z, E = this.E, W = this.W;
    const minP = this.opts.minParticles, maxP = Math.min(this.opts.maxParticles, m);
    let n = 0;
    for (let a = 0; a < m - 1; a++) {
      const xa = X[a], ya = Y[a], za = Z[a], ea = E[a], ca = W[a];
      for (let b = a + 1; b < m; b++) {
        const xb = xa + X[b], yb = ya + Y[b], zb = za + Z[b], eb = ea + E[b], cb = ca + W[b];
        if (minP <= 2) { this.count(slot, cb, invariantMass(xb, yb, zb, eb)); n++; }
        if (maxP < 3) continue;
        for (let c = b + 1; c < m; c++) {
          const xc = xb + X[c], yc = yb + Y[c], zc = zb + Z[c], ec = eb + E[c], cc = cb + W[c];
          if (minP <= 3) { this.count(slot, cc, invariantMass(xc, yc, zc, ec)); n++; }
          if (maxP < 4) continue;
          for (let d = c + 1; d < m; d++) {
            this.count(slot, cc + W[d], invariantMass(xc + X[d], yc + Y[d], zc + Z[d], ec + E[d]));
            n++;
          }
        }
      }
    }
    this.combinations += n;
  }

  /**
   * Every subset of the m objects in X…W with minParticles…maxParticles members, depth-first in
   * lexicographic order; each member's four-vector added to the sums of the subset without it.
   */
  private walk(slot: FsSlot, m: number): void {
    const o = this.opts;
    const X = this.X, Y = this.Y, Z = this.Z, E = this.E, W = this.W;
    const minP = o.minParticles, maxP = Math.min(o.maxParticles, m);
    const at = this.at, sx = this.sx, sy = this.sy, sz = this.sz, se = this.se, code = this.code;
    let d = 0, n = 0;
    at[0] = -1;
    for (;;) {
      const a = ++at[d];
      if (a >= m) { if (--d < 0) break; continue; }
      const x = sx[d] + X[a], y = sy[d] + Y[a], z = sz[d] + Z[a], e = se[d] + E[a], c = code[d] + W[a];
      if (d + 1 >= minP) { this.count(slot, c, invariantMass(x, y, z, e)); n++; }
      if (d + 1 < maxP && a + 1 < m) {
        d++;
        sx[d] = x; sy[d] = y; sz[d] = z; se[d] = e; code[d] = c; at[d] = a;
      }
    }
    this.combinations += n;
  }

  /**
   * One mass of combination code c in the slot's final state: removed when in one of the
   * combination's peak windows, else counted in bin floor(mass / binWidth).
   */
  private count(slot: FsSlot, c: number, mass: number): void {
    const pk = this.pk;
    for (let q = this.pkFrom[c], qEnd = this.pkFrom[c + 1]; q < qEnd; q += 2) {
      if (Math.abs(mass - pk[q]) <= pk[q + 1]) { slot.removed[c]++; return; }
    }
    let h = slot.hist[c];
    if (h < 0) h = this.newHist(slot, c);
    const b = Math.floor(mass / this.width);
    if (b < this.nMain) this.counts[h * this.nMain + b]++;
    else this.countTail(h, b);
  }

  /** A new histogram for combination `comb` of the slot's final state (its counts zero). */
  private newHist(slot: FsSlot, comb: number): number {
    const h = this.histFs.length;
    if ((h + 1) * this.nMain > this.counts.length) this.counts = grown(this.counts, (h + 1) * this.nMain);
    if (h >= this.tailOf.length) this.tailOf = grown(this.tailOf, h + 1);
    this.tailOf[h] = -1;
    this.histFs.push(slot.fs);
    this.histComb.push(comb);
    slot.hist[comb] = h;
    return h;
  }

  /** Counts bin `bin` ≥ nMain of histogram h (past nAll: the overflow, nAll). */
  private countTail(h: number, bin: number): void {
    let t = this.tailOf[h];
    if (t < 0) {
      t = this.tailOf[h] = this.nTails++;
      if (this.nTails * this.nTail > this.tails.length) this.tails = grown(this.tails, this.nTails * this.nTail);
    }
    this.tails[t * this.nTail + (bin < this.nAll ? bin : this.nAll) - this.nMain]++;
  }

  /** The accumulated counts as a result (chunks 0: the caller counts chunks). */
  result(): FsResult {
    const { nMain, nAll } = this;
    const r = emptyResult(this.opts.binWidth, nMain, nAll);
    r.events = this.events;
    r.lessThanTwo = this.lessThanTwo;
    r.combinations = this.combinations;
    const name = (fs: number, comb: number) => {
      const key = fs * this.combSpace + comb;
      let n = this.names.get(key);
      if (n === undefined) this.names.set(key, n = histogramName(this.combCodec.name(comb), this.fsCodec.name(fs), this.opts.binWidth));
      return n;
    };
    for (const slot of this.slots) {
      r.finalStates[this.fsCodec.name(slot.fs)] = slot.events;
      for (let c = 0; c < this.combSpace; c++) if (slot.removed[c]) r.removed[name(slot.fs, c)] = slot.removed[c];
    }
    const hists = new HistPacker();
    for (let h = 0; h < this.histFs.length; h++) {
      const t = this.tailOf[h], nTail = this.nTail;
      hists.start(name(this.histFs[h], this.histComb[h]));
      hists.pushNonZero(this.counts.subarray(h * nMain, (h + 1) * nMain), 0);
      if (t >= 0) hists.pushNonZero(this.tails.subarray(t * nTail, (t + 1) * nTail), nMain);
    }
    r.hists = hists.done();
    return r;
  }

  /**
   * Back to no events, keeping what it grew (count arrays, slots, names), so one counter serves
   * chunk after chunk without allocating them again (chunk.ts keeps one per thread).
   */
  reset(): void {
    for (const slot of this.slots) {
      this.slotOf[slot.fs] = -1;
      slot.events = 0;
      slot.hist.fill(-1);
      slot.removed.fill(0);
      this.spare.push(slot);
    }
    this.slots.length = 0;
    this.counts.fill(0, 0, this.histFs.length * this.nMain);
    this.tails.fill(0, 0, this.nTails * this.nTail);
    this.histFs.length = 0;
    this.histComb.length = 0;
    this.nTails = 0;
    this.events = this.lessThanTwo = this.combinations = 0;
  }
}
