/**
 * Photons in the `mini` schema: multiplicity, pT, η (outside the barrel–endcap crack),
 * identification and isolation. Drawn from a stream of their own (SampleStream's
 * `<seed>:<sample>:photons`), so adding them left every other branch of a seed's events as it was.
 *
 * The real 4lep files hold no photons (0 in the 832 data events), so the rate is a choice, not a
 * fit: PHOTON_MEAN per event, low enough to leave the 4ℓ picture alone and high enough that final
 * states with photons appear at the benchmark's scale. pT falls like a prompt/FSR photon spectrum
 * above 10 GeV; 85% pass the tight identification.
 */
import type { MiniBuilder } from './columns.js';
import type { Rng } from './rng.js';

/** Mean photons per event. */
export const PHOTON_MEAN = 0.02;
const ETA_MAX = 2.37, CRACK_LO = 1.37, CRACK_HI = 1.52;
const PT = new Float64Array(8);

/** Adds event i's photons (GeV drawn, MeV stored, decreasing pT) to the builder; call before the event is closed. */
export function fillPhotons(b: MiniBuilder, i: number, rng: Rng, isData: boolean): void {
  const n = Math.min(PT.length, rng.poisson(PHOTON_MEAN));
  b.scalars.photon_n[i] = n;
  for (let j = 0; j < n; j++) {
    const x = 10 + rng.exp(18);
    let k = j;
    while (k > 0 && PT[k - 1] < x) { PT[k] = PT[k - 1]; k--; }
    PT[k] = x;
  }
  const V = b.vectors;
  for (let j = 0; j < n; j++) {
    const pt = PT[j];
    let eta = 0;
    for (let t = 0; t < 32; t++) {
      eta = 1.3 * rng.normal();
      const a = Math.abs(eta);
      if (a < ETA_MAX && (a < CRACK_LO || a > CRACK_HI)) break;
      eta = 0;
    }
    const tight = rng.chance(0.85);
    V.photon_pt.push(pt * 1000); V.photon_eta.push(eta); V.photon_phi.push(Math.PI * (2 * rng.uniform() - 1));
    V.photon_E.push(pt * Math.cosh(eta) * 1000);
    V.photon_isTightID.push(tight ? 1 : 0);
    V.photon_ptcone30.push((rng.chance(0.8) ? 0 : rng.exp(0.05 * pt)) * 1000);
    V.photon_etcone20.push((0.01 + 0.03 * rng.normal()) * pt * 1000);
    V.photon_convType.push(rng.chance(0.7) ? 0 : rng.chance(0.5) ? 1 : 2);
    V.photon_trigMatched.push(0);
    V.photon_pt_syst.push(0);
    if (!isData) V.photon_truthMatched.push(tight ? 1 : 0);
  }
}
