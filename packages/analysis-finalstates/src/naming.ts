/**
 * Names of final states and combinations: object counts written `<n>e_<n>m_<n>j_<n>g`, zero
 * counts left out, in that order (`2e_2m_1j`, `2j`); and the histogram names BumpNet expects,
 * `mass_<combination>_cat_<final state>_width_<bin width>` (+ `_tail`).
 */
import { OBJECT_TYPES } from './schema.js';

/** The name of object counts [electrons, muons, jets, photons]; `''` when all are 0. */
export function countsName(counts: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let t = 0; t < OBJECT_TYPES.length; t++) if (counts[t] > 0) parts.push(`${counts[t]}${OBJECT_TYPES[t]}`);
  return parts.join('_');
}

/** The counts [e, m, j, g] of a name (`2e_1j` → [2, 0, 1, 0]); throws on a malformed name. */
export function parseCountsName(name: string): number[] {
  const counts = [0, 0, 0, 0];
  let last = -1;
  for (const part of name.split('_')) {
    const m = /^([1-9]\d*)([emjg])$/.exec(part);
    const t = m ? OBJECT_TYPES.indexOf(m[2] as (typeof OBJECT_TYPES)[number]) : -1;
    if (!m || t <= last) throw new Error(`"${name}" is not a final-state or combination name like 2e_2m_1j (counts, then e, m, j, g in that order)`);
    counts[t] = Number(m[1]);
    last = t;
  }
  return counts;
}

/** The bin width as it appears in names: `10`, `2.5`. */
export function widthLabel(w: number): string {
  return String(+w.toPrecision(12));
}

/** `mass_<combination>_cat_<final state>_width_<w>`. */
export function histogramName(combination: string, finalState: string, binWidth: number): string {
  return `mass_${combination}_cat_${finalState}_width_${widthLabel(binWidth)}`;
}

/** The tail histogram's name of a main histogram name. */
export function tailName(main: string): string {
  return `${main}_tail`;
}

/** The (combination, final state) of a histogram name, or undefined when it is not one. */
export function parseHistogramName(name: string): { combination: string; finalState: string; width: string; tail: boolean } | undefined {
  const m = /^mass_(.+)_cat_(.+)_width_([0-9.]+)(_tail)?$/.exec(name);
  return m ? { combination: m[1], finalState: m[2], width: m[3], tail: m[4] !== undefined } : undefined;
}

/**
 * Names of counts by a mixed-radix code (counts[t] < base), so the event loop works on numbers
 * and names each code once.
 */
export class CountsCodec {
  private readonly names = new Map<number, string>();
  constructor(readonly base: number) {}
  /** The code of counts [e, m, j, g]. */
  code(ne: number, nm: number, nj: number, ng: number): number {
    const b = this.base;
    return ((ne * b + nm) * b + nj) * b + ng;
  }
  /** The name of a code (cached). */
  name(code: number): string {
    let n = this.names.get(code);
    if (n === undefined) {
      const b = this.base, c = [0, 0, 0, 0];
      let x = code;
      for (let t = 3; t >= 0; t--) { c[t] = x % b; x = Math.floor(x / b); }
      n = countsName(c);
      this.names.set(code, n);
    }
    return n;
  }
}
