import { nanoid } from 'nanoid';
import { checkOptionKeys, ConnectionClosedError, HandshakeError, inMicrotask, withTokenHelp, type Connection, type Message, type OptionKeys, type TaskSpec } from '@gluon/protocol';
import { Delayed, delayedRoots, type Deferred, type DeferredArgs } from './delayed.js';
import { ClientClosedError } from './errors.js';
import { Future, KeyState, WorkerLists, type FutureHost } from './future.js';
import { CollectedQueue } from './collected-queue.js';
import { FutureRegistry } from './future-registry.js';
import { connectWithin } from './connect-retry.js';
import { futureList, iterableList, mapLists } from './future-list.js';
import { checkUsable, GraphBuilder, graphOver, makeSpec } from './graph-builder.js';
import { LazySubmit } from './lazy-submit.js';
import { Lineage } from './lineage.js';
import { DEFAULT_GRAPH_SLICE, GraphOutbox } from './outbox.js';
import { PeerPool, type PeerLimits, type PeerLink } from './peers.js';
import { Liveness } from './liveness.js';
import { WaitingForWorkers } from './waiting-for-workers.js';
import { ClusterWarnings, type ClusterWarning } from './warnings.js';
import { performanceReport, type PerformanceReportOptions } from './performance-report.js';
import { ReleaseQueue } from './release-queue.js';
import { fetchValues, type FetchHost } from './fetch-values.js';
import { bound, settledBatches, waitFor, type WaitOptions } from './future-waits.js';
import { futuresIn, withValues, type Gathered } from './gathered.js';
import { sendOversize } from './oversize.js';
import { TickQueue } from './tick-queue.js';
import { closeAtExit, closedBeforeExit } from './exit-close.js';
import { erredUpstream, heldRoots, keyNews, pendingKey } from './key-news.js';
import { formatMs, handshake, linkClosed, reconnectCost, reconnectWithin } from './reconnect.js';
import { assertRemote, type RemoteFunction } from './remote.js';
import { reachableDashboardUrl } from './dashboard-url.js';
import { CLIENT_TOKEN_HELP, connectSettings, DEFAULT_RECONNECT_TIMEOUT_MS, type ConnectOptions } from './connect-options.js';
import { allPlain, isPlain, NO_DEPS, toWire, tokenize, tokenizer } from './serialize.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

export type { Deferred, DeferredArgs };

/** One iterable per parameter, for `map`. */
export type IterableArgs<A extends unknown[]> = { [I in keyof A]: Iterable<Deferred<A[I]>> };

/** Options of {@link connectWithoutEnvToken}'s connects: GLUON_TOKEN is not read for them. */
const withoutEnvToken = new WeakSet<ConnectOptions>();

/**
 * Client.connect to a scheduler whose token is known (none, when `opts.token` is absent), for
 * LocalCluster's own clients: a GLUON_TOKEN in the environment (another cluster's) is not sent
 * to a cluster started without one, nor warned of as unchecked. Not exported from the package.
 */
export function connectWithoutEnvToken(url: string, opts: ConnectOptions): Promise<Client> {
  withoutEnvToken.add(opts);
  return Client.connect(url, opts);
}

/** The options of {@link Client.treeReduce}. */
export interface TreeReduceOptions {
  /** Inputs per combine task (default 8). */
  fanIn?: number;
}
const TREE_REDUCE_OPTIONS: OptionKeys<TreeReduceOptions> = { fanIn: true };

/**
 * How many entries each of a client's own tables holds (see {@link Client.tableSizes}): what it
 * keeps for the futures, graphs and releases in flight. Every one but `workerLists`,
 * `knownWorkers` and `peers` (bounded by the cluster's workers) is 0 once every future was
 * released (or collected and its hold dropped) and everything was sent.
 */
export interface ClientTableSizes {
  /** Keys held (one state per key, shared by its futures). */
  keys: number;
  /** Task specs kept for a reconnect: the held keys' and what they depend on. */
  lineage: number;
  /** Releases made and not yet done (a million are done a slice per turn). */
  releasesQueued: number;
  /** Futures the garbage collector found and whose holds are not yet dropped. */
  collectedQueued: number;
  /** Frames, messages and graphs waiting in the outbox, with what this tick queued. */
  outbox: number;
  /** Tasks not yet handed to the connection ({@link Client.unsentTasks}). */
  unsentTasks: number;
  /** Shared one-worker lists of results' holders (at most 1,024). */
  workerLists: number;
  /** Workers the scheduler told of ({@link Client.workersKnown}). */
  knownWorkers: number;
  /** Connections to workers' data listeners, for results fetched from them. */
  peers: number;
}

/**
 * A connection to a Gluon scheduler: submit tasks, get futures, gather results.
 *
 * ```ts
 * const client = await Client.connect('ws://127.0.0.1:8786');
 * const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
 * const futures = client.map(inc, [1, 2, 3]);
 * console.log(await client.gather(futures)); // [2, 3, 4]
 * ```
 */
