import { Worker as Thread } from 'node:worker_threads';
import type { RunRequest, ThreadReply } from './thread.js';

/** A task handed to the pool: where its code is and its arguments, already resolved. */
export interface PoolTask {
  key: string;
  url: string;
  exportName: string;
  args: unknown[];
  /** Dependency values for the `{__gluonRef}` placeholders in `args`. */
  data: Record<string, unknown>;
}

export type PoolResult =
  | { ok: true; value: unknown; start: number; stop: number; thread: number; events?: number }
  | { ok: false; error: { name: string; message: string; stack: string }; start: number; stop: number; thread: number; died: boolean };

interface Slot {
  thread: Thread;
  index: number;
  inFlight: Map<number, { task: PoolTask; done: (r: PoolResult) => void }>;
}

/** How many tasks a thread holds at once: one running, one ready so it never waits for us. */
const DEPTH = 2;

/**
 * A fixed set of worker threads started once. A task that kills its thread (process.exit, a
 * fatal error) fails with `died: true` and the thread is replaced; other tasks queued on that
 * thread go back to the pool.
 */
export class ThreadPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ task: PoolTask; done: (r: PoolResult) => void }> = [];
  private nextId = 1;
  private closing = false;

  constructor(readonly size: number, private readonly workerName: string, private readonly onPublish: (topic: string, value: unknown) => void) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  /** How many tasks the pool takes at once without queueing them itself. */
  get capacity(): number {
    return this.size * DEPTH;
  }

  /** Tasks inside threads right now. */
  get executing(): number {
    let n = 0;
    for (const s of this.slots) n += s.inFlight.size;
    return n;
  }

  /** Whether a thread can take a task without queueing behind more than one other. */
  get hasRoom(): boolean {
    return this.slots.some((s) => s.inFlight.size < DEPTH);
  }

  run(task: PoolTask): Promise<PoolResult> {
    return new Promise((done) => {
      this.waiting.push({ task, done });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length) {
      let best: Slot | null = null;
      for (const s of this.slots) if (s.inFlight.size < DEPTH && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (!best) return;
      const { task, done } = this.waiting.shift()!;
      const id = this.nextId++;
      // An idle pool must not keep the process alive, a busy one must: ref while it holds work.
      if (best.inFlight.size === 0) best.thread.ref();
      best.inFlight.set(id, { task, done });
      const req: RunRequest = { type: 'run', id, key: task.key, url: task.url, exportName: task.exportName, args: task.args, data: task.data };
      try {
        best.thread.postMessage(req);
      } catch (err) {
        best.inFlight.delete(id);
        if (best.inFlight.size === 0) best.thread.unref();
        done({ ok: false, error: { name: 'DataCloneError', message: `arguments of ${task.key} cannot be passed to a thread: ${(err as Error).message}`, stack: '' }, start: Date.now(), stop: Date.now(), thread: best.index, died: false });
      }
    }
  }

  private spawn(index: number): Slot {
    const thread = new Thread(new URL('./thread.js', import.meta.url), { workerData: { worker: this.workerName } });
    const slot: Slot = { thread, index, inFlight: new Map() };
    thread.on('message', (m: ThreadReply) => {
      if (m.type === 'publish') return this.onPublish(m.topic, m.value);
      const entry = slot.inFlight.get(m.id);
      if (!entry) return;
      slot.inFlight.delete(m.id);
      if (slot.inFlight.size === 0) thread.unref();
      if (m.type === 'done') entry.done({ ok: true, value: m.value, start: m.start, stop: m.stop, thread: index, ...(m.events !== undefined ? { events: m.events } : {}) });
      else entry.done({ ok: false, error: m.error, start: m.start, stop: m.stop, thread: index, died: false });
      this.pump();
    });
    thread.on('error', (err) => this.threadDied(slot, `thread crashed: ${err.message}`, err.stack ?? ''));
    thread.on('exit', (code) => this.threadDied(slot, `the task ended its thread (exit code ${code})`, ''));
    thread.unref();
    return slot;
  }

  private threadDied(slot: Slot, message: string, stack: string): void {
    if (this.slots[slot.index] !== slot) return;
    const entries = [...slot.inFlight.values()];
    slot.inFlight.clear();
    if (!this.closing) this.slots[slot.index] = this.spawn(slot.index);
    const now = Date.now();
    // Threads run their queue in order: the first in flight was the one running.
    const [culprit, ...rest] = entries;
    if (culprit) culprit.done({ ok: false, error: { name: 'WorkerThreadDied', message, stack }, start: now, stop: now, thread: slot.index, died: true });
    for (const e of rest.reverse()) this.waiting.unshift(e);
    if (!this.closing) this.pump();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
  }
}
