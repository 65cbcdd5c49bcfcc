/**
 * What a run's outputs are: synthetic or real events, the selection and its variants, the
 * luminosity they correspond to, whether any simulation is in them, and the input files left
 * out. One object, written as `meta` in histograms.json and run.json and shown in the cut flow
 * and on the console, so no output can be read without it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SelectionName } from './chunk.js';

/** An input file whose events are not in the outputs (skipped as bad input: it contributes nothing). */
export interface LeftOutFile { file: string; sample: string; reason: string }

/** histograms.json's and run.json's `meta` (README: Outputs). */
export interface RunMeta {
  /** The events come from `gluon-h4l generate` (a manifest.json beside Data/ and MC/), not from ATLAS. */
  synthetic: boolean;
  /** A synthetic dataset's scale (entries = scale × the real 4ℓ entries); 1 for real data. */
  datasetScale: number;
  selection: SelectionName;
  /**
   * The luminosity data and MC of these outputs correspond to, fb⁻¹: the run's luminosity ×
   * datasetScale (a dataset generated at scale s holds s × the real events, data and MC alike).
   */
  lumiFb: number;
  /** Departures from the reference selection: `pt-cut` (notebook-pt), `corrected_d0` (framework). */
  variants: string[];
  /** False when no MC sample was read (a data-only run: no prediction to compare with). */
  mcPresent: boolean;
  /**
   * Files the outputs lack because they were skipped as bad input (skip_bad_files). A skipped
   * file contributes nothing, not even the chunks read before the damage, so the outputs are
   * partial by exactly these files.
   */
  partialFiles: LeftOutFile[];
}

/** A dataset directory's origin: the generator's manifest.json marks a synthetic dataset. */
export function datasetOrigin(dataDir: string): { synthetic: boolean; scale: number } {
  if (/^https?:/i.test(dataDir)) return { synthetic: false, scale: 1 };
  let m: unknown;
  try { m = JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')); } catch { return { synthetic: false, scale: 1 }; }
  const o = m as { scale?: unknown; samples?: unknown };
  if (typeof o !== 'object' || o === null || !Array.isArray(o.samples)) return { synthetic: false, scale: 1 };
  return { synthetic: true, scale: typeof o.scale === 'number' && o.scale > 0 ? o.scale : 1 };
}

/** The variant names of a selection and its options. */
export function variantsOf(selection: SelectionName, correctedD0: boolean): string[] {
  return [...(selection === 'notebook-pt' ? ['pt-cut'] : []), ...(selection === 'framework' && correctedD0 ? ['corrected_d0'] : [])];
}

/** One-line notes a reader must see next to any number of the run (console, cut flow). */
export function metaNotes(m: RunMeta): string[] {
  const notes: string[] = [];
  if (m.synthetic) notes.push(`SYNTHETIC events (gluon-h4l generate, scale ${m.datasetScale}): not ATLAS data, for testing and demonstration only`);
  if (m.variants.length) notes.push(`variant${m.variants.length > 1 ? 's' : ''} of selection ${m.selection}: ${m.variants.join(', ')}`);
  if (!m.mcPresent) notes.push('no MC sample in this run: data only, nothing to compare it with');
  if (m.partialFiles.length) {
    notes.push(`partial: ${m.partialFiles.length} input file${m.partialFiles.length > 1 ? 's' : ''} skipped as bad input contribute${m.partialFiles.length > 1 ? '' : 's'} nothing (${m.partialFiles.map((f) => f.sample).join(', ')})`);
  }
  return notes;
}
