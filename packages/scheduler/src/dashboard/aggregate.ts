import type { ClusterEvent, ClusterProbe, ClusterSnapshot, FailureRow, GroupState, LogEntry, ProgressState, WorkerRow } from './source.js';
import { shownKey } from '../log-line.js';
import type { ServerView } from './views.js';
import { outcomeAfter, progressState } from '../progress-state.js';

/**
 * The dashboard's own view of the cluster, fed by {@link ClusterEvent}s. Applying an event is
 * O(1) and allocates at most one small record, so the scheduler's hot path only pays for an
 * append; everything a browser needs (deltas, rates, JSON) is built on the push timer by
 * {@link Aggregator.delta} and {@link Aggregator.state}, and while no browser watches the push
 * only keeps the history ({@link Aggregator.fold}). Pure: no timers, no sockets; `now`
 * comes in as an argument.
 */

/**
 * One bar of the task stream: `[worker, thread, group, start, stop, kind, key, bytes, from]`, kind
 * 0 = a task (bytes: its result's size; from: '') or 1 = a transfer to `worker` (thread -1;
 * group: the key or 'N keys'; key: the keys, bytes: their size, from: the sending worker).
 * `worker` and `from` are worker ids (the page shows names, told apart where workers share one):
 * rows by name merged two workers started with the same `--name`. A source without ids gives
 * names; a sender the scheduler did not know, its address.
 */
export type StreamBar = [string, number, string, number, number, 0 | 1, string, number, string];

/** One point of the throughput chart: `[time ms, tasks/s, events/s]`. */
export type RatePoint = [number, number, number];

/** What the Progress panel counts per group: the states held, plus tasks let go after finishing. */
export type ProgressCount = GroupState | 'done' | 'failed' | 'cancelled';

/**
 * A group's row in the Progress panel, for the group's current run: it starts when the group
 * gets work after being idle (nothing waiting, queued or processing) at a push, so a group run
 * again later counts the new run, not the sum of all runs.
 */
export interface GroupRow {
  group: string;
  /** held tasks per state, plus `done` / `failed` / `cancelled`: finished / erred / cancelled tasks let go in this run. */
  counts: Record<ProgressCount, number>;
  /** all tasks of the run: the sum of the counts. */
  total: number;
  /** finished with a result, held or let go (`memory + done`). */
  done: number;
  /** erred, the task itself or an input it needed, held or let go (`erred + failed`). */
  erred: number;
  /** cancelled by a client (`cancelled`): with done and erred, what the clients' futures say. */
  cancelled: number;
  /** scheduler time (ms) of the push that last carried a change. */
  updated: number;
  /** the cluster run the group's current run belongs to (see {@link LiveState.run}). */
  run: number;
}

/** The latest value of a published topic. */
export interface TopicValue {
  value: unknown;
  time: number;
  /** how many times the topic was published. */
  count: number;
}

/** Everything a freshly connected browser draws; also the JSON snapshot endpoint's body. */
export interface LiveState {
  type: 'state';
  time: number;
  scheduler: string;
  workers: WorkerRow[];
  groups: GroupRow[];
  failures: FailureRow[];
  topics: Record<string, TopicValue>;
  log: LogEntry[];
  stream: StreamBar[];
  rates: RatePoint[];
  /** bars left out of the stream since the start because more finished than a push carries. */
  streamDropped: number;
  /**
   * `[time, bars left out]` per push that left some out, within the stream's window; the time is
   * the latest end among that push's bars, so a note about them lasts as long as they are in view.
   */
  streamDrops: Array<[number, number]>;
  /**
   * The cluster's current run: it goes up when work arrives after a push found no group active.
   * The groups whose `run` equals it make the run's progress (the header, the tab title).
   */
  run: number;
  /** each {@link ServerView}'s state, by its name. */
  views: Record<string, unknown>;
}

/** What changed since the previous push; a browser applies it on top of a {@link LiveState}. */
export interface LiveDelta {
  type: 'delta';
  time: number;
  workers: WorkerRow[];
  groups: GroupRow[];
  failures: FailureRow[];
  topics: Record<string, TopicValue>;
  log: LogEntry[];
  stream: StreamBar[];
  rate: RatePoint;
  streamDropped: number;
  /** this push's entry of {@link LiveState.streamDrops}, if it left bars out. */
  streamDrops: Array<[number, number]>;
  run: number;
  /** the views that changed: each one's delta, by its name. */
  views: Record<string, unknown>;
}

