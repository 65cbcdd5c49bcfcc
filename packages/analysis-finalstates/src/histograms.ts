/**
 * The histograms stage: sparse mass counts → TH1D main histograms (bins of the bin width from 0
 * to the tail threshold) and tail histograms (from the threshold to tail_max, above it the
 * overflow), for the final states with at least min_events_per_fs events, all in one ROOT file;
 * and `hadd`'s merge of such files (histograms of the same name added).
 */
import { createHash } from 'node:crypto';
import { RootFileWriter, openRootFile, type HistogramInput } from '@gluon/rootio';
import { tailName, parseHistogramName } from './naming.js';
import { type FsResult, type SparseCounts, histogramAt } from './result.js';

/** One histogram as written: contents and sumw2 with under/overflow (nbins + 2). */
export interface Th1 { name: string; title: string; nbins: number; lo: number; hi: number; contents: Float64Array; sumw2: Float64Array; entries: number; xTitle: string }

/**
 * Splits one histogram's sparse counts into main (bins 0 … nMain−1) and tail (nMain … nAll−1,
 * index nAll its overflow) contents, each nbins + 2 long. Without `tailSplit` there is no tail:
 * masses at or above the threshold go to the main histogram's overflow.
 */
export function splitMainTail(s: SparseCounts, nMain: number, nAll: number, tailSplit: boolean): { main: Float64Array; tail?: Float64Array } {
  const main = new Float64Array(nMain + 2);
  const tail = tailSplit ? new Float64Array(nAll - nMain + 2) : undefined;
  for (let k = 0; k < s.bins.length; k++) {
    const b = s.bins[k], c = s.counts[k];
    if (b < nMain) main[b + 1] += c;
    else if (!tail) main[nMain + 1] += c;
    else tail[b - nMain + 1] += c;
  }
  return tail ? { main, tail } : { main };
}

function th1(name: string, title: string, contents: Float64Array, lo: number, hi: number): Th1 {
  let entries = 0;
  for (let i = 0; i < contents.length; i++) entries += contents[i];
  // Unweighted counts: sumw2 equals the contents.
  return { name, title, nbins: contents.length - 2, lo, hi, contents, sumw2: Float64Array.from(contents), entries, xTitle: 'mass [GeV]' };
}

/** The final states that get histograms: at least `minEvents` events (sorted by name). */
export function keptFinalStates(fs: Record<string, number>, minEvents: number): string[] {
  return Object.keys(fs).filter((k) => fs[k] >= minEvents).sort();
}

/**
 * The histograms of a result: main (and, with `tailSplit`, tail) per (final state, combination)
 * whose final state has ≥ minEvents events, sorted by name.
 */
export function buildHistograms(r: FsResult, minEvents: number, tailSplit: boolean): Th1[] {
  const keep = new Set(keptFinalStates(r.finalStates, minEvents));
  const out: Th1[] = [];
  const w = r.binWidth, lo = 0, thr = r.nMain * w, top = r.nAll * w;
  const names = r.hists.names;
  const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  for (const i of order) {
    const name = names[i];
    const p = parseHistogramName(name);
    if (!p || !keep.has(p.finalState)) continue;
    const { main, tail } = splitMainTail(histogramAt(r.hists, i), r.nMain, r.nAll, tailSplit);
    out.push(th1(name, `m(${p.combination}) in ${p.finalState}`, main, lo, thr));
    if (tail) out.push(th1(tailName(name), `m(${p.combination}) in ${p.finalState}, tail`, tail, thr, top));
  }
  return out;
}

/**
 * The ROOT file's UUID from its histograms (as gluon-h4l's histograms.root): with the creation
 * time fixed too, the same histograms give the same bytes whatever the mode or chunking.
 */
export function histogramsUuid(hists: readonly Th1[]): Uint8Array {
  const h = createHash('sha256');
  const bytesOf = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const x of hists) {
    h.update(JSON.stringify([x.name, x.title, x.nbins, x.lo, x.hi, x.entries, x.xTitle]));
    h.update(bytesOf(x.contents)); h.update(bytesOf(x.sumw2));
  }
  return h.digest().subarray(0, 16);
}

/**
 * Writes histograms into a new ROOT file (TH1D each), created at `created` (the run's start, or
 * SOURCE_DATE_EPOCH) with a UUID from the histograms; without `created`, now and a random UUID.
 */
export async function writeHistogramFile(file: string, hists: readonly Th1[], created?: Date): Promise<void> {
  const w = await RootFileWriter.create(file, created ? { stamp: { uuid: histogramsUuid(hists), time: created } } : {});
  for (const h of hists) {
    const input: HistogramInput = { type: 'TH1D', name: h.name, title: h.title, nbins: h.nbins, lo: h.lo, hi: h.hi,
      contents: h.contents, sumw2: h.sumw2, entries: h.entries, xTitle: h.xTitle, yTitle: 'Entries' };
    w.writeHistogram(input);
  }
  await w.close();
}

/** Every TH1 of a ROOT file. */
export async function readHistogramFile(file: string): Promise<Th1[]> {
  const f = await openRootFile(file);
  try {
    const out: Th1[] = [];
    const seen = new Set<string>();
    for (const k of f.keys()) {
      if (!/^TH1/.test(k.className) || seen.has(k.name)) continue;       // highest cycle first
      seen.add(k.name);
      const h = await f.histogram(k.name);
      out.push({ name: h.name, title: h.title, nbins: h.nbins, lo: h.lo, hi: h.hi, contents: h.contents,
        sumw2: h.sumw2.length ? h.sumw2 : Float64Array.from(h.contents), entries: h.entries, xTitle: h.xTitle });
    }
    return out;
  } finally {
    await f.close().catch(() => {});
  }
}

/**
 * `hadd`: histograms of the same name added bin by bin (contents, sumw2, entries); names seen in
 * only some files are kept as they are. Throws, naming the histogram and file, when binnings differ.
 */
export async function addHistogramFiles(files: readonly string[]): Promise<Th1[]> {
  const byName = new Map<string, Th1>();
  for (const file of files) {
    for (const h of await readHistogramFile(file)) {
      const have = byName.get(h.name);
      if (!have) { byName.set(h.name, { ...h, contents: Float64Array.from(h.contents), sumw2: Float64Array.from(h.sumw2) }); continue; }
      if (have.nbins !== h.nbins || have.lo !== h.lo || have.hi !== h.hi) {
        throw new Error(`${file}: histogram ${h.name} has ${h.nbins} bins ${h.lo}–${h.hi}, the earlier files ${have.nbins} bins ${have.lo}–${have.hi}`);
      }
      for (let i = 0; i < h.contents.length; i++) { have.contents[i] += h.contents[i]; have.sumw2[i] += h.sumw2[i]; }
      have.entries += h.entries;
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
