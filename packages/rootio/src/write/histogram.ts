/** TH1D / TH1F / TH2D objects from plain bin arrays, with the statistics ROOT and uproot read. */
import { DEFAULT_BITS, type RObject } from './streamer.js';
import { firstNonNumber, showValue } from './check-values.js';
import { checkOptions, keysOf } from '../read-args.js';

export interface HistogramInput {
  type: 'TH1D' | 'TH1F' | 'TH2D';
  name: string;
  title?: string;
  nbins: number;
  lo: number;
  hi: number;
  /** Variable bin edges (nbins + 1, increasing); when given, lo/hi must equal the first/last edge. */
  edges?: ArrayLike<number>;
  /**
   * nbins + 2 values: underflow, bins 1..nbins, overflow. For a TH2D, (nbins + 2)·(ny + 2) values,
   * bin (x, y) at `x + (nbins + 2)·y`, under/overflow included in both.
   */
  contents: ArrayLike<number>;
  /** Sum of squared weights per bin (as many as contents); omitted = unweighted (not stored, as ROOT does). */
  sumw2?: ArrayLike<number>;
  /** TH2D only: the y axis (regular bins, or `yEdges`). */
  ny?: number;
  ylo?: number;
  yhi?: number;
  yEdges?: ArrayLike<number>;
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

/** The fields of one axis, as HistogramInput names them (x: nbins/lo/hi/edges, y: ny/ylo/yhi/yEdges). */
interface AxisFields { nbins: string; lo: string; hi: string; edges: string }
const X_FIELDS: AxisFields = { nbins: 'nbins', lo: 'lo', hi: 'hi', edges: 'edges' };
const Y_FIELDS: AxisFields = { nbins: 'ny', lo: 'ylo', hi: 'yhi', edges: 'yEdges' };

/** A value as the caller gave it: a string is quoted and said to be one, so '0' does not read as 0. */
function given(v: unknown): string {
  return typeof v === 'string' ? `the string ${showValue(v)}` : showValue(v);
}

/**
 * Checks one axis's binning, naming the field at fault with its value as given (a range read from
 * a config file as strings would otherwise be refused as "[0, 200]"); returns the centre of bin i (1-based).
 */
function checkAxis(h: HistogramInput, f: AxisFields, nbins: unknown, lo: unknown, hi: unknown, edges?: ArrayLike<number>): (i: number) => number {
  if (!Number.isInteger(nbins) || (nbins as number) < 1) fail(h, `${f.nbins} must be a positive integer, got ${given(nbins)}`);
  for (const [name, v] of [[f.lo, lo], [f.hi, hi]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(h, `${name} must be a finite number, got ${given(v)}`);
  }
  const n = nbins as number, a = lo as number, b = hi as number;
  if (!(a < b)) fail(h, `${f.lo} (${a}) must be below ${f.hi} (${b})`);
  if (edges) {
    if (edges.length !== n + 1) fail(h, `${f.edges} must have ${f.nbins} + 1 = ${n + 1} values, got ${edges.length}`);
    for (let i = 1; i < edges.length; i++) {
      if (!(edges[i]! > edges[i - 1]!)) fail(h, `${f.edges} must increase (${f.edges}[${i}] = ${given(edges[i])} after ${given(edges[i - 1])})`);
    }
    if (edges[0] !== a || edges[n] !== b) {
      fail(h, `${f.lo} and ${f.hi} (${a}, ${b}) must equal the first and last of ${f.edges} (${edges[0]}, ${edges[n]})`);
    }
  }
  return (i) => (edges ? (edges[i - 1]! + edges[i]!) / 2 : a + (i - 0.5) * (b - a) / n);
}

/** Validates the input and builds the TH1 object. */
/** HistogramInput's fields: any other (`xtitle`, `sumW2`) is refused, not left out of the file. */
const HISTOGRAM_FIELDS = keysOf<HistogramInput>({
  type: true, name: true, title: true, nbins: true, lo: true, hi: true, edges: true, contents: true, sumw2: true,
  ny: true, ylo: true, yhi: true, yEdges: true, entries: true, xTitle: true, yTitle: true,
  tsumw: true, tsumw2: true, tsumwx: true, tsumwx2: true,
});

export function histogramObject(h: HistogramInput): RObject {
  // A histogram as read (RootFile.histogram) given as it is: "unknown option "className"" named
  // a field of the reader's object, not the conversion to make.
  if (h !== null && typeof h === 'object' && 'className' in h && 'dimension' in h) {
    throw new TypeError(`writeHistogram(${h.name}): this is a histogram as the reader returns it (className ${String(h.className)}, dimension, x, y…), `
      + 'not what writeHistogram takes: give histogramInput(h) (from @gluon/rootio), which makes one of it');
  }
  checkOptions(`writeHistogram(${(h as Partial<HistogramInput> | null)?.name ?? ''})`, h, HISTOGRAM_FIELDS);
  if (h.type !== 'TH1D' && h.type !== 'TH1F' && h.type !== 'TH2D') fail(h, `type must be TH1D, TH1F or TH2D, got ${String(h.type)}`);
  if (!h.name) throw new Error('writeHistogram: name is required');
  const two = h.type === 'TH2D';
  // A y axis on a 1-D type is a TH2D typed as TH1D/TH1F: its (nbins + 2)·(ny + 2) contents were
  // refused as the wrong count for nbins + 2, which named neither the y axis nor the type.
  const yGiven = (['ny', 'ylo', 'yhi', 'yEdges'] as const).filter((k) => h[k] !== undefined);
  if (!two && yGiven.length) fail(h, `${yGiven.join(', ')} ${yGiven.length > 1 ? 'are' : 'is'} a TH2D's y axis, but type is ${h.type}, which has none (type: 'TH2D' for a 2-D histogram)`);
  const xCentre = checkAxis(h, X_FIELDS, h.nbins, h.lo, h.hi, h.edges);
  const ny = two ? h.ny! : 1;
  const yCentre = two ? checkAxis(h, Y_FIELDS, h.ny, h.ylo, h.yhi, h.yEdges) : () => 0;
  const nx = h.nbins + 2;
  const n = nx * (two ? ny + 2 : 1);
  const shape = two ? `(nbins + 2)·(ny + 2) = ${n}` : `nbins + 2 = ${n}`;
  if (!h.contents || h.contents.length !== n) fail(h, `contents must have ${shape} values (with under/overflow), got ${h.contents?.length}`);
  if (h.sumw2 && h.sumw2.length !== n) fail(h, `sumw2 must have ${shape} values, got ${h.sumw2.length}`);
  // A string or undefined would be summed as text into the statistics and stored as NaN.
  for (const [what, values] of [['contents', h.contents], ['sumw2', h.sumw2]] as const) {
    const at = values ? firstNonNumber(values, n) : -1;
    if (at >= 0) fail(h, `${what}[${at}] must be a number, got ${showValue(values![at])}`);
  }
  // ROOT's statistics are over the bins proper (no under/overflow on any axis).
  let sw = 0, sw2 = 0, swx = 0, swx2 = 0, swy = 0, swy2 = 0, swxy = 0, all = 0;
  for (let i = 0; i < n; i++) {
    const c = h.contents[i]!;
    all += c;
    const ix = i % nx;
    const iy = Math.floor(i / nx);
    if (ix === 0 || ix === nx - 1 || (two && (iy === 0 || iy === ny + 1))) continue;
    const x = xCentre(ix);
    const y = yCentre(iy);
    sw += c;
    sw2 += h.sumw2 ? h.sumw2[i]! : c;
    swx += c * x;
    swx2 += c * x * x;
    swy += c * y;
    swy2 += c * y * y;
    swxy += c * x * y;
  }
  const contents = h.type === 'TH1F' ? Float32Array.from(h.contents) : Float64Array.from(h.contents);
  const base: RObject = {
    // Bit 3 (kMustCleanup) is set on every histogram ROOT writes.
    _class: h.type, fName: h.name, fTitle: h.title ?? '', fBits: DEFAULT_BITS | 0x8,
    fLineColor: 602, fLineStyle: 1, fLineWidth: 1, fFillColor: 0, fFillStyle: 1001,
    fMarkerColor: 1, fMarkerStyle: 1, fMarkerSize: 1,
    fNcells: n,
    fXaxis: axis('xaxis', h.xTitle ?? '', h.nbins, h.lo, h.hi, h.edges),
    fYaxis: two ? axis('yaxis', h.yTitle ?? '', ny, h.ylo!, h.yhi!, h.yEdges) : axis('yaxis', h.yTitle ?? '', 1, 0, 1),
    fZaxis: axis('zaxis', '', 1, 0, 1),
    fBarOffset: 0, fBarWidth: 1000,
    fEntries: h.entries ?? all,
    fTsumw: h.tsumw ?? sw, fTsumw2: h.tsumw2 ?? sw2, fTsumwx: h.tsumwx ?? swx, fTsumwx2: h.tsumwx2 ?? swx2,
    fMaximum: -1111, fMinimum: -1111, fNormFactor: 0,
    fContour: [], fSumw2: h.sumw2 ? Float64Array.from(h.sumw2) : [], fOption: '',
    fFunctions: [], fBufferSize: 0, fBuffer: null, fBinStatErrOpt: 0, fStatOverflows: 2,
    fArray: contents,
  };
  return two ? { ...base, fScalefactor: 1, fTsumwy: swy, fTsumwy2: swy2, fTsumwxy: swxy } : base;
}
