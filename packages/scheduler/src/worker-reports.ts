import { MAX_INLINE_RESULT_BYTES, wireSizeUpTo, type TaskError } from '@gluon/protocol';
import type { Command } from './outbox.js';
import { groupStats, recordDuration } from './groups.js';
import { checkTransfer, type TransferReport } from './validate.js';
import { isWanted } from './lineage.js';
import { acceptsWork, type InlineValue, type TaskRecord, type WorkerRecord } from './records.js';
import { WorkerEvents } from './worker-events.js';
import { boundedText, logLine, shortKey } from './log-line.js';
import { RefusalLog } from './refusals.js';
import { judgeMissingData } from './missing-data.js';
import { deathsText } from './task-deaths.js';

/** Most characters of a task error's message or stack the scheduler keeps (see boundedText). */
export const MAX_ERROR_TEXT = 64 * 1024;
/** Most characters of an error's name or a result's type name it keeps. */
export const MAX_NAME_TEXT = 200;

/**
 * What a registered worker reports: a task finished or failed, a task it could not be sent, a
 * dependency it could not fetch, tasks it hands back, its answer to a steal, and, for the
 * dashboard, its transfers and log lines.
 */
export abstract class WorkerReports extends WorkerEvents {
  taskFinished(
    workerId: string,
    m: { key: string; nbytes: number; typeName: string; start: number; stop: number; thread: number; value?: unknown; hasValue?: boolean; events?: number },
    now: number = m.stop,
  ): Command[] {
    const ws = this.workers.get(workerId);
    if (!ws) return this.flush();
    // Nearly always a task it runs: found among those without a lookup in the graph.
    const running = ws.runningTask(m.key);
    const ts = running ?? this.tasks.get(m.key);
    if (!ts) {
      // A task from before this scheduler restarted (the worker said it was running it): an
      // orphan its client will claim. Otherwise a task forgotten here: nobody wants it.
      // Its late claim was counted as kept (Recovery.admits): the orphan takes its place.
      if (this.recovery.takeLate(workerId, m.key)) this.recovery.addOrphan(m.key, workerId, m.nbytes, now, false);
      else this.send({ worker: workerId }, { op: 'free-keys', keys: [m.key] });
      return this.flush();
    }
    // A result is taken only from a worker that was given the task: the one running it, one it
    // was called off from (released, cancelled, moved) that finished it anyway, or one that said
    // when it registered that it still runs it from before. Any other worker's claim (a bug, or a
    // token holder posing as a worker) would complete or overwrite another worker's task, and
    // make clients fetch its value from there.
    const late = running === null && this.recovery.takeLate(workerId, m.key);
    if (running === null && !late && !ws.takeCalledOff(m.key)) {
      // A repeat of a result it is known to hold (its copy is the one counted): nothing to do.
      if (ts.state === 'memory' && ts.holders.includes(ws)) return this.flush();
      return this.refuseResult(ws, ts, now);
    }
    // An inline value is measured here, not taken at the size the worker declared: it is kept
    // (the inline budget counts what it measures) and sent on to clients and dependents.
    let nbytes = m.nbytes;
    let inline: InlineValue | undefined;
    if (m.hasValue) {
      const bytes = wireSizeUpTo(m.value, MAX_INLINE_RESULT_BYTES);
      if (bytes <= MAX_INLINE_RESULT_BYTES) inline = { value: m.value, bytes };
      else nbytes = this.oversizeInline(ws, m.key, m.nbytes, bytes, now);
    }
    // thread -1: the worker already held the result and ran nothing, so there is no run to time or draw.
    const ran = m.thread >= 0;
    if (ws.drop(ts) && ran) recordDuration(groupStats(this.groups, ts.group), m.stop - m.start);
    if (ran && this.journal.listened) this.emit({ kind: 'task-done', key: ts.key, group: ts.group, worker: ws.name, workerId: ws.id, thread: m.thread, start: m.start, stop: m.stop, nbytes: m.nbytes, ...(m.events !== undefined ? { events: m.events } : {}) });
    if (ts.state === 'memory') {
      // Computed twice (a steal race or a recompute): keep the extra copy too.
      this.addHolder(ts, ws);
    } else if (ts.state === 'processing' && ts.processingOn === ws) {
      ts.processingOn = null;
      this.toMemory(ts, ws, nbytes, boundedText(m.typeName, MAX_NAME_TEXT), inline);
    } else if (ts.state !== 'erred' && (ts.state !== 'released' || isWanted(ts, this.clients))) {
      // A late result: its worker was declared dead (or the task moved) and it finished anyway.
      // Still wanted, so it is taken, once; the copy being recomputed elsewhere is called off.
      this.takeBack(ts, ws, nbytes, boundedText(m.typeName, MAX_NAME_TEXT), inline);
    } else {
      // Finished after being cancelled or moved: nobody wants this copy.
      this.send({ worker: workerId }, { op: 'free-keys', keys: [m.key] });
    }
    this.fill(ws);
    // A thread free here: unstarted work elsewhere may wait behind a long task (steals.ts).
    this.stealFor(ws);
    return this.flush();
  }

