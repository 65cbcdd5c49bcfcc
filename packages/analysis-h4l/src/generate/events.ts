/**
 * The event generator: builds one sample's events straight into `mini` columns.
 *
 * Per event: true m4l and pair masses from the process model, X → P1 P2 → 4ℓ as isotropic
 * two-body decays boosted to the lab, then detector effects (pT resolution, an occasional
 * radiative energy loss, acceptance pT > 7 GeV, |η| < 2.47/2.5, leading pT > 25 GeV — events
 * outside are regenerated, as the 4lep skim would never have kept them), lepton identities
 * (flavour, charge, fake pairs, mis-reconstruction, extra leptons), pT ordering, and the
 * remaining branches (isolation, impact parameters, triggers, jets, MET, weights).
 */
import { MiniBuilder, type ColumnSet } from './columns.js';
import { MassSampler, truncatedBW, twoBodyMomentum } from './mass.js';
import { GAMMA_Z, M_H, M_Z, type ProcessModel } from './models.js';
import type { Rng } from './rng.js';
import { fillPhotons } from './photons.js';

const M_E = 0.000511, M_MU = 0.1056584;
const MAX_LEPTONS = 8;
const MAX_ATTEMPTS = 10_000;
/** Per-lepton probability of a visible radiative (FSR/bremsstrahlung) energy loss. */
const P_RADIATE = 0.2;

/** What a sample's events carry besides their physics. */
export interface EventMeta {
  isData: boolean;
  /** channelNumber for MC (the DSID). */
  dsid: number;
  /** XSection and SumWeights branches (MC). */
  xsec: number;
  sumw: number;
  /** Mean of mcWeight × the four analysis scale factors (MC). */
  weightMean: number;
  /** Data: run numbers drawn uniformly from [runLo, runHi]. */
  runLo: number;
  runHi: number;
}

/** Per-event lepton scratch space (GeV while generating). */
class Leptons {
  n = 0;
  readonly px = new Float64Array(MAX_LEPTONS);
  readonly py = new Float64Array(MAX_LEPTONS);
  readonly pz = new Float64Array(MAX_LEPTONS);
  readonly pt = new Float64Array(MAX_LEPTONS);
  readonly eta = new Float64Array(MAX_LEPTONS);
  readonly phi = new Float64Array(MAX_LEPTONS);
  readonly type = new Int32Array(MAX_LEPTONS);
  readonly charge = new Int32Array(MAX_LEPTONS);
  readonly prompt = new Uint8Array(MAX_LEPTONS);
  readonly order = new Int32Array(MAX_LEPTONS);
}

/** Scratch 4-vectors for the decay chain. */
const V = new Float64Array(4);

function boost(out: Float64Array, bx: number, by: number, bz: number): void {
  const b2 = bx * bx + by * by + bz * bz;
  if (b2 <= 0) return;
  const g = 1 / Math.sqrt(1 - b2);
  const bp = bx * out[0] + by * out[1] + bz * out[2];
  const g2 = (g - 1) / b2;
  const e = out[3];
  out[0] += g2 * bp * bx + g * bx * e;
  out[1] += g2 * bp * by + g * by * e;
  out[2] += g2 * bp * bz + g * bz * e;
  out[3] = g * (e + bp);
}

/** A random unit vector scaled to p, into out[0..2]. */
function isotropic(rng: Rng, p: number, out: Float64Array): void {
  const c = 2 * rng.uniform() - 1, s = Math.sqrt(1 - c * c), f = 2 * Math.PI * rng.uniform();
  out[0] = p * s * Math.cos(f); out[1] = p * s * Math.sin(f); out[2] = p * c;
}

/**
 * Decays a pair of mass m (moving with velocity (pbx,pby,pbz) inside X, X moving with
 * (xbx,xby,xbz) in the lab) into leptons slots k and k+1 (massless in the decay; lepton masses
 * enter E when the event is stored).
 */
function decayPair(rng: Rng, L: Leptons, k: number, m: number, pb: Float64Array, xb: Float64Array): void {
  isotropic(rng, m / 2, V);
  const qx = V[0], qy = V[1], qz = V[2];
  for (let s = 0; s < 2; s++) {
    const sign = s === 0 ? 1 : -1;
    V[0] = sign * qx; V[1] = sign * qy; V[2] = sign * qz; V[3] = m / 2;
    boost(V, pb[0], pb[1], pb[2]);
    boost(V, xb[0], xb[1], xb[2]);
    L.px[k + s] = V[0]; L.py[k + s] = V[1]; L.pz[k + s] = V[2];
  }
}

