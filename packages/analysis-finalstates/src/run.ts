/**
 * The run driver: files → chunks → per-chunk tasks (`client.map`) → `treeReduce` on the workers
 * → one result; with nWorkers 0 and no scheduler the same per-chunk function in-process. On a
 * cluster the events per final state are published on `finalstates/events` as chunks finish
 * (the dashboard's Results panel), from a small summary task per chunk, so the client never
 * fetches the chunks' mass counts; with `publish: false` there are no summary tasks.
 */
import { fileURLToPath } from 'node:url';
import { Client, LocalCluster, remote, TLS_CONFIG_NAMES, TOKEN_HELP_ENV, type Future } from '@gluon/client';
import type { TlsOptions } from '@gluon/protocol';
import { filesDoneCounter, InterruptedError, stopSignalOf, unlessInterrupted, watchForWorkers, whenAborted, type ProgressEvent } from '@gluon/analysis-h4l';
import { processChunk } from './chunk.js';
import { countEntries, folderBelowHint, inputProblems, makeChunks, type Chunk, type FileCount } from './dataset.js';
import { branchesFor } from './chunk.js';
import { type PhysicsOptions, binCounts, schemaOf } from './options.js';
import { mergeResults, emptyResult, finalStatesByCount, wholeResult, type FsResult } from './result.js';
import type { finalStateCounts, whereAmI } from './tasks.js';

export interface RunOptions {
  files: string[];
  /**
   * The data directory the files were listed from, in the words given: a run with bad input
   * files names the folder below it that holds only good ones (dataset.ts's folderBelowHint).
   */
  dataDir?: string;
  physics: PhysicsOptions;
  /** 0 with no scheduler: in-process serial mode. */
  nWorkers: number;
  /** ws:// address of an existing scheduler (nWorkers is then ignored). */
  scheduler?: string;
  /** TLS for a `wss://` scheduler (and its workers' data listeners): the CA, and a client certificate. */
  tls?: TlsOptions;
  chunkSize: number;
  fanIn?: number;
  /** Publish events per final state as chunks finish (cluster modes). Default true. */
  publish?: boolean;
  /** Start the LocalCluster's dashboard (default true). */
  dashboard?: boolean;
  /** Use this connected client instead of starting or connecting one; not closed. */
  client?: Client;
  /**
   * Rejects when the cluster running the workers has failed for good (a batch run's cluster that
   * gave up submitting: @gluon/deploy's BatchRun.failed); the run then ends with its error.
   * Without it, the run (which has no worker timeout) waited for ever for workers that would never come.
   */
  clusterFailed?: Promise<never>;
  /**
   * Aborting it (Ctrl-C, SIGTERM, SIGHUP: the reason names it) stops the run: what it started (a LocalCluster, its scheduler
   * connection) is closed and it rejects with an InterruptedError; a serial run stops between chunks.
   */
  signal?: AbortSignal;
}

export interface RunHooks {
  onStart?(info: { mode: string; chunks: number; files: number; events: number; dashboardUrl?: string }): void;
  onProgress?(p: ProgressEvent): void;
  /** No worker of the cluster has taken a task 2 s after the start (the run waits for one). */
  onWaitingForWorkers?(info: { address: string; workers: number }): void;
}

export interface RunReport {
  result: FsResult;
  mode: 'serial' | 'local-cluster' | 'scheduler';
  nWorkers: number;
  dashboardUrl?: string;
  files: FileCount[];
  /**
   * preprocessMs: listing and entry counts; startupMs: starting or connecting to the cluster and
   * waiting until a worker ran a task (batch jobs in the queue, workers loading the task code);
   * processMs: the chunks and the merge, from then; totalMs: all of it.
   */
  timings: { preprocessMs: number; startupMs: number; processMs: number; totalMs: number };
  /** Events (and combinations) per second of processMs. */
  eventsPerSecond: number;
  combinationsPerSecond: number;
}

/** Fails a run: the message names the file and the reason. */
export class RunError extends Error { override name = 'RunError'; }

const TASKS = '@gluon/analysis-finalstates/tasks';
const processChunkR = remote<typeof processChunk>(TASKS, 'processChunk');
const mergeR = remote<typeof mergeResults>(TASKS, 'mergeResults');
const countsR = remote<typeof finalStateCounts>(TASKS, 'finalStateCounts');
const whereAmIR = remote<typeof whereAmI>(TASKS, 'whereAmI');

/** Results merged per merge (treeReduce's fan-in, and serially) unless RunOptions.fanIn says otherwise. */
const DEFAULT_FAN_IN = 8;

