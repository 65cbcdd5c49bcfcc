/**
 * `--merge-only --run-dir DIR`: the batch slices' ROOT files added as `hadd` does (histograms of
 * the same name summed), their summaries summed, min_events_per_fs applied to the summed events
 * per final state, then the whole run's outputs and plots written — the same as one unsplit run.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './config.js';
import { InterruptedError, otherAnalysisRun, stopSignalOf, whenAborted } from '@gluon/analysis-h4l';
import { addHistogramFiles, keptFinalStates, writeHistogramFile, type Th1 } from './histograms.js';
import { parseHistogramName } from './naming.js';
import { byName, manifestName, outputStem, readSummary, sourceDateEpoch, versions, type Summary, SUMMARY_SCHEMA } from './outputs.js';
import { writePlots } from './plots.js';

const SLICE = /^finalstates\.batch-(\d+)-of-(\d+)\.root$/;

/** The slices present in a run directory: their total and files, checking none is missing. */
export async function findSlices(runDir: string): Promise<{ total: number; roots: string[]; summaries: string[] }> {
  const dir = path.join(runDir, 'histograms');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    // No histograms/ at all: a gluon-h4l run, or not the batch jobs' run directory. Node's raw
    // `ENOENT: no such file or directory, scandir …` said neither (exit 2, where --plots-only
    // names a gluon-h4l run, exit 1).
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const other = await otherAnalysisRun(runDir, 'gluon-finalstates');
      if (other !== null) throw new Error(`--merge-only merges the batch slices of a gluon-finalstates run: ${other}`);
      throw new ConfigError(`--run-dir ${runDir} has no histograms/ folder, so no batch slices (histograms/finalstates.batch-<i>-of-<n>.root) to merge: `
        + 'give the run directory the batch jobs wrote into (their --run-dir; by default <base_output_dir>/<run_name>_batch-of-<n>)');
    }
    throw new ConfigError(`--run-dir ${runDir}: cannot list ${dir} (${e instanceof Error ? e.message : e})`);
  }
  const found = names.map((n) => SLICE.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  if (found.length === 0) throw new ConfigError(`--run-dir ${runDir}: no batch slices (histograms/finalstates.batch-<i>-of-<n>.root) to merge`);
  const totals = new Set(found.map((m) => Number(m[2])));
  if (totals.size > 1) throw new ConfigError(`--run-dir ${runDir}: slices of different batch sizes (${[...totals].join(', ')}) in one directory`);
  const total = [...totals][0];
  const have = new Set(found.map((m) => Number(m[1])));
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !have.has(i));
  if (missing.length) throw new ConfigError(`--run-dir ${runDir}: batch job${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${total} ${missing.length > 1 ? 'have not written their slices' : 'has not written its slice'} (histograms/${outputStem({ index: missing[0]!, total })}.root)`);
  const stems = Array.from({ length: total }, (_, index) => outputStem({ index, total }));
  return { total, roots: stems.map((s) => path.join(dir, `${s}.root`)), summaries: stems.map((s) => path.join(dir, `${s}.summary.json`)) };
}

const add = (into: Record<string, number>, from: Record<string, number>) => { for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v; };

/**
 * Merges the slices of `runDir`; returns the files written (relative to runDir). Everything is
 * read first, then written into a staging directory in `runDir` and moved into place only once
 * whole (run.json last): stopped by `signal` (Ctrl-C) or failing before that, it leaves `runDir`
 * as it was. Ended by the signal, it left a cut histograms/finalstates.root and no run.json.
 */