export class Client implements FutureHost {
  /**
   * Where to open the scheduler's dashboard, if it serves one: its public link when the scheduler
   * was given one (`--dashboard-link`, behind a reverse proxy), else where it is served.
   */
  readonly dashboardUrl: string | undefined;
  /**
   * Where the scheduler serves its dashboard, as this client reaches it (the host it dialled for
   * a wildcard bind). `performanceReport()` reads the dashboard here, not at the link: this
   * client reached the scheduler itself, so it reaches the same process's dashboard, while a
   * proxy's public URL may want its own login (a hub's, single sign-on) that the scheduler's
   * token does not pass, or refuse the WebSocket feed the report records.
   */
  readonly dashboardDirectUrl: string | undefined;
  private clientId: string;
  private conn: Connection;
  private readonly keys = new Map<string, KeyState>();
  /** The worker lists of `key-in-memory`, shared (see WorkerLists). */
  private readonly workerLists = new WorkerLists();
  /** The specs behind every held key, re-sent to a scheduler that restarted. */
  private readonly lineage = new Lineage();
  private readonly peers: PeerPool;
  private closed = false;
  private closeReason = '';
  /** Set while the scheduler is away and this client is trying to reach it again. */
  private reconnecting: Promise<void> | undefined;
  /** Ends a reconnect backoff wait early (on close). */
  private wakeReconnect: (() => void) | undefined;
  /** What is on its way to the scheduler, in order, sent in slices (graph frames and what must follow them). */
  private readonly outbox: GraphOutbox;
  /** ConnectOptions.graphSliceTasks: a map() of more plain elements is built as it is sent. */
  private readonly sliceTasks: number;
  /** Set from losing the connection until a new one is attached. */
  private linkDown = false;
  /** Times this client reconnected to its scheduler. */
  reconnects = 0;
  /**
   * Data addresses of the workers the scheduler told of (its welcome's `workers`, then
   * `worker-joined`/`worker-left`). After a reconnect they are all named to the scheduler, which
   * waits for those not back yet (a restarted one knows none): a worker may hold results this
   * client never heard of, and without the wait they would be run again on another worker.
   * Kept across reconnects; a scheduler says `worker-left` for those it will not wait for.
   */
  private readonly knownWorkers = new Set<string>();
  /** The welcome's `schedulerId`: the same after a reconnect, the scheduler did not restart. */
  private schedulerId: string | undefined;
  /** The cluster conditions in force (see {@link warnings}) and their listeners. */
  private readonly clusterWarnings = new ClusterWarnings();
  /** Says when this client's tasks wait on a scheduler no worker has joined (waiting-for-workers.ts). */
  private readonly waitingForWorkers: WaitingForWorkers;
  /** Graph updates and releases made within one tick, which leave as one message each (tick-queue.ts). */
  private readonly queue: TickQueue;
  private flushQueued = false;
  /** {@link flush} for {@link scheduleFlush}'s microtask: one function per client, not one per flush. */
  private readonly flushSoon = (): void => this.flush();
  /**
   * Futures the garbage collector found unreachable: their holds are dropped a slice per turn
   * (collected-queue.ts), not in the registry's callback, which V8 runs for a whole collection's
   * worth at once.
   */
  private readonly collected = new CollectedQueue<KeyState>((state) => this.dropHandle(state), () => this.flush());
  /** Futures watched for the garbage collector (its table let go once none is left: future-registry.ts). */
  private readonly registry = new FutureRegistry<KeyState>((state) => this.collected.push(state));
  /** Releases of futures, a slice per turn of the event loop (a million at once held it for seconds). */
  private readonly releases: ReleaseQueue;
  /** Whether the scheduler connection keeps the process alive: while the script waits on this client. */
  private readonly liveness: Liveness;
  /** A key {@link busy} found pending, checked first next time. */
  private pendingHint: KeyState | undefined;
  /** What fetching results from the workers uses (fetch-values.ts). */
  private readonly fetchHost: FetchHost;
  /** map, treeReduce and persist of more tasks than a slice: built as they are sent (lazy-submit.ts). */
  private readonly lazy: LazySubmit;

  private constructor(
    conn: Connection, welcome: Message, readonly url: string, private readonly name: string,
    private readonly link: PeerLink, private readonly opts: ConnectOptions,
    /** Kept across reconnects, so the scheduler can tell this client's new connection from a new client. */
    private readonly session: string,
    private readonly limits: PeerLimits,
  ) {
    this.dashboardDirectUrl = typeof welcome.dashboard === 'string' ? reachableDashboardUrl(welcome.dashboard, url) : undefined;
    this.dashboardUrl = typeof welcome.dashboardLink === 'string' ? welcome.dashboardLink : this.dashboardDirectUrl;
    this.peers = new PeerPool(name, link, limits);
    this.fetchHost = {
      peers: this.peers,
      received: (keys) => {
        if (!this.closed) this.conn.send({ op: 'received', keys });
      },
      whoHas: (keys) => this.schedulerRequest({ op: 'who-has', keys }),
    };
    this.sliceTasks = opts.graphSliceTasks ?? DEFAULT_GRAPH_SLICE;
    this.outbox = new GraphOutbox(
      () => (this.closed || this.linkDown ? undefined : this.conn), this.sliceTasks,
      (err) => process.stderr.write(`gluon client: sending the graph to ${url} failed: ${err.message}\n`),
    );
    this.queue = new TickQueue(this.outbox);
    this.lazy = new LazySubmit({
      keys: this.keys, lineage: this.lineage, registry: this.registry, futureHost: this,
      want: (key) => {
        this.queue.want(key);
        this.scheduleFlush();
      },
      queue: (job) => {
        this.queue.toOutbox();
        this.outbox.pushJob(job);
        this.scheduleFlush();
      },
    });
    this.releases = new ReleaseQueue((f) => this.dropFuture(f), this.sliceTasks, () => this.flush());
    this.conn = conn;
    this.clientId = '';
    this.liveness = new Liveness((on) => this.conn.setRef(on), () => this.busy());
    this.waitingForWorkers = new WaitingForWorkers({
      url: this.url,
      help: opts.workersHelp ?? `start workers for it: gluon-worker ${this.url}`,
      workers: () => this.knownWorkers.size,
      tasksWait: () => this.connected && this.busy(),
      schedulerSaysIt: () => this.clusterWarnings.has('no-workers'),
      say: (w, active) => this.clusterWarnings.own(w, active),
    });
    this.attach(conn, welcome);
    closeAtExit(this);
  }