  /** Which workers were told of their refused results, and when (see refusals.ts). */
  private readonly refusedResults = new RefusalLog<WorkerRecord>();

  /**
   * A worker reported a result for a task it was never given (or was given and then confirmed it
   * gave up: a granted steal, a handback; or called off more than MAX_CALLED_OFF call-offs ago).
   * Nothing about the task changes. The worker is told to
   * drop its copy unless it is a holder of the result (then its copy is the one the scheduler
   * knows of, and stays). Logged, rate-limited per worker, naming the worker and the key.
   */
  private refuseResult(ws: WorkerRecord, ts: TaskRecord, now: number): Command[] {
    if (!ts.holders.includes(ws)) this.send(ws.to, { op: 'free-keys', keys: [ts.key] });
    const n = this.refusedResults.refused(ws, now);
    if (n === 1) {
      this.addLog(now, 'info', logLine`refused a result from worker ${ws} for task ${shortKey(ts.key)}, which was not given to it (the task is ${ts.state}${ts.processingOn ? ` on ${ts.processingOn.name}` : ''}); nothing changed`, true);
    } else if (n > 1) {
      this.addLog(now, 'info', logLine`refused ${n} more results from worker ${ws} for tasks not given to it (the latest: ${shortKey(ts.key)}) since its last such line`, true);
    }
    return this.flush();
  }

  /** Which workers were told of their oversized inline values, and when (see refusals.ts). */
  private readonly oversizeFrom = new RefusalLog<WorkerRecord>();

  /**
   * A worker sent a result inline that measures over the protocol's inline bound (its `nbytes`
   * said less, or it ignored the bound): the value is neither kept nor passed on, and the result
   * is taken as one the worker holds (clients and dependents fetch it there; it stored it
   * anyway). Returns the size to record: the larger of the declared and the measured. Logged,
   * rate-limited per worker, naming the worker, the key and both sizes.
   */
  private oversizeInline(ws: WorkerRecord, key: string, declared: number, measured: number, now: number): number {
    const n = this.oversizeFrom.refused(ws, now);
    if (n === 1) {
      this.addLog(now, 'info', logLine`worker ${ws} sent the result of task ${shortKey(key)} inline with nbytes ${declared}, but it measures more than ${MAX_INLINE_RESULT_BYTES} bytes here, the most an inline result may have: the value is not kept or passed on; clients and dependents fetch it from the worker`, true);
    } else if (n > 1) {
      this.addLog(now, 'info', logLine`worker ${ws} sent ${n} more results inline over ${MAX_INLINE_RESULT_BYTES} bytes (the latest: ${shortKey(key)}, nbytes ${declared}) since its last such line; none kept or passed on`, true);
    }
    return Math.max(declared, measured);
  }