const JET_PT = new Float64Array(16);
const P1B = new Float64Array(3), P2B = new Float64Array(3), XB = new Float64Array(3);

/** Draws pair masses for the process given m4l; returns false when kinematically impossible. */
function pairMasses(model: ProcessModel, rng: Rng, m4l: number, out: Float64Array): boolean {
  let m12: number, m34: number;
  switch (model.kind) {
    case 'higgs':
    case 'zz': {
      m12 = truncatedBW(rng, M_Z, GAMMA_Z, 40, Math.min(120, m4l - 4.1));
      const u = m4l - m12 - 0.01;
      if (u < 4) return false;
      // Off-shell Z2: Breit–Wigner times the two-body phase space (accept/reject).
      const pmax = twoBodyMomentum(m4l, m12, 4);
      m34 = 4;
      for (let t = 0; t < 64; t++) {
        m34 = truncatedBW(rng, M_Z, GAMMA_Z, 4, Math.min(120, u));
        if (rng.uniform() * pmax <= twoBodyMomentum(m4l, m12, m34)) break;
      }
      break;
    }
    case 'zjets': {
      m12 = m4l > 80 ? truncatedBW(rng, M_Z, GAMMA_Z, 60, Math.min(120, m4l - 3.5)) : 40 + (m4l - 45) * Math.sqrt(rng.uniform());
      const u = m4l - m12;
      if (u < 2.5) return false;
      m34 = 2 + (Math.min(45, u) - 2) * rng.uniform();
      break;
    }
    case 'ttbar': {
      m12 = 12 + (m4l - 30) * Math.pow(rng.uniform(), 0.8);
      const u = m4l - m12;
      if (u < 2.5) return false;
      m34 = 2 + (Math.min(60, u) - 2) * rng.uniform();
      break;
    }
  }
  out[0] = m12; out[1] = m34;
  return true;
}

const PAIR = new Float64Array(2);

/** Identities of the core four leptons (slots 0,1 = P1; 2,3 = P2). */
function assignIdentities(model: ProcessModel, rng: Rng, L: Leptons): void {
  const q = rng.chance(0.5) ? 1 : -1;
  L.charge[0] = q; L.charge[1] = -q;
  L.prompt[0] = 1; L.prompt[1] = 1;
  if (model.kind === 'ttbar') {
    L.type[0] = rng.chance(model.pElectron) ? 11 : 13;
    L.type[1] = rng.chance(model.pElectron) ? 11 : 13;
  } else {
    L.type[0] = L.type[1] = rng.chance(model.pElectron) ? 11 : 13;
  }
  if (model.kind === 'zjets' || model.kind === 'ttbar') {
    // Non-prompt pair: its flavour and charges decide whether the 4ℓ sums pass.
    L.prompt[2] = 0; L.prompt[3] = 0;
    const promptEven = (L.type[0] === 11 ? 1 : 0) + (L.type[1] === 11 ? 1 : 0);
    const wantEven = rng.chance(model.pFakeFlavourOk) === (promptEven % 2 === 0);
    if (wantEven) {
      L.type[2] = L.type[3] = rng.chance(0.5) ? 11 : 13;
    } else {
      const e = rng.chance(0.5) ? 2 : 3;
      L.type[e] = 11; L.type[5 - e] = 13;
    }
    const c = rng.chance(0.5) ? 1 : -1;
    L.charge[2] = c;
    L.charge[3] = rng.chance(model.pFakeChargeOk) ? -c : c;
  } else {
    L.prompt[2] = 1; L.prompt[3] = 1;
    const q2 = rng.chance(0.5) ? 1 : -1;
    L.charge[2] = q2; L.charge[3] = -q2;
    L.type[2] = L.type[3] = rng.chance(model.pElectron) ? 11 : 13;
    if (rng.chance(model.pMisreco)) {
      const k = Math.floor(rng.uniform() * 4);
      if (rng.chance(0.5)) L.charge[k] = -L.charge[k];
      else L.type[k] = L.type[k] === 11 ? 13 : 11;
    }
  }
}

