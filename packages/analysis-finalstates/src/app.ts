/**
 * A whole run from a validated configuration to its output directory (what the CLI and the demo
 * do), and the dry run that checks everything the real run needs without running it.
 */
import path from 'node:path';
import { batchWaitingLine, checkWritable, clusterModeText, earlierOutputs, figure, finishingOnCtrlC, removeStaleOutputs, runConsole, runDirName, staleOutputsLine, workersWaitedFor } from '@gluon/analysis-h4l';
import { startBatchRun } from '@gluon/deploy';
import { schedulerTls } from '@gluon/client';
import { countOf, StartFailure, type TlsOptions } from '@gluon/protocol';
import { type FsConfig, ConfigError, STAGES } from './config.js';
import { listFiles, batchSlice, countEntries, folderBelowHint, inputProblems, makeChunks, fileDigest } from './dataset.js';
import { physicsOptions, schemaOf } from './options.js';
import { branchesFor } from './chunk.js';
import { runFinalStates, type RunReport } from './run.js';
import { manifestName, writeRun, outputStem, sourceDateEpoch } from './outputs.js';
import { finalStatesByCount } from './result.js';
import { jobScript, jobsWhere } from './job-script.js';

/** Where a run writes and which slice of the files it reads. */
export interface RunPlacement {
  /** An explicit run directory (batch jobs share one); default `<base>/<run_name>_<timestamp>`. */
  runDir?: string;
  batch?: { index: number; total: number };
  /** The command line for run.json. */
  argv: string[];
}

function need(c: FsConfig): string {
  if (!c.data_dir) throw new ConfigError('data_dir is not set: pass --data-dir DIR|FILE or set data_dir in config.yaml (gluon-finalstates generate writes a synthetic dataset)');
  return c.data_dir;
}

/** The input files of a run: listed, limited by max_files, then the batch slice. */
export function inputFiles(c: FsConfig, p: Pick<RunPlacement, 'batch'>): string[] {
  const all = listFiles(need(c));
  const files = c.max_files ? all.slice(0, c.max_files) : all;
  return p.batch ? batchSlice(files, p.batch.index, p.batch.total) : files;
}

/** The run directory a run writes to. */
export function runDirFor(c: FsConfig, p: RunPlacement, now = new Date()): string {
  if (p.runDir) return p.runDir;
  return p.batch ? path.join(c.base_output_dir, `${c.run_name}_batch-of-${p.batch.total}`) : runDirName(c.base_output_dir, c.run_name, now);
}

/**
 * Why the run directory cannot be written, or undefined: gluon-h4l's check of its --out (a file
 * there, a file on the way, no write permission, nowhere a directory can be made, such as /proc,
 * where Node's recursive mkdir never returns), named as the run was told it.
 */
async function runDirProblem(dir: string, p: RunPlacement): Promise<string | undefined> {
  try { await checkWritable(dir, p.runDir ? '--run-dir' : 'run directory', 'dir'); } catch (e) { return (e as Error).message; }
  return undefined;
}

/** The TLS files of a wss:// scheduler, checked before anything runs, as gluon-h4l's (unreadable or wrong: exit 1; else exit 2). */
function tlsOf(c: FsConfig): TlsOptions | undefined {
  try { return schedulerTls(c); } catch (e) { throw e instanceof StartFailure ? e : new ConfigError((e as Error).message); }
}

/**
 * `--dry-run`: the configuration (already validated), the files and their entries, the
 * branches, the planned tasks and the output directory. Returns the problems that would make the
 * real run fail (the caller exits non-zero when there are any).
 */
