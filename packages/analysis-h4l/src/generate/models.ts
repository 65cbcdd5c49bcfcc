/**
 * Per-sample physics models of the synthetic generator and their calibration constants.
 *
 * Every MC sample is a four-lepton system X → P1 + P2, Pi → ℓℓ (two-body decays, boosted), whose
 * true mass m4l comes from a process-specific density; P1/P2 are the Z bosons (ZZ*, H), or the
 * Z/W-lepton pair plus a pair of non-prompt "fake" leptons (Z+jets, tt̄). The numbers here are
 * the model's knobs, tuned once against the spec's published selection-A stacks (section 4);
 * see docs/synthetic-samples.md for what was tuned and the achieved agreement.
 */

export type ProcessKind = 'higgs' | 'zz' | 'zjets' | 'ttbar';

/** A component of a true-m4l mixture density, in GeV. */
export type MassComponent =
  /** Breit–Wigner (mean, width) truncated to [lo, hi]. */
  | { kind: 'bw'; weight: number; mean: number; width: number; lo: number; hi: number }
  /** Gamma-like threshold shape (m − m0)^a · exp(−(m − m0)/b). */
  | { kind: 'gamma'; weight: number; m0: number; a: number; b: number }
  /** Single-resonant ZZ* plateau: turn-on at `on` (width `w`), falling as (m/140)^−k. */
  | { kind: 'plateau'; weight: number; on: number; w: number; k: number }
  /** Double-resonant ZZ: β(m; 2mZ) · (m/200)^−k above 2mZ. */
  | { kind: 'zzpair'; weight: number; k: number };

export interface ProcessModel {
  kind: ProcessKind;
  /** True m4l mixture (unused for `higgs`, which decays at mH). */
  mass: MassComponent[];
  /** Mean pT of the four-lepton system, GeV (exponential). */
  ptMean: number;
  /** Width of the four-lepton system's rapidity (Gaussian). */
  ySigma: number;
  /** Probability that a Z decays to electrons (the rest to muons). */
  pElectron: number;
  /** Probability that one lepton of a prompt four-lepton event is mis-reconstructed (flavour or charge). */
  pMisreco: number;
  /** Fake-pair categories (Z+jets, tt̄): probability that the pair's flavour makes the sum 44/48/52 … */
  pFakeFlavourOk: number;
  /** … and that its charges cancel. */
  pFakeChargeOk: number;
  /** Extra prompt leptons from an associated W (1) or Z (2), and how often the boson decays leptonically. */
  extraPrompt: 0 | 1 | 2;
  pExtraPrompt: number;
  /** Probability of an additional soft non-prompt lepton (lep_n = 5). */
  pFifth: number;
  /** Mean number of jets (Poisson) and whether they are forward (VBF) / b-rich (tt̄). */
  jetMean: number;
  forwardJets: boolean;
  bJets: boolean;
  /** Mean missing ET, GeV. */
  metMean: number;
  /** mcWeight: typical magnitude's sign structure — fraction of negative weights and relative spread. */
  negFraction: number;
  weightSpread: number;
}

/**
 * Calibration: the mean of mcWeight × the four scale factors over selected events, derived from
 * the spec's printout as nOut / (raw events passing × xsec_weight). The generator draws mcWeight
 * around this so that Σ totalWeight at 10 fb⁻¹ lands on the published yields when the model's
 * pass fraction matches the real one.
 */
export const WEIGHT_PER_SELECTED_EVENT: Readonly<Record<string, number>> = {
  Zee: 43.141792 / (243 * 1.297951e-4),
  Zmumu: 51.99949 / (257 * 1.323946e-4),
  ttbar_lep: 28.132816 / (334 * 9.166324e-2),
  llll: 264.85263 / (523957 * 1.668456e-3),
  ggH125_ZZ4lep: 8.639792 / (161451 * 2.160515e-6),
  VBFH125_ZZ4lep: 0.7747851 / (186870 * 1.258803e-6),
  WH125_ZZ4lep: 0.2175638 / (9772 * 2.522758e-5),
  ZH125_ZZ4lep: 0.0015058718 / (11947 * 1.428319e-7),
};

/** The real 4lep file entry counts (spec 2.4): the default number of events per file. */
export const DEFAULT_ENTRIES: Readonly<Record<string, number>> = {
  data_A: 39, data_B: 156, data_C: 237, data_D: 400,
  Zee: 898, Zmumu: 684, ttbar_lep: 1031, llll: 554279,
  ggH125_ZZ4lep: 164716, VBFH125_ZZ4lep: 191126, WH125_ZZ4lep: 15379, ZH125_ZZ4lep: 14485,
};

