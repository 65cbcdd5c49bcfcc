/**
 * The mergeable result of one chunk, and of a whole run: per sample, the cut flow and the
 * histograms; plus the event count and the files that were skipped as bad input.
 */
import { type CutFlow, mergeCutFlow } from './cutflow.js';
import { type Hist1D, mergeInto, reviveHist, cloneHist } from './hist.js';
import { SAMPLES } from './samples.js';

export interface SampleResult {
  sample: string;
  cutflow: CutFlow;
  hists: Record<string, Hist1D>;
}

/** A skipped bad input (skip_bad_files). */
export interface SkippedFile { file: string; sample: string; entryStart: number; entryStop: number; reason: string }

export interface AnalysisResult {
  selection: string;
  samples: Record<string, SampleResult>;
  /** Events read, including those of skipped files (which the samples do not contain). */
  events: number;
  /** Chunks merged into this result. */
  chunks: number;
  skipped: SkippedFile[];
  /** Where the chunks ran: `<worker>#<thread id>`, sorted, each once (absent in-process). */
  ranOn?: string[];
}

function reviveCutFlow(cf: CutFlow): CutFlow {
  const f = (a: unknown) => (a instanceof Float64Array ? Float64Array.from(a) : Float64Array.from(a as number[]));
  return { cuts: [...cf.cuts], raw: f(cf.raw), weighted: f(cf.weighted) };
}

function copySample(s: SampleResult): SampleResult {
  const hists: Record<string, Hist1D> = {};
  for (const [k, h] of Object.entries(s.hists)) hists[k] = cloneHist(reviveHist(h));
  return { sample: s.sample, cutflow: reviveCutFlow(s.cutflow), hists };
}

/**
 * Merges results (the treeReduce combine). Inputs are not modified; histograms add bin by bin,
 * cut flows count by count, skipped-file lists concatenate. A sample with a skipped file
 * contributes nothing: the chunks of it read before the bad one are dropped too (each sample is
 * one file, samples.ts), in whichever order the parts meet. Throws on an empty list.
 */
export function mergeResults(parts: AnalysisResult[]): AnalysisResult {
  if (parts.length === 0) throw new Error('mergeResults: nothing to merge');
  const out: AnalysisResult = { selection: parts[0].selection, samples: {}, events: 0, chunks: 0, skipped: [] };
  const dropped = new Set(parts.flatMap((p) => p.skipped.map((s) => s.sample)));
  for (const p of parts) {
    if (p.selection !== out.selection) throw new Error(`cannot merge results of selections ${out.selection} and ${p.selection}`);
    out.events += p.events;
    out.chunks += p.chunks;
    out.skipped.push(...p.skipped);
    if (p.ranOn?.length) out.ranOn = [...new Set([...(out.ranOn ?? []), ...p.ranOn])].sort();
    for (const [name, s] of Object.entries(p.samples)) {
      if (dropped.has(name)) continue;
      const have = out.samples[name];
      if (!have) { out.samples[name] = copySample(s); continue; }
      mergeCutFlow(have.cutflow, reviveCutFlow(s.cutflow));
      for (const [k, h] of Object.entries(s.hists)) {
        if (have.hists[k]) mergeInto(have.hists[k], reviveHist(h));
        else have.hists[k] = cloneHist(reviveHist(h));
      }
    }
  }
  return canonicalOrder(out);
}

const RANK = new Map(SAMPLES.map((s, i) => [s.name, i]));
const rank = (name: string) => RANK.get(name) ?? SAMPLES.length;
const byName = (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Samples in the sample table's order and skipped chunks by sample, file and range, whatever
 * order the chunks finished in: outputs do not depend on the mode or the number of workers.
 */
function canonicalOrder(r: AnalysisResult): AnalysisResult {
  r.samples = Object.fromEntries(Object.entries(r.samples).sort(([a], [b]) => byName(a, b)));
  r.skipped.sort((a, b) => byName(a.sample, b.sample) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.entryStart - b.entryStart);
  return r;
}

/**
 * mergeResults over the parts in the shape of the client's treeReduce (groups of `fanIn`, level
 * by level): an in-process run adds its floating-point weights in the same order as a cluster
 * run, so both give the same bits.
 */
export function treeMerge(parts: AnalysisResult[], fanIn: number): AnalysisResult {
  if (!Number.isInteger(fanIn) || fanIn < 2) throw new RangeError(`treeMerge: fanIn must be an integer ≥ 2, got ${fanIn}`);
  let level = parts;
  do {
    const next: AnalysisResult[] = [];
    for (let i = 0; i < level.length; i += fanIn) next.push(mergeResults(level.slice(i, i + fanIn)));
    level = next;
  } while (level.length > 1);
  return level[0]!;
}
