/** Builds column sets from hand-written events, for the selection tests. */
import type { FrameworkColumns } from '@gluon/analysis-h4l';

export interface Lep { pt: number; eta?: number; phi?: number; E?: number; q: number; type: number;
  ptcone30?: number; etcone20?: number; z0?: number; d0?: number; sigd0?: number }
export interface Ev { leps: Lep[]; trigE?: boolean; trigM?: boolean; jets?: { pt: number; eta: number }[] }

/** MeV lepton with E from a massless 4-vector unless given. */
export function lep(ptGeV: number, q: number, type: number, extra: Partial<Lep> = {}): Lep {
  const eta = extra.eta ?? 0, pt = ptGeV * 1000;
  return { phi: 0, E: pt * Math.cosh(eta), ptcone30: 0, etcone20: 0, z0: 0, d0: 0.01, sigd0: 1, ...extra, pt, eta, q, type };
}

export function columns(events: Ev[]): FrameworkColumns {
  const jag = () => ({ offsets: [0] as number[], values: [] as number[] });
  const c = {
    lep_pt: jag(), lep_eta: jag(), lep_phi: jag(), lep_E: jag(), lep_charge: jag(), lep_type: jag(),
    lep_ptcone30: jag(), lep_etcone20: jag(), lep_z0: jag(), lep_trackd0pvunbiased: jag(),
    lep_tracksigd0pvunbiased: jag(), jet_pt: jag(), jet_eta: jag(), trigE: [] as number[], trigM: [] as number[],
  };
  const put = (k: keyof typeof c, v: number) => (c[k] as { values: number[] }).values.push(v);
  const close = (k: keyof typeof c) => { const j = c[k] as { offsets: number[]; values: number[] }; j.offsets.push(j.values.length); };
  for (const e of events) {
    for (const l of e.leps) {
      put('lep_pt', l.pt); put('lep_eta', l.eta!); put('lep_phi', l.phi!); put('lep_E', l.E!);
      put('lep_charge', l.q); put('lep_type', l.type); put('lep_ptcone30', l.ptcone30!);
      put('lep_etcone20', l.etcone20!); put('lep_z0', l.z0!); put('lep_trackd0pvunbiased', l.d0!);
      put('lep_tracksigd0pvunbiased', l.sigd0!);
    }
    for (const j of e.jets ?? []) { put('jet_pt', j.pt * 1000); put('jet_eta', j.eta); }
    for (const k of Object.keys(c) as (keyof typeof c)[]) if (k !== 'trigE' && k !== 'trigM') close(k);
    c.trigE.push(e.trigE === false ? 0 : 1); c.trigM.push(e.trigM ? 1 : 0);
  }
  return c;
}
