/**
 * The run driver: dataset → chunks → tasks (`client.map`) → `treeReduce` on the workers → one
 * result; or, with nWorkers 0 and no scheduler, the same per-chunk function called in-process.
 */
import { fileURLToPath } from 'node:url';
import { Client, LocalCluster, remote, TLS_CONFIG_NAMES, TOKEN_HELP_ENV, type Future } from '@gluon/client';
import { countOf, type TlsOptions } from '@gluon/protocol';

import { processChunk, type ChunkOptions, type SelectionName } from './chunk.js';
import { ConfigError } from './config.js';
import { listFiles, countEntries, noInputFilesMessage, scheduleChunks, EntryCache, type Chunk } from './dataset.js';
import { mergeResults, treeMerge, type AnalysisResult } from './result.js';
import { publishedM4l, referenceLumiFb } from './groups.js';
import { watchForWorkers } from './wait-workers.js';
import { filesDoneCounter, InterruptedError, stopSignalOf, unlessInterrupted, whenAborted, type ProgressEvent } from './interrupt.js';

export interface RunOptions {
  dataDir: string;
  selection: SelectionName;
  /** 0 with no scheduler: in-process serial mode. */
  nWorkers: number;
  /** ws:// address of an existing scheduler (nWorkers is then ignored). */
  scheduler?: string;
  /** TLS for a `wss://` scheduler (and its workers' data listeners): the CA, and a client certificate. */
  tls?: TlsOptions;
  chunkSize: number;
  maxFiles?: number;
  /** The luminosity MC is normalised to, fb⁻¹; default the selection's (referenceLumiFb). */
  lumiFb?: number;
  skipBadFiles: boolean;
  correctedD0?: boolean;
  /** Where entry counts are cached (undefined: no cache). */
  cacheFile?: string;
  /** treeReduce fan-in. */
  fanIn?: number;
  /** Publish the running m4l histogram on h4l/m4l (cluster modes). Default true. */
  publish?: boolean;
  /** Start the LocalCluster's dashboard (default true). */
  dashboard?: boolean;
  /** Use this connected client (and its cluster) instead of starting or connecting one; not closed. */
  client?: Client;
  /** Cluster modes: give up when no worker has taken a task after this long (ms); undefined: wait. */
  workerTimeoutMs?: number;
  /**
   * What to do when no worker came, for the error after workerTimeoutMs; default: start workers
   * (`gluon-worker ADDRESS`). A batch run's says where its jobs are (batch.ts, batchWaitHint).
   */
  noWorkersHint?: () => string;
  /**
   * When the wait of workerTimeoutMs counts from (ms since the epoch; undefined: not yet); default
   * the cluster's start. A batch run's counts from a job running (batch.ts, jobsRunningSince).
   */
  workerWaitCountsFrom?: () => number | undefined;
  /**
   * Cluster modes: rejects when the cluster running the workers has failed for good (a batch run's
   * cluster that gave up submitting: @gluon/deploy's BatchRun.failed); the run then ends with its
   * error. Without it, the run waited for workers that would never come.
   */
  clusterFailed?: Promise<never>;
  /**
   * Leave the LocalCluster (or the scheduler connection) open: the report's `release()` closes
   * it. For `--linger`, which keeps the dashboard up after the run.
   */
  keepOpen?: boolean;
  /** Cluster modes: write a performance report of the processing (client.performanceReport) to this file. */
  performanceReport?: string;
  /**
   * Aborting it (Ctrl-C) stops the run: what it started (a LocalCluster, its scheduler
   * connection) is closed and it rejects with an {@link InterruptedError}; a serial run stops
   * between chunks.
   */
  signal?: AbortSignal;
}

// The run is stopped through RunOptions.signal with an InterruptedError (interrupt.ts, shared with gluon-finalstates).
export { InterruptedError, type ProgressEvent } from './interrupt.js';

/**
 * One input file of a run. `skipped`: bad input under skipBadFiles, and it contributes nothing to
 * the outputs (not even the chunks read before the damage); `reason` says why (the file is `file`).
 */
export interface FileStatus { file: string; sample: string; entries?: number; status: 'ok' | 'skipped' | 'failed'; reason?: string }