/** The topic the events per final state are published on. */
export const EVENTS_TOPIC = 'finalstates/events';

/** Runs the pipeline's per-event stages over `files`; see RunOptions for the modes. */
export async function runFinalStates(opts: RunOptions, hooks: RunHooks = {}): Promise<RunReport> {
  const t0 = performance.now();
  if (opts.files.length === 0) throw new RunError('no input files');
  const counts = await countEntries(opts.files, schemaOf(opts.physics).tree);
  const branches = branchesFor(opts.physics);
  const problems = inputProblems(counts, branches);
  if (problems.length) {
    const hint = opts.dataDir === undefined ? undefined : folderBelowHint(opts.dataDir, counts, branches);
    throw new RunError(`bad input file ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}${hint ? `; ${hint}` : ''}`);
  }
  // Largest first (stable), so a run ends on small tasks that even the workers out; the counts
  // are integers, so the order changes nothing in the result.
  const size = (c: Chunk) => c.entryStop - c.entryStart;
  const chunks = makeChunks(counts, opts.chunkSize).sort((a, b) => size(b) - size(a));
  const eventsTotal = chunks.reduce((a, c) => a + c.entryStop - c.entryStart, 0);
  const t1 = performance.now();
  // Processing starts with the chunks in-process, or when a worker first ran a task (watchForWorkers' onWorker).
  let t2 = t1;
  const filesDone = filesDoneCounter(chunks.map((c) => c.file), opts.files.length);
  const progress = (done: number, events: number, c: Chunk) =>
    hooks.onProgress?.({ chunksDone: done, chunksTotal: chunks.length, filesDone: filesDone.done(c.file), filesTotal: opts.files.length, events, eventsTotal, elapsedMs: performance.now() - t2 });
  const { nMain, nAll } = binCounts(opts.physics);
  const fanIn = Math.max(2, opts.fanIn ?? DEFAULT_FAN_IN);
  let result: FsResult;
  let mode: RunReport['mode'];
  let dashboardUrl: string | undefined;
  if (!opts.client && !opts.scheduler && opts.nWorkers === 0) {
    mode = 'serial';
    hooks.onStart?.({ mode, chunks: chunks.length, files: opts.files.length, events: eventsTotal });
    // Merged fanIn at a time, as treeReduce does: merging each chunk into the running total
    // would rebuild every histogram of the total once per chunk.
    let pending: FsResult[] = [emptyResult(opts.physics.binWidth, nMain, nAll)];
    let done = 0, events = 0;
    for (const c of chunks) {
      if (opts.signal?.aborted) throw new InterruptedError('interrupted', stopSignalOf(opts.signal));
      pending.push(await processChunk(c.file, { entryStart: c.entryStart, entryStop: c.entryStop }, opts.physics));
      if (pending.length >= fanIn) pending = [mergeResults(pending)];
      progress(++done, events += c.entryStop - c.entryStart, c);
    }
    result = mergeResults(pending);
  } else {
    let cluster: LocalCluster | undefined;
    let client: Client;
    if (opts.client) { mode = 'scheduler'; client = opts.client; }
    else if (opts.scheduler) { mode = 'scheduler'; client = await unlessInterrupted(Client.connect(opts.scheduler, { tokenHelp: TOKEN_HELP_ENV, tlsHelp: TLS_CONFIG_NAMES, workersHelp: false, ...(opts.tls ? { tls: opts.tls } : {}) }), opts.signal, (c) => c.close()); }
    else {
      mode = 'local-cluster';
      // Workers resolve task modules from their working directory: this package's, which
      // declares @gluon/analysis-finalstates/tasks as its only task module (gluon.tasks).
      cluster = await LocalCluster.start({ nWorkers: opts.nWorkers, dashboard: opts.dashboard ?? true, cwd: fileURLToPath(new URL('..', import.meta.url)) });
      client = await cluster.client();
    }
    dashboardUrl = client.dashboardUrl ?? cluster?.dashboardUrl;
    try {
      t2 = performance.now();
      hooks.onStart?.({ mode, chunks: chunks.length, files: opts.files.length, events: eventsTotal, dashboardUrl });
      // A probe task beside the chunks: when no worker takes it, the run says it waits for
      // workers (the scheduler says so only once workers it had are gone). The wait for a worker
      // (batch jobs in the queue) is start-up: counted as processing, it made events/s and the
      // progress lines' rate and ETA wrong ('193 ev/s  ETA 4881 s' while the jobs were pending).
      const address = opts.scheduler ?? cluster?.schedulerAddress ?? client.url;
      const watch = watchForWorkers(client, { address, probe: whereAmIR, onWorker: () => { t2 = performance.now(); }, onWaiting: ({ workers }) => hooks.onWaitingForWorkers?.({ address, workers }) });
      // Ctrl-C: the race ends at once; closing the cluster (or the connection) below stops the work.
      const abort = whenAborted(opts.signal);
      try {
        // A chunk done is a worker that finished a task: the watch (its notice) is over.
        const chunkDone: typeof progress = (...a) => { watch.taskDone(); progress(...a); };
        const work = chunks.length ? onCluster(client, chunks, opts, chunkDone) : Promise.resolve(emptyResult(opts.physics.binWidth, nMain, nAll));
        work.catch(() => {}); // once aborted, closing the cluster ends this too
        result = await Promise.race([work, abort.aborted, ...(opts.clusterFailed ? [opts.clusterFailed] : [])]);
      } finally {
        watch.stop();
        abort.off();
      }
    } finally {
      if (cluster) await cluster.close(); else if (!opts.client) await client.close();
    }
  }
  const t3 = performance.now();
  const seconds = Math.max(1e-9, (t3 - t2) / 1000);
  return { result, mode, nWorkers: mode === 'serial' ? 0 : opts.nWorkers, dashboardUrl, files: counts,
    timings: { preprocessMs: t1 - t0, startupMs: t2 - t1, processMs: t3 - t2, totalMs: t3 - t0 },
    eventsPerSecond: result.events / seconds, combinationsPerSecond: result.combinations / seconds };
}

