import { RootFormatError } from './errors.js';

/** An axis of a histogram: regular (`lo`, `hi`) or with explicit `edges`. */
export interface Axis {
  nbins: number;
  lo: number;
  hi: number;
  edges: Float64Array | null;
  title: string;
}

/**
 * A TH1 or TH2 read from a file. `contents` and `sumw2` include under- and overflow: for a TH1,
 * index 0 is underflow and nbins+1 overflow; for a TH2, `(x + (nx+2)·y)`.
 */
export interface Histogram {
  className: string;
  name: string;
  title: string;
  x: Axis;
  y: Axis | null;
  contents: Float64Array;
  /** Empty when the histogram was filled without weights' squares (then errors are √contents). */
  sumw2: Float64Array;
  entries: number;
  // Convenience for 1-D histograms:
  nbins: number;
  lo: number;
  hi: number;
  edges: Float64Array | null;
  xTitle: string;
  yTitle: string;
}

type JsAxis = { fNbins: number; fXmin: number; fXmax: number; fXbins?: ArrayLike<number>; fTitle?: string };

function axis(a: JsAxis): Axis {
  const edges = a.fXbins && a.fXbins.length === a.fNbins + 1 ? Float64Array.from(a.fXbins) : null;
  return { nbins: a.fNbins, lo: a.fXmin, hi: a.fXmax, edges, title: a.fTitle ?? '' };
}

export function readHistogram(path: string, name: string, obj: Record<string, unknown>): Histogram {
  const cls = String(obj._typename ?? '');
  if (!/^TH[12][CSIFDL]?$/.test(cls)) throw new RootFormatError(path, -1, `${name} is a ${cls}, not a TH1 or TH2 histogram`);
  const x = axis(obj.fXaxis as JsAxis);
  const y = cls.startsWith('TH2') ? axis(obj.fYaxis as JsAxis) : null;
  const n = (x.nbins + 2) * (y ? y.nbins + 2 : 1);
  const arr = obj.fArray as ArrayLike<number> | undefined;
  if (!arr || arr.length !== n) throw new RootFormatError(path, -1, `${name}: ${arr?.length ?? 0} bin contents for ${n} bins (with under/overflow)`);
  const sw2 = obj.fSumw2 as ArrayLike<number> | undefined;
  return {
    className: cls,
    name: String(obj.fName ?? name),
    title: String(obj.fTitle ?? ''),
    x, y,
    contents: Float64Array.from(arr),
    sumw2: sw2 && sw2.length === n ? Float64Array.from(sw2) : new Float64Array(0),
    entries: Number(obj.fEntries ?? 0),
    nbins: x.nbins, lo: x.lo, hi: x.hi, edges: x.edges, xTitle: x.title, yTitle: (obj.fYaxis as JsAxis | undefined)?.fTitle ?? '',
  };
}