export async function dryRun(c: FsConfig, p: RunPlacement, log: (s: string) => void): Promise<string[]> {
  tlsOf(c);
  const problems: string[] = [];
  let files: string[] = [];
  try { files = inputFiles(c, p); } catch (e) { problems.push((e as Error).message); }
  if (files.length === 0 && problems.length === 0) problems.push(`no *.root files under ${c.data_dir}${p.batch ? ` in batch slice ${p.batch.index} of ${p.batch.total}` : ''}`);
  const o = physicsOptions(c);
  const schema = schemaOf(o);
  const counts = await countEntries(files, schema.tree);
  const branches = branchesFor(o);
  problems.push(...inputProblems(counts, branches));
  const hint = c.data_dir ? folderBelowHint(c.data_dir, counts, branches) : undefined;
  const chunks = makeChunks(counts, c.chunk_size);
  const events = chunks.reduce((a, x) => a + x.entryStop - x.entryStart, 0);
  log(`dry run: schema ${schema.name} (${schema.description}), stages ${STAGES.filter((s) => c.tasks[s]).join(',')}`);
  log(`${countOf(files.length, 'file')}, ${countOf(events, 'event')}`);
  for (const x of counts) log(`  ${x.error ? `ERROR ${x.error}` : `${figure(x.entries ?? 0).padStart(11)} ${x.entries === 1 ? 'entry  ' : 'entries'}`}  ${x.file}`);
  log(`planned tasks: ${chunks.length} chunk tasks of ≤ ${c.chunk_size} events (parse${c.tasks.masses ? ', masses' : ''}${c.tasks.postprocess ? ', postprocess' : ''}), `
    + `a treeReduce of fan-in ${c.fan_in}, ${c.tasks.histograms ? 'the histograms written' : 'no histograms'}`);
  log(`mode: ${modeText(c)}`);
  const dir = runDirFor(c, p);
  const w = await runDirProblem(dir, p);
  if (w) problems.push(w);
  // Absolute, as the real run's `outputs:` line names it: a relative --run-dir or base_output_dir
  // read `would write to ../rd1/` there and `outputs: /home/me/rd1` after the run.
  log(`would write to ${path.resolve(dir)}/ (${outputStem(p.batch)}.*)`);
  for (const x of problems) log(`problem: ${x}`);
  log(problems.length ? `the run would fail (${problems.length} problem${problems.length > 1 ? 's' : ''})${hint ? `; ${hint}` : ''}` : 'the run would start');
  return problems;
}

export { jobScript };

/** Where the workers are, as the log says it. */
function modeText(c: FsConfig): string {
  if (c.cluster) return clusterModeText({ ...c, cluster: c.cluster });
  return c.scheduler ? `scheduler ${c.scheduler}` : c.n_workers === 0 ? 'in-process serial' : `LocalCluster with ${countOf(c.n_workers, 'worker')}`;
}

export interface ExecuteResult { report: RunReport; runDir: string; written: string[] }

/** Runs the pipeline and writes its outputs, logging progress and a summary. */
export async function execute(c: FsConfig, p: RunPlacement, log: (s: string) => void, progressOut: NodeJS.WriteStream = process.stderr): Promise<ExecuteResult> {
  const tls = tlsOf(c);
  const started = new Date();
  const created = sourceDateEpoch() ?? started;
  // Before any work: a run directory that cannot be written failed (or hung) only at the end.
  const where = await runDirProblem(runDirFor(c, p, started), p);
  if (where) throw new StartFailure(where);
  const files = inputFiles(c, p);
  // A --data-dir with nothing to read is a bad value (exit 2), as one that does not exist, and as
  // gluon-h4l run's without the selection's files; the dry run lists it among its problems (exit 1).
  if (files.length === 0) throw new ConfigError(`no *.root files under ${c.data_dir}${p.batch ? ` in batch slice ${p.batch.index} of ${p.batch.total}` : ''}`);
  const physics = physicsOptions(c);
  // Ctrl-C while the run works: say how far it got, stop it and close its cluster (batch jobs are
  // cancelled); the CLI exits 130 (analysis-h4l's run-console.ts, as gluon-h4l run). It printed nothing and died
  // by the signal, its tasks left on a --scheduler for the session grace.
  const run = runConsole('gluon-finalstates', progressOut, { scheduler: c.scheduler !== null && !c.cluster });
  let report: RunReport;
  let batch: Awaited<ReturnType<typeof startBatchRun>> | undefined;
  try {
    // cluster: slurm|pbs: the workers are batch jobs of a scheduler started here; ssh: workers on
    // the hosts over ssh, the scheduler on the first (@gluon/deploy). They import the task module
    // from this package's folder, as the LocalCluster's workers do.
    // A Ctrl-C in a terminal reaches the ssh (or scheduler) processes too, and the start fails
    // by it: said as the interrupt it is, not as their error.
    batch = c.cluster ? await startBatchRun({ ...c, cluster: c.cluster }, jobsWhere(c), log).catch((e: unknown) => { run.throwIfInterrupted(); throw e; }) : undefined;
    run.throwIfInterrupted();
    report = await runFinalStates({ files, dataDir: need(c), physics, nWorkers: batch ? c.jobs : c.n_workers, ...(c.scheduler ? { scheduler: c.scheduler } : {}), ...(tls ? { tls } : {}),
      ...(batch ? { client: batch.client, clusterFailed: batch.failed } : {}), chunkSize: c.chunk_size, fanIn: c.fan_in, dashboard: c.dashboard, signal: run.signal }, {
      onStart: (i) => {
        run.started({ chunks: i.chunks, files: i.files, events: i.events });
        log(`gluon-finalstates: ${countOf(i.files, 'file')}, ${countOf(i.events, 'event')} in ${countOf(i.chunks, 'chunk')}, ${i.mode === 'serial' ? 'in-process' : modeText(c)}`);
        if (i.dashboardUrl) log(`dashboard: ${i.dashboardUrl} (Results: events per final state)`);
      },
      onProgress: (e) => run.progress(e),
      // Start workers only when the scheduler has none: connected ones may still be loading the
      // code. A batch run's are its jobs: it said to start them by hand while they were in the queue.
      onWaitingForWorkers: (w) => run.waiting(batch ? batchWaitingLine(c.cluster!, batch.cluster.jobList, { workers: w.workers, stale: batch.cluster.listingStale })
        : `waiting for workers: ${workersWaitedFor(w.address, w.workers)}; `
        + (w.workers === 0 ? `start workers for it (gluon-worker ${w.address}), and the run goes on` : 'the run goes on when one does'), log),
    });
  } finally {
    // Done with the chunks: the run's own Ctrl-C (stop and write nothing) ends here.
    run.close();
    await batch?.client.close();
    await batch?.cluster.close();
  }
  const runDir = runDirFor(c, p, started);
  // Ctrl-C while the outputs are written (the inputs' checksums, then the files): said, finished
  // first, then the run stops with exit 130 (as gluon-h4l run). It ended the process by the signal,
  // saying nothing, the run's work lost, or a ROOT file cut short.
  const written = await finishingOnCtrlC('gluon-finalstates', runDir, () => writeFinished(c, p, report, runDir, started, created, log));
  return { report, runDir, written };
}

