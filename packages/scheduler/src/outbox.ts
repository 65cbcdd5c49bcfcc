import type { Message } from '@gluon/protocol';

/** Where a command goes: a worker or a client, by id. */
export interface Command {
  to: { worker: string } | { client: string };
  msg: Message;
}

/**
 * Most bytes of keys one `free-keys` message carries, counted at 3 bytes a character (UTF-8's
 * most for a UTF-16 unit) plus 5 of framing per key, so that a message stays under the smallest
 * message limit a side may set (`--max-message-bytes` is at least 64 KiB) even when its last
 * key is the longest allowed (4,096 characters: 12 KiB more). A run over it starts a new
 * message. The open run had no bound: a client leaving with 400,000 results held freed them
 * in one 8.0 MiB message, which a scheduler at `--max-message-bytes 8MiB` refused to send
 * ("not sending to worker …"), and the worker kept the 400,000 results for ever.
 */
export const FREE_KEYS_MESSAGE_BUDGET = 48 * 1024;

/** What {@link FREE_KEYS_MESSAGE_BUDGET} counts for one key. */
function keyCost(key: string): number {
  return 3 * key.length + 5;
}

/** A worker's free-keys message still open for appending, and its keys' cost so far. */
interface OpenFree {
  keys: string[];
  cost: number;
}

/**
 * The messages one event of the state machine decided to send, in decision order. Consecutive
 * `free-keys` to one worker become one message (releasing 50,000 keys is a few dozen messages
 * per worker, not 50,000; each at most {@link FREE_KEYS_MESSAGE_BUDGET}); anything else sent to
 * that worker closes the run, so the worker sees every message in decision order.
 */
export class Outbox {
  private out: Command[] = [];
  /** The free-keys message still open for appending, per worker id. */
  private readonly openFree = new Map<string, OpenFree>();

  constructor(private readonly freeBudget = FREE_KEYS_MESSAGE_BUDGET) {}

  send(to: Command['to'], msg: Message): void {
    if ('worker' in to) {
      if (msg.op === 'free-keys') {
        for (const k of msg.keys as string[]) this.free(to.worker, k);
        return;
      } else if (this.openFree.size) {
        this.openFree.delete(to.worker);
      }
    }
    this.out.push({ to, msg });
  }

  /**
   * `send` of a free-keys message for one key, without building one: releasing a million tasks
   * frees a million keys, and each appends to its worker's open message while it has room.
   */
  free(worker: string, key: string): void {
    const cost = keyCost(key);
    const open = this.openFree.get(worker);
    if (open && open.cost < this.freeBudget) {
      open.keys.push(key);
      open.cost += cost;
      return;
    }
    const keys = [key];
    this.openFree.set(worker, { keys, cost });
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