  /**
   * Whether the script may be waiting on this client besides its tracked fetches and requests:
   * a task not done, work not yet sent, the scheduler away (see liveness.ts).
   */
  private busy(): boolean {
    if (this.linkDown || this.reconnecting || this.flushQueued || this.unsentTasks > 0) return true;
    this.pendingHint = pendingKey(this.keys, this.pendingHint);
    return this.pendingHint !== undefined;
  }

  /** The scheduler's id for this client (a new one after each reconnect). */
  get id(): string {
    return this.clientId;
  }

  /**
   * The cluster conditions the scheduler reports now (e.g. `memory-stall`: tasks wait and every
   * worker is paused for memory), each also written to stderr as `gluon client: scheduler: …`
   * when it begins and ends. Empty when nothing is wrong, and while the client is disconnected
   * (`connected` false: nothing is known then; on reconnecting the scheduler says what holds).
   */
  get warnings(): ClusterWarning[] {
    return this.clusterWarnings.list();
  }

  /**
   * Calls `listener` whenever the scheduler reports a cluster condition beginning (`active`) or
   * ending; returns the function that stops it. A lost connection ends every condition in force
   * (`active: false`, its text saying it is not known while disconnected): one may end while the
   * client is away, which nobody would say; those still in force begin again on reconnecting.
   */
  onWarning(listener: (w: ClusterWarning & { active: boolean }) => void): () => void {
    return this.clusterWarnings.listen(listener);
  }

  /**
   * How many workers the scheduler has told this client of (its welcome, then each worker joining
   * or leaving): those connected now, as far as this client knows. A worker counts from the moment
   * it registers, before it has loaded any task code or taken a task.
   */
  get workersKnown(): number {
    return this.knownWorkers.size;
  }

  /** Whether the scheduler connection is up right now (false while reconnecting or closed). */
  get connected(): boolean {
    return !this.closed && this.reconnecting === undefined;
  }

  private attach(conn: Connection, welcome: Message): void {
    this.conn = conn;
    this.liveness.apply();
    this.linkDown = false;
    this.clientId = String(welcome.clientId ?? '');
    if (Array.isArray(welcome.workers)) for (const a of welcome.workers as string[]) this.knownWorkers.add(a);
    if (this.knownWorkers.size === 0) this.waitingForWorkers.arm();
    this.schedulerId = typeof welcome.schedulerId === 'string' ? welcome.schedulerId : undefined;
    this.clusterWarnings.checkToken(this.link.token !== undefined, welcome, this.url, this.opts.tokenHelp ?? CLIENT_TOKEN_HELP);
    conn.on('message', (m: Message) => this.onMessage(m));
    conn.on('oversize', (m: Message, bytes: number, limit: number, whose: string) => sendOversize(m, bytes, limit, whose, this.conn, (key, message) => {
      this.keys.get(key)?.erred({ message, name: 'DataTooLargeError', stack: '', key, worker: '', retriesUsed: 0, kind: 'too-large' });
    }));
    conn.on('close', (code: number, reason: string, byThisSide: boolean) => {
      if (conn !== this.conn) return;
      this.linkDown = true;
      const { why, final } = linkClosed(code, reason, byThisSide);
      if (final) return this.onClose(why);
      this.onLost(why);
    });
    // A scheduler behind a cut link goes silent rather than closing: notice within its TTL.
    const ttl = Number(welcome.heartbeatTtlMs ?? 30_000);
    if (ttl > 0) conn.keepAlive(Math.max(50, Math.min(1000, ttl / 5)), ttl);
  }

  /**
   * Connects to a scheduler at `ws://host:port` (`wss://` with TLS; `ws+unix:PATH:/` for its
   * `--unix-socket` on this machine). Rejects with a `HandshakeError` whose message
   * says what was refused (bad or missing token, protocol or package version mismatch) or why
   * the scheduler could not be reached.
   */
  static async connect(url: string, opts: ConnectOptions = {}): Promise<Client> {
    const { name, limits, link } = connectSettings(url, opts, !withoutEnvToken.has(opts));
    try {
      const session = nanoid();
      // Tried again within the deadline while nothing answers yet (connect-retry.ts).
      const { conn, welcome } = await connectWithin(opts.timeoutMs ?? 10_000, (msLeft) => handshake(url, name, link, opts, limits, session, msLeft), url);
      return new Client(conn, welcome, url, name, link, opts, session, limits);
    } catch (err) {
      // The same code, HTTP status and cause (the socket's error), said with the address.
      if (err instanceof HandshakeError) throw withTokenHelp(err.withMessage(`Client.connect(${url}): ${err.message}`), opts.tokenHelp ?? CLIENT_TOKEN_HELP);
      throw err;
    }
  }

