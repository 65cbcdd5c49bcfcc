import type { ClusterEvent } from './source.js';

/**
 * A panel's server side. The aggregator hands every cluster event to {@link ServerView.apply}
 * (which must only record: it runs in the scheduler's event path) and asks each view, once per
 * push, for its part of the delta and, for a newly connected browser, of the state. What a view
 * returns is plain JSON: the same messages draw the live page and replay a recorded feed.
 * While no browser watches, a push only {@link ServerView.fold}s: a view keeps the history a page
 * opened later draws and builds nothing else, so an unwatched dashboard costs almost nothing.
 */
export interface ServerView {
  /** the key of this view's part in `views` of a state or delta message. */
  readonly name: string;
  apply?(e: ClusterEvent): void;
  /** what changed since the previous call, or undefined when nothing did. Called once per push while a browser watches. */
  delta?(now: number): unknown;
  /**
   * A push with no browser watching: record what {@link state} must still show later (a sample
   * of a time series) and nothing more. A view whose state is read from the scheduler's records
   * when asked needs none. What it records here is not in a later {@link delta}: a browser that
   * opens gets it in its state.
   */
  fold?(now: number): void;
  /** everything a browser needs to draw the view from scratch (absent: not on the main feed). */
  state?(now: number): unknown;
}

/**
 * Samples over a time window, oldest first: at most `max` kept, none older than `windowMs`
 * before the newest. Pushing is amortised O(1); what was pushed since the last {@link take}
 * is the delta.
 */
export class Series<T extends { 0: number }> {
  private items: T[] = [];
  private fresh: T[] = [];
  constructor(readonly windowMs: number, readonly max: number) {}

  push(item: T): void {
    this.items.push(item);
    this.fresh.push(item);
    const cut = item[0] - this.windowMs;
    let drop = Math.max(0, this.items.length - this.max);
    while (drop < this.items.length && this.items[drop]![0] < cut) drop++;
    if (drop > 0) this.items.splice(0, drop);
    if (this.fresh.length > this.max) this.fresh.splice(0, this.fresh.length - this.max);
  }

  /** the samples pushed since the previous call. */
  take(): T[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  toArray(): T[] {
    return this.items.slice();
  }

  get length(): number {
    return this.items.length;
  }
}

/** A period on the push clock: {@link due} is true at most once per `periodMs`. */
export class Every {
  private last = -Infinity;
  constructor(readonly periodMs: number) {}
  due(now: number): boolean {
    if (now - this.last < this.periodMs) return false;
    this.last = now;
    return true;
  }
}

/**
 * A view that is a time series sampled once a period (the scheduler's own figures, memory per
 * worker): state `{samples}` (the window), delta `{samples}` (the new ones). An unwatched push
 * still samples, so a page opened later draws the whole window.
 */
export abstract class SampledView<T extends { 0: number }> implements ServerView {
  abstract readonly name: string;
  private readonly series: Series<T>;
  private readonly every: Every;

  constructor(periodMs: number, windowMs: number) {
    this.every = new Every(periodMs);
    this.series = new Series(windowMs, Math.ceil(windowMs / periodMs) + 1);
  }

  /** One sample at `now`. */
  protected abstract sample(now: number): T;

  delta(now: number): { samples: T[] } | undefined {
    this.record(now);
    const fresh = this.series.take();
    return fresh.length ? { samples: fresh } : undefined;
  }

  fold(now: number): void {
    this.record(now);
    this.series.take();
  }

  state(): { samples: T[] } {
    return { samples: this.series.toArray() };
  }

  private record(now: number): void {
    if (this.every.due(now)) this.series.push(this.sample(now));
  }
}
