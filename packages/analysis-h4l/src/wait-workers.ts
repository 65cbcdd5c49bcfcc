/**
 * A cluster run's watch for workers: a probe task submitted beside the chunks. When no worker
 * has taken it after a moment the run says it waits for workers, and after a set time it gives up
 * with an error that says what to do. A scheduler without workers otherwise queues the chunks and
 * the run waits forever in silence.
 */
import { remote, type Client, type RemoteFunction } from '@gluon/client';
import type { whereAmI } from './tasks.js';

const whereAmIR = remote<typeof whereAmI>('@gluon/analysis-h4l/tasks', 'whereAmI');

/** A run that cannot start: no worker took a task in time. */
export class NoWorkersError extends Error { override name = 'NoWorkersError'; }

export interface WatchOptions {
  /** Give up after this long (ms); undefined waits as long as it takes. */
  timeoutMs?: number;
  /** How long the probe may wait before `onWaiting` is called (default 2 s). */
  noticeMs?: number;
  /** Called once when no worker has taken the probe after `noticeMs`. */
  onWaiting?: () => void;
  /** The scheduler's address, for the messages. */
  address: string;
  /**
   * The probe task: a function of no arguments from the run's own task module (default this
   * package's `whereAmI`), so the workers need allow no other module for it.
   */
  probe?: RemoteFunction<() => unknown>;
}

/**
 * Submits the probe (ahead of everything: top priority). `failed` rejects with NoWorkersError
 * when no worker ran it in time, and never settles otherwise; `stop()` ends the watch (timers
 * cleared, probe released), and must be called when the run ends either way.
 */
export function watchForWorkers(client: Client, o: WatchOptions): { failed: Promise<never>; stop(): void } {
  const probe = client.submit((o.probe ?? whereAmIR).with({ group: o.probe ? 'probe' : 'h4l-probe', pure: false, priority: 1e9 }));
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearTimeout(t);
    probe.release();
  };
  const failed = new Promise<never>((_, reject) => {
    timers.push(setTimeout(() => o.onWaiting?.(), o.noticeMs ?? 2000));
    if (o.timeoutMs !== undefined) {
      timers.push(setTimeout(() => {
        reject(new NoWorkersError(`no worker of the scheduler at ${o.address} took a task within ${+(o.timeoutMs! / 1000).toFixed(1)} s: `
          + `start workers for it (gluon-worker ${o.address}) or raise worker_timeout_s`));
        stop();
      }, o.timeoutMs));
    }
    // A worker ran it: the watch is over. (A probe that errs, e.g. a worker that may not import
    // this package, is left to the chunks, which fail with the same cause and name their file.)
    probe.result().then(() => { for (const t of timers) clearTimeout(t); }, () => { for (const t of timers) clearTimeout(t); });
  });
  failed.catch(() => {});
  return { failed, stop };
}