  // ---------------------------------------------------------------- submitting

  /**
   * Records what the cluster does while `work` runs and writes it to `path` as one
   * self-contained HTML file: the dashboard's own views (task stream, progress, memory, workers,
   * throughput …) replayed from its live feed, viewable offline and attachable to a bug report,
   * like Dask's `performance_report`. Returns what `work` returns; when `work` throws, the
   * report is still written, then the error is rethrown. Needs the scheduler's dashboard.
   *
   * ```ts
   * await client.performanceReport('report.html', async () => {
   *   await client.gather(client.map(inc, xs));
   * });
   * ```
   */
  performanceReport<T>(path: string, work: () => Promise<T>, opts: PerformanceReportOptions = {}): Promise<T> {
    return performanceReport({
      dashboardUrl: this.dashboardDirectUrl, scheduler: this.url,
      ...(this.link.token ? { token: this.link.token } : {}), ...(this.link.tls ? { tls: this.link.tls } : {}),
    }, path, work, opts);
  }

  /**
   * Runs `fn(...args)` on a worker and returns its future. Futures and delayed values anywhere
   * in the arguments become dependencies (the worker receives their values). Options come from
   * the function: `client.submit(inc.with({ priority: 10, retries: 2 }), 1)`.
   */
  submit<F extends AnyFn>(fn: RemoteFunction<F>, ...args: DeferredArgs<Parameters<F>>): Future<Awaited<ReturnType<F>>> {
    assertRemote(fn, 'submit()');
    const opts = fn.options;
    // Plain arguments (numbers, strings …) and no key of its own: map()'s short way for one
    // element, with no graph node, builder or walk; the same key and spec as the graph builder's
    // (bench/scheduler.ts (b): the client's window from a result to its next submit's write).
    if (opts.key === undefined && allPlain(args)) {
      this.assertOpen();
      const group = opts.group ?? fn.fn.export;
      const f = this.plainFuture(fn, group, opts.pure === false ? `${group}-${nanoid(16)}` : tokenize(group, fn.fn, args), args) as Future<Awaited<ReturnType<F>>>;
      this.scheduleFlush();
      return f;
    }
    return this.submitGraph([new Delayed(fn, args)])[0] as Future<Awaited<ReturnType<F>>>;
  }

  /**
   * One task per element: `map(inc, [1, 2, 3])`; with several iterables their elements are
   * zipped into the arguments (`map(add, xs, ys)`), stopping at the shortest. More elements
   * than {@link ConnectOptions.graphSliceTasks} are built as they are sent (the arguments are
   * checked at the call all the same); see {@link Client.unsentTasks}.
   */
  map<F extends AnyFn>(
    fn: RemoteFunction<F>,
    ...iterables: IterableArgs<Parameters<F>>
  ): Array<Future<Awaited<ReturnType<F>>>> {
    assertRemote(fn, 'map()');
    if (iterables.length === 0) throw new TypeError('map() needs at least one iterable of arguments');
    if (fn.options.key !== undefined) throw new TypeError('map(): the key option names one task; use group to prefix the keys of many');
    const lists = mapLists(iterables);
    this.assertOpen();
    let n = Infinity;
    for (const l of lists) n = Math.min(n, l.length);
    const argsOf = (i: number): unknown[] => (lists.length === 1 ? [lists[0]![i]] : lists.map((l) => l[i]));
    const opts = fn.options;
    const group = opts.group ?? fn.fn.export;
    const seed = opts.pure === false ? undefined : tokenizer(group, fn.fn);
    if (n > this.sliceTasks) return this.lazy.map(fn, group, seed, lists, n) as Array<Future<Awaited<ReturnType<F>>>>;
    // Elements holding futures or graph nodes go through the graph builder, first, so that a
    // bad argument among them queues nothing; plain ones (the usual numbers and strings) take
    // the short way: no graph node, no walk, one key lookup.
    const futures = new Array<Future>(n);
    const nested: number[] = [];
    for (let i = 0; i < n; i++) if (!lists.every((l) => isPlain(l[i]))) nested.push(i);
    if (nested.length) {
      const built = this.submitGraph(nested.map((i) => new Delayed(fn, argsOf(i))));
      nested.forEach((i, j) => (futures[i] = built[j]!));
    }
    for (let i = 0; i < n; i++) {
      if (futures[i]) continue;
      const args = argsOf(i);
      futures[i] = this.plainFuture(fn, group, seed ? seed.key(args) : `${group}-${nanoid(16)}`, args);
    }
    this.scheduleFlush();
    return futures as Array<Future<Awaited<ReturnType<F>>>>;
  }

  /** A future of the task `key`: `fn` over plain `args`, its spec queued unless it is known already. */
  private plainFuture(fn: RemoteFunction, group: string, key: string, args: unknown[]): Future {
    let state = this.keys.get(key);
    if (!state) {
      // Its spec is queued here unless a graph node of this tick queued it already.
      const queue = !this.queue.hasSpec(key);
      if (queue) this.queueSpec(makeSpec(key, fn, group, args, NO_DEPS), true);
      state = this.holdKey(key, !queue);
    }
    return this.newFuture(state);
  }