export interface RunHooks {
  onStart?(info: { mode: string; chunks: number; files: number; events: number; dashboardUrl?: string }): void;
  onProgress?(p: ProgressEvent): void;
  /**
   * Cluster modes: no worker has taken a task yet (called once, after ~2 s): how long the run has
   * waited and, with a `workerTimeoutMs`, when it gives up (`giveUpAt`, ms since the epoch), and the workers the client knows of.
   */
  onWaitingForWorkers?(info: { address: string; timeoutMs?: number; dashboardUrl?: string; waitedMs: number; giveUpAt?: number; workers: number }): void;
}

export interface RunReport {
  result: AnalysisResult;
  mode: 'serial' | 'local-cluster' | 'scheduler';
  /** Workers that ran chunks (names), and their task threads: what ran, not what was asked for. */
  workersSeen: string[];
  threadsSeen: number;
  /** LocalCluster mode: the workers started; undefined otherwise. */
  workersStarted?: number;
  /** The scheduler the run used (cluster modes). */
  schedulerAddress?: string;
  dashboardUrl?: string;
  files: FileStatus[];
  absent: string[];
  /**
   * preprocessMs: listing and entry counts; startupMs: starting or connecting to the cluster
   * until a worker took a task; processMs: the chunks and the merge; totalMs: all of it.
   */
  timings: { preprocessMs: number; startupMs: number; processMs: number; totalMs: number };
  /** Events read per second of processMs. */
  eventsPerSecond: number;
  /** With keepOpen: closes what the run started (the cluster, or the connection). */
  release?: () => Promise<void>;
}

/** The remote names of the task functions (workers import @gluon/analysis-h4l/tasks). */
const TASKS = '@gluon/analysis-h4l/tasks';
const processChunkR = remote<typeof processChunk>(TASKS, 'processChunk');
const mergeR = remote<typeof mergeResults>(TASKS, 'mergeResults');

/** The default treeReduce fan-in (config fan_in). */
const FAN_IN = 8;

/** Fails a run: the message names the file and the reason. */
export class RunError extends Error { override name = 'RunError'; }