/** A finished run's outputs: the inputs' checksums, the files, the console summary. */
async function writeFinished(c: FsConfig, p: RunPlacement, report: RunReport, runDir: string, started: Date, created: Date, log: (s: string) => void): Promise<string[]> {
  const tDigest = performance.now();
  const inputs = await Promise.all(report.files.map(async (f) => ({ ...(await fileDigest(f.file)), entries: f.entries })));
  const digestS = (performance.now() - tDigest) / 1000;
  const r = report.result;
  // A run directory given again (--run-dir, a batch slice run again): what the earlier run wrote
  // and this one does not is removed, so none of it is taken for this run's (stale-outputs.ts).
  const earlier = earlierOutputs(runDir, manifestName(p.batch));
  const written = await writeRun({ dir: runDir, config: c, result: r, created, ...(p.batch ? { batch: p.batch } : {}),
    // startup: a cluster run's wait for its first worker (serial runs have none).
    timings: { preprocess: report.timings.preprocessMs / 1000, ...(report.mode === 'serial' ? {} : { startup: report.timings.startupMs / 1000 }), process: report.timings.processMs / 1000, checksums: digestS },
    runInfo: { command: p.argv, runName: c.run_name, started: started.toISOString(), finished: new Date().toISOString(),
      ...(p.batch ? { batch: p.batch } : {}), mode: report.mode, nWorkers: report.nWorkers, dashboardUrl: report.dashboardUrl ?? null,
      inputs, events: r.events, lessThanTwo: r.lessThanTwo, combinations: r.combinations, chunks: r.chunks,
      eventsPerSecond: report.eventsPerSecond, combinationsPerSecond: report.combinationsPerSecond } });
  const stale = removeStaleOutputs(runDir, earlier, written, manifestName(p.batch));
  if (stale.length) log(staleOutputsLine(runDir, stale));
  const fs = finalStatesByCount(r.finalStates);
  log(`${countOf(r.events, 'event')}: ${figure(r.lessThanTwo)} with fewer than 2 objects, ${countOf(fs.length, 'final state')}`);
  for (const [name, n] of fs.slice(0, 12)) log(`  ${name.padEnd(16)} ${figure(n).padStart(11)}${n < c.min_events_per_fs && !p.batch ? '  (below min_events_per_fs: no histograms)' : ''}`);
  if (fs.length > 12) log(`  … ${fs.length - 12} more (histograms/${outputStem(p.batch)}.summary.json)`);
  log(`${countOf(r.combinations, 'mass', 'masses')} in ${(report.timings.processMs / 1000).toFixed(2)} s (${figure(report.eventsPerSecond)} events/s, ${figure(report.combinationsPerSecond)} masses/s`
    + `${report.timings.startupMs >= 1 ? `; start-up ${(report.timings.startupMs / 1000).toFixed(2)} s` : ''})`);
  log(`outputs: ${path.resolve(runDir)} (${countOf(written.length, 'file')})`);
  return written;
}
