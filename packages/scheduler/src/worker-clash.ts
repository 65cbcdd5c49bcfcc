/**
 * Whether a worker's hello may take the data address it gives. One data address is one live
 * worker process: peers fetch that worker's results there, clients are told of workers by it,
 * and a returning worker's claims are judged by it (worker-claims.ts). So a hello giving the
 * address of a registered worker is either that worker reconnecting (its old connection is not
 * seen closed yet: a cut link the worker noticed first) or another process: a confused one, or a
 * hostile one taking the worker's place. The worker's `session` (random, one per process, sent
 * only to the scheduler) tells them apart: the same session replaces the stale registration; any
 * other is refused while the registered worker lives. A stale registration of a process that is
 * really gone ends when it is expired (no message for the heartbeat TTL), and the newcomer,
 * which retries, registers then. Before, any hello with a live worker's name and address
 * replaced it: its connection was closed and its tasks were run again elsewhere.
 *
 * Pure: the caller says what is registered.
 */
export interface RegisteredWorker {
  id: string;
  name: string;
  address: string;
  /** Its hello's session; undefined when it gave none (never matched). */
  session: string | undefined;
  /** When a message from it last arrived (ms). */
  lastSeen: number;
}

export type ClashVerdict =
  | { kind: 'new' }
  /** The same worker (its session) reconnecting: `previous` is its stale registration, to end. */
  | { kind: 'reconnect'; previous: string }
  | { kind: 'refused'; holder: RegisteredWorker; reason: string };

/** What to do with a worker hello `{name, address, session}` given the live registrations. */
export function judgeWorkerHello(
  hello: { name?: string | undefined; address?: string | undefined; session?: string | undefined },
  registered: Iterable<RegisteredWorker>,
  now: number,
  heartbeatTtlMs: number,
): ClashVerdict {
  if (!hello.address) return { kind: 'new' };
  for (const w of registered) {
    if (w.address !== hello.address) continue;
    if (hello.session !== undefined && w.session === hello.session) return { kind: 'reconnect', previous: w.id };
    const ago = Math.max(0, now - w.lastSeen);
    return {
      kind: 'refused',
      holder: w,
      reason: `data address ${w.address} is worker ${w.name}'s (${w.id}), registered here and heard from ${ago} ms ago; `
        + `this hello${hello.name !== undefined ? ` (name ${quoted(hello.name)})` : ''} is not that worker reconnecting (another session), `
        + `so it cannot take its place: retry once it is gone (it left, or gave no sign of life for ${heartbeatTtlMs} ms), or give this worker its own address`,
    };
  }
  return { kind: 'new' };
}

/** A peer's name as a reason quotes it: cut past 40 characters (it may be 256). */
function quoted(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}
