/**
 * Whether a result is still needed, which decides what is recomputed from its lineage when its
 * last copy is lost (and whether a task whose worker died runs again). Pure functions of the task
 * and client records; the state machine acts on the answers.
 *
 * A result is needed by a client that holds its key without having its value (a client has it
 * once the value came inline with `key-in-memory`, or once the client reported `received`), or
 * by a dependent that has not been sent to a worker yet. A dependent already sent to a worker is
 * not counted: it may hold the value already (fetched, or inline with its `compute-task`), and if
 * it does not, its worker reports the input missing and the input is recomputed then.
 *
 * A small result the scheduler still keeps inline is not lost with its worker at all (see
 * {@link inlineCopyNeeded}): its dependents get it with their compute-task.
 */
import { type ClientRecord, type TaskRecord } from './records.js';

/** Some client holds the key and does not have its value. */
export function clientLacks(ts: TaskRecord, clients: ReadonlyMap<string, ClientRecord>): boolean {
  if (ts.clientRefs === 0 || ts.valueWithClients) return false;
  // received is usually empty (only fetched results are reported): test it first, it is cheap then.
  for (const c of clients.values()) if (!c.received.has(ts) && c.refsOn(ts) > 0) return true;
  return false;
}

/** Still has to run and has not been sent to a worker: it will need its inputs in memory. */
function awaitsInputs(ts: TaskRecord): boolean {
  return ts.state === 'waiting' || ts.state === 'queued';
}

/**
 * Whether a result that only the scheduler holds (inline, its workers gone) must be kept: a
 * dependent still has to run, including one already sent (it runs again with the value inline if
 * its worker dies too). Otherwise the inline copy can go; clients that hold the key have it.
 */
export function inlineCopyNeeded(ts: TaskRecord): boolean {
  for (const d of ts.dependents) if (awaitsInputs(d) || d.state === 'processing') return true;
  return false;
}

/** Needed: a client lacks it, or a dependent not yet sent needs it (directly or one step on). */
export function isWanted(ts: TaskRecord, clients: ReadonlyMap<string, ClientRecord>): boolean {
  if (clientLacks(ts, clients)) return true;
  for (const d of ts.dependents) {
    if (awaitsInputs(d)) return true;
    if (d.state === 'released' && isWantedShallow(d, clients)) return true;
  }
  return false;
}

function isWantedShallow(ts: TaskRecord, clients: ReadonlyMap<string, ClientRecord>): boolean {
  if (clientLacks(ts, clients)) return true;
  for (const d of ts.dependents) if (awaitsInputs(d) || clientLacks(d, clients)) return true;
  return false;
}

/**
 * A result a re-registering worker holds for a task here that nobody needs yet (released, no
 * client holds it, no dependent waits): kept as an orphan on that worker (recovery.ts), taken back
 * when something comes to need it, rather than taken now. Taken now, the task was unneeded at once:
 * forgotten if nothing depended on it yet, its data freed if something did. But such a task is
 * one a client sent without a want ahead of its dependents (a tree's inputs, a re-sent graph of a
 * restart split into frames): forgotten, the dependent in the client's next frame named an
 * unknown key and failed (client paced-submit.test, a tree built while its scheduler restarted).
 */
export function keptAsOrphan(ts: TaskRecord, clients: ReadonlyMap<string, ClientRecord>): boolean {
  return ts.state === 'released' && ts.clientRefs === 0 && !isWanted(ts, clients);
}
