/**
 * Selection B: the ATLAS 13 TeV C++ outreach framework's HZZAnalysis (spec section 3),
 * quirks included: the d0 "significance ratio" cut and the last-valid Z pairing.
 * Column-wise over typed arrays; no per-event objects.
 */
import type { FrameworkColumns, NumArray } from './columns.js';
import { makeCutFlow, pass } from './cutflow.js';
import { type Hist1D, makeHist, fill } from './hist.js';
import type { SelectionOutput } from './selection-a.js';

/** The Z mass the pairing compares against, GeV. */
export const Z_MASS = 91.18;

/** The 13 filled framework histograms: name, bins, range, x title. */
export const FRAMEWORK_HISTS: readonly [string, number, number, number, string][] = [
  ['hist_mLL1', 30, 50, 106, 'Mass of Z1 [GeV]'],
  ['hist_mLL2', 30, 12, 140, 'Mass of Z2 [GeV]'],
  ['hist_fourlepsys_pt', 20, 0, 200, 'Transverse momentum of 4-lepton system [GeV]'],
  ['hist_fourlepsys_y', 20, -3, 3, 'Rapidity of 4-lepton system'],
  ['mass_ext_four_lep', 30, 80, 250, 'Mass of 4-lepton system [GeV]'],
  ['mass_four_lep', 24, 80, 170, 'Mass of 4-lepton system [GeV]'],
  ['hist_n_jets', 4, -0.5, 3.5, 'Number of jets'],
  ['hist_fourleptpt', 5, 0, 200, 'Lepton transverse momentum [GeV]'],
  ['hist_fourlepteta', 10, -3, 3, 'Lepton pseudorapidity'],
  ['hist_fourleptE', 10, 0, 300, 'Lepton energy [GeV]'],
  ['hist_fourleptphi', 8, -3.2, 3.2, 'Lepton azimuthal angle'],
  ['hist_fourleptch', 7, -1.75, 1.75, 'Lepton charge'],
  ['hist_fourleptID', 15, 5.5, 20.5, 'Lepton absolute PDG ID'],
];

export const FRAMEWORK_CUTS = ['all events', 'trigger (trigE or trigM)', 'exactly four good leptons',
  'lepton pT 25/15/10 GeV', 'lepton charge sum 0', 'lepton flavour sum 44/48/52'];

/** Empty outputs of selection B. */
export function emptyFrameworkOutput(): SelectionOutput {
  const hists: Record<string, Hist1D> = {};
  for (const [name, n, lo, hi, x] of FRAMEWORK_HISTS) hists[name] = makeHist(name, n, lo, hi, 'root', name, x);
  return { cutflow: makeCutFlow(FRAMEWORK_CUTS), hists };
}

export interface FrameworkOptions {
  /**
   * Corrected impact-parameter cut: compare lep_tracksigd0pvunbiased itself (already a
   * significance) with 5 / 3. Off by default: the framework's ratio |d0|/sigd0 is reproduced.
   */
  correctedD0?: boolean;
}

/** Whether lepton value index j passes the framework's good-lepton definition (section 3.3). */
export function isGoodLepton(c: FrameworkColumns, j: number, opts: FrameworkOptions = {}): boolean {
  const pt = c.lep_pt.values[j], eta = c.lep_eta.values[j];
  if (!(pt > 5000 && Math.abs(eta) < 2.5)) return false;
  if (!(c.lep_ptcone30.values[j] / pt < 0.3 && c.lep_etcone20.values[j] / pt < 0.3)) return false;
  const type = Number(c.lep_type.values[j]);
  const d0 = c.lep_trackd0pvunbiased.values[j], sig = c.lep_tracksigd0pvunbiased.values[j];
  const d0ratio = opts.correctedD0 ? sig : Math.abs(d0) / sig;
  const theta = Math.atan2(pt, pt * Math.sinh(eta));
  const z0sin = Math.abs(c.lep_z0.values[j] * Math.sin(theta));
  if (type === 11) return pt > 7000 && Math.abs(eta) < 2.47 && d0ratio < 5 && z0sin < 0.5;
  if (type === 13) return d0ratio < 3 && z0sin < 0.5;
  return false;
}

/** Mass in GeV of the pair (a, b) of lepton value indices. */
function pairMass(pt: NumArray, eta: NumArray, phi: NumArray, e: NumArray, a: number, b: number): number {
  const px = pt[a] * Math.cos(phi[a]) + pt[b] * Math.cos(phi[b]);
  const py = pt[a] * Math.sin(phi[a]) + pt[b] * Math.sin(phi[b]);
  const pz = pt[a] * Math.sinh(eta[a]) + pt[b] * Math.sinh(eta[b]);
  const en = e[a] + e[b];
  const m2 = en * en - px * px - py * py - pz * pz;
  return (m2 >= 0 ? Math.sqrt(m2) : -Math.sqrt(-m2)) * 0.001;
}

/**
 * The framework's Z1/Z2 choice for good leptons g (4 value indices, stored order), written into
 * z[0] (Z1) and z[1] (Z2); both stay 0 when no pairing is valid. For 4e/4μ every valid pairing of
 * g1 (same type, opposite charge) overwrites the previous one, so the *last* one wins; for
 * 2e2μ only g1's same-flavour partner is tried. Exact ties set nothing.
 */
