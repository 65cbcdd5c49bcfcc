import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import {
  checkOptionKeys, checkTokenOption, hopProbe, inMicrotask, isLoopbackHost, logText, readTlsMaterial, checkTlsOptionKeys,
  CLIENT_TO_SCHEDULER, CloseCode, listen, listenUnix, tooLargeReason, type AcceptConnectionsOptions, type UnixListener, WORKER_TO_SCHEDULER, type Connection, type Hello, type Inbound, type Listener,
  type Logger, type Message, type TlsOptions,
} from '@gluon/protocol';
import { checkNumberOptions, countOf, formatBytes, memoryUsage, residentBytes } from '@gluon/protocol';
import { leftReason, WorkerChurn, workerWho } from './worker-churn.js';
import { ChurnWindow } from './churn-window.js';
import type { ClusterEvent, ClusterProbe, ClusterSnapshot, DashboardSource } from './dashboard/source.js';
import { Aftercare, collectBuffers, collectHeld, collectIdle, collectSettled, IdleCollector, IdlePacing } from './idle-gc.js';
import { checkDashboardLink } from './dashboard/link.js';
import { mallocTrim } from './malloc-trim.js';
import { ReleaseBacklog } from './release-backlog.js';
import type { HeldEvents } from './held-events.js';
import { stallNote } from './loop-stall.js';
import { overLongKeys } from './key-refusals.js';
import { SchedulerState, type Command, type SchedulerConfig } from './state.js';
import { SCHEDULER_NUMBER_OPTIONS, SCHEDULER_OPTION_KEYS, type SchedulerOptions } from './server-options.js';

type FromWorker = Inbound<typeof WORKER_TO_SCHEDULER>;
type FromClient = Inbound<typeof CLIENT_TO_SCHEDULER>;

export type { SchedulerOptions } from './server-options.js';

/** How long a lost client's keys are kept for its return, by default (see `sessionGraceMs`). */
export const DEFAULT_SESSION_GRACE_MS = 60_000;

/**
 * A running scheduler: the network edge around {@link SchedulerState}. It owns connections,
 * the clock and the dashboard; every decision is the state machine's.
 */
export class Scheduler implements DashboardSource {
  readonly state: SchedulerState;
  /** Where the dashboard is served (`http://host:port/prefix/`). */
  dashboardUrl: string | undefined;
  /** Its public link (`dashboardLink` expanded), if one was given. */
  dashboardLink: string | undefined;
  private listener!: Listener;
  /** The listener on `unixSocket`, if any. */
  private unixListener: UnixListener | undefined;
  private readonly workers = new Map<string, Connection>();
  /** How the log names each worker's connection once registered (workerWho). */
  private readonly workerNames = new WeakMap<Connection, string>();
  private readonly clients = new Map<string, Connection>();
  /** Every handshaken connection still open, registered or not (closed on shutdown). */
  private readonly open = new Set<Connection>();
  /** A client's session (it keeps one across reconnects) → its current client id. */
  private readonly sessions = new Map<string, string>();
  /**
   * Clients whose connection was lost, by id: their keys are kept until they come back (same
   * session) or the session grace ends, whichever is first.
   */
  private readonly graced = new Map<string, NodeJS.Timeout>();
  /** Set by close(): connections closing now are not lost clients to wait for. */
  private stopping = false;
  private nextId = 1;
  /**
   * This process's own id, in every client's welcome: a client reconnecting to the same scheduler
   * (only its link was lost) knows it, and names no workers for it to wait for (see Client.resend).
   */
  private readonly schedulerId = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private dashboard: { url: string; link: string | undefined; close(): Promise<void> } | undefined;
  private readonly log: Logger;
  /** The state machine's dashboard events and their listeners (held-events.ts). */
  private readonly events: HeldEvents<ClusterEvent>;
  /** Workers joining and leaving, said in this process's log, bounded for large farms (worker-churn.ts). */
  private readonly churn = new WorkerChurn((l) => this.log(l), () => {
    let threads = 0;
    for (const id of this.workers.keys()) threads += this.state.workers.get(id)?.nthreads ?? 0;
    return { workers: this.workers.size, threads };
  });
  /**
   * Clients lost (not closed by themselves), said in this process's log as workers joining and
   * leaving are, bounded: 50 client processes killed at once said 50 lines (churn-window.ts).
   */
  private readonly lostClients = new ChurnWindow<'kept' | 'released'>((l) => this.log(l), () => {
    const kept = this.graced.size;
    return `${countOf(this.clients.size, 'client')} connected${kept ? `, ${kept} lost kept for their return` : ''}`;
  }, { kept: 'clients lost (their keys kept for their return)', released: 'clients lost (their keys released)' });
  /** Whether and when to collect while idle (idle-gc.ts); paced, so that bursts a few seconds apart do not pay for it. */
  private readonly collector = new IdleCollector(undefined, undefined, new IdlePacing());
  /** The trim and the second collection that follow an idle collection (idle-gc.ts). */
  private readonly aftercare = new Aftercare();
  /** Whether the log has said why there is no malloc_trim here (trimHeap). */
  private saidNoTrim = false;
  /** Big releases, forgotten a slice per turn of the event loop (release-backlog.ts). */
  private readonly releases = new ReleaseBacklog();
  /** Clients gone whose references are still being dropped, a slice per turn (forget). */
  private readonly leaving = new Set<string>();
  /** A turn is scheduled to release the next slice. */
  private releasing = false;
  private saidNoLowMemory = false;
  /** An idle collection or its second one is under way (on Node 20 they end in a later task). */
  private collecting = false;
  /** A microtask is queued to pass on the held events. */
  private eventsQueued = false;

