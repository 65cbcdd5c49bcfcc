/**
 * The per-chunk task: read one event range of one file (only the branches the selection needs),
 * run the selection column-wise, return a mergeable AnalysisResult.
 */
import { threadId } from 'node:worker_threads';
import { taskContext } from '@gluon/client';
import { type LeptonColumns, type FrameworkColumns, type WeightColumns, LEPTON_BRANCHES, FRAMEWORK_BRANCHES,
  WEIGHT_BRANCHES, eventWeights } from './columns.js';
import { type SampleInfo, xsecWeight, frameworkSignOnlyWeight } from './samples.js';
import { emptyNotebookOutput, runNotebook, type SelectionOutput } from './selection-a.js';
import { emptyFrameworkOutput, runFramework } from './selection-b.js';
import { type AnalysisResult } from './result.js';
import { BadInputError, sharedTree } from './reader.js';

import type { SelectionName } from './selections.js';
export { SELECTIONS, type SelectionName } from './selections.js';

export interface ChunkOptions {
  selection: SelectionName;
  /** Luminosity in fb⁻¹ for selection A's cross-section weight (spec: 10); B scales its groups to it after the merge. */
  lumiFb: number;
  /** Return an empty result listing the file as skipped instead of throwing on bad input. */
  skipBadFiles?: boolean;
  /** Selection B: cut on the d0 significance itself instead of the framework's ratio. */
  correctedD0?: boolean;
}

/** An event range [entryStart, entryStop) of one file. */
export interface EntryRange { entryStart: number; entryStop: number }

/** The branches a selection reads for a sample. */
export function branchesFor(selection: SelectionName, isData: boolean): string[] {
  const base: readonly string[] = selection === 'framework' ? FRAMEWORK_BRANCHES : LEPTON_BRANCHES;
  return isData ? [...base] : [...base, ...WEIGHT_BRANCHES];
}

/** The empty output of a selection. */
export function emptyOutput(selection: SelectionName): SelectionOutput {
  return selection === 'framework' ? emptyFrameworkOutput() : emptyNotebookOutput({ ptCuts: selection === 'notebook-pt' });
}

/** Runs a selection over already-read columns (the pure part of processChunk). */
export function selectColumns(cols: Record<string, unknown>, sample: SampleInfo, opts: ChunkOptions): SelectionOutput {
  const c = cols as unknown as LeptonColumns;
  const n = c.lep_pt.offsets.length - 1;
  const out = emptyOutput(opts.selection);
  if (opts.selection === 'framework') {
    const w = eventWeights(n, sample.isData ? undefined : (cols as unknown as WeightColumns), 1, frameworkSignOnlyWeight(sample));
    return runFramework(cols as unknown as FrameworkColumns, w, out, { correctedD0: opts.correctedD0 });
  }
  const w = eventWeights(n, sample.isData ? undefined : (cols as unknown as WeightColumns), xsecWeight(sample, opts.lumiFb));
  return runNotebook(c, w, { ptCuts: opts.selection === 'notebook-pt' }, out);
}

/**
 * Processes entries [entryStart, entryStop) of `file` for `sample`. Reports the events read to
 * the task context (the dashboard's events/s). Bad input throws a BadInputError naming the file,
 * or, with `skipBadFiles`, returns an empty result that lists the file as skipped.
 */
export async function processChunk(file: string, sample: SampleInfo, range: EntryRange,
                                   opts: ChunkOptions): Promise<AnalysisResult> {
  const result: AnalysisResult = { selection: opts.selection, samples: {}, events: 0, chunks: 1, skipped: [] };
  try {
    const out = emptyOutput(opts.selection);
    if (range.entryStop > range.entryStart) {
      const tree = await sharedTree(file);
      if (range.entryStop > tree.numEntries) {
        throw new BadInputError(file, `entry range ${range.entryStart}–${range.entryStop} exceeds its ${tree.numEntries} entries`);
      }
      const cols = await tree.arrays(branchesFor(opts.selection, sample.isData), range.entryStart, range.entryStop);
      const sel = selectColumns(cols, sample, opts);
      out.cutflow = sel.cutflow;
      out.hists = sel.hists;
    }
    result.events = range.entryStop - range.entryStart;
    result.samples[sample.name] = { sample: sample.name, cutflow: out.cutflow, hists: out.hists };
  } catch (e) {
    if (!opts.skipBadFiles || !(e instanceof BadInputError)) throw e;
    result.skipped.push({ file, sample: sample.name, entryStart: range.entryStart, entryStop: range.entryStop, reason: e.reason });
  }
  const ctx = taskContext();
  if (ctx) {
    ctx.report({ events: result.events });
    result.ranOn = [`${ctx.worker}#${threadId}`];
  }
  return result;
}