/** Fills pt/eta/phi of slot k from its momentum, applying resolution. */
function measure(rng: Rng, L: Leptons, k: number, radiate: boolean): void {
  let pt = Math.sqrt(L.px[k] * L.px[k] + L.py[k] * L.py[k]);
  const eta = Math.asinh(L.pz[k] / pt);
  const res = L.type[k] === 11 ? 0.024 : 0.026;
  pt *= 1 + res * rng.normal();
  if (radiate) { const u = rng.uniform(); pt *= 1 - 0.3 * u * u * u; }
  L.pt[k] = pt; L.eta[k] = eta; L.phi[k] = Math.atan2(L.py[k], L.px[k]);
}

/**
 * Cheap pre-check on the true momenta before identities and smearing are drawn: pT above
 * 6.3 GeV (7 GeV is > 4σ of resolution away) and |η| < 2.5 (η is not smeared). Most rejected
 * attempts stop here.
 */
function roughlyAccepted(L: Leptons): boolean {
  for (let k = 0; k < 4; k++) {
    const pt2 = L.px[k] * L.px[k] + L.py[k] * L.py[k];
    if (pt2 < 6.3 * 6.3 || Math.abs(L.pz[k]) > SINH_ETA_MAX * Math.sqrt(pt2)) return false;
  }
  return true;
}

const SINH_ETA_MAX = Math.sinh(2.5);

function inAcceptance(L: Leptons, k: number): boolean {
  return L.pt[k] > 7 && Math.abs(L.eta[k]) < (L.type[k] === 11 ? 2.47 : 2.5);
}

/** Adds a lepton with given pT/η/φ and identity. */
function addLepton(L: Leptons, pt: number, eta: number, phi: number, type: number, charge: number, prompt: number): void {
  const k = L.n++;
  L.pt[k] = pt; L.eta[k] = eta; L.phi[k] = phi; L.type[k] = type; L.charge[k] = charge; L.prompt[k] = prompt;
}

/** Generates the leptons of one event (GeV) into L; retries until the event is in acceptance. */
function generateLeptons(model: ProcessModel, sampler: MassSampler | undefined, rng: Rng, L: Leptons): void {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const m4l = sampler ? sampler.sample(rng) : M_H + 0.0041 * Math.tan(Math.PI * (rng.uniform() - 0.5)) / 2;
    if (!pairMasses(model, rng, m4l, PAIR)) continue;
    const m12 = PAIR[0], m34 = PAIR[1];
    // X in the lab.
    const xpt = rng.exp(model.ptMean), xphi = 2 * Math.PI * rng.uniform(), y = model.ySigma * rng.normal();
    const mt = Math.sqrt(m4l * m4l + xpt * xpt), xe = mt * Math.cosh(y);
    XB[0] = (xpt * Math.cos(xphi)) / xe; XB[1] = (xpt * Math.sin(xphi)) / xe; XB[2] = (mt * Math.sinh(y)) / xe;
    // P1, P2 in X's frame.
    const p = twoBodyMomentum(m4l, m12, m34);
    isotropic(rng, p, V);
    const e1 = Math.sqrt(p * p + m12 * m12), e2 = Math.sqrt(p * p + m34 * m34);
    P1B[0] = V[0] / e1; P1B[1] = V[1] / e1; P1B[2] = V[2] / e1;
    P2B[0] = -V[0] / e2; P2B[1] = -V[1] / e2; P2B[2] = -V[2] / e2;
    decayPair(rng, L, 0, m12, P1B, XB);
    decayPair(rng, L, 2, m34, P2B, XB);
    if (!roughlyAccepted(L)) continue;
    assignIdentities(model, rng, L);
    let ok = true;
    for (let k = 0; k < 4; k++) {
      measure(rng, L, k, rng.chance(P_RADIATE));
      if (!inAcceptance(L, k)) { ok = false; break; }
    }
    if (!ok) continue;
    L.n = 4;
    if (model.extraPrompt > 0 && rng.chance(model.pExtraPrompt)) addExtraPrompt(model, rng, L);
    let lead = 0, soft = Infinity;
    for (let k = 0; k < L.n; k++) { lead = Math.max(lead, L.pt[k]); soft = Math.min(soft, L.pt[k]); }
    if (lead <= 25) continue;
    if (rng.chance(model.pFifth) && soft > 7.5) {
      addLepton(L, 7 + (soft - 7) * rng.uniform(), 5 * rng.uniform() - 2.5, Math.PI * (2 * rng.uniform() - 1),
                rng.chance(0.5) ? 11 : 13, rng.chance(0.5) ? 1 : -1, 0);
    }
    return;
  }
  throw new Error(`event generation for a ${model.kind} model found no event in acceptance after ${MAX_ATTEMPTS} attempts`);
}

