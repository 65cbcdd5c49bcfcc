/**
 * A deterministic stand-in for the network around {@link SchedulerState}: simulated workers run
 * the tasks the state machine sends them, in order, and answer steals the way real workers do.
 * Tests and the state-machine benchmark drive the real state machine through it; no sockets and
 * no timers, and the clock only moves when the caller moves it.
 */
import type { TaskSpec } from '@gluon/protocol';
import { SchedulerState, type Command, type SchedulerConfig } from '@gluon/scheduler';

/** These tests name a task's function after its key's prefix (`inc-3` runs `inc`). */
function exportOf(key: string): string {
  const i = key.lastIndexOf('-');
  return i > 0 ? key.slice(0, i) : key;
}

/** A task spec whose arguments reference its dependencies. */
export function task(key: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return { key, fn: { module: 'tasks', export: exportOf(key) }, args: deps.map((d) => ({ __gluonRef: d })), deps, ...extra };
}

/** The messages of one op among commands, optionally only those for one recipient. */
/** A compute-task's dependencies as key → holder addresses. */
export function depsOf(m: Command['msg']): Record<string, string[]> {
  return Object.fromEntries((m.deps as Array<{ key: string; holders: string[] }>).map((d) => [d.key, d.holders]));
}

/** The values a compute-task carries, as key → value; undefined when it carries none. */
export function valuesOf(m: Command['msg']): Record<string, unknown> | undefined {
  const sent = (m.deps as Array<{ key: string; value?: unknown }>).filter((d) => 'value' in d);
  return sent.length ? Object.fromEntries(sent.map((d) => [d.key, d.value])) : undefined;
}

export function ops(cmds: Command[], op: string, to?: string): Command['msg'][] {
  return cmds
    .filter((c) => c.msg.op === op && (to === undefined || ('worker' in c.to ? c.to.worker : c.to.client) === to))
    .map((c) => c.msg);
}

/** Keys of the `compute-task` commands, per worker id. */
export function computed(cmds: Command[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of cmds) if (c.msg.op === 'compute-task' && 'worker' in c.to) (out[c.to.worker] ??= []).push(String(c.msg.key));
  return out;
}

export class Sim {
  readonly state: SchedulerState;
  now = 0;
  /** Tasks each simulated worker was told to run, in arrival order. */
  readonly inbox = new Map<string, string[]>();
  /** Everything each client was sent (only when keeping the log). */
  readonly clientMsgs = new Map<string, Command['msg'][]>();
  /** Every command ever returned, in order. */
  readonly log: Command[] = [];

  constructor(config: Partial<SchedulerConfig> = {}, private readonly keepLog = true) {
    this.state = new SchedulerState(config);
  }

  /** Delivers commands to the simulated workers and clients; returns them for assertions. */
  apply(cmds: Command[]): Command[] {
    for (const c of cmds) {
      if (this.keepLog) this.log.push(c);
      if ('client' in c.to) {
        if (!this.keepLog) continue;
        let box = this.clientMsgs.get(c.to.client);
        if (!box) this.clientMsgs.set(c.to.client, (box = []));
        box.push(c.msg);
        continue;
      }
      const inbox = this.inbox.get(c.to.worker);
      if (!inbox) continue;
      const m = c.msg;
      if (m.op === 'compute-task') inbox.push(String(m.key));
      else if (m.op === 'free-keys') {
        const drop = new Set(m.keys as string[]);
        const kept = inbox.filter((k) => !drop.has(k));
        inbox.length = 0;
        inbox.push(...kept);
      } else if (m.op === 'steal-request') this.pendingSteals.push({ worker: c.to.worker, key: String(m.key) });
    }
    return cmds;
  }

  private readonly pendingSteals: Array<{ worker: string; key: string }> = [];

  /** A worker registers; `name` and `address` default to its id and `ws://<id>`, `running` lists tasks it still runs from before. */
  addWorker(id: string, nthreads = 1, keys?: Record<string, number>, opts: { name?: string; address?: string; running?: string[] } = {}): Command[] {
    this.inbox.set(id, []);
    return this.apply(this.state.workerAdded({
      id, name: opts.name ?? id, address: opts.address ?? `ws://${id}`, nthreads, memoryLimit: 0, host: 'sim', pid: 1,
      ...(keys ? { keys } : {}), ...(opts.running ? { running: opts.running } : {}),
    }, this.now));
  }

