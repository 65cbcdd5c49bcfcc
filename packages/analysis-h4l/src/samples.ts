/**
 * The sample table of the analysis (spec sections 2.4 and 3.7): every sample's DSID,
 * cross-section, sum of weights, efficiency, plot group and file name, and the weights
 * derived from them.
 */

/** A plot group: legend label and colour, per selection style. */
export interface GroupInfo {
  /** Stable id used in outputs (`data`, `Zttbar`, `ZZ`, `Higgs`, `Other`). */
  id: string;
  /** Legend label (matplotlib mathtext for the notebook style, ROOT TLatex for the framework). */
  label: string;
  /** CSS colour. */
  color: string;
  /** Extra scale applied to the group in the framework plot (ZZ: 1.3); 1 elsewhere. */
  scale: number;
}

/** One sample (a data period or an MC process). */
export interface SampleInfo {
  name: string;
  isData: boolean;
  dsid?: number;
  /** Cross-section in pb. */
  xsec?: number;
  /** Sum of generator weights. */
  sumw?: number;
  /** Filter efficiency (`red_eff`); 1 for every sample used here. */
  redEff?: number;
  /** Group id of the notebook plot (selection A), or undefined when A does not use it. */
  groupA?: string;
  /** Group id of the framework plot (selection B). */
  groupB: string;
  /** File name relative to the dataset directory (`Data/…` or `MC/…`). */
  file: string;
  /** True when the sample is a 2-lepton skim (framework list only). */
  twoLep?: boolean;
}

/** Notebook (selection A) groups in stack order, bottom to top; data first. */
export const GROUPS_A: GroupInfo[] = [
  { id: 'data', label: 'Data', color: '#000000', scale: 1 },
  { id: 'Zttbar', label: 'Background $Z,t\\bar{t}$', color: '#6b59d3', scale: 1 },
  { id: 'ZZ', label: 'Background $ZZ^*$', color: '#ff0000', scale: 1 },
  { id: 'Higgs', label: 'Signal ($m_H$ = 125 GeV)', color: '#00cdff', scale: 1 },
];

/** Framework (selection B) groups in stack order; ROOT colours kBlue−6, kAzure+8, kRed. */
export const GROUPS_B: GroupInfo[] = [
  { id: 'data', label: 'Data', color: '#000000', scale: 1 },
  { id: 'Other', label: 'Other', color: '#6666cc', scale: 1 },
  { id: 'ZZ', label: 'ZZ', color: '#66ccff', scale: 1.3 },
  { id: 'Higgs', label: 'Higgs', color: '#ff0000', scale: 1 },
];

function mc(name: string, dsid: number, xsec: number, sumw: number, groupB: string,
            groupA?: string, twoLep = false): SampleInfo {
  const skim = twoLep ? '2lep' : '4lep';
  return { name, isData: false, dsid, xsec, sumw, redEff: 1, groupA, groupB, twoLep,
           file: `MC/mc_${dsid}.${name}.${skim}.root` };
}

function data(period: string): SampleInfo {
  return { name: `data_${period}`, isData: true, groupA: 'data', groupB: 'data',
           file: `Data/data_${period}.4lep.root` };
}

