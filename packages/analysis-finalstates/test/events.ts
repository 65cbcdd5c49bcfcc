/** Hand-made events in the ATLAS 2020 `mini` layout (MeV), as the columns rootio returns. */
export interface Obj { pt: number; eta: number; phi: number; e?: number; tight?: boolean }
export interface Ev { e?: Obj[]; m?: Obj[]; j?: Obj[]; g?: Obj[] }

/** A massless object's energy in MeV: pT·cosh η. */
const energy = (o: Obj) => o.e ?? o.pt * Math.cosh(o.eta);

function jag(rows: number[][], C: Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor = Float32Array) {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => { offsets[i + 1] = offsets[i] + r.length; });
  return { offsets, values: C.from(rows.flat()) };
}

/** Columns of events; pT and E in GeV here, written in MeV; leptons interleaved e, m per event. */
export function miniColumns(events: Ev[]): Record<string, unknown> {
  const leps = events.map((e) => [...(e.e ?? []).map((o) => ({ ...o, type: 11 })), ...(e.m ?? []).map((o) => ({ ...o, type: 13 }))]);
  const mev = (x: number) => x * 1000;
  return {
    lep_pt: jag(leps.map((l) => l.map((o) => mev(o.pt)))), lep_eta: jag(leps.map((l) => l.map((o) => o.eta))),
    lep_phi: jag(leps.map((l) => l.map((o) => o.phi))), lep_E: jag(leps.map((l) => l.map((o) => mev(energy(o))))),
    lep_type: jag(leps.map((l) => l.map((o) => o.type)), Uint32Array), lep_isTightID: jag(leps.map((l) => l.map((o) => (o.tight === false ? 0 : 1))), Uint8Array),
    jet_pt: jag(events.map((e) => (e.j ?? []).map((o) => mev(o.pt)))), jet_eta: jag(events.map((e) => (e.j ?? []).map((o) => o.eta))),
    jet_phi: jag(events.map((e) => (e.j ?? []).map((o) => o.phi))), jet_E: jag(events.map((e) => (e.j ?? []).map((o) => mev(energy(o))))),
    photon_pt: jag(events.map((e) => (e.g ?? []).map((o) => mev(o.pt)))), photon_eta: jag(events.map((e) => (e.g ?? []).map((o) => o.eta))),
    photon_phi: jag(events.map((e) => (e.g ?? []).map((o) => o.phi))), photon_E: jag(events.map((e) => (e.g ?? []).map((o) => mev(energy(o))))),
    photon_isTightID: jag(events.map((e) => (e.g ?? []).map((o) => (o.tight === false ? 0 : 1))), Uint8Array),
  };
}

/** n objects of pT 50, 60, … GeV spread in φ (central, tight). */
export function objs(n: number, pt0 = 50): Obj[] {
  return Array.from({ length: n }, (_, i) => ({ pt: pt0 + 10 * i, eta: 0.1 * i, phi: -3 + 1.1 * i }));
}
