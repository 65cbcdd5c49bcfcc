import { RootFormatError } from './errors.js';
import { histogramProblem } from './meta/shape.js';

/** An axis of a histogram: regular (`lo`, `hi`) or with explicit `edges`. */
export interface Axis {
  nbins: number;
  lo: number;
  hi: number;
  edges: Float64Array | null;
  title: string;
}

/** The raw sums of a profile histogram, per bin (with under/overflow), as ROOT keeps them. */
export interface ProfileSums {
  /** Σw·y per bin (ROOT's fArray). */
  sumwy: Float64Array;
  /** Σw·y² per bin (ROOT's fSumw2). */
  sumwy2: Float64Array;
  /** Σw per bin (fBinEntries). */
  sumw: Float64Array;
  /** Σw² per bin (fBinSumw2); empty when the profile was filled without weights. */
  sumw2: Float64Array;
  /** ROOT's error option: '' (error of the mean), 's' (spread), 'i', 'g'. */
  errorMode: string;
}

/**
 * A TH1, TH2, TH3 or profile (TProfile, TProfile2D, TProfile3D) read from a file. `contents` and
 * `sumw2` include under- and overflow: for a TH1, index 0 is underflow and nbins+1 overflow; in
 * more dimensions, `x + (nx+2)·(y + (ny+2)·z)`. A profile's `contents` are its bin means (what
 * ROOT's GetBinContent gives: Σw·y / Σw, 0 where a bin is empty), its raw sums are in `profile`,
 * and its `sumw2` is Σw² per bin.
 */
export interface Histogram {
  className: string;
  name: string;
  title: string;
  dimension: 1 | 2 | 3;
  x: Axis;
  y: Axis | null;
  z: Axis | null;
  contents: Float64Array;
  /** Empty when the histogram was filled without weights' squares (then errors are √contents). */
  sumw2: Float64Array;
  entries: number;
  profile: ProfileSums | null;
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

const CLASS = /^(?:TH([123])[CSIFDL]?|TProfile(2D|3D)?)$/;

/** Why `name`, of class `cls`, is not read as a histogram; null when it is one. */
export function notHistogram(name: string, cls: string): string | null {
  return CLASS.test(cls) ? null : `${name} is a ${cls}, not a histogram (TH1, TH2, TH3 or a profile)`;
}

export function readHistogram(path: string, name: string, obj: Record<string, unknown>, at = -1): Histogram {
  const cls = String(obj._typename ?? '');
  const m = CLASS.exec(cls);
  if (!m) throw new RootFormatError(path, -1, notHistogram(name, cls)!);
  const isProfile = cls.startsWith('TProfile');
  const dimension = (isProfile ? (m[2] ? Number(m[2][0]) : 1) : Number(m[1])) as 1 | 2 | 3;
  const problem = histogramProblem(obj, dimension);
  if (problem) throw new RootFormatError(path, at, `the histogram ${name} is damaged: ${problem}`);
  const x = axis(obj.fXaxis as JsAxis);
  const y = dimension >= 2 ? axis(obj.fYaxis as JsAxis) : null;
  const z = dimension === 3 ? axis(obj.fZaxis as JsAxis) : null;
  const n = (x.nbins + 2) * (y ? y.nbins + 2 : 1) * (z ? z.nbins + 2 : 1);
  const perBin = (field: string, optional: boolean): Float64Array => {
    const a = obj[field] as ArrayLike<number> | undefined;
    if (optional && (!a || a.length === 0)) return new Float64Array(0);
    if (!a || a.length !== n) throw new RootFormatError(path, -1, `${name}: ${field} has ${a?.length ?? 0} values for ${n} bins (with under/overflow)`);
    return Float64Array.from(a);
  };
  const arr = perBin('fArray', false);
  let contents = arr;
  let sumw2 = perBin('fSumw2', true);
  let profile: ProfileSums | null = null;
  if (isProfile) {
    const sumw = perBin('fBinEntries', false);
    profile = { sumwy: arr, sumwy2: sumw2, sumw, sumw2: perBin('fBinSumw2', true), errorMode: ['', 's', 'i', 'g'][Number(obj.fErrorMode ?? 0)] ?? '' };
    contents = arr.map((v, i) => (sumw[i] ? v / sumw[i]! : 0));
    sumw2 = profile.sumw2;
  }
  const yTitle = dimension === 1 ? (obj.fYaxis as JsAxis | undefined)?.fTitle ?? '' : y!.title;
  return {
    className: cls,
    name: String(obj.fName ?? name),
    title: String(obj.fTitle ?? ''),
    dimension, x, y, z,
    contents, sumw2,
    entries: Number(obj.fEntries ?? 0),
    profile,
    nbins: x.nbins, lo: x.lo, hi: x.hi, edges: x.edges, xTitle: x.title, yTitle,
  };
}
