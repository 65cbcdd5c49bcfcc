/**
 * The cluster stuck for memory: tasks wait, and every live worker is paused because its RSS is
 * over its memory limit (a paused worker starts nothing until it falls below 90% of it; there is
 * no spilling). Without this nothing said so: the client's `result()` simply waited. The rule is
 * a pure function of the scheduler's figures and the time; {@link MemoryStallWatch} adds the
 * time bound (the condition must hold for `holdMs`, so a worker paused for a moment by a
 * collection that frees it is not reported) and says each episode once, then once when it ends.
 */

import type { WorkerRecord } from './records.js';

/** A live worker's memory figures, as the rule reads them. */
export interface WorkerMemory {
  name: string;
  address: string;
  rss: number;
  memoryLimit: number;
  /** the worker said it is over its limit and starts no new tasks. */
  paused: boolean;
}

/** What the rule reads: the running workers (not gone, not closing) and the tasks waiting for a thread. */
export interface StallFigures {
  workers: readonly WorkerMemory[];
  /** tasks ready to run that no worker starts: queued at the scheduler, or sent to a worker and not started there. */
  waiting: number;
}

/** Default of `SchedulerConfig.memoryStallMs`. */
export const DEFAULT_MEMORY_STALL_MS = 10_000;

/** True when tasks wait and every running worker (at least one) is paused for memory. */
export function stuckForMemory(f: StallFigures): boolean {
  return f.waiting > 0 && f.workers.length > 0 && f.workers.every((w) => w.paused);
}

/** What to say when an episode starts or ends. */
export interface StallNotice {
  /** true: the cluster is stuck (said once per episode); false: it no longer is. */
  active: boolean;
  text: string;
}

const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;

/** The start of an episode, with its figures: what the scheduler logs and tells clients. */
export function stuckText(f: StallFigures, heldMs: number): string {
  const shown = f.workers.slice(0, 8).map((w) => `${w.name} at ${w.address} (RSS ${mib(w.rss)}, limit ${mib(w.memoryLimit)})`);
  const more = f.workers.length > shown.length ? ` and ${f.workers.length - shown.length} more` : '';
  return `stuck: ${f.waiting} task(s) wait and all ${f.workers.length} worker(s) have been paused for memory for ${(heldMs / 1000).toFixed(1)} s `
    + `(over their memory limit they start nothing until their RSS falls below 90% of it): ${shown.join(', ')}${more}. `
    + 'Release results you no longer need, give the workers more memory (--memory-limit), or add workers';
}

/**
 * A condition said once per episode, when it has held for `holdMs`, and its end once.
 * Deterministic: its answer depends only on the figures and times it is given.
 */
export abstract class EpisodeWatch<F = StallFigures> {
  /** When the condition was first seen in the current episode; null while it does not hold. */
  private since: number | null = null;
  /** The current episode was said (its end is said too). */
  private said = false;
  /** The notice of the episode under way, for clients that connect during it. */
  current: StallNotice | null = null;

  constructor(private readonly holdMs: number) {}

  protected abstract holds(f: F): boolean;
  protected abstract startText(f: F, heldMs: number): string;
  protected abstract endText(f: F): string;

  /** From the figures now: the notice to give, or null when there is nothing new to say. */
  step(f: F, now: number): StallNotice | null {
    if (!this.holds(f)) {
      this.since = null;
      if (!this.said) return null;
      this.said = false;
      this.current = null;
      return { active: false, text: this.endText(f) };
    }
    this.since ??= now;
    if (this.said || now - this.since < this.holdMs) return null;
    this.said = true;
    this.current = { active: true, text: this.startText(f, now - this.since) };
    return this.current;
  }
}

/** Says each episode of {@link stuckForMemory} once it has held for `holdMs`, and its end once. */
export class MemoryStallWatch extends EpisodeWatch {
  protected holds(f: StallFigures): boolean {
    return stuckForMemory(f);
  }

  protected startText(f: StallFigures, heldMs: number): string {
    return stuckText(f, heldMs);
  }

  protected endText(f: StallFigures): string {
    const why = f.waiting === 0 ? 'no task waits any more' : f.workers.length === 0 ? 'no worker is left' : 'a worker can start tasks again';
    return `no longer stuck for memory: ${why}`;
  }
}