/** Bounds on what the aggregator keeps; all of it is held in memory, so all of it is bounded. */
export interface AggregatorLimits {
  /** how long task-stream bars are kept (ms). */
  streamWindowMs: number;
  /** most task-stream bars kept in total. */
  maxStreamBars: number;
  /** most task-stream bars sent in one push; beyond that a uniform sample is sent. */
  maxBarsPerPush: number;
  /** how long throughput points are kept (ms). */
  rateWindowMs: number;
  maxFailures: number;
  maxLog: number;
  /** most groups remembered; beyond it the longest-idle groups holding no task are forgotten. */
  maxGroups: number;
  /**
   * most gone workers kept (the most recently gone), as the scheduler's own snapshot keeps them:
   * a cluster whose workers come and go (batch jobs, autoscaling) grew the rows without bound,
   * and every page opened later was sent them all.
   */
  maxGoneWorkers: number;
}

export const DEFAULT_LIMITS: AggregatorLimits = {
  streamWindowMs: 5 * 60_000,
  maxStreamBars: 30_000,
  maxBarsPerPush: 1_500,
  rateWindowMs: 10 * 60_000,
  maxFailures: 500,
  maxLog: 500,
  maxGroups: 200,
  maxGoneWorkers: 100,
};

// Flags on a group row; symbol keys, so JSON never sends them.
/** changed since the last delta */
const DIRTY = Symbol('dirty');
/** nothing waiting, queued or processing at the last push that carried it: new work starts a new run */
const IDLE = Symbol('idle');
/** tasks waiting, queued or processing, kept so becoming active/idle is O(1) */
const ACTIVE = Symbol('active');
type Marked = GroupRow & { [DIRTY]?: boolean; [IDLE]?: boolean; [ACTIVE]: number };

const COUNTED: readonly ProgressCount[] = ['waiting', 'queued', 'processing', 'memory', 'erred', 'done', 'failed', 'cancelled'];

function isCounted(s: ProgressState): s is ProgressCount {
  return s !== 'released' && s !== 'forgotten';
}

function isActive(s: ProgressState): boolean {
  return s === 'waiting' || s === 'queued' || s === 'processing';
}

function emptyCounts(): Record<ProgressCount, number> {
  return { waiting: 0, queued: 0, processing: 0, memory: 0, erred: 0, done: 0, failed: 0, cancelled: 0 };
}

