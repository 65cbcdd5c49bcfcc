/**
 * A run's output directory `<base_output_dir>/<run_name>_<YYYYMMDD_HHMMSS>/`:
 * - histograms/<stem>.root — every histogram (TH1D), and histograms/<stem>.summary.json — events
 *   per final state, the cut flow, peak removals per histogram, the binning;
 * - plots/ — events per final state, the largest histograms, the timing summary (plots.ts);
 * - logs/ — per-task statistics as JSON (chunks, stages);
 * - run.json — provenance: command line, configuration, versions, inputs with sizes and
 *   SHA-256 checksums, timings.
 * A batch job writes `<stem>` = `finalstates.batch-<i>-of-<n>` (no plots); a whole run or a
 * merge writes `finalstates`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { otherAnalysisRun, sourceDateEpoch as h4lSourceDateEpoch } from '@gluon/analysis-h4l';
import { ConfigError, type FsConfig } from './config.js';
import { type FsResult } from './result.js';
import { buildHistograms, keptFinalStates, readHistogramFile, type Th1, writeHistogramFile } from './histograms.js';
import { writePlots } from './plots.js';

export const SUMMARY_SCHEMA = 'gluon-finalstates/summary@1';

const pkgVersion = (rel: string): string => {
  try { return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version; } catch { return 'unknown'; }
};

/** Versions for run.json: this package, the Gluon packages it runs on, Node. */
export function versions(): Record<string, string> {
  return {
    '@gluon/analysis-finalstates': pkgVersion('../package.json'),
    '@gluon/rootio': pkgVersion(import.meta.resolve('@gluon/rootio/package.json')),
    '@gluon/client': pkgVersion(import.meta.resolve('@gluon/client/package.json')),
    node: process.version,
  };
}

/** The file stem of a batch slice's outputs, or of a whole run. */
export function outputStem(batch?: { index: number; total: number }): string {
  return batch ? `finalstates.batch-${batch.index}-of-${batch.total}` : 'finalstates';
}

/** The manifest of a run (its `outputs`, what it wrote): run.json, a batch slice's run.batch-<i>-of-<n>.json. */
export function manifestName(batch?: { index: number; total: number }): string {
  return batch ? `run.batch-${batch.index}-of-${batch.total}.json` : 'run.json';
}

/** What histograms/<stem>.summary.json holds. */
export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  events: number;
  lessThanTwo: number;
  combinations: number;
  finalStates: Record<string, number>;
  removed: Record<string, number>;
  binWidth: number; nMain: number; nAll: number;
  tailSplit: boolean;
  minEventsPerFs: number;
  /** Final states with histograms (≥ minEventsPerFs events). */
  keptFinalStates: string[];
  histograms: string[];
  /** Batch slices merged into this summary (merge-only). */
  mergedFrom?: string[];
}

/**
 * A count per name with its names in order: the merge of chunk results inserts them in the order
 * it meets them, which the chunking and the workers decide, so written as they came two runs of
 * the same counts differed in their bytes.
 */
export function byName(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * SOURCE_DATE_EPOCH (seconds; the reproducible-builds convention), when set: the creation time
 * written into the ROOT file instead of the run's start, read as gluon-h4l reads it.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  try { return h4lSourceDateEpoch(env); } catch (e) { throw new ConfigError((e as Error).message); } // a usage error here too (exit 2)
}

export function summaryOf(r: FsResult, minEvents: number, tailSplit: boolean, hists: readonly Th1[]): Summary {
  return { schema: SUMMARY_SCHEMA, events: r.events, lessThanTwo: r.lessThanTwo, combinations: r.combinations,
    finalStates: byName(r.finalStates), removed: byName(r.removed), binWidth: r.binWidth, nMain: r.nMain, nAll: r.nAll, tailSplit,
    minEventsPerFs: minEvents, keptFinalStates: keptFinalStates(r.finalStates, minEvents), histograms: hists.map((h) => h.name) };
}

