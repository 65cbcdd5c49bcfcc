/**
 * Tasks that wait for a thread while the threads run the tasks of a lost client. A script stopped
 * with Ctrl-C (or killed, or cut off) leaves its running tasks on the workers for the session
 * grace (`--session-grace`, 60 s by default), in case it reconnects; they are cancelled when it
 * ends. A script started meanwhile saw nothing happen for up to that long, with nothing said
 * (found by running a script, pressing Ctrl-C and running it again: the second's three trivial
 * tasks took 58 s). The rule is a pure function of the scheduler's figures; the watch says each
 * episode once, after `holdMs`, and its end once (as memory-stall.ts's rules do).
 */

import { EpisodeWatch } from './memory-stall.js';
import type { ClientRecord, WorkerRecord } from './records.js';

/** A client whose connection was lost and whose work the scheduler keeps for its return. */
export interface LostClient {
  name: string;
  /** when its connection was lost (ms since epoch). */
  since: number;
  /** when its session grace ends and its tasks are released (ms since epoch). */
  until: number;
}

/** What the rule reads. */
export interface LostWaitFigures {
  /** tasks ready to run that no thread runs: queued at the scheduler, or sent to a worker and not started. */
  waiting: number;
  /** threads of the running workers that run nothing. */
  freeThreads: number;
  /** tasks on the workers held by a lost client and by no connected one. */
  lostTasks: number;
  /** the lost clients with such tasks, how long ago they were lost and how long their work is kept. */
  lost: { name: string; lostForMs: number; endsInMs: number; tasks: number }[];
}

/** True when tasks wait, no thread is free, and lost clients' tasks hold some of them. */
export function waitsBehindLostClients(f: LostWaitFigures): boolean {
  return f.waiting > 0 && f.freeThreads === 0 && f.lostTasks > 0;
}

const s = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

/** The start of an episode, with its figures: what the scheduler logs and tells clients. */
export function lostClientWaitText(f: LostWaitFigures): string {
  const who = f.lost.slice(0, 4).map((c) => `client ${c.name} (${c.tasks} task(s); lost ${s(c.lostForMs)} ago, cancelled in ${s(c.endsInMs)})`);
  const more = f.lost.length > who.length ? ` and ${f.lost.length - who.length} more` : '';
  return `waiting: ${f.waiting} task(s) wait for a thread, and every thread is taken; ${f.lostTasks} of the tasks on the workers are those of `
    + `${who.join(', ')}${more}, whose connection was lost: the scheduler keeps a lost client's work for --session-grace in case it reconnects, `
    + 'and cancels its tasks when that ends (a script stopped with Ctrl-C does not come back)';
}

/** Says each episode of {@link waitsBehindLostClients} once it has held for `holdMs`, and its end once. */
export class LostClientWaitWatch extends EpisodeWatch<LostWaitFigures> {
  protected holds(f: LostWaitFigures): boolean {
    return waitsBehindLostClients(f);
  }

  protected startText(f: LostWaitFigures): string {
    return lostClientWaitText(f);
  }

  protected endText(f: LostWaitFigures): string {
    const why = f.lostTasks === 0 ? 'no lost client\'s task is on the workers any more (it came back, or its tasks were cancelled)'
      : f.waiting === 0 ? 'no task waits any more' : 'a thread is free';
    return `no longer waiting behind a lost client's tasks: ${why}`;
  }
}

const NONE: LostWaitFigures = { waiting: 0, freeThreads: 0, lostTasks: 0, lost: [] };

/**
 * The rule's figures from the scheduler's records and the tick's thread figures (`load`, from
 * memory-stall.ts's one pass over the workers). Costs nothing while no client is lost. The tasks
 * on the workers are counted only when they decide something: while tasks wait and no thread is
 * free (else the rule cannot hold), or to say why an episode `said` ended. Then one pass over
 * them, each weighed against the lost clients only: a task is a lost client's when the lost
 * clients' references are all it has. Before, each was weighed against every client, on every
 * tick while a client was lost: 2.9 ms a tick with 100 clients and 5,000 tasks on 1,000 workers
 * (bench/lost-client-wait.ts).
 */
export function lostWaitFigures(load: { waiting: number; freeThreads: number }, workers: Iterable<WorkerRecord>,
  clients: ReadonlyMap<string, ClientRecord>, lost: ReadonlyMap<string, LostClient>, now: number, said: boolean): LostWaitFigures {
  if (lost.size === 0) return NONE;
  const { waiting, freeThreads } = load;
  const none = { waiting, freeThreads, lostTasks: 0, lost: [] };
  if (!said && !(waiting > 0 && freeThreads === 0)) return none;
  const gone: ClientRecord[] = [];
  for (const id of lost.keys()) {
    const c = clients.get(id);
    if (c && c.heldCount > 0) gone.push(c);
  }
  if (gone.length === 0) return none;
  const perClient = new Map<ClientRecord, number>();
  let lostTasks = 0;
  for (const ws of workers) {
    if (ws.status !== 'running') continue;
    for (const ts of ws.processing) {
      if (ts.clientRefs === 0) continue;
      let refs = 0;
      let owner: ClientRecord | undefined;
      for (const c of gone) {
        const n = c.refsOn(ts);
        if (n === 0) continue;
        refs += n;
        owner ??= c;
      }
      // Held by a connected client too (every reference is some client's): not only a lost one's.
      if (owner === undefined || refs < ts.clientRefs) continue;
      lostTasks++;
      perClient.set(owner, (perClient.get(owner) ?? 0) + 1);
    }
  }
  const out = [...perClient].map(([c, tasks]) => {
    const l = lost.get(c.id)!;
    return { name: l.name, lostForMs: now - l.since, endsInMs: l.until - now, tasks };
  });
  return { waiting, freeThreads, lostTasks, lost: out };
}