/**
 * Tasks wait and no worker is left, after there were some: every worker died or was stopped
 * mid-run (a host rebooted, the last worker killed). Without this the client's progress simply
 * stopped, with nothing said (found by the across-hosts trial). Before any worker has joined it
 * is not said: a starting cluster or batch jobs in a queue are expected to have none yet (and
 * the analyses say `waiting for workers` themselves).
 */
export class NoWorkersWatch extends EpisodeWatch {
  private hadWorkers = false;

  /**
   * A worker joined. Told at once, not only seen on a tick: a worker that joined and died
   * between two ticks (750 ms apart with a 3 s TTL) left the rule thinking none ever had.
   */
  sawWorker(): void {
    this.hadWorkers = true;
  }

  override step(f: StallFigures, now: number): StallNotice | null {
    if (f.workers.length > 0) this.hadWorkers = true;
    return super.step(f, now);
  }

  protected holds(f: StallFigures): boolean {
    return this.hadWorkers && f.waiting > 0 && f.workers.length === 0;
  }

  protected startText(f: StallFigures, heldMs: number): string {
    return `stuck: ${f.waiting} task(s) wait and no worker has been connected for ${(heldMs / 1000).toFixed(1)} s `
      + '(the last one left; the event log says why): start a worker (gluon-worker SCHEDULER-ADDRESS); the run goes on where it stopped';
  }

  protected endText(f: StallFigures): string {
    return `no longer stuck without workers: ${f.waiting === 0 ? 'no task waits any more' : 'a worker joined'}`;
  }
}

/** A notice with the `warning` kind it goes out as. */
export type KindedNotice = StallNotice & { kind: 'memory-stall' | 'no-workers' | 'lost-client-work' };

/** Both stall rules, stepped together on the tick (state.ts). */
export class StallWatches {
  private readonly memory: MemoryStallWatch;
  private readonly none: NoWorkersWatch;

  constructor(holdMs: number) {
    this.memory = new MemoryStallWatch(holdMs);
    this.none = new NoWorkersWatch(holdMs);
  }

  /** A worker joined (see {@link NoWorkersWatch.sawWorker}). */
  workerJoined(): void {
    this.none.sawWorker();
  }

  /** The notices of this step (at most one per rule). */
  step(f: StallFigures, now: number): KindedNotice[] {
    const m = this.memory.step(f, now);
    const n = this.none.step(f, now);
    return [...(m ? [{ kind: 'memory-stall' as const, ...m }] : []), ...(n ? [{ kind: 'no-workers' as const, ...n }] : [])];
  }

  /** The episodes under way, for a client that connects during them. */
  get current(): KindedNotice[] {
    const m = this.memory.current, n = this.none.current;
    return [...(m ? [{ kind: 'memory-stall' as const, ...m }] : []), ...(n ? [{ kind: 'no-workers' as const, ...n }] : [])];
  }
}

/**
 * The rules' figures from the scheduler's records: running workers, the tasks that wait for a
 * thread and the threads free, in one pass on the tick for this file's rules and
 * lost-client-wait.ts's. A worker that has sent no heartbeat yet is taken to run what it was sent,
 * up to its threads.
 */
export function stallFigures(workers: Iterable<WorkerRecord>, queued: number): StallFigures & {
  /** threads of the running workers that run nothing (lost-client-wait.ts reads it). */
  freeThreads: number;
} {
  const out: WorkerMemory[] = [];
  let waiting = queued;
  let freeThreads = 0;
  for (const ws of workers) {
    if (ws.status !== 'running') continue;
    const m = ws.metrics;
    out.push({ name: ws.name, address: ws.address, rss: m?.rss ?? 0, memoryLimit: m?.memoryLimit ?? ws.memoryLimit, paused: m?.paused === true });
    const executing = m?.executing ?? Math.min(ws.processing.size, ws.nthreads);
    freeThreads += Math.max(0, ws.nthreads - executing);
    // Sent to it and not started: a paused worker starts none of them.
    waiting += Math.max(0, ws.processing.size - executing);
  }
  return { workers: out, waiting, freeThreads };
}
