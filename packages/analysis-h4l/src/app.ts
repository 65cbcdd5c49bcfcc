/**
 * One analysis run from a validated configuration to an output directory — what `gluon-h4l run`
 * and `npm run demo` both do.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { type H4lConfig, ConfigError } from './config.js';
import { runAnalysis, type RunReport } from './run.js';
import { writeOutputs, histogramsJson } from './outputs.js';
import { notebookSignificance, significanceLine } from './significance.js';
import { listFiles, countEntries, scheduleChunks, EntryCache } from './dataset.js';
import { consoleProgress } from './progress.js';
import { sampleByName } from './samples.js';
import { referenceLumiFb } from './groups.js';
import { datasetOrigin, variantsOf, metaNotes, type RunMeta } from './meta.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** `outputs/<run-name>_<YYYYMMDD-HHMMSS>` relative to the working directory. */
export function defaultOutDir(runName: string, now = new Date()): string {
  const ts = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('outputs', `${runName}_${ts}`);
}

/**
 * Events in the outputs (every event of the samples kept: a selection's first cut counts all),
 * events read (including chunks of files skipped later), and the entries of skipped files.
 */
function eventCounts(report: RunReport): { events: number; eventsRead: number; eventsLeftOut: number } {
  const events = Object.values(report.result.samples).reduce((a, s) => a + s.cutflow.raw[0], 0);
  const eventsLeftOut = report.files.filter((f) => f.status === 'skipped').reduce((a, f) => a + (f.entries ?? 0), 0);
  return { events, eventsRead: report.result.events, eventsLeftOut };
}

/** The luminosity the run's MC is normalised to: lumi_fb, or the selection's reference. */
function runLumiFb(c: H4lConfig): number {
  return c.lumi_fb ?? referenceLumiFb(c.selection);
}

export interface ExecuteResult { report: RunReport; outDir: string; files: string[] }

function need(c: H4lConfig): string {
  if (!c.data_dir) throw new ConfigError('data_dir is not set: pass --data-dir DIR|URL or set data_dir in config.yaml (gluon-h4l generate writes a synthetic dataset)');
  return c.data_dir;
}

/** `--dry-run`: validates, lists files, entry counts and chunks; runs nothing. */
export async function dryRun(c: H4lConfig, log: (s: string) => void): Promise<void> {
  const dataDir = need(c);
  const { files, absent } = listFiles(dataDir, c.selection, c.max_files ?? undefined);
  const counts = await countEntries(files, await new EntryCache(c.entry_cache ?? undefined).load());
  const chunks = scheduleChunks(counts, c.chunk_size);
  log(`dry run: selection ${c.selection}, ${files.length} files, ${chunks.length} chunks of ≤ ${c.chunk_size} events`);
  log(`mode: ${c.scheduler ? `scheduler ${c.scheduler}` : c.n_workers === 0 ? 'in-process serial' : `LocalCluster with ${c.n_workers} workers`}`);
  for (const r of counts) {
    log(`  ${r.file.sample.name.padEnd(16)} ${r.error ? `ERROR ${r.error}` : `${r.entries} entries`}  ${r.file.file}`);
  }
  if (absent.length) log(`  (${absent.length} sample files of this selection are not present and would be left out)`);
  log(`would write to ${c.out ?? defaultOutDir(c.run_name)}`);
}

/** Runs the analysis and writes the outputs, logging progress and a summary. */
export async function execute(c: H4lConfig, log: (s: string) => void, progressOut: NodeJS.WriteStream = process.stderr): Promise<ExecuteResult> {
  const dataDir = need(c);
  const started = new Date();
  const bar = consoleProgress(progressOut);
  let report: RunReport;
  try {
    report = await runAnalysis({
      dataDir, selection: c.selection, nWorkers: c.n_workers, ...(c.scheduler ? { scheduler: c.scheduler } : {}),
      chunkSize: c.chunk_size, ...(c.max_files ? { maxFiles: c.max_files } : {}), lumiFb: runLumiFb(c),
      skipBadFiles: c.skip_bad_files, correctedD0: c.corrected_d0, ...(c.entry_cache ? { cacheFile: c.entry_cache } : {}),
      fanIn: c.fan_in, dashboard: c.dashboard,
    }, {
      onStart: (i) => {
        log(`gluon-h4l: selection ${c.selection}, ${i.files} files, ${i.events} events in ${i.chunks} chunks, ${i.mode === 'serial' ? 'in-process' : i.mode === 'local-cluster' ? `LocalCluster with ${c.n_workers} workers` : `scheduler ${c.scheduler}`}`);
        if (i.dashboardUrl) log(`dashboard: ${i.dashboardUrl}`);
      },
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.end();
  }
  const outDir = c.out ?? defaultOutDir(c.run_name, started);
  const runInfo = {
    runName: c.run_name, started: started.toISOString(), finished: new Date().toISOString(), config: c,
    // meta.lumiFb is what the outputs correspond to (this × the dataset's scale): the plot's label.
    mcNormalisedToFb: runLumiFb(c),
    versions: { '@gluon/analysis-h4l': VERSION, node: process.version },
    mode: report.mode, nWorkers: report.nWorkers, dashboardUrl: report.dashboardUrl ?? null,
    files: report.files, absentFiles: report.absent, skippedChunks: report.result.skipped,
    ...eventCounts(report), chunks: report.result.chunks,
    timings: report.timings, eventsPerSecond: report.eventsPerSecond,
  };
  const origin = datasetOrigin(dataDir);
  const meta: RunMeta = {
    synthetic: origin.synthetic, datasetScale: origin.scale, selection: c.selection, lumiFb: runLumiFb(c) * origin.scale,
    variants: variantsOf(c.selection, c.corrected_d0),
    mcPresent: Object.keys(report.result.samples).some((n) => !sampleByName(n).isData),
    partialFiles: report.files.filter((f) => f.status === 'skipped').map((f) => ({ file: f.file, sample: f.sample, reason: f.reason ?? 'skipped' })),
  };
  // The notebook's significance cell, from the plotted m4l groups (null with a reason elsewhere).
  const significance = notebookSignificance(histogramsJson(report.result, meta, runLumiFb(c)));
  const files = await writeOutputs({ dir: outDir, result: report.result, lumiFb: runLumiFb(c), meta, runInfo: { ...runInfo, significance } });
  for (const s of Object.values(report.result.samples)) {
    const n = s.cutflow.raw.length - 1;
    log(`  ${s.sample.padEnd(16)} ${String(s.cutflow.raw[0]).padStart(8)} in  ${String(s.cutflow.raw[n]).padStart(8)} selected  Σw ${+s.cutflow.weighted[n].toPrecision(7)}`);
  }
  const skippedFiles = report.files.filter((x) => x.status === 'skipped');
  if (skippedFiles.length) {
    log('skipped bad files (each contributes nothing to the outputs):');
    for (const f of skippedFiles) log(`  ${f.sample.padEnd(16)} ${f.file}: ${f.reason}`);
  }
  log(significanceLine(significance));
  for (const n of metaNotes(meta)) log(`note: ${n}`);
  const ev = eventCounts(report);
  log(`${ev.events} events in the outputs${ev.eventsLeftOut ? ` (${ev.eventsLeftOut} entries of skipped files left out)` : ''}; `
    + `${report.result.events} read in ${(report.timings.processMs / 1000).toFixed(2)} s (${Math.round(report.eventsPerSecond)} events/s)`);
  log(`outputs: ${path.resolve(outDir)} (${files.join(', ')})`);
  return { report, outDir, files };
}
