import type { ReportRecording } from '@gluon/protocol';

/**
 * Records the dashboard's live feed for a performance report, within bounds. Pure bookkeeping
 * (no sockets, no clock): the feed's messages go in as they arrive, the recording comes out.
 *
 * Bounds, so a report of any window stays a file one can attach to a bug report:
 * - task-stream bars: at most `maxBars` are kept; past that every other kept bar is dropped and
 *   from then on only every 2nd (4th, 8th …) new one is kept: a uniform sample of the window;
 * - published values: only each topic's latest value is kept (the page shows no other);
 * - bytes: past `maxBytes` the recording must restart from a fresh full state of the feed
 *   ({@link needsRestart}, then {@link restart}); what came before is dropped, and the page says so.
 *   Until the fresh state arrives, deltas are still kept, their bars sampled to stay under 1.5×
 *   the bound; their other content (views, workers, log, rates) is kept whole, so a slow restart
 *   (the fresh feed takes seconds to connect on a loaded machine) can leave the recording past
 *   1.5× by that content alone. The fresh state is at most half the bound (its bars thinned), unless
 *   its non-bar content alone is bigger. So the report holds at most 1.5 × `maxBytes` of
 *   recording, plus the non-bar content of the deltas that arrived while one restart was pending.
 */

/** Bounds of a recording; see {@link FeedRecorder}. */
export interface ReportLimits {
  /** task-stream bars kept at most (default 25,000; the page keeps 30,000). */
  maxBars: number;
  /** JSON bytes of the recording at most (default 64 MiB). */
  maxBytes: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { maxBars: 25_000, maxBytes: 64 << 20 };

type Msg = Record<string, unknown> & { type: string; time: number };
/** A task-stream bar: `[worker, thread, group, start, stop, kind, …]`. */
type Bar = unknown[];

function bars(m: Msg): Bar[] {
  return Array.isArray(m.stream) ? (m.stream as Bar[]) : [];
}

export class FeedRecorder {
  readonly limits: ReportLimits;
  private messages: Msg[] = [];
  /** JSON bytes of each recorded message (an estimate kept up to date as it is thinned). */
  private sizes: number[] = [];
  private bytes = 0;
  /** the window's start: the first state's time (scheduler clock). */
  private start: number | undefined;
  private barsSeen = 0;
  /** keep 1 new bar in `stride`. */
  private stride = 1;
  private restartedAt: number | null = null;
  /** the feed's own count of bars it left out (cumulative), at the window's start and now. */
  private feedDroppedAtStart: number | undefined;
  private feedDropped = 0;
  /** topic → the recorded message holding its latest value. */
  private readonly topicAt = new Map<string, Msg>();