/** Every sample of both selections (values from infofile.py / main_HZZAnalysis.C). */
export const SAMPLES: readonly SampleInfo[] = [
  data('A'), data('B'), data('C'), data('D'),
  mc('Zee', 361106, 1950.5295, 150277594200, 'Other', 'Zttbar'),
  mc('Zmumu', 361107, 1950.6321, 147334691090, 'Other', 'Zttbar'),
  mc('ttbar_lep', 410000, 452.693559, 49386600, 'Other', 'Zttbar'),
  mc('llll', 363490, 1.2578, 7538705.8077, 'ZZ', 'ZZ'),
  mc('ggH125_ZZ4lep', 345060, 0.0060239, 27881776.6536, 'Higgs', 'Higgs'),
  mc('VBFH125_ZZ4lep', 344235, 0.0004633012, 3680490.83243, 'Higgs', 'Higgs'),
  mc('WH125_ZZ4lep', 341964, 0.0003769, 149400, 'Higgs', 'Higgs'),
  mc('ZH125_ZZ4lep', 341947, 0.0000021424784, 150000, 'Higgs', 'Higgs'),
  // Framework-only samples (section 3.7).
  mc('Ztautau', 361108, 1950.6321, 56171652547.3, 'Other'),
  mc('Wplusenu', 361100, 11500.4632, 473389396815, 'Other', undefined, true),
  mc('Wplusmunu', 361101, 11500.4632, 446507925520, 'Other', undefined, true),
  mc('Wplustaunu', 361102, 11500.4632, 670928468875, 'Other', undefined, true),
  mc('Wminusenu', 361103, 8579.63498, 247538642447, 'Other', undefined, true),
  mc('Wminusmunu', 361104, 8579.63498, 264338188182, 'Other', undefined, true),
  mc('Wminustaunu', 361105, 8579.63498, 165195850954, 'Other', undefined, true),
  mc('ZqqZll', 363356, 2.20355112, 3439266.11559, 'ZZ'),
  mc('WqqZll', 363358, 3.4328, 241438.72705, 'Other', undefined, true),
  mc('WpqqWmlv', 363359, 24.708, 998250.783475, 'Other', undefined, true),
  mc('WplvWmqq', 363360, 24.724, 1069526.41899, 'Other', undefined, true),
  mc('WlvZqq', 363489, 11.42, 1111991.15979, 'Other', undefined, true),
  mc('lllv', 363491, 4.6049, 5441475.00407, 'Other'),
  mc('llvv', 363492, 12.466, 5039259.9696, 'ZZ'),
  mc('lvvv', 363493, 3.2286, 1727991.07441, 'Other', undefined, true),
  mc('single_top_tchan', 410011, 44.152, 4986200, 'Other'),
  mc('single_antitop_tchan', 410012, 26.276, 4989800, 'Other'),
  mc('single_top_schan', 410025, 2.06121, 997800, 'Other'),
  mc('single_antitop_schan', 410026, 1.288662, 995400, 'Other'),
  mc('single_top_wtchan', 410013, 35.845486, 4865800, 'Other'),
  mc('single_antitop_wtchan', 410014, 35.824406, 4945600, 'Other'),
];

/** The samples selection A (notebook) runs over, in table order. */
export const SAMPLES_A: readonly SampleInfo[] = SAMPLES.filter((s) => s.groupA !== undefined);

/** Looks a sample up by name; throws naming it when unknown. */
export function sampleByName(name: string): SampleInfo {
  const s = SAMPLES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown sample "${name}"; known: ${SAMPLES.map((x) => x.name).join(', ')}`);
  return s;
}

/**
 * The notebook's per-event cross-section weight,
 * `lumi[fb⁻¹] × 1000 × xsec[pb] / (sumw × red_eff)`; 1 for data.
 */
export function xsecWeight(sample: SampleInfo, lumiFb: number): number {
  if (sample.isData) return 1;
  return (lumiFb * 1000 * sample.xsec!) / (sample.sumw! * (sample.redEff ?? 1));
}

/**
 * Whether the framework weighs a sample's events by the sign of mcWeight instead of its value:
 * the 2020–2021 HZZAnalysis did so for every job option containing "single" (the six single-top
 * samples; spec 3.1).
 */
export function frameworkSignOnlyWeight(sample: SampleInfo): boolean {
  return !sample.isData && sample.name.includes('single');
}

/**
 * The framework's plotting scale for an MC histogram, `lumi[pb⁻¹] × xsec / (sumw × eff)`
 * (lumi 10064 pb⁻¹ by default); 1 for data. The ZZ group's extra 1.3 is a group property.
 */
export function frameworkScale(sample: SampleInfo, lumiPb: number): number {
  if (sample.isData) return 1;
  return (lumiPb * sample.xsec!) / (sample.sumw! * (sample.redEff ?? 1));
}
