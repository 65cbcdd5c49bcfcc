import type { FnRef, TaskError, WorkerMetrics } from '@gluon/protocol';
import type { Outcome } from './dashboard/source.js';
import type { Refusal } from './module-refusal-rule.js';

/** Scheduler-side task states (Dask's names). */
export type TaskState = 'released' | 'waiting' | 'queued' | 'processing' | 'memory' | 'erred' | 'forgotten';

/**
 * A task's dependents: an array while they are few, a Set beyond {@link SMALL_DEPENDENTS} (so
 * forgetting each of a wide fan-out's dependents stays O(1)); see dependents.ts. Most tasks have
 * none or one (every task of a tree reduction but its root has one), and a Set costs ~150 bytes
 * of heap even for one member against ~56 for an array: a million-task tree held ~150 MB of them.
 */
export type Dependents = readonly TaskRecord[] | Set<TaskRecord>;

// The shared lists below (and WorkerRecord.alone) are read-only by type, not frozen: V8's
// optimizing compiler turns a for-of over an ordinary array into a plain loop, but over a frozen
// one it calls the iterator and allocates its results. The scheduler's loops over a task's deps,
// dependents and holders meet these shared lists for most tasks: frozen, they made ~500 bytes of
// garbage per task (a sampled allocation profile of a 100k map, bench/scheduler-heap.ts's setup),
// an eighth of all it allocated, and garbage is what sets how often the young generation is
// collected. Their `readonly` types keep code from adding to them.

/** The shared empty dependents: replace it, never add to it (dependents.ts). */
export const NO_DEPENDENTS: readonly TaskRecord[] = [];
/** The shared empty holder list; holder lists are replaced, never changed. */
export const NO_HOLDERS: readonly WorkerRecord[] = [];

/** The shared dependency list of tasks without dependencies. */
export const NO_DEPS: readonly TaskRecord[] = [];

/**
 * The fields of a task that most tasks never set: retries, deaths, errors, steals, time limits.
 * Kept apart and made on the first write of a value other than the default, so that a million
 * records do not each carry them (see {@link TaskRecord}).
 */
class RareTaskFields {
  retries = 0;
  retriesUsed = 0;
  deaths = 0;
  threadDeaths = 0;
  error: TaskError | null = null;
  thief: WorkerRecord | null = null;
  stealRefused = false;
  timeoutMs = 0;
}

/** The shared defaults every record reads until it sets a rare field (frozen: never written). */
const NO_RARE: RareTaskFields = Object.freeze(new RareTaskFields());

/**
 * A result that came with its task-finished, and its size: made once per finished task and kept
 * as the task's {@link TaskRecord.inline} copy as it is, not copied into a second object.
 */
export interface InlineValue {
  readonly value: unknown;
  readonly bytes: number;
}

/**
 * One task in the graph. Plain fields only: a million of these must stay small (each field is
 * 8 bytes of every record, and the old generation's marking visits each one), so the fields few
 * tasks use live in a {@link RareTaskFields} made on their first write; reading them costs one
 * more load.
 */
export class TaskRecord {
  state: TaskState = 'released';
  /** Dependencies not yet in memory. */
  waitingOn = 0;
  /** Change through dependents.ts (addDependent, removeDependent). */
  dependents: Dependents = NO_DEPENDENTS;
  /** The worker running it, while processing. */
  processingOn: WorkerRecord | null = null;
  /** Workers that hold the result, while in memory. */
  holders: readonly WorkerRecord[] = NO_HOLDERS;
  nbytes = 0;
  typeName = '';
  /** References held by clients, summed over clients. */
  clientRefs = 0;
  /** Its place in the listed client's list of held tasks (client-refs.ts), while listed there. */
  listedAt = -1;
  /** Bumped whenever the task is (re)queued, so stale heap entries are skipped. */
  queueStamp = 0;
  /** A small result kept while dependents may still need it (scheduler's inline budget). */
  inline: InlineValue | null = null;
  /**
   * Every client holding the key has its value: it went to them inline with key-in-memory (a
   * client that starts holding it without the value clears this). Kept after the result is lost:
   * the clients still have it (see lineage.ts). One flag per task instead of a set per client,
   * so the common case (small results) costs no bookkeeping.
   */
  valueWithClients = false;
  /** What it last came to (a result, an error), for the dashboard's progress; see progress-state.ts. */
  outcome: Outcome = 0;
  private rare: RareTaskFields = NO_RARE;