  constructor(limits: Partial<ReportLimits> = {}) {
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...limits };
    for (const [name, v] of Object.entries(this.limits)) {
      if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`performanceReport: limits.${name} must be a positive integer, got ${String(v)}`);
    }
  }

  /** True once the recording is over its byte bound: start a fresh feed and pass its state to {@link restart}. */
  get needsRestart(): boolean {
    return this.bytes > this.limits.maxBytes && this.messages.length > 1;
  }

  /** Messages recorded so far. */
  get length(): number {
    return this.messages.length;
  }

  /** One message of the feed, as parsed JSON. A `state` (the first, or after a restart) starts afresh. */
  add(m: Msg): void {
    if (m.type === 'state') return this.base(m);
    if (m.type !== 'delta' || this.start === undefined) return; // nothing to apply a delta to
    this.noteFeedDropped(m);
    const stream = bars(m);
    if (stream.length) {
      const kept: Bar[] = [];
      for (let i = 0; i < stream.length; i++) if ((this.barsSeen + i) % this.stride === 0) kept.push(stream[i]!);
      this.barsSeen += stream.length;
      m.stream = kept;
    }
    this.dedupeTopics(m);
    this.push(m);
    if (this.barsKept() > this.limits.maxBars) this.thin();
    // Past the bound the caller opens a fresh feed, and its state replaces all this; until it
    // arrives (seconds on a loaded machine) deltas keep coming. Kept, so a report that ends first
    // loses nothing, but their bars sampled so the recording stays under 1.5× the bound: at load
    // ~16 a pending restart let a 30 kB recording reach 96 kB. Their non-bar content is not
    // bounded here (see the class's JSDoc).
    while (this.bytes > this.limits.maxBytes * 1.5 && this.barsKept() > 1) this.halveBars();
  }

  /** After {@link needsRestart}: the fresh feed's first message, a full state, replaces everything recorded. */
  restart(state: Msg): void {
    this.restartedAt = state.time;
    this.base(state);
  }

  /**
   * The ids of the workers the recording saw, live ones (as of their latest row) first, then by
   * name: whose own pages a report adds (by id: workers may share a name).
   */
  workerIds(): string[] {
    const seen = new Map<string, { name: string; alive: boolean }>();
    for (const m of this.messages) {
      if (!Array.isArray(m.workers)) continue;
      for (const w of m.workers as Array<{ id?: unknown; name?: unknown; alive?: unknown }>) {
        if (typeof w.id === 'string') seen.set(w.id, { name: typeof w.name === 'string' ? w.name : w.id, alive: w.alive !== false });
      }
    }
    return [...seen].sort((a, b) => Number(b[1].alive) - Number(a[1].alive) || a[1].name.localeCompare(b[1].name, 'en', { numeric: true })).map(([id]) => id);
  }

  /** The recording so far, as the report's page reads it. */
  recording(title: string, scheduler: string): ReportRecording {
    const first = this.messages[0];
    if (!first || this.start === undefined) throw new Error('performanceReport: the dashboard sent no state to record');
    return {
      version: 1,
      title,
      start: this.start,
      end: this.messages[this.messages.length - 1]!.time,
      scheduler,
      messages: this.messages,
      bounds: { barsSeen: this.barsSeen, barsKept: this.barsKept(), feedDropped: this.feedDropped, maxBars: this.limits.maxBars, maxBytes: this.limits.maxBytes, restartedAt: this.restartedAt },
    };
  }

  private noteFeedDropped(m: Msg): void {
    if (typeof m.streamDropped !== 'number') return;
    this.feedDroppedAtStart ??= m.streamDropped;
    this.feedDropped = m.streamDropped - this.feedDroppedAtStart;
  }

  private base(state: Msg): void {
    this.start ??= state.time;
    this.noteFeedDropped(state);
    const start = this.start;
    // The window's figures only: bars, throughput points and samples from before it are left out.
    state.stream = bars(state).filter((b) => typeof b[4] !== 'number' || b[4] >= start);
    if (Array.isArray(state.rates)) state.rates = (state.rates as Array<[number]>).filter((r) => r[0] >= start);
    // The views' time series too (views.<name>.samples, each sample [time, …]: memory, the scheduler's own figures).
    for (const view of Object.values((state.views ?? {}) as Record<string, { samples?: unknown } | null>)) {
      if (view && Array.isArray(view.samples)) view.samples = view.samples.filter((x: unknown) => !Array.isArray(x) || typeof x[0] !== 'number' || x[0] >= start);
    }
    this.messages = [];
    this.sizes = [];
    this.bytes = 0;
    this.topicAt.clear();
    this.stride = 1;
    this.dedupeTopics(state);
    this.push(state);
    this.thin();
    // A state is at most half the byte bound (its bars thinned), so the deltas after a restart
    // have room before the next one.
    // (Halving keeps the first of every two, so it stops at one bar: a single bar is negligible.)
    while (this.bytes > this.limits.maxBytes / 2 && this.barsKept() > 1) this.halveBars();
  }

  private push(m: Msg): void {
    const size = JSON.stringify(m).length;
    this.messages.push(m);
    this.sizes.push(size);
    this.bytes += size;
  }

  private barsKept(): number {
    let n = 0;
    for (const m of this.messages) n += bars(m).length;
    return n;
  }

  /** Halves the kept bars until they are within maxBars. */
  private thin(): void {
    while (this.barsKept() > this.limits.maxBars) this.halveBars();
  }

  /** Keeps every other bar (in order across messages) and from now on half as many new ones. */
  private halveBars(): void {
    let k = 0;
    for (let i = 0; i < this.messages.length; i++) {
      const m = this.messages[i]!;
      const stream = bars(m);
      if (!stream.length) continue;
      m.stream = stream.filter(() => k++ % 2 === 0);
      this.resize(i);
    }
    this.stride *= 2;
  }

  /** Keeps only each topic's latest value: earlier messages drop the topics `m` carries. */
  private dedupeTopics(m: Msg): void {
    const topics = m.topics;
    if (!topics || typeof topics !== 'object') return;
    for (const name of Object.keys(topics)) {
      const prev = this.topicAt.get(name);
      if (prev && prev !== m && prev.topics && typeof prev.topics === 'object') {
        delete (prev.topics as Record<string, unknown>)[name];
        const i = this.messages.lastIndexOf(prev);
        if (i >= 0) this.resize(i);
      }
      this.topicAt.set(name, m);
    }
  }

  private resize(i: number): void {
    const size = JSON.stringify(this.messages[i]).length;
    this.bytes += size - this.sizes[i]!;
    this.sizes[i] = size;
  }
}