  private constructor(private readonly opts: SchedulerOptions) {
    const cfg: Partial<SchedulerConfig> = {};
    if (opts.heartbeatTtlMs !== undefined) cfg.heartbeatTtlMs = opts.heartbeatTtlMs;
    if (opts.memoryStallMs !== undefined) cfg.memoryStallMs = opts.memoryStallMs;
    if (opts.holderWaitMs !== undefined) cfg.holderWaitMs = opts.holderWaitMs;
    if (opts.refusalWaitMs !== undefined) cfg.refusalWaitMs = opts.refusalWaitMs;
    if (opts.allowedFailures !== undefined) cfg.allowedFailures = opts.allowedFailures;
    if (opts.maxTopics !== undefined) cfg.maxTopics = opts.maxTopics;
    if (opts.maxTopicBytes !== undefined) cfg.maxTopicBytes = opts.maxTopicBytes;
    if (opts.maxPublishedBytes !== undefined) cfg.maxPublishedBytes = opts.maxPublishedBytes;
    this.state = new SchedulerState(cfg);
    // Dashboard events are held while a peer's message is handled and passed on after its answers (held-events.ts).
    this.events = this.state.events;
    const sink = opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} scheduler: ${l}\n`));
    // Lines quote what peers sent (names, versions, ops): none may forge or rewrite a line.
    this.log = (l) => sink(logText(l));
    this.events.onError = (err) => this.log(`a dashboard listener failed: ${(err as Error)?.stack ?? String(err)}`);
  }

  /** `ws://host:port` for workers and clients. */
  get address(): string {
    return this.listener.address;
  }

  /** `ws+unix:PATH:/` when it also listens on a Unix socket (`unixSocket`). */
  get unixAddress(): string | undefined {
    return this.unixListener?.address;
  }