  constructor(
    readonly key: string,
    readonly group: string,
    readonly fn: FnRef,
    readonly args: unknown[],
    readonly deps: readonly TaskRecord[],
    readonly userPriority: number,
    readonly generation: number,
    readonly depth: number,
    readonly seq: number,
  ) {}

  /** The rare fields, to write: made on the first write of a value other than the default. */
  private own(): RareTaskFields {
    if (this.rare === NO_RARE) this.rare = new RareTaskFields();
    return this.rare;
  }

  /** Allowed re-runs after a task exception (the spec's `retries`). */
  get retries(): number {
    return this.rare.retries;
  }

  set retries(n: number) {
    if (n !== 0 || this.rare !== NO_RARE) this.own().retries = n;
  }

  get retriesUsed(): number {
    return this.rare.retriesUsed;
  }

  set retriesUsed(n: number) {
    if (n !== 0 || this.rare !== NO_RARE) this.own().retriesUsed = n;
  }

  /** How many workers died while running it, or ended its thread (counted in {@link threadDeaths} too). */
  get deaths(): number {
    return this.rare.deaths;
  }

  set deaths(n: number) {
    if (n !== 0 || this.rare !== NO_RARE) this.own().deaths = n;
  }

  /** How many of its {@link deaths} were a worker's task thread ending, not the worker process. */
  get threadDeaths(): number {
    return this.rare.threadDeaths;
  }

  set threadDeaths(n: number) {
    if (n !== 0 || this.rare !== NO_RARE) this.own().threadDeaths = n;
  }

  get error(): TaskError | null {
    return this.rare.error;
  }

  set error(e: TaskError | null) {
    if (e !== null || this.rare !== NO_RARE) this.own().error = e;
  }

  /** The idle worker a pending steal of this task is for, until the victim answers. */
  get thief(): WorkerRecord | null {
    return this.rare.thief;
  }

  set thief(ws: WorkerRecord | null) {
    if (ws !== null || this.rare !== NO_RARE) this.own().thief = ws;
  }

  /**
   * Its worker refused to give it up (a `steal-response` of `ok: false`): it runs there, or has
   * finished. Never asked for again while it is there; cleared when it is sent to a worker.
   */
  get stealRefused(): boolean {
    return this.rare.stealRefused;
  }

  set stealRefused(refused: boolean) {
    if (refused || this.rare !== NO_RARE) this.own().stealRefused = refused;
  }

  /** Stop the task after this many ms of running (0: no limit); sent in compute-task. */
  get timeoutMs(): number {
    return this.rare.timeoutMs;
  }

  set timeoutMs(ms: number) {
    if (ms !== 0 || this.rare !== NO_RARE) this.own().timeoutMs = ms;
  }
}

/**
 * An empty object to hold task keys as its property names (a who-has answer). Made without a
 * prototype, V8 keeps it as a hash table from the start; a plain `{}` given property names it has
 * not seen before gets a new hidden class for each of them, and every task key is new: in a tree
 * reduction of 1M tasks that was 1.8-2.7 s of the scheduler's CPU when compute-tasks were built
 * so (protocol 4; they carry arrays now). Encodes exactly as a plain object does.
 */
export function keyedRecord<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Runs-first ordering: user priority, then submission order, then depth (finish chains), then order within the graph. */
export function runsBefore(a: TaskRecord, b: TaskRecord): boolean {
  if (a.userPriority !== b.userPriority) return a.userPriority > b.userPriority;
  if (a.generation !== b.generation) return a.generation < b.generation;
  if (a.depth !== b.depth) return a.depth > b.depth;
  return a.seq < b.seq;
}

/** A worker's running tasks as the scheduler reads them: how many, and each of them. */
export interface RunningTasks extends Iterable<TaskRecord> {
  readonly size: number;
}

/**
 * Keys a worker is remembered to have been called off from, at most (see WorkerRecord's
 * `calledOffKeys`): a result for an older one is refused like a stranger's, which costs nothing
 * but the copy (the task runs, or ran, where it was given since).
 */
export const MAX_CALLED_OFF = 4096;

