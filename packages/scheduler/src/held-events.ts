import { Listeners } from './dashboard/listeners.js';

/**
 * The state machine's dashboard events and their listeners (the live feed, `/metrics`): the one
 * list of them, the journal's (journal.ts). Held back while the server handles a peer's message
 * and passed on once it has been; not held, passed on at once.
 *
 * A task's events (its state changes, `task-done`) are emitted inside the state machine's
 * handling of `update-graph` and `task-finished`, before the `compute-task` or `key-in-memory`
 * it decides is even queued, and the feed's and the metrics' bookkeeping of them ran there too:
 * ~3 µs of each sequential round trip, before its answer (bench/scheduler.ts (b);
 * docs/internals.md, "(b): the scheduler's window from a frame to its answer"). Held, they are
 * passed on after the answer has been written, while the peer it woke works: a connection writes
 * what a received frame's handlers sent as that frame's handling ends (protocol's connection.ts),
 * and the server releases the events in a microtask, which runs after that. Order is kept: an
 * event emitted while none is held first passes on those that are.
 */
export class HeldEvents<E> {
  private readonly listeners = new Listeners<E>();
  private held: E[] = [];
  private holding = false;

  /**
   * Told when a listener throws, instead of the emitter: the server logs it. By default it is
   * thrown on, as a listener's error was before there was holding (a state machine used alone).
   */
  onError: (err: unknown) => void;

  constructor(onError?: (err: unknown) => void) {
    this.onError = onError ?? ((err) => {
      throw err;
    });
  }

  /** How many listen (events that cost something to build are skipped while none do). */
  get size(): number {
    return this.listeners.size;
  }

  /** A listener sees every event from now on (none held from before); call the result to stop. */
  subscribe(listener: (e: E) => void): () => void {
    this.release();
    return this.listeners.subscribe(listener);
  }

  /** From now until {@link stop}, events are kept instead of passed on. */
  hold(): void {
    this.holding = true;
  }

  /** Stops holding; true when events wait for {@link release}. */
  stop(): boolean {
    this.holding = false;
    return this.held.length > 0;
  }

  emit(e: E): void {
    // Nobody to pass it to (one may subscribe later, but sees only what follows).
    if (this.listeners.size === 0) return;
    if (this.holding) {
      this.held.push(e);
      return;
    }
    if (this.held.length > 0) this.release();
    this.pass(e);
  }

  /** Passes on the events held, in order. */
  release(): void {
    if (this.held.length === 0) return;
    const events = this.held;
    this.held = [];
    for (const e of events) this.pass(e);
  }

  /** A listener that throws is the dashboard's fault: said, not thrown into the server's microtask. */
  private pass(e: E): void {
    try {
      this.listeners.emit(e);
    } catch (err) {
      this.onError(err);
    }
  }
}
