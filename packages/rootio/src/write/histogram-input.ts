/** A histogram as the reader returns it, made into what `writeHistogram` takes. */
import type { Histogram } from '../histogram.js';
import type { HistogramInput } from './histogram.js';

/**
 * `h`, as `RootFile.histogram` returned it, as `writeHistogram` takes it: to write a histogram read
 * from a file again (into a merged file, summed with others, renamed with `name`). The writer's
 * types only, TH1D, TH1F and TH2D; another class (a TH1I, a TH3, a profile) is refused naming it.
 * The statistics (tsumw, tsumwx…) are not in a read histogram: the writer computes them from the
 * bin centres.
 */
export function histogramInput(h: Histogram, name: string = h.name): HistogramInput {
  const type = h.className;
  if (type !== 'TH1D' && type !== 'TH1F' && type !== 'TH2D') {
    throw new TypeError(`histogramInput(${h.name}): it is a ${type}, and the writer writes TH1D, TH1F and TH2D`);
  }
  const y = type === 'TH2D' ? h.y : null;
  return {
    type, name, title: h.title,
    nbins: h.x.nbins, lo: h.x.lo, hi: h.x.hi, ...(h.x.edges ? { edges: h.x.edges } : {}),
    ...(y ? { ny: y.nbins, ylo: y.lo, yhi: y.hi, ...(y.edges ? { yEdges: y.edges } : {}) } : {}),
    contents: h.contents,
    // Empty when the file stored none (unweighted): then none is written either.
    ...(h.sumw2.length ? { sumw2: h.sumw2 } : {}),
    entries: h.entries, xTitle: h.xTitle, yTitle: h.yTitle,
  };
}
