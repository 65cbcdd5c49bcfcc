/**
 * One analysis run from a validated configuration to an output directory — what `gluon-h4l run`
 * and `npm run demo` both do.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schedulerTls } from '@gluon/client';
import { countOf, StartFailure, type TlsOptions } from '@gluon/protocol';
import { type H4lConfig, ConfigError } from './config.js';
import type { SettingNames } from './cli-args.js';
import { runAnalysis, type RunReport } from './run.js';
import { finishingOnCtrlC } from './interrupt.js';
import { runConsole, type RunConsole } from './run-console.js';
import { writeOutputs, histogramsJson } from './outputs.js';
import { notebookSignificance, significanceLine } from './significance.js';
import { listFiles, countEntries, noInputFilesMessage, scheduleChunks, EntryCache } from './dataset.js';
import { sampleByName } from './samples.js';
import { referenceLumiFb } from './groups.js';
import { datasetOrigin, variantsOf, metaNotes, type RunMeta } from './meta.js';
import { checkWritable, runDirName } from './paths.js';
import { figure } from './figures.js';
import { batchWaitHint, batchWaitingLine, clusterModeText, endedSessionsOf, jobsRunningSince, startBatchCluster } from './batch.js';
import { waitingForWorkersLine } from './wait-workers.js';
import { gitCommit, inputDigests, sourceDateEpoch } from './provenance.js';
import { earlierOutputs, removeStaleOutputs, staleOutputsLine } from './stale-outputs.js';
import { VERSION } from './version.js';

export { VERSION };

/** `outputs/<run-name>_<YYYYMMDD_HHMMSS>` (UTC) relative to the working directory, named as gluon-finalstates names its runs. */
export function defaultOutDir(runName: string, now = new Date()): string {
  return runDirName('outputs', runName, now);
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

export interface ExecuteOptions {
  /** Where the progress bar goes (default stderr). */
  progressOut?: NodeJS.WriteStream;
  /** The config file the settings came from (recorded in run.json). */
  configFile?: string | null;
  /** With linger: resolves when the cluster may close (default: the first SIGINT, i.e. Ctrl-C). */
  lingerUntil?: () => Promise<void>;
  /** How messages name a setting, as the user gave it (the CLI's flags and config file); default the key. */
  names?: SettingNames;
}

function need(c: H4lConfig): string {
  if (!c.data_dir) throw new ConfigError('data_dir is not set: pass --data-dir DIR|URL or set data_dir in config.yaml (gluon-h4l generate writes a synthetic dataset)');
  return c.data_dir;
}

/**
 * The TLS files of a wss:// scheduler, read and checked before anything runs: one that cannot be
 * read or holds the wrong thing is a StartFailure (exit 1, naming it), as gluon-scheduler's and
 * gluon-worker's are; anything else about them is a usage error (exit 2).
 */
function tlsOf(c: H4lConfig): TlsOptions | undefined {
  try { return schedulerTls(c); } catch (e) { throw e instanceof StartFailure ? e : new ConfigError((e as Error).message); }
}

/**
 * Checks what the run will write before it runs: the output directory, the entry cache and the
 * performance report, each named as the user gave it (`--out`, or the key and its config file).
 */
async function checkOutputs(c: H4lConfig, outDir: string, names: SettingNames = () => undefined): Promise<void> {
  await checkWritable(outDir, c.out !== null ? names('out') ?? 'out' : 'the output directory', 'dir');
  if (c.entry_cache) await checkWritable(c.entry_cache, names('entry_cache') ?? 'entry_cache', 'file');
  if (c.performance_report) await checkWritable(c.performance_report, names('performance_report') ?? 'performance_report', 'file');
}

/**
 * `--dry-run`: validates, checks the outputs' paths, lists files, entry counts and chunks; runs
 * nothing. Returns false when the real run would fail: a bad file without skip_bad_files.
 */
export async function dryRun(c: H4lConfig, log: (s: string) => void, names?: SettingNames): Promise<boolean> {
  const dataDir = need(c);
  tlsOf(c);
  const outDir = c.out ?? defaultOutDir(c.run_name);
  await checkOutputs(c, outDir, names);
  const { files, absent } = listFiles(dataDir, c.selection, c.max_files ?? undefined);
  const counts = await countEntries(files, await new EntryCache(c.entry_cache ?? undefined).load());
  const chunks = scheduleChunks(counts, c.chunk_size);
  log(`dry run: selection ${c.selection}, ${countOf(files.length, 'file')}, ${countOf(chunks.length, 'chunk')} of ≤ ${countOf(c.chunk_size, 'event')}`);
  log(`mode: ${c.cluster ? clusterModeText({ ...c, cluster: c.cluster }) : c.scheduler ? `scheduler ${c.scheduler}` : c.n_workers === 0 ? 'in-process serial' : `LocalCluster with ${countOf(c.n_workers, 'worker')}`}`);
  for (const r of counts) {
    log(`  ${r.file.sample.name.padEnd(16)} ${r.error ? `ERROR ${r.error}` : countOf(r.entries ?? 0, 'entry', 'entries')}  ${r.file.file}`);
  }
  if (absent.length) log(`  (${countOf(absent.length, 'sample file')} of this selection ${absent.length === 1 ? 'is' : 'are'} not present and would be left out)`);
  const bad = counts.filter((r) => r.error);
  if (files.length === 0) {
    log(`the run would fail: ${noInputFilesMessage(dataDir, c.selection, absent)}`);
    return false;
  }
  if (bad.length === files.length && c.skip_bad_files) {
    log(`the run would fail: ${allBad(bad.length)} (${names?.('skip_bad_files') ?? 'skip_bad_files'} would skip ${bad.length === 1 ? 'it' : 'every one'}, leaving nothing to analyse)`);
    return false;
  }
  if (bad.length && !c.skip_bad_files) {
    log(`the run would fail: ${bad.length} bad input file${bad.length > 1 ? 's' : ''} (skip_bad_files is off; --skip-bad-files runs without ${bad.length > 1 ? 'them' : 'it'})`);
    return false;
  }
  if (bad.length) log(`the run would skip ${bad.length} bad input file${bad.length > 1 ? 's' : ''}; each would contribute nothing`);
  // Absolute, as the real run's `outputs:` line names it (it said `would write to ../ho`, then `outputs: /home/me/ho`).
  log(`would write to ${path.resolve(outDir)}`);
  return true;
}

/** `all 2 input files are bad` (`the 1 input file is bad`): what a run skipping every file says. */
const allBad = (n: number) => n === 1 ? 'the 1 input file is bad' : `all ${figure(n)} input files are bad`;

/** Waits for the first SIGINT (Ctrl-C), then lets the run close its cluster. */
function untilSigint(): Promise<void> {
  // A signal listener does not keep the process alive, and the cluster's handles no longer do
  // (client liveness.ts): this timer does, until the signal.
  const hold = setInterval(() => {}, 1 << 30);
  return new Promise((resolve) => process.once('SIGINT', () => { clearInterval(hold); resolve(); }));
}

// Shared with gluon-finalstates (interrupt.ts); exported here as before.
export { interruptedLine, writingInterruptedLine, type RunPlace } from './interrupt.js';

/** Runs the analysis and writes the outputs, logging progress and a summary. */
export async function execute(c: H4lConfig, log: (s: string) => void, o: ExecuteOptions = {}): Promise<ExecuteResult> {
  const dataDir = need(c);
  const tls = tlsOf(c);
  const started = new Date();
  const created = sourceDateEpoch() ?? started;
  const outDir = c.out ?? defaultOutDir(c.run_name, started);
  await checkOutputs(c, outDir, o.names);
  // checkOutputs passed a report whose directories do not exist yet as makeable, as it passes
  // --out; client.performanceReport makes none, and refused it once the cluster was up.
  if (c.performance_report) mkdirSync(path.dirname(path.resolve(c.performance_report)), { recursive: true });
  // Ctrl-C while the run works: say how far it got, stop it and close its cluster (batch jobs are
  // cancelled); the CLI exits 130. It printed nothing and died by the signal. A second Ctrl-C
  // finds no listener: the default, at once (LocalCluster's processes are killed at exit).
  // A batch run starts its scheduler and submits its jobs before the chunks are listed: a local
  // --data-dir without the selection's files is refused first (the run would end on it anyway),
  // not after jobs were submitted and cancelled. Over http(s) the listing is the run's own.
  if (c.cluster && !/^https?:\/\//i.test(dataDir)) {
    const { files, absent } = listFiles(dataDir, c.selection, c.max_files ?? undefined);
    if (files.length === 0) throw new ConfigError(noInputFilesMessage(dataDir, c.selection, absent));
  }
  const run = runConsole('gluon-h4l run', o.progressOut ?? process.stderr, { scheduler: c.scheduler !== null && !c.cluster });
  try {
    // A Ctrl-C in a terminal reaches the ssh (or scheduler) processes too, and the start fails
    // by it: said as the interrupt it is, not as their error.
    const batch = c.cluster ? await startBatchCluster({ ...c, cluster: c.cluster }, log).catch((e: unknown) => { run.throwIfInterrupted(); throw e; }) : undefined;
    try {
      run.throwIfInterrupted();
      return await executeOn(c, log, o, { dataDir, started, created, outDir, ...(tls ? { tls } : {}) }, batch, run);
    } finally {
      await batch?.cluster.close();
    }
  } finally {
    run.close();
  }
}

/** `execute` once the cluster (LocalCluster, a scheduler, or batch jobs) is chosen. */
async function executeOn(c: H4lConfig, log: (s: string) => void, o: ExecuteOptions, at: { dataDir: string; started: Date; created: Date; outDir: string; tls?: TlsOptions },
                         batch: Awaited<ReturnType<typeof startBatchCluster>> | undefined,
                         run: RunConsole): Promise<ExecuteResult> {
  const { dataDir, started, created, outDir } = at;
  let report: RunReport;
  try {
    report = await runAnalysis({
      dataDir, selection: c.selection, nWorkers: c.n_workers, ...(c.scheduler ? { scheduler: c.scheduler } : {}), ...(at.tls ? { tls: at.tls } : {}),
      ...(batch ? { client: batch.client } : {}),
      chunkSize: c.chunk_size, ...(c.max_files ? { maxFiles: c.max_files } : {}), lumiFb: runLumiFb(c),
      skipBadFiles: c.skip_bad_files, correctedD0: c.corrected_d0, ...(c.entry_cache ? { cacheFile: c.entry_cache } : {}),
      fanIn: c.fan_in, dashboard: c.dashboard, keepOpen: c.linger,
      ...(c.performance_report ? { performanceReport: c.performance_report } : {}),
      ...(c.worker_timeout_s !== null ? { workerTimeoutMs: c.worker_timeout_s * 1000 } : {}),
      // A batch run's worker_timeout_s counts from a job running: the queue's wait is the batch system's.
      ...(batch ? { noWorkersHint: () => batchWaitHint(c.cluster!, batch.cluster.jobList, endedSessionsOf(batch.cluster)), workerWaitCountsFrom: jobsRunningSince(() => batch.cluster.jobList), clusterFailed: batch.failed } : {}),
      signal: run.signal,
    }, {
      onStart: (i) => {
        run.started({ chunks: i.chunks, files: i.files, events: i.events });
        log(`gluon-h4l: selection ${c.selection}, ${countOf(i.files, 'file')}, ${countOf(i.events, 'event')} in ${countOf(i.chunks, 'chunk')}, ${i.mode === 'serial' ? 'in-process' : i.mode === 'local-cluster' ? `LocalCluster with ${countOf(c.n_workers, 'worker')}` : batch ? `${c.cluster === 'ssh' ? 'ssh workers' : `${c.cluster} jobs`} (${c.jobs}), scheduler ${batch.cluster.schedulerAddress}` : `scheduler ${c.scheduler}`}`);
        if (i.dashboardUrl) log(`dashboard: ${i.dashboardUrl} ${dashboardLifetime(c, batch !== undefined)}`);
      },
      onWaitingForWorkers: (w) => run.waiting(batch
        ? batchWaitingLine(c.cluster!, batch.cluster.jobList, { workers: w.workers, timeoutMs: w.timeoutMs ?? null, ...(w.giveUpAt !== undefined ? { giveUpAt: w.giveUpAt } : {}), stale: batch.cluster.listingStale })
        : waitingForWorkersLine(w), log),
      onProgress: (p) => run.progress(p),
    });
  } finally {
    // Done with the chunks: the run's own Ctrl-C (stop and write nothing) ends here.
    run.close();
  }
  // Every file skipped: outputs of no events, and exit 0, read as a result by a script or a batch
  // job (a folder of damaged copies, a URL base with the network down). A failure instead.
  const skipped = report.files.filter((f) => f.status === 'skipped');
  if (skipped.length && skipped.length === report.files.length) {
    await report.release?.();
    throw new Error(`${allBad(skipped.length)} (skipped by ${o.names?.('skip_bad_files') ?? 'skip_bad_files'}), so there is nothing to analyse and no outputs were written: ${skipped.map((f) => `${f.file}: ${f.reason ?? 'skipped'}`).join('; ')}`);
  }
  try {
    // Ctrl-C while the outputs are written: every chunk is done, and what is left (the inputs'
    // checksums, which take a while on a big dataset the first time, and the files) would be
    // lost: said, finished first, then the run stops (interrupt.ts).
    const files = await finishingOnCtrlC('gluon-h4l run', outDir, async () => {
      const written = await writeRun(c, report, { dataDir, outDir, started, created, configFile: o.configFile ?? null }, log);
      if (c.performance_report) log(`performance report: ${c.performance_report} (one HTML file; opens offline)`);
      return written;
    });
    if (report.release) {
      log(`cluster and dashboard stay up${report.dashboardUrl ? ` at ${report.dashboardUrl}` : ''}: press Ctrl-C to stop them (--linger)`);
      await (o.lingerUntil ?? untilSigint)();
    }
    return { report, outDir, files };
  } finally {
    await report.release?.();
  }
}

/**
 * How long the dashboard the run prints stays up. A scheduler given with --scheduler is not the
 * run's: its dashboard stays up whatever the run does. A LocalCluster or batch cluster is the
 * run's and closes with it, unless --linger.
 */
function dashboardLifetime(c: H4lConfig, batch: boolean): string {
  if (c.scheduler && !batch) return '(the scheduler\'s own: it stays up after the run)';
  return c.linger ? '(stays up after the run until Ctrl-C: --linger)' : '(closes with the run; --linger keeps it up until Ctrl-C)';
}

/** The outputs of a finished run, and its console summary. */
async function writeRun(c: H4lConfig, report: RunReport, at: { dataDir: string; outDir: string; started: Date; created: Date; configFile: string | null },
                        log: (s: string) => void): Promise<string[]> {
  const cache = await new EntryCache(c.entry_cache ?? undefined).load();
  const tDigest = performance.now();
  const inputs = await inputDigests(report.files.map((f) => f.file), cache);
  const digestMs = performance.now() - tDigest;
  await cache.save();
  const runInfo = {
    runName: c.run_name, started: at.started.toISOString(), finished: new Date().toISOString(),
    commandLine: process.argv, cwd: process.cwd(), configFile: at.configFile, config: c,
    code: { '@gluon/analysis-h4l': VERSION, node: process.version, git: await gitCommit(fileURLToPath(new URL('..', import.meta.url))) },
    // meta.lumiFb is what the outputs correspond to (this × the dataset's scale): the plot's label.
    mcNormalisedToFb: runLumiFb(c),
    mode: report.mode, schedulerAddress: report.schedulerAddress ?? null, dashboardUrl: report.dashboardUrl ?? null,
    // What ran: the workers (and their task threads) that returned chunks, not the configuration.
    workers: { started: report.workersStarted ?? null, seen: report.workersSeen, threadsSeen: report.threadsSeen },
    files: report.files.map((f, i) => ({ ...f, bytes: inputs[i]!.bytes, sha256: inputs[i]!.sha256 })),
    absentFiles: report.absent, skippedChunks: report.result.skipped,
    ...eventCounts(report), chunks: report.result.chunks,
    timings: { ...report.timings, checksumMs: digestMs }, eventsPerSecond: report.eventsPerSecond,
  };
  const origin = datasetOrigin(at.dataDir);
  const meta: RunMeta = {
    synthetic: origin.synthetic, datasetScale: origin.scale, selection: c.selection, lumiFb: runLumiFb(c) * origin.scale,
    variants: variantsOf(c.selection, c.corrected_d0),
    mcPresent: Object.keys(report.result.samples).some((n) => !sampleByName(n).isData),
    partialFiles: report.files.filter((f) => f.status === 'skipped').map((f) => ({ file: f.file, sample: f.sample, reason: f.reason ?? 'skipped' })),
  };
  // The notebook's significance cell, from the plotted m4l groups (null with a reason elsewhere).
  const significance = notebookSignificance(histogramsJson(report.result, meta, runLumiFb(c)));
  const earlier = earlierOutputs(at.outDir);
  const files = await writeOutputs({ dir: at.outDir, result: report.result, lumiFb: runLumiFb(c), meta, created: at.created, runInfo: { ...runInfo, significance } });
  const stale = removeStaleOutputs(at.outDir, earlier, files);
  if (stale.length) log(staleOutputsLine(at.outDir, stale));
  for (const s of Object.values(report.result.samples)) {
    const n = s.cutflow.raw.length - 1;
    log(`  ${s.sample.padEnd(16)} ${figure(s.cutflow.raw[0]).padStart(10)} in  ${figure(s.cutflow.raw[n]).padStart(10)} selected  Σw ${+s.cutflow.weighted[n].toPrecision(7)}`);
  }
  const skippedFiles = report.files.filter((x) => x.status === 'skipped');
  if (skippedFiles.length) {
    log('skipped bad files (each contributes nothing to the outputs):');
    for (const f of skippedFiles) log(`  ${f.sample.padEnd(16)} ${f.file}: ${f.reason}`);
  }
  log(significanceLine(significance));
  for (const n of metaNotes(meta)) log(`note: ${n}`);
  const ev = eventCounts(report);
  // Those that ran chunks, said so: '2 workers, 3 threads' read as the threads the workers have.
  const workers = report.mode === 'serial' ? 'in-process'
    : `${countOf(report.workersSeen.length, 'worker')} and ${countOf(report.threadsSeen, 'task thread')} ran chunks`;
  log(`${countOf(ev.events, 'event')} in the outputs${ev.eventsLeftOut ? ` (${countOf(ev.eventsLeftOut, 'entry', 'entries')} of skipped files left out)` : ''}; `
    + `${figure(report.result.events)} read in ${(report.timings.processMs / 1000).toFixed(2)} s (${figure(report.eventsPerSecond)} events/s; ${workers}`
    + `${report.timings.startupMs >= 1 ? `; start-up ${(report.timings.startupMs / 1000).toFixed(2)} s` : ''})`);
  log(`outputs: ${path.resolve(at.outDir)} (${files.join(', ')})`);
  return files;
}