/** Runs the analysis; see RunOptions for the modes. */
export async function runAnalysis(opts: RunOptions, hooks: RunHooks = {}): Promise<RunReport> {
  const t0 = performance.now();
  const { files, absent } = listFiles(opts.dataDir, opts.selection, opts.maxFiles);
  // A local --data-dir without the selection's files is a bad value (exit 2, as in
  // gluon-finalstates); over http(s) it may be the network (exit 1).
  if (files.length === 0) {
    const why = noInputFilesMessage(opts.dataDir, opts.selection, absent);
    throw /^https?:\/\//i.test(opts.dataDir) ? new RunError(why) : new ConfigError(why);
  }
  const cache = await new EntryCache(opts.cacheFile).load();
  const counts = await countEntries(files, cache);
  await cache.save();
  const status: FileStatus[] = counts.map((c) => ({ file: c.file.file, sample: c.file.sample.name, entries: c.entries,
    status: c.error ? (opts.skipBadFiles ? 'skipped' : 'failed') : 'ok', ...(c.error ? { reason: c.error } : {}) }));
  const bad = status.find((s) => s.status === 'failed');
  if (bad) throw new RunError(`bad input file ${bad.file}: ${bad.reason}`);
  // Largest chunks first and a finer tail: balance across workers at the end of a run, and a steadier ETA.
  const chunks = scheduleChunks(counts, opts.chunkSize);
  const eventsTotal = chunks.reduce((a, c) => a + c.entryStop - c.entryStart, 0);
  const chunkOpts: ChunkOptions = { selection: opts.selection, lumiFb: opts.lumiFb ?? referenceLumiFb(opts.selection), skipBadFiles: opts.skipBadFiles,
    ...(opts.correctedD0 ? { correctedD0: true } : {}) };
  const t1 = performance.now();
  let t2 = t1;
  const filesDone = filesDoneCounter(chunks.map((c) => c.file), files.length);
  const progress = (done: number, events: number, c: Chunk) =>
    hooks.onProgress?.({ chunksDone: done, chunksTotal: chunks.length, filesDone: filesDone.done(c.file), filesTotal: files.length, events, eventsTotal, elapsedMs: performance.now() - t2 });
  const interrupted = () => new InterruptedError('interrupted', stopSignalOf(opts.signal));

  let result: AnalysisResult;
  let mode: RunReport['mode'];
  let dashboardUrl: string | undefined, schedulerAddress: string | undefined, workersStarted: number | undefined;
  let release: (() => Promise<void>) | undefined;
  if (!opts.client && !opts.scheduler && opts.nWorkers === 0) {
    mode = 'serial';
    hooks.onStart?.({ mode, chunks: chunks.length, files: files.length, events: eventsTotal });
    const parts: AnalysisResult[] = [];
    let events = 0;
    for (const c of chunks) {
      if (opts.signal?.aborted) throw interrupted();
      const r = await processChunk(c.file, c.sample, { entryStart: c.entryStart, entryStop: c.entryStop }, chunkOpts);
      parts.push(r);
      events += r.events;
      progress(parts.length, events, c);
    }
    // Merged in the cluster's treeReduce shape: the same sums to the bit.
    result = parts.length ? treeMerge(parts, opts.fanIn ?? FAN_IN) : emptyResult(opts.selection);
  } else {
    let cluster: LocalCluster | undefined;
    let client: Client;
    if (opts.client) {
      mode = 'scheduler';
      client = opts.client;
      schedulerAddress = client.url;
    } else if (opts.scheduler) {
      mode = 'scheduler';
      // workersHelp false: the run's own watch says it waits for workers (wait-workers.ts).
      client = await unlessInterrupted(Client.connect(opts.scheduler, { tokenHelp: TOKEN_HELP_ENV, tlsHelp: TLS_CONFIG_NAMES, workersHelp: false, ...(opts.tls ? { tls: opts.tls } : {}) }), opts.signal, (c) => c.close());
      schedulerAddress = opts.scheduler;
    } else {
      mode = 'local-cluster';
      // Workers resolve task modules from their working directory: run them from this package so
      // @gluon/analysis-h4l/tasks resolves wherever the user started the run (files are absolute);
      // the package declares it as its task module (gluon.tasks), so nothing else is allowed.
      cluster = await LocalCluster.start({ nWorkers: opts.nWorkers, dashboard: opts.dashboard ?? true,
        cwd: fileURLToPath(new URL('..', import.meta.url)) });
      client = await cluster.client();
      schedulerAddress = cluster.schedulerAddress;
      workersStarted = opts.nWorkers;
    }
    dashboardUrl = client.dashboardUrl ?? cluster?.dashboardUrl;
    const close = async () => { if (cluster) await cluster.close(); else if (!opts.client) await client.close(); };
    let ok = false;
    try {
      t2 = performance.now();
      hooks.onStart?.({ mode, chunks: chunks.length, files: files.length, events: eventsTotal, dashboardUrl });
      // A probe task beside the chunks: when no worker takes it, the run says it waits for
      // workers and gives up after workerTimeoutMs (run in parallel, it costs a run no time).
      // Processing starts when a worker has the task code (the probe done, or a chunk): the wait
      // for workers (a batch job's time in the queue, workers loading the code) is start-up. It
      // counted as processing: a run whose jobs queued for a minute read its events at a
      // fraction of the rate, and its first progress line gave an ETA of hours.
      const watch = watchForWorkers(client, { address: schedulerAddress, timeoutMs: opts.workerTimeoutMs, onWorker: () => { t2 = performance.now(); }, ...(opts.noWorkersHint ? { noWorkersHint: opts.noWorkersHint } : {}),
        ...(opts.workerWaitCountsFrom ? { countsFrom: opts.workerWaitCountsFrom } : {}),
        onWaiting: (w) => hooks.onWaitingForWorkers?.({ address: schedulerAddress!, timeoutMs: opts.workerTimeoutMs, dashboardUrl, ...w }) });
      // A chunk done is a worker that finished a task: the watch is over (no notice, no giving up).
      const chunkDone: typeof progress = (...a) => { watch.taskDone(); progress(...a); };
      const processAll = () => (chunks.length ? runOnCluster(client, chunks, chunkOpts, opts, chunkDone) : Promise.resolve(emptyResult(opts.selection)));
      const work = opts.performanceReport ? client.performanceReport(opts.performanceReport, processAll, { title: `gluon-h4l ${opts.selection}: ${countOf(chunks.length, 'chunk')} of ${countOf(files.length, 'file')}` }) : processAll();
      work.catch(() => {});     // when the watch gives up first, closing the cluster ends this too
      // Ctrl-C: the race ends at once; closing the cluster below stops the work.
      const abort = whenAborted(opts.signal);
      try { result = await Promise.race([work, watch.failed, abort.aborted, ...(opts.clusterFailed ? [opts.clusterFailed] : [])]); } finally { watch.stop(); abort.off(); }
      // The dashboard's Failures panel lists skipped bad files (internals.md: failures/ topics).
      const skippedRows = [
        ...status.filter((f) => f.status === 'skipped').map((f) => ({ file: f.file, message: f.reason ?? 'skipped', kind: 'skipped' as const })),
        ...result.skipped.map((f) => ({ file: f.file, message: `${f.reason} (entries ${f.entryStart}–${f.entryStop})`, kind: 'skipped' as const })),
      ];
      if (skippedRows.length && (opts.publish ?? true)) client.publish('failures/h4l', skippedRows);
      ok = true;
    } finally {
      if (opts.keepOpen && ok) release = close; else await close();
    }
  }
  for (const s of result.skipped) {
    const st = status.find((x) => x.file === s.file);
    if (st && st.status === 'ok') { st.status = 'skipped'; st.reason = `${s.reason} (entries ${s.entryStart}–${s.entryStop})`; }
  }
  const t3 = performance.now();
  const ranOn = result.ranOn ?? [];
  delete result.ranOn;   // reported as workersSeen/threadsSeen: the result itself is the same in every mode
  return { result, mode, workersSeen: [...new Set(ranOn.map((w) => w.slice(0, w.lastIndexOf('#'))))],
    threadsSeen: mode === 'serial' ? 1 : ranOn.length,
    ...(workersStarted !== undefined ? { workersStarted } : {}), ...(schedulerAddress ? { schedulerAddress } : {}),
    dashboardUrl, files: status, absent,
    timings: { preprocessMs: t1 - t0, startupMs: t2 - t1, processMs: t3 - t2, totalMs: t3 - t0 },
    eventsPerSecond: result.events / Math.max(1e-9, (t3 - t2) / 1000), ...(release ? { release } : {}) };
}

