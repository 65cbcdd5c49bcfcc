/**
 * The `mini` TTree schema of the ATLAS Open Data 13 TeV 2020 "4lep" files, branch for branch in
 * the real files' order (read from data_A.4lep.root with jsroot): scalars are plain leaves
 * (`/I`, `/i`, `/F`, `/O`), jagged columns are split `std::vector<T>` TBranchElements.
 */

/** Element type names as rootio's writer spells them. */
export type BranchType = 'bool' | 'int32' | 'uint32' | 'float';

export interface BranchSpec {
  name: string;
  type: BranchType;
  /** `'vector'` for a `std::vector<type>` branch; absent for a scalar. */
  jagged?: 'vector';
}

const s = (name: string, type: BranchType): BranchSpec => ({ name, type });
const v = (name: string, type: BranchType): BranchSpec => ({ name, type, jagged: 'vector' });

/** Every branch of `mini`, in file order. */
export const MINI_SCHEMA: readonly BranchSpec[] = [
  s('runNumber', 'int32'), s('eventNumber', 'int32'), s('channelNumber', 'int32'),
  s('mcWeight', 'float'),
  s('scaleFactor_PILEUP', 'float'), s('scaleFactor_ELE', 'float'), s('scaleFactor_MUON', 'float'),
  s('scaleFactor_PHOTON', 'float'), s('scaleFactor_TAU', 'float'), s('scaleFactor_BTAG', 'float'),
  s('scaleFactor_LepTRIGGER', 'float'), s('scaleFactor_PhotonTRIGGER', 'float'),
  s('trigE', 'bool'), s('trigM', 'bool'), s('trigP', 'bool'),
  s('lep_n', 'uint32'),
  v('lep_truthMatched', 'bool'), v('lep_trigMatched', 'bool'),
  v('lep_pt', 'float'), v('lep_eta', 'float'), v('lep_phi', 'float'), v('lep_E', 'float'), v('lep_z0', 'float'),
  v('lep_charge', 'int32'), v('lep_type', 'uint32'), v('lep_isTightID', 'bool'),
  v('lep_ptcone30', 'float'), v('lep_etcone20', 'float'),
  v('lep_trackd0pvunbiased', 'float'), v('lep_tracksigd0pvunbiased', 'float'),
  s('met_et', 'float'), s('met_phi', 'float'),
  s('jet_n', 'uint32'),
  v('jet_pt', 'float'), v('jet_eta', 'float'), v('jet_phi', 'float'), v('jet_E', 'float'), v('jet_jvt', 'float'),
  v('jet_trueflav', 'int32'), v('jet_truthMatched', 'bool'), v('jet_MV2c10', 'float'),
  s('photon_n', 'uint32'),
  v('photon_truthMatched', 'bool'), v('photon_trigMatched', 'bool'),
  v('photon_pt', 'float'), v('photon_eta', 'float'), v('photon_phi', 'float'), v('photon_E', 'float'),
  v('photon_isTightID', 'bool'), v('photon_ptcone30', 'float'), v('photon_etcone20', 'float'),
  v('photon_convType', 'int32'),
  s('tau_n', 'uint32'),
  v('tau_pt', 'float'), v('tau_eta', 'float'), v('tau_phi', 'float'), v('tau_E', 'float'),
  v('tau_isTightID', 'bool'), v('tau_truthMatched', 'bool'), v('tau_trigMatched', 'bool'),
  v('tau_nTracks', 'int32'), v('tau_BDTid', 'float'),
  s('ditau_m', 'float'),
  v('lep_pt_syst', 'float'), s('met_et_syst', 'float'), v('jet_pt_syst', 'float'),
  v('photon_pt_syst', 'float'), v('tau_pt_syst', 'float'),
  s('XSection', 'float'), s('SumWeights', 'float'),
  s('largeRjet_n', 'uint32'),
  v('largeRjet_pt', 'float'), v('largeRjet_eta', 'float'), v('largeRjet_phi', 'float'), v('largeRjet_E', 'float'),
  v('largeRjet_m', 'float'), v('largeRjet_truthMatched', 'float'), v('largeRjet_D2', 'float'),
  v('largeRjet_tau32', 'float'), v('largeRjet_pt_syst', 'float'),
  v('tau_charge', 'int32'),
];
