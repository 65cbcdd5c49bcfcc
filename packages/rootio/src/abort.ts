/**
 * One abort signal for a request that must end when any of several others does, or when its own
 * time runs out. `AbortSignal.any` would do the first, but it exists only from Node 20.3 (this
 * package supports every Node 20), and Node's own ties every signal it makes to its sources for as
 * long as they live: an HttpSource's `closing` signal lives as long as the file, over thousands
 * of requests. Here each link is a listener removed by `release()`, and the timer is cleared.
 */
import { setMaxListeners } from 'node:events';
import { runningTimeout } from './running-timeout.js';

/** A signal tied to others; `release()` unties it (call it when the work it guards is over). */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * A signal aborted when any of `sources` aborts (with its reason), or after `timeoutMs` (a
 * DOMException named TimeoutError, as `AbortSignal.timeout`'s); `undefined` sources are skipped.
 * Until `release()` it holds one listener on each source and, with a time-out, one timer.
 * The time-out is counted in the time the process could run (running-timeout.ts), as
 * metadataTimeoutMs is: on wall-clock time, a process stalled past it while a request was answered
 * ran the late timer before the answer's I/O and called a loopback server that had answered at
 * once "no answer to bytes=0-0 within 1000 ms" (units/http.ts's open, with a 1.1 s stall injected).
 */
export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>, timeoutMs?: number): LinkedSignal {
  const ctl = new AbortController();
  // A read's signal has one listener per request of the read, each removed when it ends: dozens
  // are no leak, and Node's warning past 10 would tell a user otherwise.
  setMaxListeners(0, ctl.signal);
  const live = sources.filter((s): s is AbortSignal => s !== undefined);
  const already = live.find((s) => s.aborted);
  if (already) {
    ctl.abort(already.reason);
    return { signal: ctl.signal, release() {} };
  }
  const listeners: Array<[AbortSignal, () => void]> = [];
  let cancelTimeout: (() => void) | undefined;
  const release = () => {
    for (const [s, fn] of listeners) s.removeEventListener('abort', fn);
    listeners.length = 0;
    cancelTimeout?.();
  };
  for (const s of live) {
    const fn = () => {
      release();
      ctl.abort(s.reason);
    };
    s.addEventListener('abort', fn, { once: true });
    listeners.push([s, fn]);
  }
  if (timeoutMs !== undefined) {
    cancelTimeout = runningTimeout(timeoutMs, () => {
      release();
      ctl.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
    });
  }
  return { signal: ctl.signal, release };
}