export class WorkerRecord {
  /**
   * Tasks sent to it and not finished, by key, so that a finished task is found here (a map of a
   * few hundred keys at most, in cache) and not in the graph's map of every task, where a lookup
   * with a million tasks costs ~1 µs of cache and TLB misses. Keyed by the record's own key
   * string (its hash computed once, when it is sent); in the order they were sent.
   */
  private readonly running = new Map<string, TaskRecord>();
  /** {@link running} as {@link processing} shows it: its size, its records. */
  private readonly runningView: RunningTasks;
  /** Results it holds. */
  has = new Set<TaskRecord>();
  /**
   * Keys of tasks it was running and was told to drop (released, cancelled, moved: see
   * Transitions.callOff), oldest first, at most {@link MAX_CALLED_OFF}. It may have finished one
   * before it heard, and its result is then a late result it is entitled to send (see
   * worker-reports.ts); a worker that confirmed it gave a task up (a granted steal, a handback)
   * is not. By key, not by record: a key released and submitted again is a new record, and the
   * late result is the same computation. Null until the first call-off (most workers never see one).
   */
  private calledOffKeys: Set<string> | null = null;
  /**
   * Keys of the tasks it ran (given to it, or believed from its own registration) and of the
   * results only it held when it left (see {@link dropAll}, {@link leftWith}), kept with the gone record: the same worker registering again may name them
   * as still running or held, and only such claims are believed (worker-claims.ts). Null while it
   * is registered, and for a worker that left with nothing.
   */
  private keysAtEnd: Set<string> | null = null;
  /**
   * Tasks asked of other workers for it (`steal-request`) whose answer has not come: what it may
   * still receive, so it is not asked more than it has free threads for. Entries whose steal was
   * answered or called off (the task's `thief` is another, or it left processing) are dropped
   * when counted ({@link pendingSteals}).
   */
  private readonly stealing = new Set<TaskRecord>();
  storedBytes = 0;
  lastSeen: number;
  private currentStatus: 'running' | 'closing' | 'gone' = 'running';
  private currentMetrics: WorkerMetrics | null = null;
  /**
   * Told whenever the worker's load or eligibility changes (its tasks, status or metrics): the
   * scheduler's placement index (placement.ts), which must never hold a stale key.
   */
  watcher: ((ws: WorkerRecord) => void) | null = null;
  /**
   * The holder list of a result only this worker holds, shared by all of them (holder lists are
   * replaced, never changed), so a million held results do not each carry an array.
   */
  readonly alone: readonly WorkerRecord[] = [this];
  /** `[address]`, shared likewise by the compute-tasks that name a result only it holds. */
  readonly aloneAddress: readonly string[];
  /** The recipient of commands to it (outbox.ts), one object for all of them. */
  readonly to: { readonly worker: string };
  /** Task modules it refused to import, with why; null while none (nearly always). See module-refusals.ts. */
  refusals: Map<string, Refusal> | null = null;
  /** Its hello's session (one per worker process; worker-clash.ts): its own reconnect replaces it. */
  session: string | undefined = undefined;
  /**
   * It said it is leaving because its lifetime ended (`closing`'s or `retire`'s `lifetime`), not
   * because it was stopped: the dashboard says so, and a batch cluster replaces only such a worker
   * at once (one stopped by a SIGTERM may be a rerun job, still listed running).
   */
  retiresByLifetime = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly address: string,
    readonly nthreads: number,
    readonly memoryLimit: number,
    readonly host: string,
    readonly pid: number,
    now: number,
    /** Registration order: placement breaks ties in favour of the earlier worker. */
    readonly order = 0,
  ) {
    this.lastSeen = now;
    const running = this.running;
    this.runningView = { get size() { return running.size; }, [Symbol.iterator]: () => running.values() };
    this.aloneAddress = [address];
    this.to = { worker: id };
  }

  /** Tasks sent to it and not finished, in the order sent; changed through {@link take} and {@link drop}. */
  get processing(): RunningTasks {
    return this.runningView;
  }

  get status(): 'running' | 'closing' | 'gone' {
    return this.currentStatus;
  }

  set status(s: 'running' | 'closing' | 'gone') {
    this.currentStatus = s;
    this.watcher?.(this);
  }

  get metrics(): WorkerMetrics | null {
    return this.currentMetrics;
  }

  set metrics(m: WorkerMetrics | null) {
    this.currentMetrics = m;
    this.watcher?.(this);
  }

  /**
   * The task of this key it is running, if any (a worker's report names its task by key). Before
   * it was a scan of the running tasks comparing keys, given up past 64 for the graph's map: a
   * worker given a no-op group runs up to 64 tasks per thread, so at 1M tasks nearly every
   * task-finished paid the big map's cold lookup (1.1M of 1.12M in a run of bench/scale.ts's tree).
   */
  runningTask(key: string): TaskRecord | null {
    return this.running.get(key) ?? null;
  }

  /** A task was sent to it. */
  take(ts: TaskRecord): void {
    this.running.set(ts.key, ts);
    this.watcher?.(this);
  }

  /** A task left it (finished, failed, stolen, released); false if it did not have it. */
  drop(ts: TaskRecord): boolean {
    // Only this record: a task of the same key forgotten and submitted again is another record.
    if (this.running.get(ts.key) !== ts) return false;
    this.running.delete(ts.key);
    this.watcher?.(this);
    return true;
  }

  /** A task was asked of another worker for it (see {@link stealing}). */
  askedToSteal(ts: TaskRecord): void {
    ts.thief = this;
    this.stealing.add(ts);
  }

  /** How many tasks asked for it are still unanswered (see {@link stealing}). */
  pendingSteals(): number {
    // Asked at every placement on a free thread (placement.ts), and nearly always none.
    if (this.stealing.size === 0) return 0;
    for (const ts of this.stealing) if (ts.thief !== this || ts.state !== 'processing') this.stealing.delete(ts);
    return this.stealing.size;
  }

  /** It was told to drop the task of `key`, which it was running (see {@link calledOffKeys}). */
  calledOff(key: string): void {
    const keys = (this.calledOffKeys ??= new Set());
    keys.delete(key);
    keys.add(key);
    // Entries of tasks whose drop it heard in time are never consumed: the oldest go.
    if (keys.size > MAX_CALLED_OFF) keys.delete(keys.values().next().value!);
  }

  /** Whether it was told to drop the task of `key`; the entry is consumed (its one late result came). */
  takeCalledOff(key: string): boolean {
    return this.calledOffKeys !== null && this.calledOffKeys.delete(key);
  }

  /**
   * Whether it had the task of `key` when it left (running it, or the only copy of its result),
   * or was called off from it before (not consumed): what its next registration may say it still
   * runs or holds.
   */
  hadAtEnd(key: string): boolean {
    return this.keysAtEnd?.has(key) === true || this.calledOffKeys?.has(key) === true;
  }

  /** It left with the only copy of this result, or still running this task (see {@link hadAtEnd}). */
  leftWith(key: string): void {
    (this.keysAtEnd ??= new Set()).add(key);
  }

  /** Every task it had, which it no longer has (it leaves: their keys are kept, see {@link hadAtEnd}). */
  dropAll(): TaskRecord[] {
    const all = [...this.running.values()];
    for (const key of this.running.keys()) this.leftWith(key);
    this.running.clear();
    this.stealing.clear();
    this.watcher?.(this);
    return all;
  }
}

/** Whether the worker said it will not import `module` (and has not said since that it accepts it). */
export function refuses(ws: WorkerRecord, module: string): boolean {
  return ws.refusals !== null && ws.refusals.has(module);
}

/**
 * Whether the scheduler may place new work on a worker: it is running and not paused (a worker
 * over its memory limit reports `metrics.paused` and starts nothing until it recovers).
 */
export function acceptsWork(ws: WorkerRecord): boolean {
  return ws.status === 'running' && ws.metrics?.paused !== true;
}

/** Clients' references on tasks (client-refs.ts). */
export { ClientRecord, RefLedger } from './client-refs.js';

/**
 * One string object per distinct value (type names of results: a handful, repeated per task),
 * so records do not each keep their own decoded copy. Bounded: past `max` distinct values,
 * new ones are kept as they come.
 */
export class Interner {
  private readonly seen = new Map<string, string>();
  constructor(private readonly max = 1024) {}

  intern(s: string): string {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size < this.max) this.seen.set(s, s);
    return s;
  }
}
