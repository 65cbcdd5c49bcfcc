import type { Message } from '@gluon/protocol';

/** Where a command goes: a worker or a client, by id. */
export interface Command {
  to: { worker: string } | { client: string };
  msg: Message;
}

/**
 * The messages one event of the state machine decided to send, in decision order. Consecutive
 * `free-keys` to one worker become one message (releasing 50,000 keys is one message per
 * worker, not 50,000); anything else sent to that worker closes the run, so the worker sees
 * every message in decision order.
 */
export class Outbox {
  private out: Command[] = [];
  /** The keys array of the free-keys message still open for appending, per worker id. */
  private readonly openFree = new Map<string, string[]>();

  send(to: Command['to'], msg: Message): void {
    if ('worker' in to) {
      if (msg.op === 'free-keys') {
        const open = this.openFree.get(to.worker);
        if (open) {
          for (const k of msg.keys as string[]) open.push(k);
          return;
        }
        this.openFree.set(to.worker, msg.keys as string[]);
      } else if (this.openFree.size) {
        this.openFree.delete(to.worker);
      }
    }
    this.out.push({ to, msg });
  }

  /**
   * `send` of a free-keys message for one key, without building one: releasing a million tasks
   * frees a million keys, and each appends to its worker's open message.
   */
  free(worker: string, key: string): void {
    const open = this.openFree.get(worker);
    if (open) {
      open.push(key);
      return;
    }
    const keys = [key];
    this.openFree.set(worker, keys);
    this.out.push({ to: { worker }, msg: { op: 'free-keys', keys } });
  }

  /** Everything queued so far, emptied. */
  take(): Command[] {
    const out = this.out;
    this.out = [];
    // Only when something is open: clear() on an empty Map still makes it a new empty table, and
    // most events (a task finished, nothing freed) open none.
    if (this.openFree.size) this.openFree.clear();
    return out;
  }
}
