/** Registrations since a registry was made after which, once none is left, it is replaced (see {@link FutureRegistry}). */
export const FRESH_REGISTRY_AFTER = 4096;

/**
 * The garbage collector's watch over a client's futures: `onCollected(held)` once a future
 * registered unreleased is collected; a released future is unregistered.
 *
 * A FinalizationRegistry keeps its unregister tokens in a hash table that grows with the most
 * futures registered at once and does not shrink as they are unregistered (V8 shrinks it only as
 * it cleans up collected ones): 4 MiB of the client's heap after 100k futures were all released,
 * 32 MiB after 1M (bench/client-rss.ts), kept for the life of the client. So once no future is
 * left registered with it (each released or collected), a registry that took more than
 * {@link FRESH_REGISTRY_AFTER} is replaced by a fresh one, and the old one goes with its table.
 * A client that keeps a future of a big run keeps that run's table (~40 bytes per future that
 * was registered at once) until it lets the future go.
 */
export class FutureRegistry<T> {
  private registry!: FinalizationRegistry<T>;
  /** Registered with {@link registry} and neither unregistered nor collected since. */
  private live = 0;
  /** Registered with {@link registry} since it was made. */
  private registered = 0;
  /** Registries made so far (the first included): for tests. */
  made = 0;

  constructor(private readonly onCollected: (held: T) => void) {
    this.fresh();
  }

  /** Futures registered and neither unregistered nor collected. */
  get size(): number {
    return this.live;
  }

  /** Watches `target` (a future): `onCollected(held)` once it is collected, unless unregistered first. */
  register(target: object, held: T): void {
    this.registry.register(target, held, target);
    this.live++;
    this.registered++;
  }

  /** Stops watching `target` (released); nothing if it was not registered. */
  unregister(target: object): void {
    if (this.registry.unregister(target)) this.gone();
  }

  private fresh(): void {
    const registry = new FinalizationRegistry<T>((held) => {
      // Only the current registry has futures registered: one is replaced once it has none.
      if (registry === this.registry) this.gone();
      this.onCollected(held);
    });
    this.registry = registry;
    this.registered = 0;
    this.made++;
  }

  private gone(): void {
    if (--this.live === 0 && this.registered > FRESH_REGISTRY_AFTER) this.fresh();
  }
}
