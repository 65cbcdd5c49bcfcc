/**
 * `--merge-only --run-dir DIR`: the batch slices' ROOT files added as `hadd` does (histograms of
 * the same name summed), their summaries summed, min_events_per_fs applied to the summed events
 * per final state, then the whole run's outputs and plots written — the same as one unsplit run.
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './config.js';
import { addHistogramFiles, keptFinalStates, writeHistogramFile } from './histograms.js';
import { parseHistogramName } from './naming.js';
import { byName, manifestName, outputStem, readSummary, sourceDateEpoch, versions, type Summary, SUMMARY_SCHEMA } from './outputs.js';
import { writePlots } from './plots.js';

const SLICE = /^finalstates\.batch-(\d+)-of-(\d+)\.root$/;

/** The slices present in a run directory: their total and files, checking none is missing. */
export async function findSlices(runDir: string): Promise<{ total: number; roots: string[]; summaries: string[] }> {
  const dir = path.join(runDir, 'histograms');
  let names: string[];
  try { names = await readdir(dir); } catch (e) { throw new ConfigError(`--run-dir ${runDir}: cannot list ${dir} (${e instanceof Error ? e.message : e})`); }
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

/** Merges the slices of `runDir`; returns the files written (relative to runDir). */
export async function mergeRun(runDir: string, minEvents: number, argv: string[]): Promise<string[]> {
  const t0 = performance.now();
  const { total, roots, summaries } = await findSlices(runDir);
  const parts = await Promise.all(summaries.map(readSummary));
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
  const hists = (await addHistogramFiles(roots)).filter((h) => keep.has(parseHistogramName(h.name)?.finalState ?? ''));
  merged.histograms = hists.map((h) => h.name);
  merged.finalStates = byName(merged.finalStates); merged.removed = byName(merged.removed);
  const stem = outputStem(); // the whole run's, as an unsplit run's
  await writeHistogramFile(path.join(runDir, 'histograms', `${stem}.root`), hists, sourceDateEpoch() ?? new Date());
  const written = [`histograms/${stem}.root`];
  const put = async (rel: string, v: unknown) => { await mkdir(path.dirname(path.join(runDir, rel)), { recursive: true }); await writeFile(path.join(runDir, rel), JSON.stringify(v, null, 1) + '\n'); written.push(rel); };
  await put(`histograms/${stem}.summary.json`, merged);
  const slices = await Promise.all(Array.from({ length: total }, async (_, i) => {
    const manifest = manifestName({ index: i, total });
    try { return JSON.parse(await readFile(path.join(runDir, manifest), 'utf8')); } catch { return { missing: manifest }; }
  }));
  const timings = { merge: (performance.now() - t0) / 1000 };
  await put(`logs/${stem}.stages.json`, { stages: { merge: true }, timings, cutflow: { events: merged.events, lessThanTwo: merged.lessThanTwo,
    withTwoOrMore: merged.events - merged.lessThanTwo }, combinations: merged.combinations, removedPerHistogram: merged.removed });
  written.push(...await writePlots(runDir, { finalStates: merged.finalStates, histograms: hists, timings }));
  await put(manifestName(), { command: argv, mergedSlices: total, minEventsPerFs: minEvents, versions: versions(), slices, timings, outputs: [...written, manifestName()] });
  return written;
}
