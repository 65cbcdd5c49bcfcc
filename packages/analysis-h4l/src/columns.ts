/**
 * The columnar event layout the selections read: scalars as typed arrays, vector branches as
 * `{offsets, values}` (offsets has n+1 entries, offsets[0] = 0) — exactly what rootio's
 * `tree.arrays()` returns.
 */
export type NumArray = ArrayLike<number>;

export interface Jagged {
  offsets: ArrayLike<number>;
  values: NumArray;
}

/** Lepton branches both selections need. */
export interface LeptonColumns {
  lep_pt: Jagged;
  lep_eta: Jagged;
  lep_phi: Jagged;
  lep_E: Jagged;
  lep_charge: Jagged;
  lep_type: Jagged;
}

/** MC weight branches (absent for data). */
export interface WeightColumns {
  mcWeight: NumArray;
  scaleFactor_PILEUP: NumArray;
  scaleFactor_ELE: NumArray;
  scaleFactor_MUON: NumArray;
  scaleFactor_LepTRIGGER: NumArray;
}

/** Extra branches selection B reads. */
export interface FrameworkColumns extends LeptonColumns {
  trigE: NumArray;
  trigM: NumArray;
  lep_ptcone30: Jagged;
  lep_etcone20: Jagged;
  lep_z0: Jagged;
  lep_trackd0pvunbiased: Jagged;
  lep_tracksigd0pvunbiased: Jagged;
  jet_pt: Jagged;
  jet_eta: Jagged;
}

export const LEPTON_BRANCHES = ['lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_charge', 'lep_type'] as const;
export const WEIGHT_BRANCHES = ['mcWeight', 'scaleFactor_PILEUP', 'scaleFactor_ELE', 'scaleFactor_MUON',
  'scaleFactor_LepTRIGGER'] as const;
export const FRAMEWORK_BRANCHES = [...LEPTON_BRANCHES, 'trigE', 'trigM', 'lep_ptcone30', 'lep_etcone20',
  'lep_z0', 'lep_trackd0pvunbiased', 'lep_tracksigd0pvunbiased', 'jet_pt', 'jet_eta'] as const;

/** Number of events in a column set (from any jagged lepton column). */
export function eventCount(c: LeptonColumns): number {
  return c.lep_pt.offsets.length - 1;
}

/**
 * Per-event weights: 1 for data, otherwise `base × mcWeight × the four scale factors`
 * (base = the cross-section weight for selection A, 1 for selection B). Computed in float64.
 * With `signOnly` mcWeight counts by its sign alone (±1, 0 for 0): the framework's rule for
 * single-top samples (spec 3.1).
 */
export function eventWeights(n: number, w: WeightColumns | undefined, base: number, signOnly = false): Float64Array {
  const out = new Float64Array(n);
  if (!w) return out.fill(1);
  const { mcWeight, scaleFactor_PILEUP: p, scaleFactor_ELE: e, scaleFactor_MUON: m, scaleFactor_LepTRIGGER: t } = w;
  for (let i = 0; i < n; i++) out[i] = base * (signOnly ? Math.sign(mcWeight[i]) : mcWeight[i]) * p[i] * e[i] * m[i] * t[i];
  return out;
}