  taskErred(workerId: string, reported: { key: string; error: Pick<TaskError, 'message' | 'name' | 'stack' | 'code' | 'errno' | 'syscall' | 'path'>; kind?: TaskError['kind'] }, now: number): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(reported.key);
    if (!ws || !ts) return this.flush();
    // Kept (failures, the event log, each erred dependent) and sent to every client holding it.
    const e = reported.error;
    // code, errno, syscall and path pass on as they came: the schema bounds them (protocol 19).
    const m = { ...reported, error: { ...e, message: boundedText(e.message, MAX_ERROR_TEXT), name: boundedText(e.name, MAX_NAME_TEXT), stack: boundedText(e.stack, MAX_ERROR_TEXT) } };
    ws.drop(ts);
    if (ts.state !== 'processing' || ts.processingOn !== ws) {
      // A task it ran from before it re-registered failed: it was left waiting for it; run it here.
      if (this.recovery.takeLate(workerId, m.key)) this.computeIfWanted(m.key);
      this.fill(ws);
      return this.flush();
    }
    ts.processingOn = null;
    this.setState(ts, 'released');
    const kind = m.kind ?? 'exception';
    if (kind === 'worker-died') {
      // The task killed its thread: the same rule as a dead worker process.
      ts.deaths++;
      ts.threadDeaths++;
      if (ts.deaths < this.config.allowedFailures) {
        this.addLog(now, 'reschedule', logLine`task ${ts.key} killed a thread on ${ws} (${m.error.message}); rescheduling (${ts.deaths}/${this.config.allowedFailures})`);
        this.compute(ts);
        this.fill(ws);
        return this.flush();
      }
      this.fail(ts, {
        message: `task ${ts.key} ${deathsText(ts.deaths - ts.threadDeaths, ts.threadDeaths)} (the last: a thread of ${ws.name}: ${m.error.message}); giving up after allowed-failures=${this.config.allowedFailures}`,
        name: 'KilledWorker', stack: m.error.stack, key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind,
      }, now, ws);
    } else if (kind === 'exception' && ts.retriesUsed < ts.retries) {
      ts.retriesUsed++;
      this.addLog(now, 'retry', logLine`task ${ts.key} raised ${m.error.name}: ${m.error.message} on ${ws}; retry ${ts.retriesUsed}/${ts.retries}`);
      this.compute(ts);
    } else {
      this.fail(ts, { ...m.error, key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind }, now, ws);
    }
    this.fill(ws);
    this.stealFor(ws);
    return this.flush();
  }

  /**
   * The server could not send a task to the worker it was given to: its message is over a size
   * limit. Another worker would refuse it as well (or accept it only by luck of a larger budget),
   * so the task fails at once with the reason, kind `too-large`.
   */
  unsendable(workerId: string, key: string, reason: string, now: number): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(key);
    if (!ws || !ts || ts.state !== 'processing' || ts.processingOn !== ws) return this.flush();
    ws.drop(ts);
    ts.processingOn = null;
    this.fail(ts, { message: `task ${key} cannot be sent to worker ${ws.name}: ${reason}`, name: 'DataTooLargeError', stack: '', key, worker: ws.name, retriesUsed: ts.retriesUsed, kind: 'too-large' }, now, ws);
    this.fill(ws);
    return this.flush();
  }

  /** Which workers were told of their ignored missing-data reports, and when (see refusals.ts). */
  private readonly ignoredMissing = new RefusalLog<WorkerRecord>();

  /**
   * A worker could not fetch `key` from `errantWorker` (the last holder it tried) and dropped
   * `dependent`: believed only of its own task's input (missing-data.ts).
   */
  missingData(workerId: string, key: string, errantAddress: string, dependent: string | undefined, now = 0): Command[] {
    const fetcher = this.workers.get(workerId);
    if (!fetcher) return this.flush();
    const v = judgeMissingData(fetcher, this.tasks.get(key), dependent === undefined ? undefined : this.tasks.get(dependent), errantAddress, (a) => this.workerAt(a));
    if (v.ignored !== null) this.ignoredMissingData(fetcher, key, v.ignored, now);
    if (v.peer) this.sayPeers([this.cutPeers.failed(fetcher, v.peer, key)].filter((n) => n !== undefined), now);
    const ts = v.input;
    if (ts && ts.state === 'memory') this.dropHoldersAt(ts, errantAddress);
    // handback flushes: keep what was decided before it.
    const before = v.handBack ? this.handback(workerId, [dependent!]) : [];
    this.fillAll();
    return before.concat(this.flush());
  }

  /**
   * The holders of `ts` at `address` leave its books (a believed missing-data report): each is
   * told to free its copy, and its bytes leave its count. Kept, a copy the scheduler no longer
   * counts held memory nobody would free (until the worker left) and could still be served to a
   * peer that was told of it before. Told before the input is computed again (lastCopyGone), so
   * the free reaches the worker ahead of any compute-task for the same key.
   */
  private dropHoldersAt(ts: TaskRecord, address: string): void {
    const dropped = ts.holders.filter((h) => h.address === address);
    if (dropped.length === 0) return;
    ts.holders = ts.holders.filter((h) => h.address !== address);
    for (const h of dropped) {
      h.has.delete(ts);
      h.storedBytes -= ts.nbytes;
      this.outbox.free(h.id, ts.key);
    }
    if (ts.holders.length === 0) this.lastCopyGone(ts);
  }

  /** Said once, then at most once a minute per worker (see refusals.ts), naming the worker, the key and why. */
  private ignoredMissingData(ws: WorkerRecord, key: string, why: string, now: number): void {
    const n = this.ignoredMissing.refused(ws, now);
    if (n === 1) this.addLog(now, 'info', logLine`ignored worker ${ws}'s report that it could not fetch ${shortKey(key)}: ${shortKey(why)}; no holder of it was dropped`, true);
    else if (n > 1) this.addLog(now, 'info', logLine`ignored ${n} more reports of inputs it could not fetch from worker ${ws} since its last such line (the latest: ${shortKey(key)}: ${shortKey(why)})`, true);
  }

  /** The worker gives tasks back unstarted (shutdown, or a dependency it could not get). */
  handback(workerId: string, keys: string[]): Command[] {
    const ws = this.workers.get(workerId);
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (!ts || ts.state !== 'processing' || ts.processingOn !== ws) continue;
      ws?.drop(ts);
      ts.processingOn = null;
      this.setState(ts, 'released');
      this.compute(ts);
    }
    // A closing worker gets nothing more (fill skips it); tasks it still runs stay on its books
    // so they are rescheduled if it leaves without finishing them.
    if (ws) this.fill(ws);
    this.fillAll();
    return this.flush();
  }

  /**
   * A worker fetched dependencies from a peer (its `transfer` report): a transfer bar for the
   * dashboard's task stream, with both ends named like the `worker` of task-done events. It
   * changes nothing else, so it costs nothing without listeners. A malformed report is ignored,
   * and logged once per worker with the reason. So is one naming a peer no worker here has had
   * (the last 100 gone are remembered): its address was passed on as a name, and every distinct
   * one a lying worker sent became a worker page of its own, each pushing a real worker's page
   * (its transfers and log) out of the 500 kept. Only keys of tasks known here are passed on, as
   * the tasks' own strings: a worker's copies of any length were kept on the pages.
   */
  transfer(workerId: string, m: Record<string, unknown>, now: number): Command[] {
    const back = this.cutPeers.size && typeof m.from === 'string' ? this.cutPeers.reached(workerId, m.from) : undefined;
    if (back) this.sayPeers([back], now);
    if (!this.journal.listened) return this.flush();
    const ws = this.workers.get(workerId);
    if (!ws) return this.flush();
    const bad = checkTransfer(m);
    const from = bad ? undefined : this.workerAt((m as unknown as TransferReport).from);
    if (bad || !from) {
      if (!this.badTransferFrom.has(ws)) {
        this.badTransferFrom.add(ws);
        const why = bad ? `that are malformed: ${bad}` : `naming peers no worker here has had (the first: ${shortKey((m as unknown as TransferReport).from)})`;
        this.addLog(now, 'info', logLine`ignoring transfer reports from worker ${ws} ${why}`);
      }
      return this.flush();
    }
    const r = m as unknown as TransferReport;
    const keys: string[] = [];
    for (const key of r.keys) {
      const ts = this.tasks.get(key);
      if (ts) keys.push(ts.key);
    }
    // Of tasks all forgotten since (released): nothing left to show it against.
    if (keys.length === 0) return this.flush();
    this.emit({ kind: 'transfer', keys, from: from.name, to: ws.name, fromId: from.id, toId: ws.id, start: r.start, stop: r.stop, bytes: r.bytes });
    return this.flush();
  }

  /**
   * A line a worker logged (`log`), for its page on the dashboard; changes nothing else, so it
   * costs nothing without listeners. Cut at 2,000 characters whatever the worker sent.
   */
  workerLog(workerId: string, time: number, text: string): Command[] {
    const ws = this.workers.get(workerId);
    if (ws && this.journal.listened) this.emit({ kind: 'worker-log', worker: ws.name, workerId: ws.id, time, text: text.length > 2000 ? `${text.slice(0, 2000)}…` : text });
    return this.flush();
  }


  /**
   * A worker's answer to a `steal-request`. Only about a task it is running here: an answer about
   * one that finished or moved meanwhile changes nothing (a steal asked of its new worker is not
   * called off by it).
   */
  stealResponse(workerId: string, key: string, ok: boolean): Command[] {
    const ts = this.tasks.get(key);
    const ws = this.workers.get(workerId);
    if (!ts || !ws || ts.state !== 'processing' || ts.processingOn !== ws) return this.flush();
    const thief = ts.thief;
    ts.thief = null;
    if (!ok) {
      // It runs there (or has just finished): never asked for again while there. The worker it
      // was for, its thread still free, asks for another task (each refusal rules one out: no loop).
      ts.stealRefused = true;
      if (thief && this.workers.get(thief.id) === thief) this.stealFor(thief);
    } else {
      ws.drop(ts);
      ts.processingOn = null;
      this.setState(ts, 'released');
      // The task goes to the worker it was stolen for, if that one still has room; otherwise
      // it is placed afresh.
      if (thief && acceptsWork(thief) && this.workers.get(thief.id) === thief && thief.processing.size < this.capacity(thief, ts.group)) {
        this.assign(ts, thief);
      } else {
        this.compute(ts);
      }
      this.fill(ws);
      this.fillAll();
    }
    return this.flush();
  }
}
