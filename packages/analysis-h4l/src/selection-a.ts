/**
 * Selection A: the ATLAS outreach notebook (HZZAnalysis.ipynb), and its A+pT variant
 * (spec section 2). Column-wise over typed arrays; no per-event objects.
 */
import type { LeptonColumns } from './columns.js';
import { type CutFlow, makeCutFlow, pass } from './cutflow.js';
import { type Hist1D, makeHist, fill } from './hist.js';

export const M4L_X_LABEL = '4-lepton invariant mass $\\mathrm{m_{4l}}$ [GeV]';

/** The notebook's m4l histogram: 34 bins of 5 GeV over [80, 250], numpy rule. */
export function makeM4lHist(): Hist1D {
  return makeHist('m4l', 34, 80, 250, 'numpy', 'm4l', M4L_X_LABEL);
}

/** Names of the A+pT lepton-pT histograms (leading, sub-leading, third, last). */
export const LEP_PT_HISTS = ['lep_pt_0', 'lep_pt_1', 'lep_pt_2', 'lep_pt_3'] as const;

export interface NotebookOptions {
  /** Apply the "Transverse momentum cuts" variant (30/20/10 GeV on leptons 0–2). */
  ptCuts: boolean;
}

export interface SelectionOutput {
  cutflow: CutFlow;
  hists: Record<string, Hist1D>;
}

/** Cut names of selection A, in application order. */
export function notebookCuts(ptCuts: boolean): string[] {
  return ['all events', ...(ptCuts ? ['lepton pT 30/20/10 GeV'] : []), 'lepton flavour sum 44/48/52',
          'lepton charge sum 0'];
}

/** Empty outputs of selection A (also what a chunk with no events returns). */
export function emptyNotebookOutput(opts: NotebookOptions): SelectionOutput {
  const hists: Record<string, Hist1D> = { m4l: makeM4lHist() };
  if (opts.ptCuts) {
    const titles = ['Leading lepton', 'Sub-leading lepton', 'Third lepton', 'Last lepton'];
    LEP_PT_HISTS.forEach((n, i) => {
      hists[n] = makeHist(n, 40, 0, 200, 'numpy', `${titles[i]} pT`, `${titles[i]} $p_T$ [GeV]`);
    });
  }
  return { cutflow: makeCutFlow(notebookCuts(opts.ptCuts)), hists };
}

/**
 * Invariant mass in GeV of the sum of the leptons at value indices `idx` (MeV in, float64 sum):
 * px = pt·cos φ, py = pt·sin φ, pz = pt·sinh η; ROOT's M() sign convention for space-like sums.
 */
export function invariantMass(c: LeptonColumns, idx: ArrayLike<number>, count: number): number {
  const pt = c.lep_pt.values, eta = c.lep_eta.values, phi = c.lep_phi.values, e = c.lep_E.values;
  let px = 0, py = 0, pz = 0, en = 0;
  for (let k = 0; k < count; k++) {
    const j = idx[k];
    px += pt[j] * Math.cos(phi[j]);
    py += pt[j] * Math.sin(phi[j]);
    pz += pt[j] * Math.sinh(eta[j]);
    en += e[j];
  }
  const m2 = en * en - px * px - py * py - pz * pz;
  return (m2 >= 0 ? Math.sqrt(m2) : -Math.sqrt(-m2)) * 0.001;
}

/**
 * Runs selection A over a column set, filling `out` (create it with emptyNotebookOutput).
 * `weights[i]` is event i's total weight (1 for data).
 */
export function runNotebook(c: LeptonColumns, weights: ArrayLike<number>, opts: NotebookOptions,
                            out: SelectionOutput): SelectionOutput {
  const off = c.lep_pt.offsets;
  const n = off.length - 1;
  const pt = c.lep_pt.values, type = c.lep_type.values, charge = c.lep_charge.values;
  const cf = out.cutflow;
  const m4l = out.hists.m4l;
  // Built by a loop, not .map(), so the array has the same elements kind interpreted and optimized.
  const ptHists: Hist1D[] = [];
  if (opts.ptCuts) for (const h of LEP_PT_HISTS) ptHists.push(out.hists[h]!);
  const idx = new Int32Array(4);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    let step = 0;
    pass(cf, step++, w);
    const o = off[i];
    // The notebook indexes leptons 0..3; an event with fewer cannot be evaluated, so it fails.
    if (off[i + 1] - o < 4) continue;
    if (opts.ptCuts) {
      if (!(pt[o] > 30000 && pt[o + 1] > 20000 && pt[o + 2] > 10000)) continue;
      pass(cf, step++, w);
    }
    const tsum = Number(type[o]) + Number(type[o + 1]) + Number(type[o + 2]) + Number(type[o + 3]);
    if (tsum !== 44 && tsum !== 48 && tsum !== 52) continue;
    pass(cf, step++, w);
    if (charge[o] + charge[o + 1] + charge[o + 2] + charge[o + 3] !== 0) continue;
    pass(cf, step++, w);
    idx[0] = o; idx[1] = o + 1; idx[2] = o + 2; idx[3] = o + 3;
    fill(m4l, invariantMass(c, idx, 4), w);
    for (let k = 0; k < ptHists.length; k++) fill(ptHists[k], pt[o + k] * 0.001, w);
  }
  return out;
}