async function onCluster(client: Client, chunks: Chunk[], opts: RunOptions, progress: (done: number, events: number, c: Chunk) => void): Promise<FsResult> {
  const futures = client.map(processChunkR.with({ group: 'finalstates-chunk', pure: false }), chunks.map((c) => c.file),
    chunks.map((c) => ({ entryStart: c.entryStart, entryStop: c.entryStop })), chunks.map(() => opts.physics));
  const total = client.treeReduce(mergeR.with({ group: 'finalstates-merge' }), futures, { fanIn: opts.fanIn ?? DEFAULT_FAN_IN });
  const publish = opts.publish ?? true;
  // The per-chunk summaries only feed the live Results panel. Without publishing, the chunks' own
  // futures say when each is done (its events are its range), and no chunk result is copied into
  // a summary task again (~3% of a worker's time on the bench).
  const watched = publish ? client.map(countsR.with({ group: 'finalstates-summary' }), futures) : futures;
  const chunkOf = new Map<string, Chunk>(watched.map((f, i) => [f.key, chunks[i]]));
  const running: Record<string, number> = {};
  let done = 0, events = 0, lastPublish = 0;
  // In batches: one fetch per worker for the summaries that did not come inline (all those that
  // finished while the client was reconnecting), not one round trip per chunk (as gluon-h4l).
  for await (const batch of client.asCompletedBatches(watched as Future<unknown>[])) {
    const failed = batch.find((f) => f.status !== 'finished');
    if (failed) {
      const c = chunkOf.get(failed.key)!;
      const err = await failed.exception();
      // Not awaited, and a rejection is no matter: a client closed by Ctrl-C (which fails these
      // futures) rejects it, and unhandled that ended the CLI with exit 1 (as gluon-h4l's run).
      client.cancel([total, ...futures, ...(publish ? watched : [])]).catch(() => {});
      throw new RunError(`chunk ${c.entryStart}–${c.entryStop} of ${c.file} failed: ${err?.message ?? failed.status}`);
    }
    const summaries = publish ? await client.gather(batch as Array<Future<ReturnType<typeof finalStateCounts>>>) : [];
    for (let i = 0; i < batch.length; i++) {
      const c = chunkOf.get(batch[i]!.key)!;
      done++;
      events += c.entryStop - c.entryStart;
      if (publish) {
        batch[i]!.release();
        for (const [k, v] of Object.entries(summaries[i]!.finalStates)) running[k] = (running[k] ?? 0) + v;
        const now = performance.now();
        if (now - lastPublish > 250 || done === watched.length) {
          client.publish(EVENTS_TOPIC, Object.fromEntries(finalStatesByCount(running)));
          lastPublish = now;
        }
      }
      progress(done, events, c);
    }
  }
  for (const f of futures) f.release();
  const r = await total.result();
  total.release();
  return wholeResult(r);
}