  /** A client that reconnected re-sends its graph, naming where it saw finished results and the workers it knew of. */
  resubmit(client: string, tasks: TaskSpec[], wants: string[], held: Record<string, string[]>, workers?: string[]): Command[] {
    return this.apply(this.state.updateGraph(client, tasks, wants, this.now, held, workers));
  }

  /** A later frame of a graph a reconnected client re-sends (it says `resend`, and names no holders). */
  resubmitMore(client: string, tasks: TaskSpec[], wants: string[]): Command[] {
    return this.apply(this.state.updateGraph(client, tasks, wants, this.now, undefined, undefined, true));
  }

  /** Advances the clock to `now` and runs the scheduler's periodic check. */
  tick(now: number): Command[] {
    this.now = now;
    return this.apply(this.state.tick(now).commands);
  }

  removeWorker(id: string, reason = 'killed', clean = false): Command[] {
    this.inbox.delete(id);
    return this.apply(this.state.workerRemoved(id, reason, this.now, clean));
  }

  addClient(id: string): Command[] {
    this.clientMsgs.set(id, []);
    return this.apply(this.state.clientConnected(id, id, this.now));
  }

  submit(client: string, tasks: TaskSpec[], wants: string[] = tasks.map((t) => t.key)): Command[] {
    return this.apply(this.state.updateGraph(client, tasks, wants, this.now));
  }

  /** The worker finishes a task it holds, taking `ms` of simulated time. */
  finish(worker: string, key: string, opts: { nbytes?: number; value?: unknown; ms?: number; events?: number } = {}): Command[] {
    const inbox = this.inbox.get(worker);
    if (inbox) {
      const i = inbox.indexOf(key);
      if (i >= 0) inbox.splice(i, 1);
    }
    const start = this.now;
    this.now += opts.ms ?? 1;
    return this.apply(this.state.taskFinished(worker, {
      key, nbytes: opts.nbytes ?? 8, typeName: 'number', start, stop: this.now, thread: 0,
      ...('value' in opts ? { value: opts.value, hasValue: true } : {}), ...(opts.events !== undefined ? { events: opts.events } : {}),
    }));
  }

  /** The worker reports an exception from a task. */
  err(worker: string, key: string, message = 'boom', kind?: 'exception' | 'worker-died'): Command[] {
    const inbox = this.inbox.get(worker);
    if (inbox) inbox.splice(inbox.indexOf(key), 1);
    return this.apply(this.state.taskErred(worker, { key, error: { message, name: 'Error', stack: `Error: ${message}` }, ...(kind ? { kind } : {}) }, this.now));
  }

  /** The worker will not import the task's module (its allow-list): it ran nothing. */
  refuse(worker: string, key: string, reason = 'not an allowed task module', mayLift = false): Command[] {
    const inbox = this.inbox.get(worker);
    if (inbox && inbox.includes(key)) inbox.splice(inbox.indexOf(key), 1);
    const module = this.state.tasks.get(key)?.fn.module ?? 'tasks';
    return this.apply(this.state.taskRefused(worker, { key, module, reason, mayLift }, this.now));
  }

  /** A module the worker refused passes its check now. */
  accepts(worker: string, module: string): Command[] {
    return this.apply(this.state.moduleAccepted(worker, module, this.now));
  }

  /**
   * Answers pending steal requests like a worker does: yes for tasks it has not started (beyond
   * its first `nthreads` tasks), no otherwise.
   */
  answerSteals(): Command[] {
    const out: Command[] = [];
    for (const { worker, key } of this.pendingSteals.splice(0)) {
      const inbox = this.inbox.get(worker);
      const w = this.state.workers.get(worker);
      if (!inbox || !w) continue;
      const i = inbox.indexOf(key);
      const ok = i >= w.nthreads;
      if (ok) inbox.splice(i, 1);
      out.push(...this.apply(this.state.stealResponse(worker, key, ok)));
    }
    return out;
  }

  /** Runs every worker's tasks (the oldest first, round robin) until nothing is left; bounded. */
  drain(maxSteps = 1_000_000): number {
    let steps = 0;
    for (;;) {
      let progressed = false;
      for (const [id, inbox] of this.inbox) {
        const key = inbox[0];
        if (key === undefined) continue;
        this.finish(id, key);
        progressed = true;
        if (++steps > maxSteps) throw new Error(`drain did not finish within ${maxSteps} steps`);
      }
      this.answerSteals();
      if (!progressed) return steps;
    }
  }
}