/** The associated W (one lepton) or Z (an opposite-charge same-flavour pair); leptons outside acceptance are lost. */
function addExtraPrompt(model: ProcessModel, rng: Rng, L: Leptons): void {
  if (model.extraPrompt === 1) {
    const pt = 8 + rng.exp(32), eta = 1.3 * rng.normal();
    const type = rng.chance(0.5) ? 11 : 13;
    if (pt > 7 && Math.abs(eta) < 2.47) addLepton(L, pt, eta, Math.PI * (2 * rng.uniform() - 1), type, rng.chance(0.5) ? 1 : -1, 1);
    return;
  }
  const zpt = rng.exp(40), zphi = 2 * Math.PI * rng.uniform(), y = 1.2 * rng.normal();
  const m = truncatedBW(rng, M_Z, GAMMA_Z, 60, 120);
  const mt = Math.sqrt(m * m + zpt * zpt), ze = mt * Math.cosh(y);
  XB[0] = (zpt * Math.cos(zphi)) / ze; XB[1] = (zpt * Math.sin(zphi)) / ze; XB[2] = (mt * Math.sinh(y)) / ze;
  P1B[0] = P1B[1] = P1B[2] = 0;
  const k = L.n;
  decayPair(rng, L, k, m, P1B, XB);
  const type = rng.chance(0.5) ? 11 : 13, q = rng.chance(0.5) ? 1 : -1;
  for (let s = 0; s < 2; s++) {
    L.type[k + s] = type; L.charge[k + s] = s === 0 ? q : -q; L.prompt[k + s] = 1;
    measure(rng, L, k + s, false);
  }
  // Keep only what the detector accepts (compact the kept ones into place).
  let n = k;
  for (let s = 0; s < 2; s++) {
    if (!inAcceptance(L, k + s)) continue;
    if (n !== k + s) {
      L.pt[n] = L.pt[k + s]; L.eta[n] = L.eta[k + s]; L.phi[n] = L.phi[k + s];
      L.type[n] = L.type[k + s]; L.charge[n] = L.charge[k + s]; L.prompt[n] = 1;
    }
    n++;
  }
  L.n = n;
}

/** Sorts L.order by decreasing pT (insertion sort; n ≤ 8). */
function sortByPt(L: Leptons): void {
  const o = L.order;
  for (let i = 0; i < L.n; i++) {
    let j = i;
    while (j > 0 && L.pt[o[j - 1]] < L.pt[i]) { o[j] = o[j - 1]; j--; }
    o[j] = i;
  }
}

function canonicalModel(m: ProcessModel): ProcessModel {
  return {
    kind: m.kind, mass: m.mass, ptMean: m.ptMean, ySigma: m.ySigma, pElectron: m.pElectron, pMisreco: m.pMisreco,
    pFakeFlavourOk: m.pFakeFlavourOk, pFakeChargeOk: m.pFakeChargeOk, extraPrompt: m.extraPrompt,
    pExtraPrompt: m.pExtraPrompt, pFifth: m.pFifth, jetMean: m.jetMean, forwardJets: m.forwardJets, bJets: m.bJets,
    metMean: m.metMean, negFraction: m.negFraction, weightSpread: m.weightSpread,
  };
}

/** Per-sample generation state (the mass sampler is built once). */
export class SampleGenerator implements EventSource {
  private readonly sampler: MassSampler | undefined;
  private readonly L = new Leptons();
  get isData(): boolean { return this.meta.isData; }
  readonly model: ProcessModel;
  constructor(model: ProcessModel, readonly meta: EventMeta) {
    // One object shape for every model keeps the hot paths monomorphic when samples are mixed.
    this.model = canonicalModel(model);
    this.sampler = model.kind === 'higgs' ? undefined : new MassSampler(model.mass);
  }