export async function mergeRun(runDir: string, minEvents: number, argv: string[], signal?: AbortSignal): Promise<string[]> {
  const t0 = performance.now();
  const abort = whenAborted(signal);
  // Reads may wait long on a file (a network file system): Ctrl-C does not wait for them.
  const read = <T>(p: Promise<T>): Promise<T> => Promise.race([p, abort.aborted]);
  try {
    const { total, roots, summaries } = await read(findSlices(runDir));
    const parts = await read(Promise.all(summaries.map(readSummary)));
    const first = parts[0];
    const merged: Summary = { schema: SUMMARY_SCHEMA, events: 0, lessThanTwo: 0, combinations: 0, finalStates: {}, removed: {},
      binWidth: first.binWidth, nMain: first.nMain, nAll: first.nAll, tailSplit: first.tailSplit, minEventsPerFs: minEvents,
      keptFinalStates: [], histograms: [], mergedFrom: roots.map((r) => path.relative(runDir, r)) };
    parts.forEach((p, i) => {
      if (p.binWidth !== first.binWidth || p.nMain !== first.nMain || p.nAll !== first.nAll || p.tailSplit !== first.tailSplit) {
        throw new Error(`${summaries[i]}: binning or tail split differs from ${summaries[0]}`);
      }
      merged.events += p.events; merged.lessThanTwo += p.lessThanTwo; merged.combinations += p.combinations;
      add(merged.finalStates, p.finalStates); add(merged.removed, p.removed);
    });
    merged.keptFinalStates = keptFinalStates(merged.finalStates, minEvents);
    const keep = new Set(merged.keptFinalStates);
    const hists = (await read(addHistogramFiles(roots))).filter((h) => keep.has(parseHistogramName(h.name)?.finalState ?? ''));
    merged.histograms = hists.map((h) => h.name);
    merged.finalStates = byName(merged.finalStates); merged.removed = byName(merged.removed);
    const slices = await read(Promise.all(Array.from({ length: total }, async (_, i) => {
      const manifest = manifestName({ index: i, total });
      try { return JSON.parse(await readFile(path.join(runDir, manifest), 'utf8')); } catch { return { missing: manifest }; }
    })));
    if (signal?.aborted) throw new InterruptedError('interrupted', stopSignalOf(signal));
    const stage = await mkdtemp(path.join(runDir, '.merging-'));
    try {
      const written = await writeMerged(stage, { total, merged, hists, slices, t0, minEvents, argv });
      if (signal?.aborted) throw new InterruptedError('interrupted', stopSignalOf(signal));
      // Into place (the last moment Ctrl-C stops it): each file renamed over the one it replaces, run.json last.
      for (const rel of written) {
        await mkdir(path.dirname(path.join(runDir, rel)), { recursive: true });
        await rename(path.join(stage, rel), path.join(runDir, rel));
      }
      return written;
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  } finally {
    abort.off();
  }
}

/** Writes the merged outputs into `dir` (the staging directory); returns them, relative, run.json last. */
async function writeMerged(dir: string, m: { total: number; merged: Summary; hists: Th1[]; slices: unknown[]; t0: number; minEvents: number; argv: string[] }): Promise<string[]> {
  const { merged, hists } = m;
  const stem = outputStem(); // the whole run's, as an unsplit run's
  await mkdir(path.join(dir, 'histograms'), { recursive: true });
  await writeHistogramFile(path.join(dir, 'histograms', `${stem}.root`), hists, sourceDateEpoch() ?? new Date());
  const written = [`histograms/${stem}.root`];
  const put = async (rel: string, v: unknown) => { await mkdir(path.dirname(path.join(dir, rel)), { recursive: true }); await writeFile(path.join(dir, rel), JSON.stringify(v, null, 1) + '\n'); written.push(rel); };
  await put(`histograms/${stem}.summary.json`, merged);
  const timings = { merge: (performance.now() - m.t0) / 1000 };
  await put(`logs/${stem}.stages.json`, { stages: { merge: true }, timings, cutflow: { events: merged.events, lessThanTwo: merged.lessThanTwo,
    withTwoOrMore: merged.events - merged.lessThanTwo }, combinations: merged.combinations, removedPerHistogram: merged.removed });
  written.push(...await writePlots(dir, { finalStates: merged.finalStates, histograms: hists, timings }));
  await put(manifestName(), { command: m.argv, mergedSlices: m.total, minEventsPerFs: m.minEvents, versions: versions(), slices: m.slices, timings, outputs: [...written, manifestName()] });
  return written;
}
