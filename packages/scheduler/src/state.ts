import type { ClusterEvent } from './dashboard/source.js';
import { ClientSessions } from './client-sessions.js';
import type { HeldEvents } from './held-events.js';

export { DEFAULT_CONFIG, type SchedulerConfig } from './config.js';
export type { Command } from './outbox.js';

/**
 * The scheduler's decisions, as a pure state machine: each method takes an event (with the
 * time it happened) and returns the messages to send. No sockets, no timers; the server feeds it
 * and delivers what it returns, so every rule here is testable on its own.
 *
 * Written in layers, each a module of its own, each extending the one before:
 * - transitions.ts: how a task moves between states, where it is placed, shared bookkeeping;
 * - module-refusals.ts: task modules workers refuse (their allow-lists), kept off them, waited for or failed;
 * - notices.ts: what is said to everyone about a stuck cluster (memory stalls, cut peers);
 * - worker-events.ts: workers joining, leaving, expiring, their liveness, the periodic tick;
 * - worker-reports.ts: what workers report about tasks (finished, erred, missing data, steals);
 * - retirement.ts: a retiring worker's results copied to other workers before it leaves;
 * - client-sessions.ts: clients connecting, sending graphs, releasing, cancelling, retrying.
 */
export class SchedulerState extends ClientSessions {
  /** Dashboard events: a listener sees every event from now on; call the result to stop. */
  subscribe(listener: (e: ClusterEvent) => void): () => void {
    return this.journal.subscribe(listener);
  }

  /** The listeners of {@link subscribe}, and the events held for them while the server handles a peer's message (held-events.ts). */
  get events(): HeldEvents<ClusterEvent> {
    return this.journal.events;
  }
}
