import type { WebSocket } from 'ws';
import { CloseCode, closeWithin, hopProbe } from '@gluon/protocol';
import { Aggregator, type AggregatorLimits, type LiveDelta, type LiveState } from './aggregate.js';
import { boundedValue, toJson } from './json.js';
import { GraphView } from './graph-view.js';
import { MemoryView } from './memory-view.js';
import { OccupancyView } from './occupancy-view.js';
import { processSampler, SchedulerView, type ProcessSampler, type SelfSampler } from './scheduler-view.js';
import type { DashboardSource } from './source.js';
import { WorkerPages } from './worker-view.js';

/** Tuning of the live feed. */
export interface FeedOptions {
  /** push period (ms); default 250, i.e. 4 Hz. */
  intervalMs: number;
  /** a browser with more than this many bytes not yet sent is skipped until it drains; default 4 MiB. */
  maxBufferedBytes: number;
  /**
   * a browser skipped this many pushes in a row (it has not read `maxBufferedBytes` for that
   * long) is not reading: it is dropped with 4010; default 120, i.e. 30 s at 4 Hz.
   */
  maxSkippedPushes: number;
  /** a published value whose JSON is larger is replaced by a note; default 2 MiB. */
  maxTopicBytes: number;
  limits?: Partial<AggregatorLimits>;
  /** the scheduler process's figures (CPU, RSS, loop lag); default: this process's. */
  sampler?: SelfSampler;
}

export const DEFAULT_FEED: FeedOptions = { intervalMs: 250, maxBufferedBytes: 4 << 20, maxSkippedPushes: 120, maxTopicBytes: 2 << 20 };

/**
 * Live feeds (browsers' pages, performance reports) served at once unless configured otherwise
 * (`--dashboard-max-feeds`). A feed that does not read holds up to `maxBufferedBytes` (4 MiB) of
 * pushes plus the one it was sent last before it is skipped, and is dropped after
 * `maxSkippedPushes` (30 s): 64 such feeds hold at most ~256 MiB beyond the messages they share,
 * the scheduler's own `--max-send-backlog` for one connection. No cap let one script opening
 * feeds in a loop grow the scheduler without bound.
 */
export const DEFAULT_MAX_FEEDS = 64;

/**
 * Live feeds one address may hold at once unless configured otherwise
 * (`--dashboard-max-feeds-per-address`). The total cap alone let one address (a script opening
 * feeds in a loop, a browser with every page of the dashboard open) take every feed and lock
 * every other viewer out. 16 leaves three quarters of the default 64 to the others; a person
 * opens a few pages. Everyone behind one address (an SSH tunnel, a NAT, a reverse proxy not
 * given as trusted) shares it.
 */
export const DEFAULT_MAX_FEEDS_PER_ADDRESS = 16;

/** Which cap refuses a feed: every feed the dashboard serves taken, or every one its address may hold. */
export type FeedCap = 'total' | 'per-address';

/** The caps on the live feeds (see {@link feedCapReached}). */
export interface FeedCaps {
  /** feeds served at once (`--dashboard-max-feeds`). */
  total: number;
  /** feeds one address may hold at once (`--dashboard-max-feeds-per-address`). */
  perAddress: number;
}

/**
 * Whether one more feed may open for an address that holds `fromThere` of the `open` feeds:
 * null, or the cap that refuses it. The address's own cap is named first: then closing one of
 * its own feeds is what lets it in, whatever the others hold.
 */
export function feedCapReached(open: number, fromThere: number, caps: FeedCaps): FeedCap | null {
  if (fromThere >= caps.perAddress) return 'per-address';
  if (open >= caps.total) return 'total';
  return null;
}

/**
 * The refusal of a feed past the cap: what a browser or script that asked is answered (503), and
 * the log line's reason.
 */
export function tooManyFeedsText(open: number, max: number): string {
  return `the dashboard serves at most ${max} live feeds at once (--dashboard-max-feeds) and ${open} are open: `
    + 'close another page of this dashboard (or a script reading its feed), or start the scheduler with a higher --dashboard-max-feeds';
}

/** The refusal of a feed past the per-address cap (503 and the log line), naming the address. */
export function tooManyFeedsFromText(address: string, open: number, max: number): string {
  return `the dashboard serves at most ${max} live feeds at once to one address (--dashboard-max-feeds-per-address) and ${address} holds ${open}: `
    + 'close another page of this dashboard there (or a script reading its feed), or start the scheduler with a higher --dashboard-max-feeds-per-address';
}

/** The refusal text of `cap` for a feed from `address` (see {@link feedCapReached}). */
export function feedRefusalText(cap: FeedCap, address: string, open: number, fromThere: number, caps: FeedCaps): string {
  return cap === 'per-address' ? tooManyFeedsFromText(address, fromThere, caps.perAddress) : tooManyFeedsText(open, caps.total);
}

/** The part of a `ws` socket the feed uses (so tests can count what a slow reader was sent). */
export type FeedSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'on' | 'close' | 'terminate'>;

interface Viewer {
  socket: FeedSocket;
  /** the address it came from (as the per-address cap counts it). */
  from: string;
  /** true until this browser has a full state it can apply deltas to. */
  needsState: boolean;
  /** pushes skipped in a row because its buffer was full. */
  skippedInRow: number;
}

/**
 * Subscribes to the scheduler once, aggregates, and pushes to every connected browser on one
 * timer. A delta is encoded once and the same text goes to all viewers. A viewer whose socket
 * has more than `maxBufferedBytes` queued is skipped and later sent a full state instead of the
 * deltas it missed, so a slow browser costs the scheduler at most that much memory of its own
 * (the one message it was sent last is shared with every other viewer it was sent to).
 */