function emptyResult(selection: string): AnalysisResult {
  return { selection, samples: {}, events: 0, chunks: 0, skipped: [] };
}

async function runOnCluster(client: Client, chunks: Chunk[], chunkOpts: ChunkOptions, opts: RunOptions,
                            progress: (done: number, events: number, c: Chunk) => void): Promise<AnalysisResult> {
  const futures = client.map(processChunkR.with({ group: 'h4l-chunk', pure: false }), chunks.map((c) => c.file), chunks.map((c) => c.sample),
    chunks.map((c) => ({ entryStart: c.entryStart, entryStop: c.entryStop })), chunks.map(() => chunkOpts));
  const total = client.treeReduce(mergeR.with({ group: 'h4l-merge' }), futures, { fanIn: opts.fanIn ?? FAN_IN });
  const byKey = new Map<string, Chunk>(futures.map((f, i) => [f.key, chunks[i]]));
  let done = 0, events = 0;
  let running: AnalysisResult | undefined;
  let lastPublish = 0;
  const publish = opts.publish ?? true;
  // In batches: one fetch per worker for the values that did not come inline (all those that
  // finished while the client was reconnecting), not one round trip per chunk.
  for await (const batch of client.asCompletedBatches(futures as Future<AnalysisResult>[])) {
    const failed = batch.find((f) => f.status !== 'finished');
    if (failed) {
      const c = byKey.get(failed.key)!;
      const err = await failed.exception();
      // Not awaited, and a rejection is no matter: a client closed by Ctrl-C or the worker watch
      // (which fails these futures) rejects it, and unhandled that ended the CLI with exit 1.
      client.cancel([total, ...futures]).catch(() => {});
      throw new RunError(`chunk ${c.entryStart}–${c.entryStop} of ${c.file} failed: ${err?.message ?? failed.status}`);
    }
    // The client keeps a running sum only for the dashboard; the result comes from treeReduce.
    const values = publish ? await client.gather(batch) : [];
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i]!;
      const c = byKey.get(f.key)!;
      done++;
      events += c.entryStop - c.entryStart;
      if (publish) {
        running = running ? mergeResults([running, values[i]!]) : mergeResults([values[i]!]);
        const now = performance.now();
        if (now - lastPublish > 250 || done === futures.length) {
          client.publish('h4l/m4l', publishedM4l(running, chunkOpts.lumiFb));
          lastPublish = now;
        }
      }
      f.release();
      progress(done, events, c);
    }
  }
  const r = await total.result();
  total.release();
  return mergeResults([r]);
}