export function pairZ(c: FrameworkColumns, g: ArrayLike<number>, z: Float64Array): void {
  const pt = c.lep_pt.values, eta = c.lep_eta.values, phi = c.lep_phi.values, e = c.lep_E.values;
  const type = c.lep_type.values, ch = c.lep_charge.values;
  z[0] = 0; z[1] = 0;
  const g1 = g[0];
  const t1 = Number(type[g1]);
  const tsum = t1 + Number(type[g[1]]) + Number(type[g[2]]) + Number(type[g[3]]);
  const sameFlavourEvent = tsum === 44 || tsum === 52;
  for (let k = 1; k < 4; k++) {
    const p = g[k];
    if (Number(type[p]) !== t1) continue;
    // In 2e2μ this is g1's one same-flavour partner; its charge decides alone.
    if (ch[p] !== -ch[g1]) { if (!sameFlavourEvent) return; continue; }
    let o1 = -1, o2 = -1;
    for (let m = 1; m < 4; m++) if (m !== k) { if (o1 < 0) o1 = g[m]; else o2 = g[m]; }
    const mA = pairMass(pt, eta, phi, e, g1, p);
    const mB = pairMass(pt, eta, phi, e, o1, o2);
    const dA = Math.abs(mA - Z_MASS), dB = Math.abs(mB - Z_MASS);
    if (dA < dB) { z[0] = mA; z[1] = mB; } else if (dB < dA) { z[0] = mB; z[1] = mA; }
    if (!sameFlavourEvent) return;
  }
}

/**
 * Runs selection B over a column set, filling `out` (create it with emptyFrameworkOutput).
 * `weights[i]` is event i's weight (mcWeight × scale factors for MC, 1 for data).
 */
export function runFramework(c: FrameworkColumns, weights: ArrayLike<number>, out: SelectionOutput,
                             opts: FrameworkOptions = {}): SelectionOutput {
  const off = c.lep_pt.offsets;
  const n = off.length - 1;
  const pt = c.lep_pt.values, eta = c.lep_eta.values, phi = c.lep_phi.values, en = c.lep_E.values;
  const type = c.lep_type.values, ch = c.lep_charge.values;
  const jetOff = c.jet_pt.offsets, jetPt = c.jet_pt.values, jetEta = c.jet_eta.values;
  const cf = out.cutflow, h = out.hists;
  const g = new Int32Array(4);
  const z = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    pass(cf, 0, w);
    if (!c.trigE[i] && !c.trigM[i]) continue;
    pass(cf, 1, w);
    let good = 0;
    for (let j = off[i]; j < off[i + 1]; j++) {
      if (!isGoodLepton(c, j, opts)) continue;
      if (good < 4) g[good] = j;
      good++;
    }
    if (good !== 4) continue;
    pass(cf, 2, w);
    if (!(pt[g[0]] > 25000 && pt[g[1]] > 15000 && pt[g[2]] > 10000)) continue;
    pass(cf, 3, w);
    if (ch[g[0]] + ch[g[1]] + ch[g[2]] + ch[g[3]] !== 0) continue;
    pass(cf, 4, w);
    const tsum = Number(type[g[0]]) + Number(type[g[1]]) + Number(type[g[2]]) + Number(type[g[3]]);
    if (tsum !== 44 && tsum !== 48 && tsum !== 52) continue;
    pass(cf, 5, w);

    let px = 0, py = 0, pz = 0, e = 0;
    for (let k = 0; k < 4; k++) {
      const j = g[k];
      px += pt[j] * Math.cos(phi[j]);
      py += pt[j] * Math.sin(phi[j]);
      pz += pt[j] * Math.sinh(eta[j]);
      e += en[j];
    }
    const m2 = e * e - px * px - py * py - pz * pz;
    const m4l = (m2 >= 0 ? Math.sqrt(m2) : -Math.sqrt(-m2)) * 0.001;
    pairZ(c, g, z);
    fill(h.hist_mLL1, z[0], w);
    fill(h.hist_mLL2, z[1], w);
    fill(h.hist_fourlepsys_pt, Math.hypot(px, py) * 0.001, w);
    fill(h.hist_fourlepsys_y, 0.5 * Math.log((e + pz) / (e - pz)), w);
    fill(h.mass_ext_four_lep, m4l, w);
    fill(h.mass_four_lep, m4l, w);
    let jets = 0;
    for (let j = jetOff[i]; j < jetOff[i + 1]; j++) if (jetPt[j] > 30000 && Math.abs(jetEta[j]) < 4.4) jets++;
    fill(h.hist_n_jets, jets, w);
    for (let k = 0; k < 4; k++) {
      const j = g[k];
      fill(h.hist_fourleptpt, pt[j] * 0.001, w);
      fill(h.hist_fourlepteta, eta[j], w);
      fill(h.hist_fourleptE, en[j] * 0.001, w);
      fill(h.hist_fourleptphi, phi[j], w);
      fill(h.hist_fourleptch, ch[j], w);
      fill(h.hist_fourleptID, Number(type[j]), w);
    }
  }
  return out;
}