  /** Generates event i of builder b. */
  fill(b: MiniBuilder, i: number, rng: Rng, eventNumber: number): void {
    const { model, meta } = this;
    const L = this.L;
    generateLeptons(model, this.sampler, rng, L);
    sortByPt(L);
    const S = b.scalars, Vb = b.vectors;
    const run = meta.isData ? meta.runLo + Math.floor(rng.uniform() * (meta.runHi - meta.runLo + 1)) : 284500;
    S.runNumber[i] = run;
    S.eventNumber[i] = eventNumber;
    S.channelNumber[i] = meta.isData ? run : meta.dsid;
    S.lep_n[i] = L.n;
    let nE = 0, nM = 0, trigE = 0, trigM = 0;
    for (let r = 0; r < L.n; r++) {
      const k = L.order[r];
      const pt = L.pt[k], eta = L.eta[k], type = L.type[k], prompt = L.prompt[k] === 1;
      const mass = type === 11 ? M_E : M_MU;
      const pz = pt * Math.sinh(eta);
      const e = Math.sqrt(pt * pt + pz * pz + mass * mass);
      if (type === 11) nE++; else nM++;
      Vb.lep_pt.push(pt * 1000); Vb.lep_eta.push(eta); Vb.lep_phi.push(L.phi[k]); Vb.lep_E.push(e * 1000);
      Vb.lep_charge.push(L.charge[k]); Vb.lep_type.push(type);
      // Isolation: prompt leptons are mostly alone in their cone; non-prompt ones sit in jets.
      const ptcone = prompt ? (rng.chance(0.75) ? 0 : rng.exp(0.05 * pt)) : rng.exp(0.35 * pt);
      const etcone = prompt ? (0.01 + 0.04 * rng.normal()) * pt : (0.2 + 0.2 * rng.normal()) * pt;
      Vb.lep_ptcone30.push(ptcone * 1000); Vb.lep_etcone20.push(etcone * 1000);
      // Impact parameters (mm): d0 resolution σ ≈ 10–40 μm; the "sig" branch stores |d0|/σ.
      const sigma = 0.01 + 0.03 * rng.uniform();
      const d0 = prompt ? sigma * rng.normal() : (0.05 + rng.exp(0.15)) * (rng.chance(0.5) ? 1 : -1);
      Vb.lep_trackd0pvunbiased.push(d0); Vb.lep_tracksigd0pvunbiased.push(Math.abs(d0) / sigma);
      Vb.lep_z0.push(prompt ? 0.08 * rng.normal() : 0.6 * rng.normal());
      Vb.lep_isTightID.push(prompt ? (rng.chance(0.93) ? 1 : 0) : (rng.chance(0.4) ? 1 : 0));
      const fires = pt > 27 && rng.chance(0.95);
      if (fires) { if (type === 11) trigE = 1; else trigM = 1; }
      Vb.lep_trigMatched.push(fires ? 1 : 0);
      if (!meta.isData) Vb.lep_truthMatched.push(prompt ? 1 : 0);
      Vb.lep_pt_syst.push(0);
    }
    // The 4lep skim kept only triggered events: the leading lepton's trigger if nothing else fired.
    if (!trigE && !trigM) { if (L.type[L.order[0]] === 11) trigE = 1; else trigM = 1; }
    S.trigE[i] = trigE; S.trigM[i] = trigM; S.trigP[i] = 0;
    this.fillJets(b, i, rng);
    S.met_et[i] = rng.exp(model.metMean) * 1000 + 500;
    S.met_phi[i] = Math.PI * (2 * rng.uniform() - 1);
    if (meta.isData) {
      S.XSection[i] = 1; S.SumWeights[i] = 1;
    } else {
      S.XSection[i] = meta.xsec; S.SumWeights[i] = meta.sumw;
      this.fillWeights(S, i, rng, nE, nM);
    }
    b.close(i);
  }

