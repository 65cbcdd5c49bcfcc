/**
 * Workers started with different allow-lists (`--allow-module`) each refuse the task modules they
 * were not given. A refusal is not a failure of the task: another worker may run it. This is the
 * rule for a module every connected worker has refused: the task waits (bounded) while a refusal
 * may still lift, or fails with an error naming the module, the task and each worker's reason.
 * A pure function of the workers' refusals and the time; module-refusals.ts acts on the answer.
 */

/** Why a worker would not import a module, as it said (`refused`). */
export interface Refusal {
  reason: string;
  /** What it rests on may still appear on that worker (a missing allowed path, file or package); it re-checks. */
  mayLift: boolean;
}

/** A worker as the rule reads it: only `running` ones can take work. */
export interface RefuserView {
  name: string;
  status: 'running' | 'closing' | 'gone';
  /** Its refusal of the module in question, if it refused it. */
  refusal: Refusal | undefined;
}

export type RefusalVerdict =
  /** A running worker has not refused it (or none is connected, which is no refusal): place it as usual. */
  | { kind: 'run'; why: string }
  /** Every running worker refuses it, and some refusal may lift: the tasks wait, said once with `text`. */
  | { kind: 'wait'; text: string }
  /** Every running worker refuses it for good, or the wait is over: its tasks fail with `reason`. */
  | { kind: 'fail'; reason: string };

/** Longest refusal reason kept from a worker (the rest is cut): it is repeated in messages. */
export const MAX_REASON_CHARS = 1000;

/**
 * What becomes of the ready tasks of `module`, given every worker's refusal of it, how long every
 * running worker has refused it (`waitedMs`, 0 when that has just begun) and the bound on waiting.
 */
export function refusalVerdict(module: string, workers: readonly RefuserView[], waitedMs: number, waitMs: number): RefusalVerdict {
  const running = workers.filter((w) => w.status === 'running');
  if (running.length === 0) return { kind: 'run', why: 'no worker is connected (they wait for one, as every task does)' };
  if (running.some((w) => w.refusal === undefined)) return { kind: 'run', why: 'a worker accepts it' };
  const reasons = describeRefusals(running);
  const lifting = running.filter((w) => w.refusal!.mayLift).map((w) => w.name);
  if (lifting.length > 0 && waitedMs < waitMs) {
    return {
      kind: 'wait',
      text: `tasks of module ${module} wait: every connected worker refuses it (${reasons}). `
        + `They wait up to ${seconds(waitMs)} (--refusal-wait) for what ${names(lifting)} ${lifting.length === 1 ? 'lacks' : 'lack'} to appear `
        + '(each re-checks its refusals every heartbeat), or for a worker that accepts the module to join; then they fail',
    };
  }
  const waited = lifting.length > 0 ? ` (waited ${seconds(waitedMs)} for a refusal to lift)` : '';
  return { kind: 'fail', reason: `no connected worker accepts module ${module}${waited}: ${reasons}` };
}

/** Each worker's reason, workers with the same reason together: `worker a, worker b: reason; worker c: reason` (`max` reasons, `max` names each). */
export function describeRefusals(workers: readonly RefuserView[], max = 8): string {
  const byReason = new Map<string, string[]>();
  for (const w of workers) {
    const reason = w.refusal?.reason ?? 'has not refused it';
    const list = byReason.get(reason);
    if (list) list.push(w.name);
    else byReason.set(reason, [w.name]);
  }
  // Bounded whatever the cluster: a thousand workers of a thousand working directories give a
  // thousand reasons, and the text goes into every failed task's error and every client's stderr.
  const groups = [...byReason];
  const shown = groups.slice(0, max).map(([reason, ws]) => `${names(ws, max)}: ${reason}`).join('; ');
  const rest = groups.slice(max).reduce((n, [, ws]) => n + ws.length, 0);
  return rest > 0 ? `${shown}; and ${rest} more worker(s) with other reasons` : shown;
}

function names(ws: readonly string[], max = 8): string {
  const shown = ws.slice(0, max).map((n) => `worker ${n}`).join(', ');
  return ws.length > max ? `${shown} and ${ws.length - max} more` : shown;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
