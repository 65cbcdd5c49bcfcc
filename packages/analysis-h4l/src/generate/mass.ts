/**
 * Samplers for the true four-lepton mass and the pair masses: a truncated Breit–Wigner (exact
 * inverse CDF), and tabulated inverse CDFs for the smooth continuum shapes (built once per
 * model, 0.25 GeV grid).
 */
import type { MassComponent } from './models.js';
import { M_Z } from './models.js';
import type { Rng } from './rng.js';

/** Breit–Wigner (Cauchy) with the given mean and full width, truncated to [lo, hi]. */
export function truncatedBW(rng: Rng, mean: number, width: number, lo: number, hi: number): number {
  if (!(hi > lo)) return lo;
  const half = width / 2;
  const a = Math.atan((lo - mean) / half), b = Math.atan((hi - mean) / half);
  const x = mean + half * Math.tan(a + (b - a) * rng.uniform());
  return Math.min(hi, Math.max(lo, x));
}

/** Momentum of either daughter in a two-body decay M → m1 m2 (0 below threshold). */
export function twoBodyMomentum(M: number, m1: number, m2: number): number {
  const s = (M * M - (m1 + m2) * (m1 + m2)) * (M * M - (m1 - m2) * (m1 - m2));
  return s > 0 ? Math.sqrt(s) / (2 * M) : 0;
}

const GRID_LO = 40, GRID_HI = 1500, GRID_STEP = 0.25;

function density(c: MassComponent, m: number): number {
  switch (c.kind) {
    case 'gamma': return m > c.m0 ? Math.pow(m - c.m0, c.a) * Math.exp(-(m - c.m0) / c.b) : 0;
    case 'plateau': return Math.pow(m / 140, -c.k) / (1 + Math.exp(-(m - c.on) / c.w));
    case 'zzpair': {
      const t = 2 * M_Z;
      return m > t ? Math.sqrt(1 - (t * t) / (m * m)) * Math.pow(m / 200, -c.k) : 0;
    }
    case 'bw': return 0;
  }
}

/** Inverse-CDF table of one smooth component. */
class Table {
  private readonly cdf: Float64Array;
  constructor(c: MassComponent) {
    const n = Math.round((GRID_HI - GRID_LO) / GRID_STEP);
    this.cdf = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const mid = GRID_LO + (i + 0.5) * GRID_STEP;
      this.cdf[i + 1] = this.cdf[i] + density(c, mid);
    }
    const total = this.cdf[n];
    if (!(total > 0)) throw new Error(`mass component ${JSON.stringify(c)} has no support in [${GRID_LO}, ${GRID_HI}] GeV`);
    for (let i = 1; i <= n; i++) this.cdf[i] /= total;
  }
  sample(rng: Rng): number {
    const u = rng.uniform(), cdf = this.cdf;
    let lo = 0, hi = cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] <= u) lo = mid; else hi = mid;
    }
    const f = (u - cdf[lo]) / (cdf[hi] - cdf[lo] || 1);
    return GRID_LO + (lo + f) * GRID_STEP;
  }
}

/** A mixture sampler over a model's mass components. */
export class MassSampler {
  private readonly cum: number[] = [];
  private readonly tables: (Table | undefined)[] = [];
  constructor(private readonly comps: readonly MassComponent[]) {
    let s = 0;
    for (const c of comps) { s += c.weight; this.cum.push(s); this.tables.push(c.kind === 'bw' ? undefined : new Table(c)); }
    for (let i = 0; i < this.cum.length; i++) this.cum[i] /= s;
  }
  sample(rng: Rng): number {
    const u = rng.uniform();
    let k = 0;
    while (k < this.cum.length - 1 && u > this.cum[k]) k++;
    const c = this.comps[k];
    if (c.kind === 'bw') return truncatedBW(rng, c.mean, c.width, c.lo, c.hi);
    return this.tables[k]!.sample(rng);
  }
}