  /**
   * Submits delayed graphs and returns a future per root; the results stay on the cluster, so
   * the futures can feed further tasks.
   */
  persist<T>(node: Delayed<T>): Future<T>;
  persist<T>(nodes: Array<Delayed<T>>): Array<Future<T>>;
  persist(x: Delayed | Delayed[]): Future | Future[] {
    const roots = delayedRoots(x, 'persist()');
    return Array.isArray(x) ? this.submitGraph(roots) : this.submitGraph(roots)[0]!;
  }

  /** Submits delayed graphs, waits and returns their values (the results are then released). */
  async compute<T>(node: Delayed<T>): Promise<T>;
  async compute<T>(nodes: Array<Delayed<T>>): Promise<T[]>;
  async compute(x: Delayed | Delayed[]): Promise<unknown> {
    const futures = this.submitGraph(delayedRoots(x, 'compute()'));
    try {
      const values = await this.gather(futures);
      return Array.isArray(x) ? values : values[0];
    } finally {
      for (const f of futures) f.releaseBy('compute()');
    }
  }

  /**
   * Merges many results in a tree of `combine` tasks on the workers, `fanIn` inputs per task,
   * so the client receives one value instead of all of them. `combine` receives an array of up
   * to `fanIn` values and returns one of the same kind. The whole tree leaves as one graph; only
   * its root is held, so intermediate results are freed as soon as their parent has run. Over
   * more inputs than {@link ConnectOptions.graphSliceTasks} the tree is built as it is sent
   * (its root future's `key` builds it at once); inputs released after the call stay held
   * until the tree's tasks naming them have been sent.
   *
   * The inputs are an array or another iterable of futures, delayed calls and plain values of
   * the combined type: a plain value is handed to `combine` as it is, like a task argument (so
   * `treeReduce(merge, [...parts, empty])` compiles and runs). The type said futures and delayed
   * calls only while the call took plain values, and took any iterable but failed on one that
   * is not an array (`Cannot read properties of undefined`).
   */
  treeReduce<T>(
    combine: RemoteFunction<(parts: T[]) => T | Promise<T>>,
    inputs: Iterable<Future<T> | Delayed<T> | T>,
    opts: TreeReduceOptions = {},
  ): Future<T> {
    assertRemote(combine, 'treeReduce()');
    const futures = iterableList(inputs, 'treeReduce()', 'an array (or another iterable) of futures, delayed calls or values to reduce');
    checkOptionKeys(opts, TREE_REDUCE_OPTIONS, 'treeReduce()');
    const fanIn = opts.fanIn ?? 8;
    if (!Number.isInteger(fanIn) || fanIn < 2) throw new RangeError(`treeReduce: fanIn must be an integer ≥ 2, got ${fanIn}`);
    if (futures.length === 0) throw new RangeError('treeReduce: no inputs to reduce');
    if (futures.length > this.sliceTasks) {
      this.assertOpen();
      return this.lazy.tree(combine, futures, fanIn) as Future<T>;
    }
    let level: readonly unknown[] = futures;
    do {
      const next: Delayed[] = [];
      for (let i = 0; i < level.length; i += fanIn) next.push(new Delayed(combine, [level.slice(i, i + fanIn)]));
      level = next;
    } while (level.length > 1);
    return this.submitGraph(level as Delayed[])[0] as Future<T>;
  }

  /**
   * Turns graph nodes into task specs (dependencies first) and returns a future per root. All
   * or nothing: when an argument cannot be serialised, nothing is queued. A spec is sent unless
   * this client already holds its key (then the scheduler has it), so resubmitting a delayed
   * graph after its results were released recomputes it. More roots than a slice are built as
   * they are sent (checked here all the same).
   */
  private submitGraph(roots: Delayed[]): Future[] {
    this.assertOpen();
    if (roots.length > this.sliceTasks) return this.lazy.roots(roots);
    if (graphOver(roots, this.sliceTasks)) return this.lazy.nodes(roots);
    const specs: TaskSpec[] = [];
    const builder = new GraphBuilder((k) => this.queue.hasSpec(k) || this.keys.has(k), (spec) => specs.push(spec), (f) => checkUsable(f));
    const keys = new Array<string>(roots.length);
    for (let i = 0; i < roots.length; i++) keys[i] = builder.key(roots[i]!);
    for (const spec of specs) this.queueSpec(spec, false);
    const futures = new Array<Future>(roots.length);
    for (let i = 0; i < roots.length; i++) futures[i] = this.newFuture(this.keys.get(keys[i]!) ?? this.holdKey(keys[i]!));
    this.scheduleFlush();
    return futures;
  }

  /** Queues a spec to be sent (see TickQueue.spec) and kept in the lineage. */
  private queueSpec(spec: TaskSpec, held: boolean): void {
    this.queue.spec(spec, held);
    this.lineage.add(spec, held);
  }

  /** Starts holding a key: its state, and a want for the scheduler (and its lineage, unless counted already). */
  private holdKey(key: string, holdLineage = true): KeyState {
    this.liveness.hold();
    if (this.knownWorkers.size === 0) this.waitingForWorkers.arm();
    this.queue.releasesFirst();
    const state = new KeyState(key);
    this.keys.set(key, state);
    if (holdLineage) this.lineage.hold(key);
    this.queue.want(key);
    return state;
  }

  private newFuture(state: KeyState): Future {
    this.liveness.hold();
    state.handles++;
    const f = new Future(state, this);
    this.registry.register(f, state);
    return f;
  }

