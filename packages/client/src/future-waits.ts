/**
 * Waiting on futures as they settle: `wait`'s count of settled futures with its timeout,
 * `asCompleted`'s batches, and the wait for a large map's futures to be built first. None of it
 * asks the scheduler anything: a future's key state settles from the client's messages.
 */
import { checkOptionKeys, type OptionKeys } from '@gluon/protocol';
import type { Future } from './future.js';

/** The options of `Client.wait`. */
export interface WaitOptions {
  /** Give up waiting after this long (the futures keep running). */
  timeoutMs?: number;
  /** `'ALL_COMPLETED'` (default) or `'FIRST_COMPLETED'`. */
  returnWhen?: 'ALL_COMPLETED' | 'FIRST_COMPLETED';
}

const WAIT_OPTIONS: OptionKeys<WaitOptions> = { timeoutMs: true, returnWhen: true };

/**
 * `Client.wait` of checked `futures`: resolves once all are done (or the first, with
 * `returnWhen: 'FIRST_COMPLETED'`) or `timeoutMs` passed, saying which are done.
 */
export async function waitFor<T>(futures: Array<Future<T>>, opts: WaitOptions): Promise<{ done: Array<Future<T>>; notDone: Array<Future<T>> }> {
  checkOptionKeys(opts, WAIT_OPTIONS, 'wait()');
  const when = opts.returnWhen;
  if (when !== undefined && when !== 'ALL_COMPLETED' && when !== 'FIRST_COMPLETED') throw new RangeError(`wait(): returnWhen must be 'ALL_COMPLETED' or 'FIRST_COMPLETED', got ${JSON.stringify(when) ?? String(when)}`);
  const t = opts.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && t >= 0)) throw new RangeError(`wait(): timeoutMs must be a number ≥ 0, got ${String(t)}`);
  // Futures of a map still being built count as not done; the timeout covers their building.
  // One callback per future and a count, not a promise each: a million promises (and their
  // Promise.all) held the event loop for seconds.
  const target = bound(futures).then(() => new Promise<void>((resolve) => {
    let left = opts.returnWhen === 'FIRST_COMPLETED' ? Math.min(1, futures.length) : futures.length;
    const one = (): void => {
      if (--left === 0) resolve();
    };
    if (left === 0) resolve();
    // A released future is done: nothing more comes of it for this caller (see settledBatches).
    for (const f of futures) {
      if (f.isReleased) one();
      else f.state.onSettled(one);
    }
  }));
  if (opts.timeoutMs !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([target, new Promise((r) => (timer = setTimeout(r, opts.timeoutMs)))]);
    clearTimeout(timer);
  } else {
    await target;
  }
  return { done: futures.filter((f) => f.done), notDone: futures.filter((f) => !f.done) };
}

/** Resolves once every future of a large map() among them has been built (see LazyGraph). */
export async function bound(futures: Future[]): Promise<void> {
  // Maps are built in order: once one is bound, so are the ones before it.
  for (let i = futures.length - 1; i >= 0; i--) if (!futures[i]!.isBound) await futures[i]!.whenBound();
}

/**
 * The futures in batches as they settle, in completion order: each batch is every one settled
 * since the last (at least one). asCompleted yields them one by one, asCompletedBatches whole.
 */
export async function* settledBatches<T>(list: Array<Future<T>>): AsyncGenerator<Array<Future<T>>> {
  await bound(list);
  const ready: Array<Future<T>> = [];
  let wake: (() => void) | null = null;
  for (const f of list) {
    // A future released before the iteration is yielded at once (status `released`, its
    // result() a ReleasedFutureError); one released during it once its key settles, which a
    // release of the key's last future does (KeyState.letGo). It was yielded as it had settled
    // before (`finished`), or never, the loop waiting for ever.
    if (f.isReleased) {
      ready.push(f);
      continue;
    }
    f.state.onSettled(() => {
      ready.push(f);
      const w = wake;
      wake = null;
      w?.();
    });
  }
  for (let yielded = 0; yielded < list.length;) {
    if (ready.length === 0) await new Promise<void>((r) => (wake = r));
    const batch = ready.splice(0);
    yielded += batch.length;
    yield batch;
  }
}
