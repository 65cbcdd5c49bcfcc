// A worker's state in words, for the workers table and the worker's own page. The scheduler's row
// carries `closing` from the moment the worker says it is leaving (its lifetime ended, or it was
// stopped); shown as `running` until it was gone, a worker handing over its results read as one
// still taking work. Pure: tested under Node (test/units/worker-status.ts).
import { fmtAge } from './format.js';

/** `running`, `paused (over its memory limit)`, `retiring — handing over N results`, `closing` or `gone`. */
export function workerStatus(w) {
  if (!w.alive) return 'gone';
  if (w.closing) return w.stored > 0 ? `retiring — handing over ${w.stored} result${w.stored === 1 ? '' : 's'}` : 'closing';
  return w.paused ? 'paused (over its memory limit)' : 'running';
}

/** Its last heartbeat's age (`0.4 s ago`), or when it went (`gone 12 s ago`). */
export function heartbeatAge(w, now) {
  return w.alive ? `${fmtAge(now - w.lastSeen)} ago` : `gone ${fmtAge(now - w.lastSeen)} ago`;
}