  static async start(opts: SchedulerOptions = {}): Promise<Scheduler> {
    checkOptionKeys(opts, SCHEDULER_OPTION_KEYS, 'Scheduler.start');
    checkTlsOptionKeys(opts.tls, 'Scheduler.start: tls', 'listener');
    checkTokenOption(opts.token, 'Scheduler.start');
    checkNumberOptions(opts, SCHEDULER_NUMBER_OPTIONS, 'Scheduler.start');
    // File paths, as Client.connect takes them, read and checked here: passed on as they were,
    // a path failed in OpenSSL with 'PEM routines::no start line', naming no option or file.
    if (opts.tls) opts = { ...opts, tls: readTlsMaterial(opts.tls, 'Scheduler.start: tls') };
    if (opts.unixSocket !== undefined && opts.tls) throw new Error(`unixSocket (${opts.unixSocket}) with tls: a Unix socket does not speak TLS; it is for processes on this machine`);
    // A bad link template fails the start before anything listens, naming what is wrong.
    if (opts.dashboardLink !== undefined && opts.dashboard !== false) checkDashboardLink(opts.dashboardLink, opts.host ?? '127.0.0.1', '', process.env, 'dashboardLink');
    const s = new Scheduler(opts);
    const ids = new WeakMap<Hello, string>();
    const accept: AcceptConnectionsOptions = {
      self: 'scheduler',
      roles: ['client', 'worker'],
      // Every message is checked against its op's schema before it reaches the handlers below.
      inbound: { client: CLIENT_TO_SCHEDULER, worker: WORKER_TO_SCHEDULER },
      ...(opts.token ? { token: opts.token } : {}),
      ...(opts.maxFrameBytes ? { maxFrameBytes: opts.maxFrameBytes } : {}),
      ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
      ...(opts.maxSendBacklogBytes ? { maxSendBacklogBytes: opts.maxSendBacklogBytes } : {}),
      ...(opts.pieceStallMs ? { pieceStallMs: opts.pieceStallMs } : {}),
      ...(opts.helloTimeoutMs ? { helloTimeoutMs: opts.helloTimeoutMs } : {}),
      ...(opts.maxUnauthenticatedConnections !== undefined ? { maxUnauthenticatedConnections: opts.maxUnauthenticatedConnections } : {}),
      log: s.log,
      // A worker giving a live worker's data address, not from its session, is refused (4012).
      admit: (hello) => {
        if (hello.role !== 'worker') return null;
        const v = s.state.judgeHello(hello, Date.now());
        return v.kind === 'refused' ? { code: CloseCode.addressInUse, reason: v.reason } : null;
      },
      welcome: (hello) => {
        const id = `${hello.role === 'worker' ? 'w' : 'c'}${s.nextId++}`;
        ids.set(hello, id);
        const ttl = s.state.config.heartbeatTtlMs;
        return hello.role === 'worker'
          ? { workerId: id, heartbeatIntervalMs: Math.max(50, Math.min(1000, ttl / 5)), heartbeatTtlMs: ttl }
          : { clientId: id, heartbeatTtlMs: ttl, workers: s.state.workerAddresses(), schedulerId: s.schedulerId, ...(s.dashboardUrl ? { dashboard: s.dashboardUrl } : {}), ...(s.dashboardLink ? { dashboardLink: s.dashboardLink } : {}),
            // Whether this client's keys were kept while it was away (its session still here).
            ...(typeof hello.session === 'string' ? { resumed: s.sessions.has(hello.session) } : {}) };
      },
      onConnection: (conn, hello) => {
        const id = ids.get(hello)!;
        s.open.add(conn);
        conn.on('close', () => s.open.delete(conn));
        if (hello.role === 'worker') s.workerConnected(id, conn, hello);
        else s.clientConnected(id, conn, hello);
      },
    };
    // A plain GET here is most likely meant for the dashboard (curl of api/state or metrics, a
    // scrape config given 8786): the 426 names where it is; it said only "a WebSocket client".
    const httpNote = () => (opts.dashboard === false ? 'this scheduler serves no dashboard: it was started with --no-dashboard'
      : s.dashboardUrl ? `its dashboard, with api/state and metrics, is at ${s.dashboardLink ?? s.dashboardUrl}` : undefined);
    s.listener = await listen({ ...accept, httpNote, host: opts.host ?? '127.0.0.1', port: opts.port ?? 8786, ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}), ...(opts.tls ? { tls: opts.tls } : {}) });
    if (opts.unixSocket !== undefined) {
      try {
        s.unixListener = await listenUnix(opts.unixSocket, accept);
      } catch (err) {
        await s.listener.close();
        throw err;
      }
    }
    const ttl = s.state.config.heartbeatTtlMs;
    // A first tick now, so that a stall from here on is measured: with none yet, the first one
    // had nothing to measure from (a scheduler stopped in its first second said nothing).
    s.dispatch(s.state.tick(Date.now()).commands);
    s.timer = setInterval(() => {
      hopProbe?.mark('tick');
      s.tick();
      hopProbe?.mark('tick-end');
    }, s.state.tickIntervalMs);
    s.timer.unref();
    if (opts.dashboard !== false) {
      try {
        await s.startDashboard();
      } catch (err) {
        await s.close();
        throw err;
      }
    }
    return s;
  }

  private async startDashboard(): Promise<void> {
    // Imported lazily: a scheduler without a dashboard does not pay for loading it.
    const { startDashboard } = await import('./dashboard/server.js');
    // Its errors (e.g. a busy port) already name the port and the flags to change.
    this.dashboard = await startDashboard(this, {
      host: this.opts.host ?? '127.0.0.1',
      port: this.opts.dashboardPort ?? 8787,
      ...(this.opts.allowedHosts ? { allowedHosts: this.opts.allowedHosts } : {}),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      ...(this.opts.token ? { token: this.opts.token } : {}),
      ...(this.opts.dashboardPrefix ? { prefix: this.opts.dashboardPrefix } : {}),
      ...(this.opts.dashboardSessionTtlMs ? { sessionTtlMs: this.opts.dashboardSessionTtlMs } : {}),
      ...(this.opts.dashboardTrustedProxies?.length ? { trustedProxies: this.opts.dashboardTrustedProxies } : {}),
      ...(this.opts.dashboardMaxFeeds !== undefined ? { maxFeeds: this.opts.dashboardMaxFeeds } : {}),
      ...(this.opts.dashboardMaxFeedsPerAddress !== undefined ? { maxFeedsPerAddress: this.opts.dashboardMaxFeedsPerAddress } : {}),
      ...(this.opts.maxUnauthenticatedConnections !== undefined ? { maxUnauthenticatedConnections: this.opts.maxUnauthenticatedConnections } : {}),
      ...(this.opts.dashboardLink !== undefined ? { link: this.opts.dashboardLink } : {}),
      log: (line) => this.log(line),
    });
    this.dashboardUrl = this.dashboard.url;
    this.dashboardLink = this.dashboard.link;
  }

  /**
   * Expires silent workers and closes their connections: a worker that was only frozen (SIGSTOP,
   * a cut link) learns it was dropped and registers anew with what it holds, instead of talking
   * into a registration the scheduler has already forgotten.
   */
  private tick(): void {
    this.churn.flush(Date.now());
    this.lostClients.flush(Date.now());
    const { commands, expired, stalls, silent, stalledMs } = this.state.tick(Date.now());
    // The dashboard's event log has it too; an operator reading only this log saw workers "lost".
    const note = stallNote(stalledMs, this.state.config.heartbeatTtlMs);
    if (note) this.log(note);
    for (const n of stalls) this.log(n.text);
    // Started with --expose-gc (SCHEDULER_V8_FLAGS): give a big release's memory back once it settled.
    const gc = globalThis.gc;
    if (gc && !this.collecting) this.collectWhenIdle(gc);
    // A peer that has left more than --max-send-backlog unread since the last tick is dropped
    // (4010), also when nothing more is being sent to it (a worker holding all the tasks it may).
    for (const conn of this.open) conn.checkSendBacklog();
    for (const id of expired) {
      const conn = this.workers.get(id);
      this.workers.delete(id);
      this.log(`${(conn && this.workerNames.get(conn)) ?? `worker ${id}`} expired: no heartbeat within ${this.state.config.heartbeatTtlMs} ms; closing its connection`);
      conn?.close(CloseCode.expired, `no heartbeat within ${this.state.config.heartbeatTtlMs} ms; register again`);
    }
    // A worker said silent (silent-workers.ts), and the end of its silence: after its expiry's line.
    for (const text of silent) this.log(text);
    this.dispatch(commands);
  }

  /**
   * The idle collection once a big release has settled, or once a burst of work has with its
   * results held, and what follows it (idle-gc.ts). On
   * Node 20 a collection finishes in a task V8 runs after this tick (its low-memory
   * collection), so each one is awaited before the next step, and none overlap.
   */
  private collectWhenIdle(gc: NodeJS.GCFunction): void {
    const after = this.aftercare.next(Date.now(), this.state.transitionCount);
    if (after === 'trim') this.trimHeap(this.collector.lastReason === 'work' ? 'after the collection of held work' : this.collector.lastReason === 'buffers' ? 'after the collection of big buffers' : 'after the idle collection');
    else if (after === 'settle') {
      const before = residentBytes();
      this.whenCollected(collectSettled(gc), () => this.trimHeap(`after a second collection, ${this.aftercare.settleMs / 1000} s idle`, before));
    }
    if (this.collecting) return;
    const why = this.collector.shouldCollect(this.state.forgottenCount, this.state.transitionCount, this.state.tasks.size, () => memoryUsage().arrayBuffers, Date.now());
    if (why === 'release') {
      this.whenCollected(collectIdle(gc), () => {
        // What is left after the collection, to tell live leftovers (heap used) from memory the
        // process keeps without using it (RSS beyond the heap): bench/scale.ts reads this line.
        this.log(memoryLine(`idle collection after ${this.collector.lastReleased} tasks were forgotten`));
        this.aftercare.collected(Date.now(), this.state.transitionCount);
      });
    } else if (why === 'work') {
      const before = residentBytes();
      collectHeld(gc);
      this.log(memoryLine(`collection after ${this.collector.lastWork} task state changes, ${this.state.tasks.size} tasks held (RSS before ${(before / 2 ** 20).toFixed(1)} MiB)`));
      // The dead buffers' C memory is freed on V8's sweeper threads after it returns: trimmed a tick later.
      this.aftercare.collected(Date.now(), this.state.transitionCount, false);
    } else if (why === 'buffers') {
      const before = residentBytes();
      collectBuffers(gc);
      const mib = (b: number) => (b / 2 ** 20).toFixed(1);
      const c = this.collector;
      // Said at once: the dead buffers are freed by the time collectBuffers returns.
      const released = c.lastReleased > 0 ? `, ${c.lastReleased} forgotten since the last collection left ${mib(c.leftBefore)} MiB` : '';
      this.log(memoryLine(`collection of big buffers (${mib(c.lastBuffers)} MiB in ArrayBuffers, ${this.state.tasks.size} tasks held${released}, RSS before ${mib(before)} MiB)`));
      this.aftercare.collected(Date.now(), this.state.transitionCount, false);
    }
  }

  /**
   * Marks a collection under way until `collection` ends, then says (once per process) why there
   * was no low-memory collection, if so, and goes on with `then`.
   */
  private whenCollected(collection: Promise<string | undefined>, then: () => void): void {
    this.collecting = true;
    void collection.then((why) => {
      this.collecting = false;
      if (why && !this.saidNoLowMemory) this.log(`${why}; V8 keeps the pages it emptied`);
      if (why) this.saidNoLowMemory = true;
      then();
    });
  }

  /**
   * Gives the C heap's free pages back (malloc-trim.ts) and logs what that did, `when`, with the
   * RSS from `before` (default: now, before the trim).
   */
  private trimHeap(when: string, before = residentBytes()): void {
    const t = mallocTrim();
    if (typeof t === 'string') {
      // Said once per process: it cannot change, and each release would repeat it twice.
      if (!this.saidNoTrim) this.log(`${when}: ${t}; the C heap keeps its free pages`);
      this.saidNoTrim = true;
      return;
    }
    const gave = t.trim();
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    this.log(`malloc_trim ${when}: ${gave ? 'gave back' : 'nothing to give back'}, RSS ${mib(before)} -> ${mib(residentBytes())} MiB`);
  }

  /**
   * A worker said hello. It is registered when its first message, `holding` (the results it
   * still stores and the tasks it still runs, after a reconnect), arrives: the hello stays small
   * enough for the pre-handshake frame limit however much the worker holds.
   */
  private workerConnected(id: string, conn: Connection, hello: Hello): void {
    let registered = false;
    let leaving = false;
    /** The reason its `closing` gave (protocol 14). */
    let leftBecause: string | undefined;
    conn.on('message', (m: FromWorker) => {
      this.events.hold();
      try {
        handle(m);
      } finally {
        this.handled();
      }
    });
    const handle = (m: FromWorker): void => {
      if (!registered) {
        if (m.op !== 'holding') return conn.protocolError(`${m.op}: a worker's first message after its hello must be "holding"`);
        registered = true;
        return this.workerRegistered(id, conn, hello, m);
      }
      const now = Date.now();
      this.state.seen(id, now);
      switch (m.op) {
        case 'heartbeat': return this.dispatch(this.state.heartbeat(id, m.metrics, now));
        case 'task-finished': return this.dispatch(this.state.taskFinished(id, m, now));
        case 'task-erred': return this.dispatch(this.state.taskErred(id, m, now));
        case 'refused': return this.dispatch(this.state.taskRefused(id, m, now));
        case 'accepts': return this.dispatch(this.state.moduleAccepted(id, m.module, now));
        case 'missing-data': {
          const said = this.state.lastPeerNotice;
          this.dispatch(this.state.missingData(id, m.key, m.errantWorker, m.dependent, now));
          // Workers that cannot reach each other: also in this process's own log (unreachable-peers.ts).
          if (this.state.lastPeerNotice !== said) this.log(this.state.lastPeerNotice!.text);
          return;
        }
        case 'handback': return this.dispatch(this.state.handback(id, m.keys));
        case 'steal-response': return this.dispatch(this.state.stealResponse(id, m.key, m.ok));
        case 'publish': return this.dispatch(this.state.publish({ worker: id }, m.topic, m.value, now));
        case 'transfer': return this.dispatch(this.state.transfer(id, m, now));
        case 'log': return this.dispatch(this.state.workerLog(id, m.time, m.text));
        case 'closing':
          leaving = true;
          leftBecause = m.reason;
          return this.dispatch(this.state.workerClosing(id, m.lifetime === true));
        case 'retire':
          leaving = true;
          return this.dispatch(this.state.workerRetiring(id, now, m.lifetime === true));
        case 'acquired': return this.dispatch(this.state.acquired(id, m.keys, m.missing, now));
        case 'holding': return conn.protocolError('holding: a worker sends it once, right after its hello');
      }
    };
    // A compute-task over the worker's budget (its arguments are too large) fails the task.
    conn.on('oversize', (msg: Message, bytes: number, limit: number, whose: string) => {
      if (msg.op !== 'compute-task') return;
      const key = String(msg.key);
      this.dispatch(this.state.unsendable(id, key, tooLargeReason(`task ${key} (its arguments and inline dependencies)`, bytes, limit, whose), Date.now()));
    });
    conn.on('close', (code: number, reason: string) => {
      // Said here too: the operator of an open scheduler reads this log, not the worker's.
      if (!registered && code === CloseCode.tokenUnchecked) this.log(`${conn.label} would not serve this scheduler: ${reason} (give it one: --token-file PATH or GLUON_TOKEN)`);
      // This scheduler is stopping (close()): the worker did not leave, the scheduler does, and
      // its state goes with it. Removed, the worker would be told to the clients as gone (so they
      // no longer name it to the next scheduler, which then refuses what it comes back with).
      if (!registered || this.stopping) return;
      if (this.workers.get(id) === conn) {
        this.workers.delete(id);
        const who = this.workerNames.get(conn) ?? conn.label;
        if (leaving) this.churn.event(Date.now(), 'left', `${who} left: ${leftReason(leftBecause, code, reason)}`);
        else this.churn.event(Date.now(), 'lost', `${who} lost: connection closed (${code}${reason ? `: ${reason}` : ''})`);
      }
      this.dispatch(this.state.workerRemoved(id, leaving ? `left: ${leftReason(leftBecause, code, reason)}` : `connection closed (${code}${reason ? `: ${reason}` : ''})`, Date.now(), leaving));
    });
  }

  private workerRegistered(id: string, conn: Connection, hello: Hello, holding: Extract<FromWorker, { op: 'holding' }>): void {
    // Judged again: another hello with this address may have registered since this one's welcome.
    const verdict = this.state.judgeHello(hello, Date.now());
    if (verdict.kind === 'refused') {
      this.log(`refused ${conn.label}: ${verdict.reason}`);
      conn.close(CloseCode.addressInUse, verdict.reason);
      return;
    }
    // The same worker (its session) on a new connection: its stale registration ends, as a clean
    // leave (what it runs it still runs, and says so in its holding), then the connection is
    // closed. Closed first, the close handler removed it as lost (its running tasks counted as
    // killed by it) before this removal could say 'reconnected'.
    if (verdict.kind === 'reconnect') {
      const stale = this.workers.get(verdict.previous);
      this.workers.delete(verdict.previous);
      this.dispatch(this.state.workerRemoved(verdict.previous, 'reconnected', Date.now(), true));
      stale?.close(CloseCode.replaced, 'replaced by a new connection of the same worker');
    }
    for (const ws of hello.name !== undefined ? this.state.namesakes(hello.name) : []) {
      if (this.workers.has(ws.id)) {
        // Another process under the same name: both work, and each has its own worker page (by
        // id), but the event log and the task stream's rows name them alike. Say so where an
        // operator looks.
        this.log(`worker ${hello.name} at ${String(hello.address ?? '')} registered while worker ${ws.name} at ${ws.address} is connected `
          + `under the same name: the dashboard's event log and task stream name them alike (their pages are apart, by address); give each worker its own --name`);
      }
    }
    this.workers.set(id, conn);
    const w = {
      id, name: hello.name ?? id, address: String(hello.address ?? ''), nthreads: hello.nthreads ?? 1,
      memoryLimit: hello.memoryLimit ?? 0, host: hello.host ?? hostname(), pid: hello.pid ?? 0, session: hello.session,
    };
    this.workerNames.set(conn, workerWho(w.name, w.address, conn.from));
    this.dispatch(this.state.workerAdded({ ...w, keys: holding.keys, ...(holding.running ? { running: holding.running } : {}) }, Date.now()));
    const held = Object.keys(holding.keys ?? {}).length;
    this.churn.event(Date.now(), 'joined', `worker ${w.name} joined from ${w.host} (${w.address}, ${countOf(w.nthreads, 'thread')}`
      + `${w.memoryLimit ? `, memory limit ${formatBytes(w.memoryLimit)}` : ''}${held ? `, holding ${countOf(held, 'result')} from before` : ''})`);
    const unreachable = loopbackFromAfar(w.address, conn.from);
    if (unreachable) {
      this.log(`worker ${w.name} joined from ${unreachable} but advertises ${w.address}, a loopback address: workers and clients on other hosts `
        + `would dial their own machine for its results (gluon-worker listens on 127.0.0.1 unless given --listen-host): start it with --listen-host ${unreachable}, or the address of its host they reach`);
    }
  }

  private clientConnected(id: string, conn: Connection, hello: Hello): void {
    this.clients.set(id, conn);
    // The same client back on a new connection (its old one not yet seen closing, or lost and
    // within its grace): the old registration ends once the new connection has re-sent its graph
    // (endsResend), so the client's keys are held throughout and nothing is forgotten in between.
    const session = typeof hello.session === 'string' ? hello.session : undefined;
    let previous = session !== undefined ? this.sessions.get(session) : undefined;
    if (session !== undefined) this.sessions.set(session, id);
    conn.on('message', (m: FromClient) => {
      this.events.hold();
      try {
        this.clientMessage(id, conn, m);
        if (previous !== undefined && endsResend(m)) {
          this.retireClient(previous);
          previous = undefined;
        }
      } finally {
        this.handled();
      }
    });
    conn.on('close', (code: number, reason: string) => {
      // This scheduler is stopping: the client did not go, and it re-sends its graph to the next
      // one. Disconnected here, its keys would be released, and its tasks cancelled or its
      // results freed on the workers still to be closed, which came back without them.
      if (this.stopping) return;
      this.clients.delete(id);
      const current = session !== undefined && this.sessions.get(session) === id;
      const grace = this.opts.sessionGraceMs ?? DEFAULT_SESSION_GRACE_MS;
      // Lost, not closed by the client (1000) nor replaced by its own new connection (4005).
      const lost = code !== CloseCode.normal && code !== CloseCode.replaced;
      const how = `connection closed (${code}${reason ? `: ${reason}` : ''})`;
      if (current && lost && grace > 0) {
        // What it released before it went is released first, in order: its other keys are kept.
        this.releaseBacklogOf(id);
        const lostAt = Date.now();
        this.state.clientLost(id, lostAt, lostAt + grace);
        const timer = setTimeout(() => {
          if (this.sessions.get(session) === id) this.sessions.delete(session);
          this.retireClient(id);
        }, grace);
        timer.unref();
        this.graced.set(id, timer);
        this.lostClients.event(lostAt, 'kept', `${conn.label} lost: ${how}; keeping its keys for ${grace} ms in case it reconnects`);
        return;
      }
      if (current) this.sessions.delete(session);
      if (lost) this.lostClients.event(Date.now(), 'released', `${conn.label} lost: ${how}; releasing its keys`);
      // All its keys go: what it still had waiting to be released goes with them.
      this.releases.takeAll(id);
      this.forget(id);
    });
    // A client whose host vanished sends no FIN: without this, its results would stay pinned.
    const ttl = this.state.config.heartbeatTtlMs;
    conn.keepAlive(Math.max(10, Math.floor(ttl / 3)), ttl);
    this.dispatch(this.state.clientConnected(id, hello.name ?? id, Date.now()));
  }

  private clientMessage(id: string, conn: Connection, m: FromClient): void {
    const now = Date.now();
    // A graph update may go ahead of the client's releases still waiting (release-backlog.ts
    // says why that is safe); anything else is handled after them, in the order sent.
    if (m.op !== 'release-keys' && (m.op !== 'update-graph' || m.held)) this.releaseBacklogOf(id);
    // Over-long keys (protocol 21) are refused by naming them; the op goes on with the rest.
    const long = 'keys' in m ? overLongKeys(m.keys) : null;
    if (long && 'keys' in m) {
      this.dispatch(this.state.keysRefused(id, m.op, long, now));
      m = { ...m, keys: m.keys.filter((k) => !long.has(k)) };
    }
    switch (m.op) {
      case 'update-graph':
        return this.dispatch(this.state.updateGraph(id, m.tasks, m.wants, now, m.held, m.workers, m.resend === true));
      case 'release-keys':
        if (this.releases.handlesNow(id, m.keys)) return this.dispatch(this.state.releaseKeys(id, m.keys));
        this.releases.add(id, m.keys);
        return this.scheduleRelease();
      case 'received': return this.dispatch(this.state.clientReceived(id, m.keys));
      case 'cancel': return this.dispatch(this.state.cancel(id, m.keys, now));
      case 'retry': return this.dispatch(this.state.retry(m.keys, now));
      case 'who-has': conn.reply(m, { op: 'who-has-reply', whoHas: this.state.whoHas(m.keys) }); return;
      case 'publish': return this.dispatch(this.state.publish({ client: id }, m.topic, m.value, now));
    }
  }

  /** Releases now what `clientId` still has waiting in the backlog, before its next message. */
  private releaseBacklogOf(clientId: string): void {
    if (!this.releases.has(clientId)) return;
    this.dispatch(this.state.releaseKeys(clientId, this.releases.takeAll(clientId)));
  }

  /**
   * Releases the backlog's next slice on a later turn of the event loop, and so on until it is
   * empty: the messages that arrive meanwhile are handled between slices, each waiting for at
   * most one slice.
   */
  private scheduleRelease(): void {
    if (this.releasing || this.stopping) return;
    this.releasing = true;
    setImmediate(() => {
      this.releasing = false;
      if (this.stopping) return;
      const next = this.releases.take();
      if (next) this.dispatch(this.state.releaseKeys(next.clientId, next.keys));
      else {
        // Clients gone with many keys: a slice of the first one's per turn, as its releases would be.
        const id = this.leaving.values().next().value;
        if (id !== undefined) this.forgetSlice(id);
      }
      if (this.releases.size > 0 || this.leaving.size > 0) this.scheduleRelease();
    });
  }

  /**
   * A client gone (its keys not kept for its return): its references are dropped a slice per turn
   * of the event loop (ClientSessions.forgetClient), the first slice now.
   */
  private forget(id: string): void {
    this.forgetSlice(id);
    if (this.leaving.has(id)) this.scheduleRelease();
  }

  private forgetSlice(id: string): void {
    const { commands, left } = this.state.forgetClient(id, Date.now(), this.releases.slice);
    if (left > 0) this.leaving.add(id);
    else this.leaving.delete(id);
    this.dispatch(commands);
  }

  /**
   * Ends a client registration that a newer connection of the same client replaces, or whose
   * grace ran out: an open connection is closed (its close handler releases the keys), a lost
   * one's keys are released now.
   */
  private retireClient(id: string): void {
    const timer = this.graced.get(id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.graced.delete(id);
      this.forget(id);
      return;
    }
    this.clients.get(id)?.close(CloseCode.replaced, 'replaced by a new connection of the same client');
  }

  /**
   * A peer's message was handled: the dashboard events it made are passed on in a microtask (one
   * per turn, however many messages), so after its answers are written, which happens as the
   * frame it came in is handled to its end (protocol's connection.ts). A microtask queued behind
   * the connections' own flushes was not enough: the messages after the first in a frame (a
   * heartbeat and a task-finished, batched by a worker) queued their flushes after it.
   */
  private handled(): void {
    if (!this.events.stop() || this.eventsQueued) return;
    this.eventsQueued = true;
    inMicrotask(this.passEvents);
  }

  private readonly passEvents = (): void => {
    this.eventsQueued = false;
    this.events.release();
  };

  private dispatch(commands: Command[]): void {
    // What the state machine said for this log too (a restarted scheduler's wait for workers).
    for (const line of this.state.takeSaid()) this.log(line);
    for (const c of commands) {
      const conn = 'worker' in c.to ? this.workers.get(c.to.worker) : this.clients.get(c.to.client);
      conn?.send(c.msg);
    }
  }

  // DashboardSource
  snapshot(): ClusterSnapshot {
    const st = this.state;
    return {
      time: Date.now(),
      schedulerAddress: this.address,
      workers: [...[...st.workers.values()].map((w) => st.workerRow(w)), ...st.goneWorkers.map((w) => st.workerRow(w))],
      groups: [...st.groups.entries()].map(([group, g]) => ({ group, counts: { ...g.counts }, total: g.total })),
      failures: [...st.failures],
      topics: Object.fromEntries(st.topics),
      log: [...st.log],
    };
  }

  subscribe(listener: (event: ClusterEvent) => void): () => void {
    return this.state.subscribe(listener);
  }

  /** The records the dashboard's pulled views read (occupancy, the task graph, worker pages). */
  get probe(): ClusterProbe {
    const st = this.state;
    return { tasks: st.tasks, workers: st.workers, meanMs: (group) => st.groups.get(group)?.meanMs ?? NaN };
  }

  /** Tells workers and clients, then stops listening. */
  async close(): Promise<void> {
    // Before stopping: what the churn log held back of its window would never be said.
    if (!this.stopping) {
      this.churn.close(Date.now());
      this.lostClients.close(Date.now());
    }
    this.stopping = true;
    this.releases.clear();
    this.leaving.clear();
    if (this.timer) clearInterval(this.timer);
    for (const timer of this.graced.values()) clearTimeout(timer);
    this.graced.clear();
    for (const c of this.open) c.close(CloseCode.going, 'scheduler shutting down');
    await this.dashboard?.close();
    await this.unixListener?.close();
    await this.listener.close();
  }
}

