/**
 * A cluster run's watch for workers: a probe task submitted beside the chunks. When no worker
 * has taken it after a moment the run says it waits for workers, and after a set time it gives up
 * with an error that says what to do. A scheduler without workers otherwise queues the chunks and
 * the run waits forever in silence.
 */
import { remote, type Client, type RemoteFunction } from '@gluon/client';
import { countOf } from '@gluon/protocol';
import type { whereAmI } from './tasks.js';

const whereAmIR = remote<typeof whereAmI>('@gluon/analysis-h4l/tasks', 'whereAmI');

/** A run that cannot start: no worker took a task in time. */
export class NoWorkersError extends Error { override name = 'NoWorkersError'; }

export interface WatchOptions {
  /** Give up after this long (ms); undefined waits as long as it takes. */
  timeoutMs?: number;
  /** How long the probe may wait before `onWaiting` is called (default 2 s). */
  noticeMs?: number;
  /**
   * Called once when no worker has taken the probe after `noticeMs`, with how long it has waited
   * and, with a `timeoutMs`, when the watch will give up (ms since the epoch), and how many
   * workers the client knows of then (`client.workersKnown`).
   */
  onWaiting?: (w: { waitedMs: number; giveUpAt?: number; workers: number }) => void;
  /** The scheduler's address, for the messages. */
  address: string;
  /**
   * The probe task: a function of no arguments from the run's own task module (default this
   * package's `whereAmI`), so the workers need allow no other module for it.
   */
  probe?: RemoteFunction<() => unknown>;
  /** With no worker at all when the watch gives up: what to do (default: start workers for the address). */
  noWorkersHint?: () => string;
  /**
   * When the wait for a worker counts from (ms since the epoch), undefined while it does not count
   * yet; default the watch's start. A batch run's counts from its first job running
   * (batch.ts, jobsRunningSince): a normal wait in the queue ended runs at worker_timeout_s.
   */
  countsFrom?: () => number | undefined;
  /**
   * Called once, when a worker first ran a task: the probe, or a chunk ({@link WorkerWatch.taskDone}).
   * The run's processing starts then; the wait before (batch jobs in the queue, workers loading the
   * task code) is start-up (both analyses' timings, rate and ETA count from it).
   */
  onWorker?: () => void;
}

/** A watch for workers (see {@link watchForWorkers}). */
export interface WorkerWatch {
  /** Rejects with NoWorkersError when no worker ran a task in time; never settles otherwise. */
  failed: Promise<never>;
  /** Ends the watch (timers cleared, probe released); must be called when the run ends either way. */
  stop(): void;
  /** A worker finished one of the run's tasks (a chunk): onWorker if not yet called, and the watch is over. */
  taskDone(): void;
}

/**
 * Submits the probe (ahead of everything: top priority). `failed` rejects with NoWorkersError
 * when no worker ran it in time, and never settles otherwise; `stop()` ends the watch (timers
 * cleared, probe released), and must be called when the run ends either way.
 */