  private scheduleFlush(): void {
    this.liveness.hold();
    if (this.flushQueued) return;
    this.flushQueued = true;
    inMicrotask(this.flushSoon);
  }

  /**
   * Tasks submitted (or re-sent after a reconnect) that have not yet been handed to the
   * connection: a large graph leaves in slices of {@link ConnectOptions.graphSliceTasks}.
   */
  get unsentTasks(): number {
    return this.queue.taskCount + this.outbox.pendingTasks;
  }

  /**
   * How many entries each of this client's own tables holds now (see {@link ClientTableSizes}):
   * after every future is released and {@link whenSent} resolved, all but the cluster-bounded ones
   * are 0, so a script or a test can check that nothing is kept (bench/client-rss.ts prints them).
   */
  tableSizes(): ClientTableSizes {
    return {
      keys: this.keys.size, lineage: this.lineage.size, releasesQueued: this.releases.pending, collectedQueued: this.collected.pending,
      outbox: this.outbox.length + this.queue.length,
      unsentTasks: this.unsentTasks, workerLists: this.workerLists.size, knownWorkers: this.knownWorkers.size, peers: this.peers.size,
    };
  }

  /** Graph slices sent so far (each one a turn of the event loop; for tests and benchmarks). */
  get graphSlices(): number {
    return this.outbox.slices;
  }

  /**
   * Resolves once every task submitted (and every future released) so far has been handed to
   * the connection.
   */
  whenSent(): Promise<void> {
    return this.liveness.track((async () => {
      await this.releases.whenDone();
      this.flush();
      return this.outbox.whenEmpty();
    })());
  }

  /** Queues graph updates and releases behind what is on its way, and sends (paced). */
  private flush(): void {
    this.flushQueued = false;
    // While reconnecting, everything stays queued: the re-sent graph covers it.
    if (this.closed || this.reconnecting) return;
    this.queue.toOutbox();
    this.outbox.kick();
  }

  // ---------------------------------------------------------------- results

  /**
   * The values of the futures anywhere in a structure (arrays and plain objects), in the same
   * shape. Small results came inline with the scheduler's notice; the rest are fetched from the
   * workers holding them, one request per worker. Rejects with the first failure (a released
   * future's: `ReleasedFutureError`).
   */
  async gather<T>(x: T): Promise<Gathered<T>> {
    const found = futuresIn(x);
    await bound(found);
    for (const f of found) if (f.isReleased) throw f.releasedError('gather()');
    const values = await this.liveness.track(fetchValues(found.map((f) => f.state), this.fetchHost));
    return withValues(x, values);
  }

  /** @internal */
  async resultOf(state: KeyState): Promise<unknown> {
    // The usual case, a small result that came inline with the scheduler's notice: its value
    // without fetchValues' rounds (a Map, a settle-all promise and their closures per call: 1.2 KB
    // of the client's ~11 KB of garbage per round trip of bench/scheduler.ts (b)).
    if (!state.done) await state.settled();
    if (state.status === 'finished' && state.hasValue) return state.value;
    return (await this.liveness.track(fetchValues([state], this.fetchHost))).get(state.key);
  }

  /**
   * Yields futures as they finish (or fail, or are cancelled), in completion order, each once. A
   * released future is yielded too (status `released`, its `result()` a `ReleasedFutureError`):
   * at once if released before the iteration, else when its key settles, which releasing the
   * client's last future of the key does at once.
   */
  async *asCompleted<T>(futures: Iterable<Future<T>>): AsyncGenerator<Future<T>> {
    for await (const batch of settledBatches(futureList(futures, 'asCompleted()'))) yield* batch;
  }

  /**
   * Yields the futures in batches as they settle: each batch is every one that settled since the
   * last (at least one), in completion order. `gather(batch)` then fetches a batch's values in one
   * request per worker. Reading each future's `result()` in turn costs a round trip to its worker
   * for every value that did not come inline with the scheduler's notice (results over 16 KiB, and
   * every result that finished while this client was reconnecting): after a 15 s cut of its
   * link (50 ms, 5% loss), the H→4ℓ analysis read ~700 chunk results one by one at ~3 a second,
   * and its 10 s run took 298 s (found running it across hosts). Released futures are yielded as
   * {@link asCompleted} yields them.
   */
  async *asCompletedBatches<T>(futures: Iterable<Future<T>>): AsyncGenerator<Array<Future<T>>> {
    yield* settledBatches(futureList(futures, 'asCompletedBatches()'));
  }


  /**
   * Waits until all futures are done (or the first one, with `returnWhen: 'FIRST_COMPLETED'`),
   * or until `timeoutMs` passes. Never throws for a failed task; returns which are done. A
   * released future is done (as {@link asCompleted} yields it).
   */
  async wait<T>(given: Array<Future<T>>, opts: WaitOptions = {}): Promise<{ done: Array<Future<T>>; notDone: Array<Future<T>> }> {
    const futures = futureList(given, 'wait()');
    return waitFor(futures, opts);
  }

  // ---------------------------------------------------------------- control

