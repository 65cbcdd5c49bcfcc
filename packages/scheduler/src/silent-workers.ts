/**
 * Workers the scheduler has not heard from for a while that have tasks of the run. A worker host
 * frozen (SIGSTOP, a paused VM, swapping) or cut off keeps its tasks until the heartbeat TTL
 * drops it (30 s by default); until then the run simply stopped, the client's progress frozen at
 * "280/282 chunks … ETA 0.4s" with nothing said anywhere, and once the worker was dropped only
 * the scheduler's own log said so (found freezing a worker host in network namespaces during a
 * gluon-h4l run). Each worker's silence is said once, after `holdMs`, and its end once: heard from
 * again, or removed (by the TTL, or it left). Pure: the figures and the time come from the tick.
 */

/** A running worker as the rule reads it. */
export interface SilentFigure {
  id: string;
  name: string;
  address: string;
  /** how long since anything was heard from it (ms). */
  silentMs: number;
  /** tasks sent to it and not finished (running or waiting there for a thread). */
  tasks: number;
}

/** What the scheduler says, to its log, its event log and its clients (`warning`, kind `silent-worker`). */
export interface SilentNotice {
  active: boolean;
  text: string;
  /** The worker's data address: several workers can be silent at once, and each ends on its own. */
  about: string;
}

/** The kind of the `warning` message these notices go out as. */
export const SILENT_WORKER_KIND = 'silent-worker';

const s = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
/** A time of day as the logs print it (UTC). */
const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

/**
 * How long a worker with tasks may be silent before it is said: a third of the TTL, at least
 * `minMs` (the stall notices' hold), but at most half the TTL, so that it is said before the TTL
 * drops the worker: with `--heartbeat-ttl 10s` and the default 10 s hold it was never said.
 */
export function silenceHoldMs(heartbeatTtlMs: number, minMs: number): number {
  return Math.min(Math.max(minMs, Math.round(heartbeatTtlMs / 3)), Math.floor(heartbeatTtlMs / 2));
}

/** A worker being removed, as {@link SilentWorkers.gone} reads it: how long it had been silent. */
export interface RemovedFigure {
  name: string;
  address: string;
  silentMs: number;
}

/** The start of a worker's silence: what happened, what follows by itself, and what to do. */
export function silentText(f: SilentFigure, heartbeatTtlMs: number, now: number): string {
  const droppedAt = now - f.silentMs + heartbeatTtlMs;
  return `worker ${f.name} (${f.address}) has not been heard from for ${s(f.silentMs)} and has ${f.tasks} task(s) of the run: `
    + 'its host may be frozen (SIGSTOP, a paused VM, swapping), cut off from this scheduler, or overloaded. Its tasks wait for it; '
    + `silent for the heartbeat TTL (${s(heartbeatTtlMs)}, --heartbeat-ttl), at ${clock(droppedAt)}, it is dropped and they go to other workers `
    + '(if it comes back, what it finished is taken back). Nothing to do unless it stays away: then look at that host';
}

/** The workers said silent (by id), and the notices that begin and end each one's silence. */
export class SilentWorkers {
  private readonly said = new Map<string, { name: string; address: string; text: string; silentSince: number }>();

  constructor(private readonly holdMs: number, private readonly heartbeatTtlMs: number) {}

  get size(): number { return this.said.size; }

  /** From the running workers' figures now: a notice for each that became silent or was heard from again. */
  step(workers: Iterable<SilentFigure>, now: number): SilentNotice[] {
    const out: SilentNotice[] = [];
    for (const f of workers) {
      const was = this.said.get(f.id);
      if (was) {
        if (f.silentMs >= this.holdMs) continue;
        this.said.delete(f.id);
        const heardAt = now - f.silentMs;
        out.push({ active: false, about: f.address,
          text: `worker ${f.name} (${f.address}) was heard from again after ${s(heardAt - was.silentSince)} of silence; its tasks go on there` });
      } else if (f.silentMs >= this.holdMs && f.tasks > 0) {
        const text = silentText(f, this.heartbeatTtlMs, now);
        this.said.set(f.id, { name: f.name, address: f.address, text, silentSince: now - f.silentMs });
        out.push({ active: true, text, about: f.address });
      }
    }
    return out;
  }

  /**
   * A worker was removed (`reason`: the TTL ran out, or it left), `rescheduled` of its tasks
   * placed again: the end of its silence, if it was said silent. One not said silent (its silence
   * outran the hold between two ticks, or the scheduler's own stall was credited to it) but
   * dropped for it, silent past the TTL (`removed`, given for a removal that was not clean), with
   * tasks of the run, is said now all the same: else the run's clients heard nothing of it.
   */
  gone(id: string, reason: string, rescheduled: number, now: number, removed?: RemovedFigure): SilentNotice | undefined {
    const was = this.said.get(id);
    const moved = rescheduled > 0 ? `its ${rescheduled} task(s) go to other workers` : 'none of its tasks was left to place again';
    const after = '; if it comes back, it registers again and what it finished is taken back';
    if (!was) {
      if (!removed || rescheduled === 0 || removed.silentMs <= this.heartbeatTtlMs) return undefined;
      return { active: false, about: removed.address,
        text: `worker ${removed.name} (${removed.address}) was removed after ${s(removed.silentMs)} of silence with ${rescheduled} task(s) of the run (${reason}): `
          + `its host may be frozen, cut off from this scheduler, or overloaded; ${moved}${after}` };
    }
    this.said.delete(id);
    return { active: false, about: was.address,
      text: `worker ${was.name} (${was.address}) was removed after ${s(now - was.silentSince)} of silence (${reason}): ${moved}${after}` };
  }

  /** The silences said and not ended, for a client that connects meanwhile. */
  get current(): SilentNotice[] {
    return [...this.said.values()].map((w) => ({ active: true, text: w.text, about: w.address }));
  }
}