export function watchForWorkers(client: Client, o: WatchOptions): WorkerWatch {
  const probe = client.submit((o.probe ?? whereAmIR).with({ group: o.probe ? 'probe' : 'h4l-probe', pure: false, priority: 1e9 }));
  const timers: NodeJS.Timeout[] = [];
  let stopped = false, ran = false;
  const workerRan = () => { if (!ran) { ran = true; o.onWorker?.(); } };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearTimeout(t);
    probe.release();
  };
  const started = Date.now();
  const failed = new Promise<never>((_, reject) => {
    const from = () => (o.countsFrom ? o.countsFrom() : started);
    timers.push(setTimeout(() => {
      const f = from();
      o.onWaiting?.({ waitedMs: Date.now() - started, ...(o.timeoutMs !== undefined && f !== undefined ? { giveUpAt: f + o.timeoutMs } : {}), workers: client.workersKnown });
    }, o.noticeMs ?? 2000));
    if (o.timeoutMs !== undefined) {
      const look = () => {
        if (stopped || ran) return;
        const next = giveUpCheck(from(), o.timeoutMs!, Date.now());
        if (!next.giveUp) { timers.push(setTimeout(look, next.againInMs)); return; }
        const workers = client.workersKnown, within = `within ${+(o.timeoutMs! / 1000).toFixed(1)} s`;
        reject(new NoWorkersError(workers === 0
          ? `no worker of the scheduler at ${o.address} took a task ${within}: ${o.noWorkersHint ? o.noWorkersHint() : `start workers for it (gluon-worker ${o.address}) or raise worker_timeout_s`}`
          : `${workersConnected(o.address, workers)} but none finished a task ${within} (still loading the task code?): raise worker_timeout_s`));
        stop();
      };
      // Looked at every 2 s until it counts (a batch run's jobs are sampled: one may run and end between looks).
      timers.push(setTimeout(look, o.countsFrom ? Math.min(o.timeoutMs, 2000) : o.timeoutMs));
    }
    // A worker ran it: the watch is over. (A probe that errs, e.g. a worker that may not import
    // this package, is left to the chunks, which fail with the same cause and name their file.)
    probe.result().then(() => { for (const t of timers) clearTimeout(t); if (!stopped) workerRan(); }, () => { for (const t of timers) clearTimeout(t); });
  });
  failed.catch(() => {});
  return { failed, stop, taskDone: () => { workerRan(); stop(); } };
}

/**
 * Whether a watch gives up at `now`, or when to look again: `timeoutMs` after the wait started
 * counting (`from`, ms since the epoch), or, while it does not count yet (undefined: a batch run's
 * jobs all pending), every `recheckMs`.
 */
export function giveUpCheck(from: number | undefined, timeoutMs: number, now: number, recheckMs = 2000): { giveUp: true } | { giveUp: false; againInMs: number } {
  if (from === undefined) return { giveUp: false, againInMs: recheckMs };
  const left = from + timeoutMs - now;
  return left <= 0 ? { giveUp: true } : { giveUp: false, againInMs: left };
}

/**
 * The console line for a run still waiting for workers. It says what will happen and when
 * (`waited 2 s of 120 s (worker_timeout_s); the run gives up at 20:14:07 unless a worker takes a
 * task`): `giving up after 120 s`, said at 2 s, read as if the run had already given up.
 */
export function waitingForWorkersLine(w: { address: string; waitedMs: number; timeoutMs?: number; giveUpAt?: number; workers: number }): string {
  const secs = (ms: number) => +(ms / 1000).toFixed(1);
  const head = `waiting for workers: ${workersWaitedFor(w.address, w.workers)}`;
  if (w.timeoutMs === undefined || w.giveUpAt === undefined) return `${head} (waited ${secs(w.waitedMs)} s; worker_timeout_s is null: the run waits as long as it takes)`;
  const at = new Date(w.giveUpAt).toTimeString().slice(0, 8);
  return `${head}; waited ${secs(w.waitedMs)} s of ${secs(w.timeoutMs)} s (worker_timeout_s): the run gives up at ${at} unless a worker takes a task`;
}

/** `2 workers of the scheduler at ws://… are connected`. */
function workersConnected(address: string, workers: number): string {
  return `${countOf(workers, 'worker')} of the scheduler at ${address} ${workers === 1 ? 'is' : 'are'} connected`;
}

/**
 * What a run waiting for workers is waiting on, by how many workers the client knows of. Said
 * 2 s in while two workers were connected and loading the task code, 'none … has taken a task
 * yet; start workers for it' sent a user to start workers that were there.
 */
export function workersWaitedFor(address: string, workers: number): string {
  if (workers === 0) return `the scheduler at ${address} has no worker connected`;
  return `${workersConnected(address, workers)} and none has finished a task yet (still loading the task code?)`;
}
