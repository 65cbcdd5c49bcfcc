/**
 * A client whose tasks wait on a scheduler no worker has joined. The scheduler's own `no-workers`
 * warning is said only after there were workers (memory-stall.ts: a starting cluster, or batch
 * jobs in the queue, are expected to have none yet, and the analyses say `waiting for workers`
 * themselves), so a script run against `gluon-scheduler` with no `gluon-worker` started, or a
 * `LocalCluster` of `nWorkers: 0`, waited for ever with nothing said anywhere. The client knows
 * both halves (its tasks wait, the scheduler has told it of no worker), so it says it itself, as a
 * warning of kind `waiting-for-workers`, and when it ends.
 */
import type { ClusterWarning } from './warnings.js';

/** How long tasks wait with no worker before it is said: the scheduler's `--memory-stall` default, which its `no-workers` waits. */
export const WAITING_FOR_WORKERS_MS = 10_000;

/** How often a notice in force looks whether any task still waits. */
const END_CHECK_MS = 1000;

/** What the watch reads from its client, and how it speaks. */
export interface WaitingForWorkersHost {
  /** The scheduler's address, for the text. */
  readonly url: string;
  /** How to add workers, in the text (`ConnectOptions.workersHelp`); `false`: the watch says nothing. */
  readonly help: string | false;
  /** Workers the scheduler has told of (`client.workersKnown`). */
  workers(): number;
  /** Whether the client is connected and a task of it is not done. */
  tasksWait(): boolean;
  /** Whether the scheduler's own `no-workers` warning is in force (it says the same then). */
  schedulerSaysIt(): boolean;
  /** The notice begins (`active`) or ends: kept, written to stderr, passed to the listeners. */
  say(w: ClusterWarning, active: boolean): void;
}

/** The watch: {@link arm} when a task is submitted with no worker known, {@link joined} when one joins. */
export class WaitingForWorkers {
  private timer: NodeJS.Timeout | undefined;
  private endCheck: NodeJS.Timeout | undefined;
  private inForce: ClusterWarning | undefined;

  constructor(private readonly host: WaitingForWorkersHost, private readonly afterMs = WAITING_FOR_WORKERS_MS) {}

  /** Tasks may now wait with no worker: start the clock, unless it runs or the notice is in force. */
  arm(): void {
    if (this.timer !== undefined || this.inForce !== undefined || this.host.help === false) return;
    this.timer = setTimeout(() => this.look(), this.afterMs);
    // Never what keeps a script alive: the client's own hold on its pending tasks does that.
    this.timer.unref();
  }

  /** A worker joined: the clock stops, and a notice in force ends. */
  joined(): void {
    this.stopClock();
    this.end('a worker joined');
  }

  /**
   * The connection is lost or the client closed: nothing is said (the client says every warning
   * is unknown while disconnected); a reconnect arms the watch again.
   */
  reset(): void {
    this.stopClock();
    clearInterval(this.endCheck);
    this.endCheck = undefined;
    this.inForce = undefined;
  }

  private stopClock(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private look(): void {
    this.timer = undefined;
    const h = this.host;
    if (h.workers() > 0 || !h.tasksWait() || h.schedulerSaysIt()) return;
    const w: ClusterWarning = {
      kind: 'waiting-for-workers',
      text: `waiting for workers: tasks of this client have waited ${+(this.afterMs / 1000).toFixed(1)} s and the scheduler at ${h.url} `
        + `has told of no worker: none has joined it (${h.help}); the tasks run once one joins`,
      time: Date.now(),
    };
    this.inForce = w;
    h.say(w, true);
    this.endCheck = setInterval(() => { if (!h.tasksWait()) this.end('no task of this client waits any more'); }, END_CHECK_MS);
    this.endCheck.unref();
  }

  private end(why: string): void {
    const w = this.inForce;
    if (w === undefined) return;
    this.reset();
    this.host.say({ kind: w.kind, text: `no longer waiting for workers: ${why}`, time: Date.now() }, false);
  }
}