export class LiveFeed {
  readonly aggregator: Aggregator;
  /** what each worker's page shows (served by `api/worker`, not pushed). */
  readonly workerPages: WorkerPages;
  private readonly opts: FeedOptions;
  private readonly viewers = new Set<Viewer>();
  /** Viewers open per address (addresses with none are not kept). */
  private readonly perAddress = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  /** This process's sampler, unless the options gave one. */
  private readonly own: ProcessSampler | undefined;
  /** pushes skipped for a viewer whose buffer was full (for tests and the docs' claims). */
  skipped = 0;
  /** browsers dropped for not reading (see {@link FeedOptions.maxSkippedPushes}). */
  dropped = 0;

  constructor(source: DashboardSource, opts: Partial<FeedOptions> = {}) {
    this.opts = { ...DEFAULT_FEED, ...opts };
    const own = (this.own = this.opts.sampler ? undefined : processSampler());
    const snapshot = source.snapshot();
    this.aggregator = new Aggregator(snapshot, this.opts.limits, [
      new SchedulerView(this.opts.sampler ?? own!.sample),
      new MemoryView(snapshot, source.probe),
      new OccupancyView(snapshot, source.probe),
      new GraphView(source.probe),
      (this.workerPages = new WorkerPages(snapshot, source.probe)),
    ], source.probe);
    this.unsubscribe = source.subscribe((e) => this.aggregator.apply(e));
    this.timer = setInterval(() => {
      hopProbe?.mark('feed');
      this.tick(Date.now());
      hopProbe?.mark('feed-end');
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Viewers open from `address` (as given to {@link attach}). */
  viewersFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** The period (ms) of this process's loop-delay sampling now: fine while a browser watches. */
  get samplerResolutionMs(): number | undefined {
    return this.own?.resolutionMs;
  }

  /** Bytes queued for all browsers and not yet handed to the kernel. */
  bufferedBytes(): number {
    let n = 0;
    for (const v of this.viewers) n += v.socket.bufferedAmount;
    return n;
  }

  /**
   * Adds a browser (from `from`, the address the per-address cap counts); it receives a full
   * state on the next push, then deltas.
   */
  attach(socket: FeedSocket, from = 'unknown address'): void {
    const viewer: Viewer = { socket, from, needsState: true, skippedInRow: 0 };
    this.viewers.add(viewer);
    this.perAddress.set(from, this.viewersFrom(from) + 1);
    this.own?.watched(true);
    const drop = (): void => this.remove(viewer);
    socket.on('close', drop);
    socket.on('error', drop);
  }

  /** Takes a viewer out (once: its socket's close and error both end here, and so does a drop). */
  private remove(v: Viewer): void {
    if (!this.viewers.delete(v)) return;
    const n = this.viewersFrom(v.from) - 1;
    if (n > 0) this.perAddress.set(v.from, n);
    else this.perAddress.delete(v.from);
    if (this.viewers.size === 0) this.own?.watched(false);
  }

  /** The full state, with published values made safe for JSON (the snapshot endpoint). */
  stateJson(now: number): string {
    return toJson(this.boundTopics(this.aggregator.state(now)));
  }

  /**
   * One push: fold the pending events into a delta and send it (or a state) to each viewer. With
   * no viewer, only the history a page opened later draws is kept (Aggregator.fold): no delta,
   * no JSON, no read of the scheduler's records.
   */
  tick(now: number): void {
    if (this.viewers.size === 0) {
      this.aggregator.fold(now);
      return;
    }
    const delta = this.aggregator.delta(now);
    // Encoded once and the same bytes queued for every viewer (a text frame, or an event's data):
    // sent as a string, each socket made its own copy, so a state of 15 MB (published topics)
    // cost 15 MB per browser that had not read it, and 100 such feeds took 760 MB.
    let deltaBytes: Buffer | undefined;
    let stateBytes: Buffer | undefined;
    for (const v of this.viewers) {
      if (v.socket.readyState !== 1) continue;
      if (v.socket.bufferedAmount > this.opts.maxBufferedBytes) {
        v.needsState = true;
        this.skipped++;
        if (++v.skippedInRow >= this.opts.maxSkippedPushes) this.drop(v);
        continue;
      }
      v.skippedInRow = 0;
      if (v.needsState) {
        stateBytes ??= Buffer.from(this.stateJson(now));
        v.socket.send(stateBytes, { binary: false });
        v.needsState = false;
      } else {
        deltaBytes ??= Buffer.from(toJson(this.boundTopics(delta)));
        v.socket.send(deltaBytes, { binary: false });
      }
    }
  }

  /**
   * Lets go of a browser that does not read: no more pushes, a close frame saying why (read only
   * if it catches up), and its socket destroyed soon after, so what waits for it is freed.
   */
  private drop(v: Viewer): void {
    this.remove(v);
    this.dropped++;
    closeWithin(v.socket, CloseCode.backlog, `not reading: ${this.opts.maxSkippedPushes} pushes in a row skipped with over ${this.opts.maxBufferedBytes} bytes unsent`);
  }

  private boundTopics<T extends LiveDelta | LiveState>(msg: T): T {
    const topics: LiveState['topics'] = {};
    for (const [name, t] of Object.entries(msg.topics)) topics[name] = { ...t, value: boundedValue(t.value, this.opts.maxTopicBytes) };
    return { ...msg, topics };
  }

  close(): void {
    clearInterval(this.timer);
    this.own?.close();
    this.unsubscribe();
    for (const v of this.viewers) v.socket.close(1001, 'dashboard closing');
    this.viewers.clear();
    this.perAddress.clear();
  }
}