  private fillJets(b: MiniBuilder, i: number, rng: Rng): void {
    const { model, meta } = this;
    const Vb = b.vectors;
    const n = Math.min(12, rng.poisson(model.jetMean));
    b.scalars.jet_n[i] = n;
    // Jets are stored in decreasing pT: draw, then insertion-sort the few of them.
    const pts = JET_PT;
    const mean = model.bJets ? 40 : model.forwardJets ? 45 : 25;
    for (let j = 0; j < n; j++) {
      const x = 20 + rng.exp(mean);
      let k = j;
      while (k > 0 && pts[k - 1] < x) { pts[k] = pts[k - 1]; k--; }
      pts[k] = x;
    }
    for (let j = 0; j < n; j++) {
      const pt = pts[j];
      const eta = Math.max(-2.49, Math.min(2.49, (model.forwardJets && j < 2 ? 1.6 : 1.2) * rng.normal()));
      const isB = model.bJets && j < 2 && rng.chance(0.7);
      const m = pt * (0.08 + 0.08 * rng.uniform());
      const pz = pt * Math.sinh(eta);
      Vb.jet_pt.push(pt * 1000); Vb.jet_eta.push(eta); Vb.jet_phi.push(Math.PI * (2 * rng.uniform() - 1));
      Vb.jet_E.push(Math.sqrt(pt * pt + pz * pz + m * m) * 1000);
      Vb.jet_jvt.push(pt > 60 ? 1 : Math.max(-0.1, 1 - rng.exp(0.05)));
      Vb.jet_MV2c10.push(isB ? Math.min(1, 0.6 + 0.4 * Math.sqrt(rng.uniform())) : Math.min(1, -0.95 + rng.exp(0.25)));
      Vb.jet_pt_syst.push(0);
      if (!meta.isData) { Vb.jet_trueflav.push(isB ? 5 : rng.chance(0.1) ? 4 : 0); Vb.jet_truthMatched.push(1); }
    }
  }

  private fillWeights(S: MiniBuilder['scalars'], i: number, rng: Rng, nE: number, nM: number): void {
    const { model, meta } = this;
    let ele = 1, muon = 1;
    for (let k = 0; k < nE; k++) ele *= ELE_SF + 0.01 * rng.normal();
    for (let k = 0; k < nM; k++) muon *= MUON_SF + 0.005 * rng.normal();
    const pileup = Math.max(0.2, PILEUP_SF + 0.15 * rng.normal());
    const trig = TRIG_SF + 0.005 * rng.normal();
    S.scaleFactor_PILEUP[i] = pileup; S.scaleFactor_ELE[i] = ele; S.scaleFactor_MUON[i] = muon;
    S.scaleFactor_LepTRIGGER[i] = trig;
    S.scaleFactor_PHOTON[i] = 1; S.scaleFactor_TAU[i] = 1; S.scaleFactor_PhotonTRIGGER[i] = 1;
    S.scaleFactor_BTAG[i] = 1 + 0.03 * rng.normal();
    // mcWeight: log-normal magnitude (mean 1 before the sign) times a sample scale chosen so that
    // E[mcWeight × SFs] equals the calibrated mean; a small fraction of negative weights.
    const spread = model.weightSpread;
    const magnitude = Math.exp(spread * rng.normal() - (spread * spread) / 2);
    const sign = rng.chance(model.negFraction) ? -1 : 1;
    S.mcWeight[i] = (sign * magnitude * meta.weightMean) / ((1 - 2 * model.negFraction) * MEAN_SF);
  }
}

const ELE_SF = 0.985, MUON_SF = 0.99, PILEUP_SF = 0.93, TRIG_SF = 0.995;
/** E[PILEUP × ELE × MUON × TRIGGER] for a 2e2μ event; channel mix moves it by ≲ 1%. */
const MEAN_SF = PILEUP_SF * ELE_SF ** 2 * MUON_SF ** 2 * TRIG_SF;

/** Anything that fills events into a builder: one process, or a mixture of them (data). */
export interface EventSource {
  readonly isData: boolean;
  fill(b: MiniBuilder, i: number, rng: Rng, eventNumber: number): void;
}

/**
 * Generates `n` events into columns (MC events numbered from `firstEventNumber`, data at random);
 * with `photonRng`, photons too (photons.ts), from that stream.
 */
export function generateColumns(src: EventSource, n: number, rng: Rng, firstEventNumber = 1, photonRng?: Rng): ColumnSet {
  const b = new MiniBuilder(n);
  for (let i = 0; i < n; i++) {
    if (photonRng) fillPhotons(b, i, photonRng, src.isData);
    src.fill(b, i, rng, src.isData ? (rng.nextU32() >>> 1) : firstEventNumber + i);
  }
  return b.finish();
}
