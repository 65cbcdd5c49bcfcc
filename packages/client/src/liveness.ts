/**
 * Whether a client keeps the process alive. A script that forgot `await client.close()` (or
 * `cluster.close()`) hung for ever after its work, silently: the scheduler connection (and a
 * LocalCluster's processes) kept Node's event loop going. Now the connection holds the process
 * only while the script waits on something from it — a task not yet done, a fetch or a request
 * under way, a graph still being sent, a reconnect — and lets go once none is left, so the
 * script ends as any Node program does when it has nothing left to do; `beforeExit` then closes
 * what was left open (exit-close.ts, local-cluster.ts), as Dask's LocalCluster closes itself at exit.
 *
 * Taking hold is synchronous, on every call that starts something the script may wait on (a
 * submit, a fetch, a request): were it left to the next check, an `await` started on an idle
 * client would find nothing keeping the process alive and the process would end under it.
 * Letting go is lazy: an unref'd check every {@link CHECK_MS} while held.
 */
export const CHECK_MS = 500;

export class Liveness {
  private held = true;
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `setRef`: makes the connection keep the process alive, or not; `busy`: whether the script
   * may still be waiting on the client besides the tracked promises (tasks not done, unsent work).
   */
  constructor(private readonly setRef: (on: boolean) => void, private readonly busy: () => boolean) {
    this.watch();
  }

  /** Something the script may wait on starts: hold the process now. */
  hold(): void {
    if (!this.held) {
      this.held = true;
      this.setRef(true);
    }
    if (this.timer === undefined) this.watch();
  }

  /** Holds the process until `p` settles (a fetch, a request). */
  track<T>(p: Promise<T>): Promise<T> {
    this.hold();
    this.inflight++;
    return p.finally(() => { this.inflight--; });
  }

  /** A new connection (after a reconnect) takes the current hold. */
  apply(): void {
    this.setRef(this.held);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private watch(): void {
    this.timer = setInterval(() => {
      if (this.inflight > 0 || this.busy()) return;
      this.held = false;
      this.setRef(false);
      this.stop();
    }, CHECK_MS);
    this.timer.unref();
  }
}
