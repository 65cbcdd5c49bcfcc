/**
 * Input schemas as tables: for each object type, the branches that hold its pT, η, φ and energy
 * (or mass), its identification flag and, where objects of several types share branches (ATLAS
 * leptons), the type branch and value. Adding a release or format is adding a table here.
 */

/** Object types in final-state order: electrons, muons, jets, photons. */
export const OBJECT_TYPES = ['e', 'm', 'j', 'g'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Long names (config.yaml's `objects:` keys) of the object types. */
export const OBJECT_NAMES: Readonly<Record<ObjectType, string>> = { e: 'electrons', m: 'muons', j: 'jets', g: 'photons' };

export interface ObjectBranches {
  pt: string;
  eta: string;
  phi: string;
  /** The fourth component: the energy `E`, or the `mass` (then E = √(p² + m²)). */
  fourth: { branch: string; kind: 'E' | 'mass' };
  /** Identification: the object passes when `branch ≥ min` (a bool flag: min 1). */
  id?: { branch: string; min: number };
  /** Objects of several types in one collection: this type has `branch == value`. */
  type?: { branch: string; value: number };
}

export interface Schema {
  name: string;
  description: string;
  /** The TTree holding the events. */
  tree: string;
  /** Momentum and energy units per GeV (MeV: 1000, GeV: 1). */
  unitsPerGeV: number;
  objects: Readonly<Record<ObjectType, ObjectBranches>>;
}

const lepton = (value: number): ObjectBranches => ({
  pt: 'lep_pt', eta: 'lep_eta', phi: 'lep_phi', fourth: { branch: 'lep_E', kind: 'E' },
  id: { branch: 'lep_isTightID', min: 1 }, type: { branch: 'lep_type', value },
});

/** ATLAS Open Data 13 TeV 2020 release, `mini` tree, MeV. */
export const ATLAS_2020: Schema = {
  name: 'atlas-2020',
  description: 'ATLAS Open Data 13 TeV 2020 release (mini tree, MeV)',
  tree: 'mini',
  unitsPerGeV: 1000,
  objects: {
    e: lepton(11),
    m: lepton(13),
    j: { pt: 'jet_pt', eta: 'jet_eta', phi: 'jet_phi', fourth: { branch: 'jet_E', kind: 'E' } },
    g: { pt: 'photon_pt', eta: 'photon_eta', phi: 'photon_phi', fourth: { branch: 'photon_E', kind: 'E' },
      id: { branch: 'photon_isTightID', min: 1 } },
  },
};

/**
 * CMS NanoAOD (`Events` tree, GeV). Identification: electrons `Electron_cutBased ≥ 4` (tight),
 * muons `Muon_tightId`, photons `Photon_cutBased ≥ 3` (tight); jets none (as for ATLAS).
 */
export const CMS_NANOAOD: Schema = {
  name: 'cms-nanoaod',
  description: 'CMS NanoAOD (Events tree, GeV)',
  tree: 'Events',
  unitsPerGeV: 1,
  objects: {
    e: { pt: 'Electron_pt', eta: 'Electron_eta', phi: 'Electron_phi', fourth: { branch: 'Electron_mass', kind: 'mass' },
      id: { branch: 'Electron_cutBased', min: 4 } },
    m: { pt: 'Muon_pt', eta: 'Muon_eta', phi: 'Muon_phi', fourth: { branch: 'Muon_mass', kind: 'mass' },
      id: { branch: 'Muon_tightId', min: 1 } },
    j: { pt: 'Jet_pt', eta: 'Jet_eta', phi: 'Jet_phi', fourth: { branch: 'Jet_mass', kind: 'mass' } },
    g: { pt: 'Photon_pt', eta: 'Photon_eta', phi: 'Photon_phi', fourth: { branch: 'Photon_mass', kind: 'mass' },
      id: { branch: 'Photon_cutBased', min: 3 } },
  },
};

export const SCHEMAS: Readonly<Record<string, Schema>> = { [ATLAS_2020.name]: ATLAS_2020, [CMS_NANOAOD.name]: CMS_NANOAOD };

/**
 * The branches a run reads: those of the object types it selects (`types`), the identification
 * branch only when `useId(type)` says the cut is on.
 */
export function branchesToRead(schema: Schema, types: readonly ObjectType[], useId: (t: ObjectType) => boolean): string[] {
  const out = new Set<string>();
  for (const t of types) {
    const o = schema.objects[t];
    for (const b of [o.pt, o.eta, o.phi, o.fourth.branch]) out.add(b);
    if (o.id && useId(t)) out.add(o.id.branch);
    if (o.type) out.add(o.type.branch);
  }
  return [...out];
}