/** A ring of the most recent items; pushing is O(1) and never grows past `capacity`. */
class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }
  /** oldest first */
  toArray(): T[] {
    return this.head === 0 ? this.items.slice() : [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
  get length(): number {
    return this.items.length;
  }
}

export class Aggregator {
  private readonly limits: AggregatorLimits;
  private scheduler: string;
  private workers = new Map<string, WorkerRow>();
  /** the ids of the gone workers kept, longest gone first */
  private gone = new Set<string>();
  private groups = new Map<string, GroupRow>();
  private failures: Ring<FailureRow>;
  private topics = new Map<string, TopicValue>();
  private log: Ring<LogEntry>;
  private stream: Ring<StreamBar>;
  private rates: RatePoint[] = [];
  private streamDropped = 0;
  private streamDrops: Array<[number, number]> = [];
  /** bars thinned out of a burst since the last push */
  private thinned = 0;
  /** the latest end among the bars since the last push */
  private newestStop = 0;
  private lastRow: Marked | undefined;
  private run = 0;
  /** groups with tasks waiting, queued or processing */
  private activeGroups = 0;
  /** no group was active at the last push: new work starts a new cluster run */
  private clusterIdle = true;

  // Since the last delta: what changed. Sets and arrays of references, no copies.
  private dirtyWorkers = new Set<string>();
  private dirtyGroups: Marked[] = [];

  private dirtyTopics = new Set<string>();
  private newFailures: FailureRow[] = [];
  private newLog: LogEntry[] = [];
  private newBars: StreamBar[] = [];
  private tasksSince = 0;
  private eventsSince = 0;
  private lastDelta: number;

  private readonly views: ServerView[];
  /** the views that follow events (the rest are pulled on the push). */
  private readonly listening: ServerView[];

  /**
   * @param probe the scheduler's records: a live worker's results held (count and bytes) are read
   *   from them at each push, as the Memory view reads them, not left as its last heartbeat said.
   *   A worker that stopped sending heartbeats (frozen, SIGSTOP) kept its row's figures while
   *   releases brought the scheduler's down, so the Workers table and the Memory panel disagreed.
   */
  constructor(snapshot: ClusterSnapshot, limits: Partial<AggregatorLimits> = {}, views: ServerView[] = [], private readonly probe?: ClusterProbe) {
    this.views = views;
    this.listening = views.filter((v) => v.apply);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.failures = new Ring(this.limits.maxFailures);
    this.log = new Ring(this.limits.maxLog);
    this.stream = new Ring(this.limits.maxStreamBars);
    this.scheduler = snapshot.schedulerAddress;
    this.lastDelta = snapshot.time;
    for (const w of snapshot.workers) this.keepWorker({ ...w });
    for (const g of snapshot.groups) {
      const row = this.groupRow(g.group);
      for (const s of COUNTED) if (s in g.counts) this.count(row, s, g.counts[s as GroupState]);
      finish(row, snapshot.time);
    }
    this.clusterIdle = this.activeGroups === 0;
    for (const f of snapshot.failures) this.failures.push(f);
    for (const [topic, value] of Object.entries(snapshot.topics)) this.topics.set(topic, { value, time: snapshot.time, count: 1 });
    for (const e of snapshot.log) this.log.push(e);
  }

  /** Applies one event; called synchronously from the scheduler, so it only records. */
  apply(e: ClusterEvent): void {
    for (const v of this.listening) v.apply!(e);
    switch (e.kind) {
      case 'task-done': {
        this.tasksSince++;
        if (e.events !== undefined && Number.isFinite(e.events)) this.eventsSince += e.events;
        if (e.stop > this.newestStop) this.newestStop = e.stop;
        this.newBars.push([e.workerId ?? e.worker, e.thread, e.group, e.start, e.stop, 0, shownKey(e.key), e.nbytes ?? 0, '']);
        // A burst between pushes must not hold the scheduler's memory: thin it early.
        if (this.newBars.length >= this.limits.maxBarsPerPush * 4) this.thinNewBars();
        return;
      }
      case 'transfer':
        this.newBars.push([e.toId ?? e.to, -1, e.keys.length === 1 ? shownKey(e.keys[0]!) : `${e.keys.length} keys`, e.start, e.stop, 1, transferKeys(e.keys), e.bytes, e.fromId ?? e.from]);
        if (this.newBars.length >= this.limits.maxBarsPerPush * 4) this.thinNewBars();
        return;
      case 'task-state': {
        const before = e.outcome ?? 0;
        const from = progressState(e.from, before);
        const to = progressState(e.to, outcomeAfter(before, e.to));
        if (from === to) return;
        const g = this.groupRow(e.group);
        if (isCounted(from)) this.count(g, from, -1);
        if (isCounted(to)) this.count(g, to, 1);
        this.markDirty(g);
        return;
      }
      case 'worker':
        this.keepWorker(e.row);
        this.dirtyWorkers.add(e.row.id);
        return;
      case 'failure':
        this.failures.push(e.row);
        this.newFailures.push(e.row);
        if (this.newFailures.length > this.limits.maxFailures) this.newFailures.shift();
        return;
      case 'publish': {
        const prev = this.topics.get(e.topic);
        this.topics.set(e.topic, { value: e.value, time: e.time, count: (prev?.count ?? 0) + 1 });
        this.dirtyTopics.add(e.topic);
        return;
      }
      case 'log':
        this.log.push(e.entry);
        this.newLog.push(e.entry);
        if (this.newLog.length > this.limits.maxLog) this.newLog.shift();
        return;
    }
  }

  /** A worker's latest row; beyond {@link AggregatorLimits.maxGoneWorkers} gone ones, the longest gone is forgotten. */
  private keepWorker(row: WorkerRow): void {
    this.workers.set(row.id, row);
    this.gone.delete(row.id);
    if (row.alive) return;
    this.gone.add(row.id);
    while (this.gone.size > this.limits.maxGoneWorkers) {
      const id = this.gone.values().next().value!;
      this.gone.delete(id);
      this.workers.delete(id);
      this.dirtyWorkers.delete(id);
    }
  }

  /**
   * Live workers' results held as the scheduler's records say now (O(live workers) a push); a row
   * whose figures moved is replaced and goes out with the delta.
   */
  private readHoldings(): void {
    if (!this.probe) return;
    for (const [id, row] of this.workers) {
      if (!row.alive) continue;
      const w = this.probe.workers.get(id);
      if (!w || (w.has.size === row.stored && w.storedBytes === row.storedBytes)) continue;
      this.workers.set(id, { ...row, stored: w.has.size, storedBytes: w.storedBytes });
      this.dirtyWorkers.add(id);
    }
  }

  /** The changes since the previous call, and one throughput point; resets the change sets. */
  delta(now: number): LiveDelta {
    this.readHoldings();
    const { rate, stream, drops } = this.advance(now);
    const d: LiveDelta = {
      type: 'delta',
      time: now,
      workers: [...this.dirtyWorkers].map((id) => this.workers.get(id)!).filter(Boolean),
      groups: this.dirtyGroups,
      failures: this.newFailures,
      topics: Object.fromEntries([...this.dirtyTopics].map((t) => [t, this.topics.get(t)!])),
      log: this.newLog,
      stream,
      rate,
      streamDropped: this.streamDropped,
      streamDrops: drops,
      run: this.run,
      views: {},
    };
    for (const v of this.views) {
      const part = v.delta?.(now);
      if (part !== undefined) d.views[v.name] = part;
    }
    this.resetChanges();
    return d;
  }

  /**
   * A push with no browser watching: what a page opened later draws (the throughput point, the
   * task stream, the groups' times, the views' samples) is kept, as {@link delta} would, and no
   * delta is built; the changes so far are in the next {@link state}, not in a later delta.
   * Views read from the scheduler's records (occupancy, the task graph) are not read at all.
   */
  fold(now: number): void {
    this.advance(now);
    for (const v of this.views) v.fold?.(now);
    this.resetChanges();
  }

  /** Folds what came since the last push into the history; the parts a delta carries of it. */
  private advance(now: number): { rate: RatePoint; stream: StreamBar[]; drops: Array<[number, number]> } {
    const dt = Math.max(1, now - this.lastDelta) / 1000;
    const rate: RatePoint = [now, this.tasksSince / dt, this.eventsSince / dt];
    this.lastDelta = now;
    this.tasksSince = 0;
    this.eventsSince = 0;
    this.rates.push(rate);
    const cutRates = now - this.limits.rateWindowMs;
    let drop = 0;
    while (drop < this.rates.length && this.rates[drop]![0] < cutRates) drop++;
    if (drop) this.rates.splice(0, drop);

    const stream = this.sample(this.newBars, this.limits.maxBarsPerPush);
    const drops = this.noteDropped(this.newestStop || now, this.thinned + this.newBars.length - stream.length, now);
    this.thinned = 0;
    this.newestStop = 0;
    for (const b of stream) this.stream.push(b);
    for (const g of this.dirtyGroups) {
      finish(g, now);
      g[IDLE] = g[ACTIVE] === 0;
    }
    if (this.groups.size > this.limits.maxGroups) this.forgetGroups();
    this.clusterIdle = this.activeGroups === 0;
    return { rate, stream, drops };
  }

  /** Starts the next push's change sets (fresh ones: a delta built from the old ones holds them). */
  private resetChanges(): void {
    this.dirtyWorkers = new Set();
    for (const g of this.dirtyGroups) (g as Marked)[DIRTY] = false;
    this.dirtyGroups = [];
    this.dirtyTopics = new Set();
    this.newFailures = [];
    this.newLog = [];
    this.newBars = [];
  }

  /** True when a delta would carry anything besides the throughput point. */
  get changed(): boolean {
    return this.dirtyWorkers.size > 0 || this.dirtyGroups.length > 0 || this.dirtyTopics.size > 0 ||
      this.newFailures.length > 0 || this.newLog.length > 0 || this.newBars.length > 0;
  }

  /** The whole view as of the last {@link delta} (pending changes are left for the next delta). */
  state(now: number): LiveState {
    this.readHoldings();
    const cut = now - this.limits.streamWindowMs;
    return {
      type: 'state',
      time: now,
      scheduler: this.scheduler,
      workers: [...this.workers.values()],
      groups: [...this.groups.values()],
      failures: this.failures.toArray(),
      topics: Object.fromEntries(this.topics),
      log: this.log.toArray(),
      stream: this.stream.toArray().filter((b) => b[4] >= cut),
      rates: this.rates.slice(),
      streamDropped: this.streamDropped,
      streamDrops: this.streamDrops.filter((d) => d[0] >= cut),
      run: this.run,
      views: Object.fromEntries(this.views.filter((v) => v.state).map((v) => [v.name, v.state!(now)])),
    };
  }

  private groupRow(group: string): Marked {
    // Events come in runs of the same group (a map, a graph layer): skip the map lookup.
    if (this.lastRow?.group === group) return this.lastRow;
    let g = this.groups.get(group) as Marked | undefined;
    if (!g) {
      g = { group, counts: emptyCounts(), total: 0, done: 0, erred: 0, cancelled: 0, updated: 0, run: this.run, [IDLE]: true, [ACTIVE]: 0 };
      this.groups.set(group, g);
    }
    this.lastRow = g;
    return g;
  }

  /** Adds `n` to a group's count of `s`, starting a new run of the group (and maybe of the cluster) when work arrives after idleness. */
  private count(g: Marked, s: ProgressCount, n: number): void {
    if (isActive(s)) {
      if (n > 0 && g[ACTIVE] === 0) {
        if (g[IDLE]) this.newRun(g);
        this.activeGroups++;
      }
      g[ACTIVE] += n;
      if (n < 0 && g[ACTIVE] === 0) this.activeGroups--;
    }
    // done/failed restart at 0 with a run, so a task let go in an earlier run may go below.
    g.counts[s] = Math.max(0, g.counts[s] + n);
  }

  private newRun(g: Marked): void {
    if (this.clusterIdle && this.activeGroups === 0) {
      this.run++;
      this.clusterIdle = false;
    }
    g.run = this.run;
    g.counts.done = 0;
    g.counts.failed = 0;
    g.counts.cancelled = 0;
    g[IDLE] = false;
  }

  private markDirty(g: Marked): void {
    if (g[DIRTY]) return;
    g[DIRTY] = true;
    this.dirtyGroups.push(g);
  }

  /** Forgets the longest-unchanged groups that hold no task, down to the bound. */
  private forgetGroups(): void {
    const idle = [...this.groups.values()].filter((g) => (g as Marked)[ACTIVE] === 0 && g.counts.memory === 0 && g.counts.erred === 0 && !(g as Marked)[DIRTY]);
    idle.sort((a, b) => a.updated - b.updated);
    for (const g of idle.slice(0, this.groups.size - this.limits.maxGroups)) {
      this.groups.delete(g.group);
      if (this.lastRow === g) this.lastRow = undefined;
    }
  }

  /** Records `n` bars left out, stamped `time`; returns the new entry (none when n is 0). */
  private noteDropped(time: number, n: number, now: number): Array<[number, number]> {
    const cut = now - this.limits.streamWindowMs;
    let drop = 0;
    while (drop < this.streamDrops.length && this.streamDrops[drop]![0] < cut) drop++;
    if (drop) this.streamDrops.splice(0, drop);
    if (n <= 0) return [];
    this.streamDropped += n;
    const entry: [number, number] = [time, n];
    this.streamDrops.push(entry);
    return [entry];
  }

  private thinNewBars(): void {
    const kept = this.sample(this.newBars, this.limits.maxBarsPerPush * 2);
    // Counted with the next push's drops (its time is not known here).
    this.thinned += this.newBars.length - kept.length;
    this.newBars = kept;
  }

  /** A uniform sample of at most `max` items, in order; the same array when it already fits. */
  private sample<T>(items: T[], max: number): T[] {
    if (items.length <= max) return items;
    const out: T[] = [];
    const step = items.length / max;
    for (let i = 0; i < max; i++) out.push(items[Math.floor(i * step)]!);
    return out;
  }
}

/** The keys of a transfer for its tooltip: the first few, and how many more (bounded text). */
function transferKeys(keys: string[]): string {
  const shown = keys.slice(0, 3).map(shownKey).join(', ');
  return keys.length > 3 ? `${shown} and ${keys.length - 3} more` : shown;
}

/** Sets a group row's derived figures and the time of its change. */
function finish(g: GroupRow, now: number): void {
  const c = g.counts;
  g.total = c.waiting + c.queued + c.processing + c.memory + c.erred + c.done + c.failed + c.cancelled;
  g.done = c.memory + c.done;
  g.erred = c.erred + c.failed;
  g.cancelled = c.cancelled;
  g.updated = now;
}
