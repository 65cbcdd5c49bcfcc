import type { ClusterEvent, FailureRow, LogEntry, WorkerRow } from './dashboard/source.js';
import type { WorkerRecord } from './records.js';
import { HeldEvents } from './held-events.js';
import { shownKey, type LogLine } from './log-line.js';
import { MAX_NAME_TEXT } from '@gluon/protocol';

const MAX_FAILURES_KEPT = 500;
const MAX_LOG_KEPT = 500;

/**
 * What the dashboard sees of the state machine: its recent event log and failures (bounded),
 * and the listeners that receive each {@link ClusterEvent} as it happens. Emitting is a cheap
 * append per listener; nothing here decides anything.
 */
export class Journal {
  readonly failures: FailureRow[] = [];
  readonly log: LogEntry[] = [];
  /** Lines also for the scheduler process's own log, taken by the server after each event (see takeSaid). */
  private said: string[] = [];
  /** The listeners, and the events held for them while the server handles a message (held-events.ts). */
  readonly events = new HeldEvents<ClusterEvent>();

  /** Whether anyone listens (events that cost something to build are skipped otherwise). */
  get listened(): boolean {
    return this.events.size > 0;
  }

  subscribe(listener: (e: ClusterEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  emit(e: ClusterEvent): void {
    this.events.emit(e);
  }

  /**
   * `line`: a plain text, or a {@link LogLine} whose workers the page links (see log-line.ts).
   * `say`: the process's own log has it too (an operator reading only that log must see it).
   */
  addLog(time: number, kind: LogEntry['kind'], line: string | LogLine, say = false): void {
    const entry: LogEntry = typeof line === 'string' ? { time, kind, text: line } : { time, kind, ...line };
    this.log.push(entry);
    if (this.log.length > MAX_LOG_KEPT) this.log.shift();
    if (say) this.said.push(entry.text);
    this.emit({ kind: 'log', entry });
  }

  /** A line for the process's own log only (a summary of what the event log has line by line). */
  sayOnly(text: string): void {
    this.said.push(text);
  }

  /** The lines to say in the process's log since the last call (see addLog's `say`). */
  takeSaid(): string[] {
    if (this.said.length === 0) return [];
    const lines = this.said;
    this.said = [];
    return lines;
  }

  addFailure(row: FailureRow): void {
    if (row.key.length > MAX_NAME_TEXT) row = { ...row, key: shownKey(row.key) };
    this.failures.push(row);
    if (this.failures.length > MAX_FAILURES_KEPT) this.failures.shift();
    this.emit({ kind: 'failure', row });
  }
}

/**
 * A worker as the dashboard's Workers table shows it. A gone worker keeps its name, address and
 * last heartbeat, but its live figures (CPU, memory, tasks, results) are zero: they described a
 * process that no longer exists, and its results are no longer reachable.
 */
export function workerRow(ws: WorkerRecord): WorkerRow {
  const m = ws.metrics;
  const alive = ws.status !== 'gone';
  const executing = alive ? m?.executing ?? 0 : 0;
  return {
    id: ws.id, name: ws.name, address: ws.address, host: ws.host, nthreads: ws.nthreads,
    cpu: alive ? m?.cpu ?? 0 : 0, rss: alive ? m?.rss ?? 0 : 0, memoryLimit: ws.memoryLimit,
    executing, queued: alive ? Math.max(0, ws.processing.size - executing) : 0,
    stored: alive ? ws.has.size : 0, storedBytes: alive ? ws.storedBytes : 0, lastSeen: ws.lastSeen, alive,
    paused: alive && m?.paused === true,
    ...(alive && m?.cancelledStopped ? { cancelledStopped: m.cancelledStopped } : {}),
    closing: ws.status === 'closing',
    // Kept once it is gone: a worker whose lifetime ended and that left within one look of a batch
    // cluster (a worker with nothing to hand over leaves at once) was never seen closing, and its
    // job's end was taken for a plain end, not a retirement.
    ...(ws.status !== 'running' && ws.retiresByLifetime ? { lifetime: true } : {}),
  };
}