/** Reads and checks a summary file. */
export async function readSummary(file: string): Promise<Summary> {
  let s: Summary;
  try { s = JSON.parse(await readFile(file, 'utf8')); } catch (e) {
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : e}`);
  }
  if (s?.schema !== SUMMARY_SCHEMA) throw new Error(`${file}: schema is ${JSON.stringify(s?.schema)}, expected ${SUMMARY_SCHEMA}`);
  return s;
}

const json = (v: unknown) => JSON.stringify(v, null, 1) + '\n';

export interface WriteRunOptions {
  dir: string;
  config: FsConfig;
  result: FsResult;
  batch?: { index: number; total: number };
  /** run.json's other fields (command, inputs, timings, mode …). */
  runInfo: Record<string, unknown>;
  /** Phase → seconds for the timing plot and run.json. */
  timings: Record<string, number>;
  /** The ROOT file's creation time: the run's start, or SOURCE_DATE_EPOCH. */
  created: Date;
}

/** Writes a run's outputs (per its stages); returns the files written, relative to dir. */
export async function writeRun(o: WriteRunOptions): Promise<string[]> {
  const { dir, config: c, result: r } = o;
  for (const sub of ['histograms', 'plots', 'logs']) await mkdir(path.join(dir, sub), { recursive: true });
  const stem = outputStem(o.batch);
  const written: string[] = [];
  const put = async (rel: string, body: string) => { await writeFile(path.join(dir, rel), body); written.push(rel); };
  // Batch slices keep every final state: the merge applies min_events_per_fs to the summed counts.
  const minEvents = o.batch ? 0 : c.min_events_per_fs;
  const tailSplit = c.tasks.postprocess;
  let hists: Th1[] = [];
  const t0 = performance.now();
  if (c.tasks.histograms) {
    hists = buildHistograms(r, minEvents, tailSplit);
    await writeHistogramFile(path.join(dir, 'histograms', `${stem}.root`), hists, o.created);
    written.push(`histograms/${stem}.root`);
  }
  const timings = { ...o.timings, ...(c.tasks.histograms ? { histograms: (performance.now() - t0) / 1000 } : {}) };
  await put(`histograms/${stem}.summary.json`, json(summaryOf(r, minEvents, tailSplit, hists)));
  await put(`logs/${stem}.chunks.json`, json(r.chunkStats));
  await put(`logs/${stem}.stages.json`, json({
    stages: c.tasks,
    note: 'parse, masses and postprocess run fused inside each chunk task; their time is "process"',
    timings, cutflow: { events: r.events, lessThanTwo: r.lessThanTwo, withTwoOrMore: r.events - r.lessThanTwo },
    combinations: r.combinations, removedPerHistogram: byName(r.removed),
  }));
  if (!o.batch) written.push(...await writePlots(dir, { finalStates: r.finalStates, histograms: hists, timings }));
  const runJson = manifestName(o.batch);
  await put(runJson, json({ ...o.runInfo, config: c, versions: versions(), timings, outputs: [...written, runJson] }));
  return written;
}

/** `--plots-only --run-dir DIR`: redraws the plots from the run's ROOT file, summary and stage log. */
export async function replot(runDir: string): Promise<string[]> {
  const file = path.join(runDir, 'histograms', 'finalstates.summary.json');
  if (!existsSync(file)) {
    // A directory holding both analyses' outputs is read as ours: this is said only when ours is missing.
    const other = await otherAnalysisRun(runDir, 'gluon-finalstates');
    throw new Error(`cannot read ${file}${other !== null ? `: ${other}` : ' (no such file: is this a run\'s output directory?)'}`);
  }
  const summary = await readSummary(file);
  let timings: Record<string, number> = {};
  try { timings = JSON.parse(await readFile(path.join(runDir, 'logs', 'finalstates.stages.json'), 'utf8')).timings ?? {}; } catch { /* no timing plot data */ }
  const rootFile = path.join(runDir, 'histograms', 'finalstates.root');
  const hists = summary.histograms.length ? await readHistogramFile(rootFile) : [];
  return writePlots(runDir, { finalStates: summary.finalStates, histograms: hists, timings });
}
