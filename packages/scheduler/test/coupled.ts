/**
 * The scheduler's state machine wired to real worker state machines (@gluon/worker's
 * WorkerState), without sockets or threads: each scheduler command is handed to its worker's
 * state machine, and each worker command back to the scheduler (a task "runs" by finishing at
 * once with a result of the size asked for). Links between workers can be cut: a fetch over a
 * cut link fails, as one through a firewall does. So a test can check what the scheduler thinks
 * each worker holds against what that worker really holds.
 */
import type { FnRef, TaskSpec } from '@gluon/protocol';
import { SchedulerState, type Command, type SchedulerConfig } from '@gluon/scheduler';
import { WorkerState, type ComputeTask, type WorkerCommand } from '@gluon/worker';

export class Coupled {
  readonly state: SchedulerState;
  readonly workers = new Map<string, WorkerState>();
  /** Every command the scheduler returned, in order. */
  readonly log: Command[] = [];
  /** Cut links, as `from → to` data addresses (a fetch by `from` from `to` fails). */
  private readonly cut = new Set<string>();
  /** Result sizes by key (default 100,000 bytes: too big to travel inline). */
  readonly sizes = new Map<string, number>();
  private now = 0;
  private readonly queue: Array<() => void> = [];

  constructor(config: Partial<SchedulerConfig> = {}) {
    this.state = new SchedulerState(config);
  }

  addWorker(id: string, nthreads = 1): void {
    const address = `ws://${id}`;
    this.workers.set(id, new WorkerState({ name: id, address, capacity: nthreads }));
    this.deliver(this.state.workerAdded({ id, name: id, address, nthreads, memoryLimit: 0, host: 'coupled', pid: 1 }, this.now));
  }

  /** The scheduler loses the worker's connection; the worker keeps what it stores. */
  lose(id: string): void {
    this.deliver(this.state.workerRemoved(id, 'connection closed (1006)', this.now));
  }

  /** The worker registers again, saying what it stores (its `holding`). */
  rejoin(id: string, nthreads = 1): void {
    const w = this.workers.get(id)!;
    this.deliver(this.state.workerAdded({ id, name: id, address: w.address, nthreads, memoryLimit: 0, host: 'coupled', pid: 1, keys: w.storedKeys() }, this.now));
  }

  addClient(id: string): void {
    this.deliver(this.state.clientConnected(id, id, this.now));
  }

  submit(client: string, tasks: TaskSpec[], wants = tasks.map((t) => t.key)): void {
    this.deliver(this.state.updateGraph(client, tasks, wants, this.now));
  }

  /** Fetches by worker `from` from worker `to` fail from now on. */
  cutLink(from: string, to: string): void {
    this.cut.add(`ws://${from} → ws://${to}`);
  }

  /** Hands commands on until nothing is left to hand on. */
  deliver(cmds: Command[]): void {
    for (const c of cmds) {
      this.log.push(c);
      if (!('worker' in c.to)) continue;
      const id = c.to.worker;
      const m = c.msg;
      this.queue.push(() => {
        const w = this.workers.get(id);
        if (!w) return;
        if (m.op === 'compute-task') this.fromWorker(id, w.handle({ type: 'compute', task: computeTask(m) }));
        else if (m.op === 'free-keys') this.fromWorker(id, w.handle({ type: 'free-keys', keys: m.keys as string[] }));
        else if (m.op === 'steal-request') this.fromWorker(id, w.handle({ type: 'steal', key: String(m.key) }));
      });
    }
    while (this.queue.length) this.queue.shift()!();
  }

  private fromWorker(id: string, cmds: WorkerCommand[]): void {
    const w = this.workers.get(id)!;
    for (const c of cmds) {
      if (c.type === 'execute') {
        const key = c.key;
        this.queue.push(() => this.fromWorker(id, w.handle({ type: 'done', key, value: `value of ${key}`, nbytes: this.sizes.get(key) ?? 100_000, start: this.now, stop: ++this.now, thread: 0 })));
      } else if (c.type === 'fetch') {
        const peer = c.peer;
        const keys = c.keys;
        this.queue.push(() => {
          const holder = [...this.workers.values()].find((x) => x.address === peer);
          if (this.cut.has(`${w.address} → ${peer}`) || !holder) {
            this.fromWorker(id, w.handle({ type: 'fetch-failed', peer, keys, reason: 'connection timed out' }));
            return;
          }
          const data: Record<string, unknown> = {};
          const missing: string[] = [];
          for (const k of keys) {
            if (holder.has(k)) data[k] = holder.get(k);
            else missing.push(k);
          }
          this.fromWorker(id, w.handle({ type: 'fetched', peer, data, missing }));
        });
      } else if (c.type === 'send') {
        this.queue.push(() => this.deliver(this.toScheduler(id, c.msg)));
      }
    }
  }

  private toScheduler(id: string, m: Record<string, unknown>): Command[] {
    const s = this.state;
    switch (m.op) {
      case 'task-finished': return s.taskFinished(id, m as Parameters<SchedulerState['taskFinished']>[1], this.now);
      case 'missing-data': return s.missingData(id, String(m.key), String(m.errantWorker), m.dependent as string | undefined, this.now);
      case 'handback': return s.handback(id, m.keys as string[]);
      case 'steal-response': return s.stealResponse(id, String(m.key), m.ok === true);
      default: return [];
    }
  }

  /** What the scheduler believes worker `id` holds, against what it holds: keys and bytes. */
  books(id: string): { scheduler: { keys: string[]; bytes: number }; worker: { keys: string[]; bytes: number } } {
    const ws = this.state.workers.get(id)!;
    const w = this.workers.get(id)!;
    return {
      scheduler: { keys: [...ws.has].map((t) => t.key).sort(), bytes: ws.storedBytes },
      worker: { keys: Object.keys(w.storedKeys()).sort(), bytes: w.storedBytes },
    };
  }
}

/** A compute-task message as the worker's shell hands it to its state machine. */
function computeTask(m: Record<string, unknown>): ComputeTask {
  const deps: Record<string, string[]> = {};
  let values: Record<string, unknown> | undefined;
  for (const d of m.deps as Array<{ key: string; holders: string[]; value?: unknown }>) {
    deps[d.key] = d.holders;
    if ('value' in d) (values ??= {})[d.key] = d.value;
  }
  return { key: String(m.key), fn: m.fn as FnRef, args: m.args as unknown[], deps, priority: m.priority as number[], ...(values ? { values } : {}) };
}