/** `what: heap X MiB used of Y, external Z MiB, RSS W MiB` (this process, now). */
function memoryLine(what: string): string {
  const m = memoryUsage();
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  return `${what}: heap ${mib(m.heapUsed)} MiB used of ${mib(m.heapTotal)}, external ${mib(m.external)} MiB, RSS ${mib(m.rss)} MiB`;
}

/** Starts a scheduler; see {@link SchedulerOptions}. */
export function startScheduler(opts: SchedulerOptions = {}): Promise<Scheduler> {
  return Scheduler.start(opts);
}

/**
 * The address a worker connected from, when that is another host's and the data address it
 * advertises is loopback: gluon-worker binds 127.0.0.1 unless given --listen-host, and a worker
 * on another host so started joined with nothing said (found by the hosts trial), its results
 * then out of every other host's reach. Undefined otherwise (a Unix socket's `from` is no address).
 */
function loopbackFromAfar(address: string, from: string | undefined): string | undefined {
  const advertised = /^wss?:\/\/(\[[^\]]*\]|[^/:]+)/.exec(address)?.[1];
  const peer = from?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (advertised === undefined || !peer || isIP(peer) === 0 || !isLoopbackHost(advertised) || isLoopbackHost(peer)) return undefined;
  return peer;
}

/**
 * Whether a message of a client's new connection ends its old registration (see clientConnected).
 * A reconnecting client re-sends the lineage of its held keys as update-graph frames (4,096 tasks
 * each, an empty who-has after each slice as its pacing marker), and may report `received`
 * values meanwhile; the first other message comes after the whole graph. Retired at its first
 * frame, the old registration's keys that only later frames named lost their last reference in
 * between: their results were freed and computed again, and a merged tree node forgotten failed
 * its dependent in the next frame (`UnknownDependencyError`). A client that sends nothing else has
 * its old registration ended by its grace timer, or by its old connection's close.
 */
function endsResend(m: FromClient): boolean {
  if (m.op === 'update-graph' || m.op === 'received') return false;
  return !(m.op === 'who-has' && Array.isArray(m.keys) && m.keys.length === 0);
}
