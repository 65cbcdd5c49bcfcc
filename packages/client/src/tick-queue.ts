/**
 * What one turn of the event loop queued for the scheduler: task specs, wants and releases. They
 * leave together, as one graph update and one release message, into the outbox behind what is on
 * its way already: a loop of submits within one tick costs one message, not one each.
 */
import type { TaskSpec } from '@gluon/protocol';
import type { GraphOutbox } from './outbox.js';

export class TickQueue {
  private tasks: TaskSpec[] = [];
  /** Keys of the queued specs that no held key's state stands for (see {@link spec}). */
  private readonly specKeys = new Set<string>();
  private wants: string[] = [];
  private releases: string[] = [];

  constructor(private readonly outbox: GraphOutbox) {}

  /** Whether a spec of `key` that is not held was queued (the scheduler gets it ahead of what follows). */
  hasSpec(key: string): boolean {
    return this.specKeys.has(key);
  }

  /**
   * Queues a spec to be sent. A spec of a key being held at once (`held`) needs no entry in
   * the spec keys: the key's state stands for it.
   */
  spec(spec: TaskSpec, held: boolean): void {
    this.releasesFirst();
    if (!held) this.specKeys.add(spec.key);
    this.tasks.push(spec);
  }

  /** Queues a want of `key` (callers holding a new key put {@link releasesFirst} ahead of it). */
  want(key: string): void {
    this.wants.push(key);
  }

  /** Queues the release of `key`. */
  release(key: string): void {
    this.releases.push(key);
  }

  /**
   * A spec or want is about to be queued while releases of this tick wait: they go ahead of it.
   * (Queued after it, the release of a key submitted again in the same tick came after its new
   * want, and the scheduler let go of a key the client holds.)
   */
  releasesFirst(): void {
    if (this.releases.length) this.toOutbox();
  }

  /** Moves what this tick queued into the outbox, behind what is already there, to keep order. */
  toOutbox(): void {
    if (this.tasks.length || this.wants.length) {
      this.outbox.pushGraph(this.tasks, this.wants);
      this.tasks = [];
      this.wants = [];
      this.specKeys.clear();
    }
    if (this.releases.length) {
      this.outbox.pushMessage({ op: 'release-keys', keys: this.releases });
      this.releases = [];
    }
  }

  /** Drops everything queued: a reconnect re-sends the whole held graph, which covers it. */
  clear(): void {
    this.tasks = [];
    this.wants = [];
    this.specKeys.clear();
    this.releases = [];
  }

  /** Task specs queued. */
  get taskCount(): number {
    return this.tasks.length;
  }

  /** Specs, wants and releases queued. */
  get length(): number {
    return this.tasks.length + this.wants.length + this.releases.length;
  }
}
