import { ModuleRefusals } from './module-refusals.js';
import { StallWatches, type KindedNotice } from './memory-stall.js';
import { UnreachablePeers, type PeerNotice } from './unreachable-peers.js';
import { LostClientWaitWatch, type LostClient } from './lost-client-wait.js';
import { SilentWorkers, SILENT_WORKER_KIND, silenceHoldMs, type SilentNotice } from './silent-workers.js';

/**
 * What the scheduler says about a stuck cluster: memory stalls and lost workers
 * (memory-stall.ts), tasks waiting behind a lost client's (lost-client-wait.ts), workers that cannot reach each other (unreachable-peers.ts),
 * workers with tasks that have gone silent (silent-workers.ts). Each notice
 * goes to the log, the event log and every client (`warning`); a client that connects while one
 * is in force is told at once. The rest of the state machine (worker-events.ts,
 * worker-reports.ts, client-sessions.ts) reports the conditions; never used alone.
 */
export abstract class Notices extends ModuleRefusals {
  /** Tasks waiting while every worker is paused for memory, or none is left: said once per episode (memory-stall.ts). */
  protected readonly stall = new StallWatches(this.config.memoryStallMs);

  /** Clients whose connection was lost, kept for their return (client-sessions.ts clientLost), by id. */
  protected readonly lostClients = new Map<string, LostClient>();
  /** Tasks waiting behind a lost client's running tasks (lost-client-wait.ts). */
  protected readonly lostWait = new LostClientWaitWatch(this.config.memoryStallMs);

  /** Workers that cannot reach each other's data ports (unreachable-peers.ts); the last notice said, for the server's log. */
  protected readonly cutPeers = new UnreachablePeers();
  lastPeerNotice: PeerNotice | undefined;
  protected sayPeers(notices: PeerNotice[], now: number): void {
    for (const n of notices) {
      this.lastPeerNotice = n;
      this.addLog(now, n.active ? 'stuck' : 'unstuck', n.text);
      for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', kind: 'unreachable-peer', ...n });
    }
  }

  /** Workers with tasks not heard from for a third of the TTL (at least the stall notices' hold): said once each, and their end (silent-workers.ts). */
  protected readonly silent = new SilentWorkers(silenceHoldMs(this.config.heartbeatTtlMs, this.config.memoryStallMs), this.config.heartbeatTtlMs);
  /** What {@link saySilent} said since the last tick, for the scheduler's own log (the tick returns it). */
  protected silentSaid: string[] = [];
  protected saySilent(notices: readonly SilentNotice[], now: number): void {
    for (const n of notices) {
      this.addLog(now, n.active ? 'stuck' : 'unstuck', n.text);
      this.silentSaid.push(n.text);
      for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', kind: SILENT_WORKER_KIND, ...n });
    }
  }

  protected sayStall(notice: KindedNotice, now: number): void {
    this.addLog(now, notice.active ? 'stuck' : 'unstuck', notice.text);
    for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', ...notice });
  }

  /** The notices in force, told to a client that has just connected. */
  protected tellNotices(clientId: string): void {
    for (const stall of this.stall.current) this.send({ client: clientId }, { op: 'warning', ...stall });
    if (this.lostWait.current) this.send({ client: clientId }, { op: 'warning', kind: 'lost-client-work', ...this.lostWait.current });
    for (const cut of this.cutPeers.current) this.send({ client: clientId }, { op: 'warning', kind: 'unreachable-peer', ...cut });
    for (const quiet of this.silent.current) this.send({ client: clientId }, { op: 'warning', kind: SILENT_WORKER_KIND, ...quiet });
    for (const [module, h] of this.held) if (h.notice !== null) this.send({ client: clientId }, { op: 'warning', kind: 'refused-module', active: true, text: h.notice, about: module });
  }
}