const HIGGS_BASE: Omit<ProcessModel, 'ptMean' | 'pMisreco' | 'extraPrompt' | 'pExtraPrompt' | 'jetMean' | 'forwardJets'> = {
  kind: 'higgs', mass: [], ySigma: 1.2, pElectron: 0.47, pFakeFlavourOk: 1, pFakeChargeOk: 1,
  pFifth: 0.004, bJets: false, metMean: 15, negFraction: 0, weightSpread: 0.05,
};

const ZJETS_MASS: MassComponent[] = [
  { kind: 'gamma', weight: 0.45, m0: 96, a: 2.0, b: 6 },
  { kind: 'gamma', weight: 0.35, m0: 90, a: 0.6, b: 35 },
  { kind: 'gamma', weight: 0.20, m0: 60, a: 2.0, b: 12 },
];

/** The process model of every MC sample selection A uses. */
export const MODELS: Readonly<Record<string, ProcessModel>> = {
  Zee: { kind: 'zjets', mass: ZJETS_MASS, ptMean: 25, ySigma: 1.3, pElectron: 1, pMisreco: 0,
    pFakeFlavourOk: 0.492, pFakeChargeOk: 0.55, extraPrompt: 0, pExtraPrompt: 0, pFifth: 0.02,
    jetMean: 1.6, forwardJets: false, bJets: false, metMean: 20, negFraction: 0.02, weightSpread: 0.3 },
  Zmumu: { kind: 'zjets', mass: ZJETS_MASS, ptMean: 25, ySigma: 1.3, pElectron: 0, pMisreco: 0,
    pFakeFlavourOk: 0.683, pFakeChargeOk: 0.55, extraPrompt: 0, pExtraPrompt: 0, pFifth: 0.02,
    jetMean: 1.6, forwardJets: false, bJets: false, metMean: 20, negFraction: 0.02, weightSpread: 0.3 },
  ttbar_lep: { kind: 'ttbar', mass: [{ kind: 'gamma', weight: 1, m0: 60, a: 2.5, b: 35 }], ptMean: 45, ySigma: 1.1,
    pElectron: 0.5, pMisreco: 0, pFakeFlavourOk: 0.54, pFakeChargeOk: 0.6, extraPrompt: 0, pExtraPrompt: 0,
    pFifth: 0.03, jetMean: 2.5, forwardJets: false, bJets: true, metMean: 60, negFraction: 0.005, weightSpread: 0.05 },
  llll: { kind: 'zz', mass: [
      { kind: 'bw', weight: 2.8, mean: 91.1876, width: 2.4952, lo: 70, hi: 115 },
      { kind: 'plateau', weight: 0.52, on: 96, w: 4, k: 1.8 },
      { kind: 'zzpair', weight: 0.374, k: 5.8 },
    ], ptMean: 25, ySigma: 1.3, pElectron: 0.47, pMisreco: 0.055, pFakeFlavourOk: 1, pFakeChargeOk: 1,
    extraPrompt: 0, pExtraPrompt: 0, pFifth: 0.004, jetMean: 0.8, forwardJets: false, bJets: false,
    metMean: 15, negFraction: 0.03, weightSpread: 0.2 },
  ggH125_ZZ4lep: { ...HIGGS_BASE, ptMean: 20, pMisreco: 0.02, extraPrompt: 0, pExtraPrompt: 0, jetMean: 0.7, forwardJets: false, negFraction: 0.002 },
  VBFH125_ZZ4lep: { ...HIGGS_BASE, ptMean: 45, pMisreco: 0.022, extraPrompt: 0, pExtraPrompt: 0, jetMean: 2.2, forwardJets: true },
  WH125_ZZ4lep: { ...HIGGS_BASE, ptMean: 50, pMisreco: 0.02, extraPrompt: 1, pExtraPrompt: 0.52, jetMean: 1.2, forwardJets: false, metMean: 35 },
  ZH125_ZZ4lep: { ...HIGGS_BASE, ptMean: 50, pMisreco: 0.02, extraPrompt: 2, pExtraPrompt: 0.5, jetMean: 1.2, forwardJets: false },
};

/** Higgs boson mass and the Z line shape, GeV. */
export const M_H = 125;
export const M_Z = 91.1876;
export const GAMMA_Z = 2.4952;
