/** TH1D / TH1F objects from plain bin arrays, with the statistics ROOT and uproot read. */
import { DEFAULT_BITS, type RObject } from './streamer.js';

export interface HistogramInput {
  type: 'TH1D' | 'TH1F';
  name: string;
  title?: string;
  nbins: number;
  lo: number;
  hi: number;
  /** Variable bin edges (nbins + 1, increasing); when given, lo/hi must equal the first/last edge. */
  edges?: ArrayLike<number>;
  /** nbins + 2 values: underflow, bins 1..nbins, overflow. */
  contents: ArrayLike<number>;
  /** Sum of squared weights per bin (nbins + 2); omitted = unweighted (not stored, as ROOT does). */
  sumw2?: ArrayLike<number>;
  /** Number of fills; default: the sum of contents including under/overflow. */
  entries?: number;
  xTitle?: string;
  yTitle?: string;
  /** Statistics over bins 1..nbins; computed from contents and bin centres when not given. */
  tsumw?: number;
  tsumw2?: number;
  tsumwx?: number;
  tsumwx2?: number;
}

function axis(name: string, title: string, nbins: number, lo: number, hi: number, edges?: ArrayLike<number>): RObject {
  return {
    _class: 'TAxis', fName: name, fTitle: title, fBits: DEFAULT_BITS,
    fNdivisions: 510, fAxisColor: 1, fLabelColor: 1, fLabelFont: 42, fLabelOffset: 0.005, fLabelSize: 0.035,
    fTickLength: 0.03, fTitleOffset: 1, fTitleSize: 0.035, fTitleColor: 1, fTitleFont: 42,
    fNbins: nbins, fXmin: lo, fXmax: hi, fXbins: edges ? Array.from(edges) : [],
    fFirst: 0, fLast: 0, fBits2: 0, fTimeDisplay: false, fTimeFormat: '', fLabels: null, fModLabs: null,
  };
}

function fail(h: HistogramInput, what: string): never {
  throw new Error(`writeHistogram(${h.name}): ${what}`);
}

/** Validates the input and builds the TH1 object. */
export function histogramObject(h: HistogramInput): RObject {
  if (h.type !== 'TH1D' && h.type !== 'TH1F') fail(h, `type must be TH1D or TH1F, got ${String(h.type)}`);
  if (!h.name) throw new Error('writeHistogram: name is required');
  if (!Number.isInteger(h.nbins) || h.nbins < 1) fail(h, `nbins must be a positive integer, got ${h.nbins}`);
  if (!(Number.isFinite(h.lo) && Number.isFinite(h.hi) && h.lo < h.hi)) fail(h, `need finite lo < hi, got [${h.lo}, ${h.hi}]`);
  const n = h.nbins + 2;
  if (!h.contents || h.contents.length !== n) fail(h, `contents must have nbins + 2 = ${n} values (with under/overflow), got ${h.contents?.length}`);
  if (h.sumw2 && h.sumw2.length !== n) fail(h, `sumw2 must have nbins + 2 = ${n} values, got ${h.sumw2.length}`);
  if (h.edges) {
    if (h.edges.length !== h.nbins + 1) fail(h, `edges must have nbins + 1 = ${h.nbins + 1} values, got ${h.edges.length}`);
    for (let i = 1; i < h.edges.length; i++) if (!(h.edges[i]! > h.edges[i - 1]!)) fail(h, `edges must increase (edge ${i})`);
    if (h.edges[0] !== h.lo || h.edges[h.nbins] !== h.hi) fail(h, 'lo/hi must equal the first/last edge');
  }
  const centre = (i: number): number => h.edges
    ? (h.edges[i - 1]! + h.edges[i]!) / 2
    : h.lo + (i - 0.5) * (h.hi - h.lo) / h.nbins;
  let sw = 0, sw2 = 0, swx = 0, swx2 = 0, all = 0;
  for (let i = 0; i < n; i++) {
    const c = h.contents[i]!;
    all += c;
    if (i === 0 || i === n - 1) continue;
    const x = centre(i);
    sw += c;
    sw2 += h.sumw2 ? h.sumw2[i]! : c;
    swx += c * x;
    swx2 += c * x * x;
  }
  const contents = h.type === 'TH1F' ? Float32Array.from(h.contents) : Float64Array.from(h.contents);
  return {
    // Bit 3 (kMustCleanup) is set on every histogram ROOT writes.
    _class: h.type, fName: h.name, fTitle: h.title ?? '', fBits: DEFAULT_BITS | 0x8,
    fLineColor: 602, fLineStyle: 1, fLineWidth: 1, fFillColor: 0, fFillStyle: 1001,
    fMarkerColor: 1, fMarkerStyle: 1, fMarkerSize: 1,
    fNcells: n,
    fXaxis: axis('xaxis', h.xTitle ?? '', h.nbins, h.lo, h.hi, h.edges),
    fYaxis: axis('yaxis', h.yTitle ?? '', 1, 0, 1),
    fZaxis: axis('zaxis', '', 1, 0, 1),
    fBarOffset: 0, fBarWidth: 1000,
    fEntries: h.entries ?? all,
    fTsumw: h.tsumw ?? sw, fTsumw2: h.tsumw2 ?? sw2, fTsumwx: h.tsumwx ?? swx, fTsumwx2: h.tsumwx2 ?? swx2,
    fMaximum: -1111, fMinimum: -1111, fNormFactor: 0,
    fContour: [], fSumw2: h.sumw2 ? Float64Array.from(h.sumw2) : [], fOption: '',
    fFunctions: [], fBufferSize: 0, fBuffer: null, fBinStatErrOpt: 0, fStatOverflows: 2,
    fArray: contents,
  };
}