  /**
   * Cancels tasks that have not finished, and everything depending on them; their futures then
   * reject with `CancelledError`. Finished results are left alone (release them instead), and so
   * are released futures (no longer the caller's: another future of the key keeps its task). Tasks
   * of a large graph not built yet are never built nor sent (see the README, *Large graphs*).
   */
  async cancel(given: Future[]): Promise<void> {
    const futures = futureList(given, 'cancel()');
    this.assertOpen();
    // A cancel lost with the connection may never have reached the scheduler, and the reconnect
    // re-sends every held key's task: it is sent again for the futures not settled by then.
    while (!(await this.cancelOnce(futures)) && !this.closed) await Promise.resolve();
  }

  /** One sending of a cancel; false when the connection was lost before the scheduler answered. */
  private async cancelOnce(futures: Future[]): Promise<boolean> {
    // A future whose task a graph being built has not built yet is cancelled there: its task is
    // never built nor sent (nor are the units that include it). The others go by their keys.
    const keys = new Set<string>();
    for (const f of futures) if (!f.done && !f.cancelUnbuilt()) keys.add(f.key);
    if (keys.size === 0) return true;
    // Tasks still waiting to be sent never reach the scheduler: they (and their waiting
    // dependents) are cancelled here, so a cancel mid-submit does not wait for the rest. Units of
    // graphs not built yet that depend on them are cancelled as they are built.
    this.queue.toOutbox();
    const gone = this.outbox.drop(keys);
    this.outbox.cancelledKeys(keys, gone);
    for (const key of gone) {
      const s = this.keys.get(key);
      if (!s) continue;
      s.cancelled();
      this.forgetKey(key);
    }
    const sent = [...keys].filter((k) => this.keys.has(k));
    if (sent.length === 0) return true;
    await this.whenConnected();
    this.flush();
    // Ahead of the frames still queued: none of them names these keys any more.
    this.conn.send({ op: 'cancel', keys: sent });
    // The scheduler answers `cancelled` for each key it had not finished, as it handles the
    // cancel; a marker asked after it is answered after those, so once this resolves the futures
    // read `cancelled` (or `finished`, had the result come first), as Dask's do.
    try {
      await this.liveness.track(this.conn.request({ op: 'who-has', keys: [] }));
      return true;
    } catch (err) {
      if (err instanceof ConnectionClosedError) return false;
      throw err;
    }
  }

  /** Runs failed tasks again (and the failed tasks they depend on); released futures are left alone. */
  async retry(given: Future[]): Promise<void> {
    const futures = futureList(given, 'retry()');
    this.assertOpen();
    const keys = [...new Set(futures.filter((f) => f.status === 'error').map((f) => f.key))];
    if (keys.length === 0) return;
    await this.whenConnected();
    // The scheduler runs the erred tasks these depend on again too. It tells every client holding
    // one (`task-retried`), but this client's futures read pending at once, as retry() returns.
    for (const k of erredUpstream(keys, this.keys, this.lineage)) this.keys.get(k)?.reset();
    this.flush();
    this.conn.send({ op: 'retry', keys });
  }

  /**
   * Drops futures' holds on their results (same as `future.release()` on each). Many are dropped
   * a slice per turn of the event loop, each slice's keys in one message (see ReleaseQueue).
   */
  release(futures: Iterable<Future>): void {
    for (const f of futureList(futures, 'release()')) f.releaseBy('client.release()');
  }

  /** Publishes a value on a topic of the dashboard's Results panel. */
  publish(topic: string, value: unknown): void {
    this.assertOpen();
    if (typeof topic !== 'string' || topic === '') throw new TypeError('publish(): the topic must be a non-empty string');
    const wire = toWire([value], () => undefined, 'value');
    // Behind the graph on its way, and kept for the new connection while reconnecting.
    this.queue.toOutbox();
    this.outbox.pushMessage({ op: 'publish', topic, value: wire.args[0] });
    this.flush();
  }

  /** @internal A release, done now or in a later slice (see ReleaseQueue). */
  releaseFuture(future: Future): void {
    this.releases.push(future);
  }

  /** Drops one released future's hold. */
  private dropFuture(future: Future): void {
    this.registry.unregister(future);
    this.dropHandle(future.state, future.releaseCall);
  }

  /**
   * A Future object for `state` was released (`by` names the call) or collected; the last one
   * drops the hold, and a pending state settles as released (nothing would settle it now).
   */
  private dropHandle(state: KeyState, by = 'garbage collection'): void {
    if (--state.handles > 0) return;
    if (this.keys.get(state.key) !== state) return;
    this.keys.delete(state.key);
    this.lineage.release(state.key);
    state.letGo(by);
    if (!state.held || this.closed) return;
    this.queue.release(state.key);
    this.scheduleFlush();
  }

  /** A cancelled key: no longer held here, nor its spec kept. */
  private forgetKey(key: string): void {
    this.keys.delete(key);
    this.lineage.release(key);
  }

  private onMessage(m: Message): void {
    if (m.op === 'warning') return this.clusterWarnings.fromScheduler(m);
    if (m.op === 'worker-joined') {
      this.knownWorkers.add(m.address as string);
      this.waitingForWorkers.joined();
      return;
    }
    if (m.op === 'worker-left') {
      this.knownWorkers.delete(m.address as string);
      return;
    }
    const state = typeof m.key === 'string' ? this.keys.get(m.key) : undefined;
    if (!state) return;
    // Cancelled: nothing more will come of it.
    if (keyNews(state, m, this.workerLists)) this.forgetKey(state.key);
  }

