/**
 * Per-group histograms: the sums the plots and outputs show. Selection A's sample histograms
 * already carry the cross-section weight; selection B's are scaled here the way the framework's
 * plotting does (lumi 10064 pb⁻¹ × xsec / sumw, and ×1.3 for the ZZ group).
 */
import { type Hist1D, cloneHist, mergeInto, scaleHist } from './hist.js';
import { GROUPS_A, GROUPS_B, type GroupInfo, sampleByName, frameworkScale } from './samples.js';
import type { AnalysisResult } from './result.js';

/** The framework's hard-coded luminosity, pb⁻¹. */
export const FRAMEWORK_LUMI_PB = 10064;

/**
 * The luminosity a selection's MC is normalised to unless the run says otherwise (`lumi_fb`):
 * the notebook's 10 fb⁻¹, the framework's 10,064 pb⁻¹.
 */
export function referenceLumiFb(selection: string): number {
  return selection === 'framework' ? FRAMEWORK_LUMI_PB / 1000 : 10;
}

export function groupsFor(selection: string): GroupInfo[] {
  return selection === 'framework' ? GROUPS_B : GROUPS_A;
}

/**
 * Group id → histogram name → summed (and, for B, scaled to `lumiFb`) histogram. Groups with no
 * sample are absent. (Selection A's luminosity is in its event weights already.)
 */
export function groupHistograms(r: AnalysisResult, lumiFb = referenceLumiFb(r.selection)): Record<string, Record<string, Hist1D>> {
  const fw = r.selection === 'framework';
  const out: Record<string, Record<string, Hist1D>> = {};
  for (const g of groupsFor(r.selection)) {
    for (const s of Object.values(r.samples)) {
      const info = sampleByName(s.sample);
      if ((fw ? info.groupB : info.groupA) !== g.id) continue;
      const scale = fw ? frameworkScale(info, lumiFb * 1000) * g.scale : 1;
      const dst = (out[g.id] ??= {});
      for (const [name, h] of Object.entries(s.hists)) {
        const c = scaleHist(cloneHist(h), scale);
        if (dst[name]) mergeInto(dst[name], c); else dst[name] = c;
      }
    }
  }
  return out;
}

/** Dashboard labels without TeX. */
const PLAIN: Record<string, string> = { data: 'Data', Zttbar: 'Background Z,tt̄', ZZ: 'Background ZZ*', Higgs: 'Signal (mH = 125 GeV)', Other: 'Other' };

/** The `h4l/m4l` value for the dashboard (internals.md's PublishedHistogram shape). */
export function publishedM4l(r: AnalysisResult, lumiFb = referenceLumiFb(r.selection)): unknown {
  const histName = r.selection === 'framework' ? 'mass_four_lep' : 'm4l';
  const byGroup = groupHistograms(r, lumiFb);
  const groups: Record<string, { values: number[]; color: string; style?: 'points' }> = {};
  let ref: Hist1D | undefined;
  for (const g of groupsFor(r.selection)) {
    if (g.id === 'data') continue;
    const h = byGroup[g.id]?.[histName];
    if (!h) continue;
    ref = h;
    groups[fw(r) ? g.label : PLAIN[g.id]] = { values: Array.from(h.sumw.subarray(1, h.nbins + 1)), color: g.color };
  }
  const d = byGroup.data?.[histName];
  if (d) { ref = d; groups.Data = { values: Array.from(d.sumw.subarray(1, d.nbins + 1)), color: '#000000', style: 'points' }; }
  if (!ref) return { lo: 80, hi: 250, nbins: 34, groups: {} };
  return { lo: ref.lo, hi: ref.hi, nbins: ref.nbins, groups, title: `m4l (${r.selection}; ${r.events} events)`, xLabel: 'm4l [GeV]' };
}

const fw = (r: AnalysisResult) => r.selection === 'framework';