  /** The scheduler connection dropped: reconnect (within the limit) unless the client closed. */
  private onLost(why: string): void {
    if (this.closed || this.reconnecting) return;
    this.clusterWarnings.forget();
    this.waitingForWorkers.reset();
    const limit = this.opts.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
    if (limit === 0) return this.onClose(why);
    process.stderr.write(`gluon client: ${why}; reconnecting to ${this.url} (for up to ${formatMs(limit)})\n`);
    const p = this.reconnect(why, limit).finally(() => {
      if (this.reconnecting === p) this.reconnecting = undefined;
    });
    this.reconnecting = p;
  }

  /**
   * Tries the scheduler again until it answers or `limitMs` passed (reconnect.ts). On success,
   * re-sends the graph of every key still held (a restarted scheduler knows nothing; one that
   * only lost the connection reuses what it has); on failure, fails every pending future with an
   * error naming the address and how long it tried.
   */
  private reconnect(why: string, limitMs: number): Promise<void> {
    return reconnectWithin(why, limitMs, {
      closed: () => this.closed,
      attempt: (msLeft) => handshake(this.url, this.name, this.link, this.opts, this.limits, this.session, Math.min(msLeft, this.opts.timeoutMs ?? 10_000)),
      reached: (conn, welcome, since) => {
        // The same scheduler, only the link was lost: it knows where every result is, and a worker
        // it told of that is not registered has left (told while the link was down: missed). Naming
        // one would hold every task for holderWaitMs once it had forgotten that worker's leaving.
        const same = this.schedulerId !== undefined && welcome.schedulerId === this.schedulerId;
        if (same) this.knownWorkers.clear();
        // The workers known before this connection: the new welcome adds those it has.
        const knew = [...this.knownWorkers];
        this.attach(conn, welcome);
        this.reconnects++;
        this.resend(knew, !same);
        process.stderr.write(`gluon client: reconnected to ${this.url} after ${formatMs(Date.now() - since)}; ${reconnectCost(same, welcome.resumed, this.keys.size)}\n`);
      },
      gaveUp: (text) => this.onClose(`gave up on the scheduler at ${this.url} ${text}`),
      waiting: (wake) => (this.wakeReconnect = wake),
    });
  }

  /**
   * After a reconnect: one graph with the lineage of every held key that has not failed, those
   * keys as wants, where finished results were last seen, and every worker known before the
   * reconnect (`knew`): the scheduler waits for those of them not registered with it, bounded,
   * instead of recomputing what they hold. `restarted` false (the same scheduler): no `held`
   * either, for the same reason as no `knew`. What was queued meanwhile is part of it.
   */
  private resend(knew: string[], restarted: boolean): void {
    this.queue.clear();
    // Frames not yet sent are part of the lineage re-sent below; lazy maps' unbuilt parts and
    // messages (publish, cancel) follow it (see GraphOutbox.replaceGraph).

    const { roots, held } = heldRoots(this.keys, restarted);
    // Nodes that graphs still being built made and will name again are sent too (nobody holds them yet).
    const holders = { ...(Object.keys(held).length ? { held } : {}), ...(knew.length ? { workers: knew } : {}) };
    this.outbox.replaceGraph(this.lineage.graphOf([...roots, ...this.outbox.openKeys()]), roots, holders.held || holders.workers ? holders : undefined);
    this.outbox.kick();
  }

  /** Resolves once the scheduler connection is up; rejects if the client closed or gave up. */
  private async whenConnected(): Promise<void> {
    if (this.reconnecting) await this.reconnecting;
    this.assertOpen();
  }

  /** A request to the scheduler that survives reconnects (re-asked on the new connection). */
  private schedulerRequest(msg: Message): Promise<Message> {
    return this.liveness.track(this.schedulerRequestOnce(msg));
  }

  private async schedulerRequestOnce(msg: Message): Promise<Message> {
    for (;;) {
      await this.whenConnected();
      this.flush();
      try {
        return await this.conn.request(msg);
      } catch (err) {
        if (!(err instanceof ConnectionClosedError) || this.closed) throw err;
        // The connection dropped while we waited: a reconnect is under way (or the client closed).
        await Promise.resolve();
      }
    }
  }

  private onClose(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.liveness.stop();
    this.waitingForWorkers.reset();
    closedBeforeExit(this);
    this.closeReason = why;
    this.wakeReconnect?.();
    this.releases.clear();
    this.collected.clear();
    this.outbox.abandon(why);
    for (const s of this.keys.values()) if (!s.done) s.disconnected(why);
    void this.peers.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError(this.closeReason);
  }

  /**
   * @internal The scheduler is gone for good (LocalCluster saw its process exit): stop
   * reconnecting and fail pending futures with `reason`.
   */
  abandon(reason: string): void {
    if (this.closed) return;
    const conn = this.conn;
    this.onClose(reason);
    conn.close(1001, reason);
  }

  /** Sends what is queued, closes the connections; futures still pending fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    // Whatever is still queued leaves now: there is no later turn to send it in.
    if (!this.reconnecting) this.outbox.drainNow('the client was closed');
    // Closed first, so the connection's close event is not taken for a lost scheduler.
    const conn = this.conn;
    this.onClose('the client was closed');
    // Its close frame and the scheduler's answer complete even at beforeExit.
    conn.setRef(true);
    conn.close(1000, 'client closing');
    await this.peers.close();
  }
}
