import { randomUUID } from 'node:crypto';
import { cpus, hostname } from 'node:os';
import {
  BYTES_RULE, checkNumberOptions, msRule, PORT_RULE, wholeFrom, type NumberRules,
  checkOptionKeys, checkTokenOption, staggerNotBelowText, CloseCode, connect, HandshakeError, readTlsMaterial, residentBytes, tokenUnchecked, workerTokenUncheckedText, isPermanentRefusal, listen, logText, MAX_KEY_LENGTH, overLongKeyText, PEER_TO_WORKER, reconnectDelay, SCHEDULER_TO_WORKER, tooLargeReason, withTokenHelp, type Connection,
  type Inbound, type Listener, type Logger, type Message, type OptionKeys, type TlsNames, type TlsOptions, checkTlsOptionKeys, TLS_OPTION_NAMES,
} from '@gluon/protocol';
import { computeTaskOf } from './compute-task.js';
import { missingAllowPaths, type AllowList } from './allow.js';
import { ModuleGate } from './module-gate.js';
import { expiredText } from './expired-notice.js';
import { LogForwarder } from './log-forward.js';
import { CANCEL_GRACE_MS, ThreadPool, type PoolResult } from './pool.js';
import { WorkerState, type Priority, type WorkerCommand } from './state.js';

/** How a library caller gives a worker its token (see the constructor's `how.tokenHelp`). */
const WORKER_TOKEN_HELP = 'the token option of GluonWorker';

export interface WorkerOptions {
  /** `ws://host:port` of the scheduler. */
  scheduler: string;
  /** Task threads (default: the number of CPUs). */
  nthreads?: number;
  /** Default `<hostname>-<pid>`. */
  name?: string;
  /** Bytes; 0 means no limit. When RSS exceeds it the worker starts no new tasks until it drops. */
  memoryLimit?: number;
  /** Extra allowed task modules: package names or directories / file URLs. */
  allowModules?: string[];
  /** The cluster's shared secret (leave it out for none; empty or blank is refused). */
  token?: string;
  /** Interface the data listener binds (default 127.0.0.1). */
  listenHost?: string;
  /** Names besides its bound address that peers may use to reach the data listener (`Host`). */
  allowedHosts?: string[];
  /**
   * TLS: the data listener serves `wss://` with `cert`/`key` (requiring peers' certificates with
   * `requireClientCert`), and the worker trusts `ca` and presents `cert` when it connects to the
   * scheduler and to peers.
   */
  tls?: TlsOptions;
  /** Data listener port (default 0: any free port). */
  listenPort?: number;
  /** Working directory that decides which packages and files are allowed (default `process.cwd()`). */
  cwd?: string;
  /**
   * How long connecting to a peer for a dependency (TCP connect, upgrade, handshake) may take
   * before the fetch fails and the next holder is tried, or the data is reported missing (which
   * recomputes it). Default: the scheduler's heartbeat TTL plus two heartbeat intervals (32 s with
   * the scheduler's defaults): a peer the scheduler still counts as alive (a process stalled by GC,
   * swap or SIGSTOP) is waited for, since recomputing its data costs more; one it expires is
   * given up on at once, when the scheduler says so (`peer-gone`).
   */
  peerTimeoutMs?: number;
  /** Largest WebSocket frame accepted (default 256 MiB). */
  maxFrameBytes?: number;
  /**
   * Largest message accepted or sent (default 1 GiB): larger values travel in chunks up to this
   * memory budget; a dependency or result over it fails what needs it with the reason.
   */
  maxMessageBytes?: number;
  /**
   * Most bytes that may wait to be written to one of this worker's connections (a peer or client
   * fetching results from its data listener, or the scheduler) before that side counts as not
   * reading and is dropped with 4010 (default 256 MiB, `--max-send-backlog`).
   */
  maxSendBacklogBytes?: number;
  /**
   * Connections the data listener holds at once before they authenticate (their hello with the
   * token, a TLS handshake): past it, or when one takes the process's last file descriptor, the
   * oldest are closed so that peers and clients get in; authenticated ones never are (default
   * 512, `--max-unauthenticated-connections`; protocol's shedding.ts).
   */
  maxUnauthenticatedConnections?: number;
  /**
   * Retire after this long (ms) from registering, like SIGTERM: hand back queued work, finish
   * running tasks, have the results held here copied to other workers, then leave (Dask's
   * `--lifetime`). On a batch farm, set it below the job's walltime so that the worker leaves on
   * its own terms rather than being killed with its results. Default: none.
   */
  lifetimeMs?: number;
  /**
   * The lifetime varies by up to this much (ms) either way, at random (Dask's
   * `--lifetime-stagger`), so that workers started together do not all retire at once.
   */
  lifetimeStaggerMs?: number;
  /**
   * Give up after this long (ms) with no connection to a scheduler, at start or after losing it
   * (Dask's `--death-timeout`): one log line naming the address and the wait, then the worker
   * closes as `close()` does with no scheduler (its results are dropped, running tasks abandoned),
   * and `closedBy()` says `deathTimeout: true`. Default: wait for ever.
   */
  deathTimeoutMs?: number;
  log?: Logger;
}

/** Every key of {@link WorkerOptions}, for `checkOptionKeys` (a misspelt key was ignored while its default applied). */
const WORKER_OPTION_KEYS: OptionKeys<WorkerOptions> = {
  scheduler: true, nthreads: true, name: true, memoryLimit: true, allowModules: true, token: true, listenHost: true, allowedHosts: true,
  tls: true, listenPort: true, cwd: true, peerTimeoutMs: true, maxFrameBytes: true, maxMessageBytes: true, maxSendBacklogBytes: true, maxUnauthenticatedConnections: true,
  lifetimeMs: true, lifetimeStaggerMs: true, deathTimeoutMs: true, log: true,
};

/**
 * What each numeric option of {@link WorkerOptions} takes (deathTimeoutMs is checked with its own
 * hint). They were taken as given: `maxFrameBytes: 'x'`, `peerTimeoutMs: 'x'`, `listenPort: 'x'`,
 * `nthreads: 'x'` started a worker that listened and waited for its scheduler.
 */
const WORKER_NUMBER_OPTIONS: NumberRules<WorkerOptions> = {
  nthreads: wholeFrom(1), listenPort: PORT_RULE, maxUnauthenticatedConnections: wholeFrom(1),
  memoryLimit: { what: 'a number of bytes', integer: false, min: 0 },
  peerTimeoutMs: msRule(false), lifetimeMs: msRule(true), lifetimeStaggerMs: msRule(true),
  maxFrameBytes: BYTES_RULE, maxMessageBytes: BYTES_RULE, maxSendBacklogBytes: BYTES_RULE,
};

/**
 * When a worker with `lifetimeMs` and `lifetimeStaggerMs` retires, ms after it registered:
 * the lifetime moved by up to the stagger either way (`random` in [0, 1)), never below zero.
 */
export function lifetimeDelay(lifetimeMs: number, staggerMs = 0, random: number = Math.random()): number {
  return Math.max(0, lifetimeMs + (2 * random - 1) * staggerMs);
}

/** How often the RSS is checked against `--memory-limit` (when one is set), ms. */
const MEMORY_CHECK_MS = 100;
/** Refused modules this worker's log names (each once); beyond, the scheduler's event log still has them. */
const MAX_REFUSALS_SAID = 64;
/** How long a peer may take to answer a get-data (large results take a while). */
const FETCH_TIMEOUT_MS = 120_000;
/** The peer connect timeout before the scheduler's welcome said its TTL (Dask's connect timeout). */
export const DEFAULT_PEER_TIMEOUT_MS = 30_000;

/** A connection to a peer's data listener, while it is made and after. */
interface PeerLink {
  conn: Promise<Connection>;
  /** Gives up the connect (the scheduler declared the peer dead). */
  abort: AbortController;
}

/**
 * A Gluon worker: runs tasks in a thread pool, keeps their results, serves them to peers and
 * clients, and fetches the dependencies it lacks from the peers that hold them. This class is
 * the I/O shell around {@link WorkerState}: it turns messages, peer replies and thread results
 * into events and carries out the commands the state returns. The main thread only moves
 * messages and data, so heartbeats and transfers never wait for a task.
 */
export class GluonWorker {
  readonly name: string;
  /**
   * Random, one per process, in every hello: the scheduler takes a hello with this session as
   * this worker reconnecting (replacing a registration whose connection it has not seen close),
   * and refuses (4012) one with this worker's address from any other session while it lives.
   */
  private readonly session = randomUUID();
  readonly nthreads: number;
  private scheduler: Connection | null = null;
  private listener!: Listener;
  private pool!: ThreadPool;
  private state!: WorkerState;
  private readonly peers = new Map<string, PeerLink>();
  /** See {@link WorkerOptions.peerTimeoutMs}; set from the scheduler's welcome unless given. */
  private peerTimeoutMs: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastCpu = process.cpuUsage();
  private lastCpuTime = Date.now();
  /** The scheduler's heartbeat interval and TTL, from its welcome (0: none). */
  private heartbeatIntervalMs = 1000;
  private heartbeatTtlMs = 0;
  /** The latest time this process did not run (its heartbeat timer late by more than an interval): when it ended, how long. */
  private pause: { at: number; ms: number } | undefined;
  private readonly allow: AllowList;
  private readonly gate: ModuleGate;
  /** Modules whose refusal this worker's log has said (bounded; forgotten when one is allowed after all). */
  private readonly saidRefused = new Set<string>();
  private readonly log: Logger;
  private readonly logs = new LogForwarder();
  /** Cancelled tasks whose threads were terminated because they ran on (heartbeat `cancelledStopped`). */
  private cancelledStopped = 0;
  /** Called whenever a task leaves the pool, while a shutdown waits for the running ones. */
  private drained: (() => void) | undefined;
  /** Ends a reconnect backoff wait early (on close). */
  private wake: (() => void) | undefined;
  private starting: Promise<unknown> | undefined;
  private registeredOnce = false;
  /** When the connection to the scheduler was lost, while the worker tries to register again. */
  private schedulerLostAt: number | undefined;
  private closing: Promise<void> | undefined;
  /** Set when the worker gave up on a scheduler that refused it (see `closedBy`). */
  private refused = false;
  private ioClosed = false;
  /** Ends the retirement wait (the scheduler's `close`, or the scheduler gone): why, for the log. */
  private retired: ((why: string) => void) | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  /**
   * It retires because its lifetime ended (not a user's stop): its `retire` says so, and with no
   * other worker to take its results the scheduler holds it until one joins (its replacement),
   * within the grace.
   */
  private lifetimeEnded = false;
  /** Runs while no scheduler is connected, with `deathTimeoutMs`. */
  private deathTimer: NodeJS.Timeout | undefined;
  /** Set when the worker gave up waiting for a scheduler (`deathTimeoutMs`). */
  private deathTimedOut = false;
  /** What the worker said when it gave up waiting; start() rejects with it. */
  private deathReason: string | undefined;

  /**
   * `how.tlsNames`: what TLS errors call the settings to change; the library's option names by
   * default (`tls.ca`), the flags when the CLI made the worker (`--tls-ca`). `how.tokenHelp`
   * likewise says how the token was given (default: the `token` option).
   */
  constructor(private readonly opts: WorkerOptions, private readonly how: { tlsNames?: TlsNames; tokenHelp?: string } = {}) {
    checkTokenOption(opts.token, 'GluonWorker');
    this.nthreads = Math.max(1, opts.nthreads ?? Math.max(1, cpus().length));
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
    this.allow = { cwd: opts.cwd ?? process.cwd(), extra: opts.allowModules ?? [] };
    this.gate = new ModuleGate(this.allow);
    this.peerTimeoutMs = opts.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    checkNumberOptions(opts, WORKER_NUMBER_OPTIONS, 'GluonWorker');
    const { lifetimeMs, lifetimeStaggerMs } = opts;
    if (lifetimeStaggerMs && lifetimeMs !== undefined && lifetimeStaggerMs >= lifetimeMs) throw new RangeError(`GluonWorker: ${staggerNotBelowText('lifetimeStaggerMs', lifetimeStaggerMs, 'lifetimeMs', lifetimeMs)}`);
    const death = opts.deathTimeoutMs;
    if (death !== undefined && !(Number.isFinite(death) && death > 0)) throw new RangeError(`GluonWorker: deathTimeoutMs must be a number of milliseconds > 0 (leave it out to wait for ever), got ${String(death)}`);
    const sink = opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} worker ${this.name}: ${l}\n`));
    // Lines quote what peers sent (names, versions, ops): none may forge or rewrite a line.
    const own = (l: string) => sink(logText(l));
    // Every line also goes to the scheduler, for this worker's page on the dashboard.
    this.log = (l) => {
      own(l);
      this.logs.line(l);
    };
    // Said once at start rather than only in each refused task; not fatal, as the files may be deployed after the workers.
    for (const m of missingAllowPaths(this.allow.extra, this.allow.cwd)) this.log(`warning: --allow-module ${m}; its tasks are refused until it exists (other workers may run them; else they wait for it, at most the scheduler's --refusal-wait)`);
  }

  /** The data listener's address, which peers and clients fetch results from. */
  get address(): string {
    return this.listener.address;
  }

  /** Whether the worker is registered with the scheduler right now. */
  get connected(): boolean {
    return this.scheduler !== null;
  }

  /** Number of results stored here. */
  get storedCount(): number {
    return this.state.storedCount;
  }

  /**
   * Starts the thread pool and the data listener, then registers with the scheduler (waiting
   * for it as long as it takes). Rejects if the worker is closed before it registered.
   */
  start(): Promise<this> {
    const p = this.startInner();
    this.starting = p;
    return p;
  }

  private async startInner(): Promise<this> {
    // The task-finished messages of a thread's results leave at once, as one frame, rather than
    // at the end of the step (after the pool's bookkeeping): the scheduler waits for them.
    this.pool = new ThreadPool(this.nthreads, this.name, (topic, value) => this.scheduler?.send({ op: 'publish', topic, value }), this.opts.memoryLimit ?? 0, () => this.scheduler?.flush());
    this.listener = await listen({
      self: `worker ${this.name}`,
      // Its log prefix names the worker already (`worker vm-1: its data port ws://…: closed …`).
      portName: 'its data port',
      roles: ['peer', 'client'],
      // get-data is all a peer may send; anything else closes its connection (4003).
      inbound: { peer: PEER_TO_WORKER, client: PEER_TO_WORKER },
      host: this.opts.listenHost ?? '127.0.0.1',
      port: this.opts.listenPort ?? 0,
      ...(this.opts.allowedHosts ? { allowedHosts: this.opts.allowedHosts } : {}),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      ...(this.opts.token ? { token: this.opts.token } : {}),
      ...this.limits(),
      ...(this.opts.maxUnauthenticatedConnections !== undefined ? { maxUnauthenticatedConnections: this.opts.maxUnauthenticatedConnections } : {}),
      log: this.log,
      onConnection: (conn) => {
        conn.on('message', (m: Inbound<typeof PEER_TO_WORKER>) => this.servePeer(conn, m));
        conn.on('oversize', (msg: Message, bytes: number, limit: number, whose: string) => this.replyTooLarge(conn, msg, bytes, limit, whose));
      },
    });
    this.state = new WorkerState({
      name: this.name, address: this.listener.address, capacity: this.pool.capacity, memoryLimit: this.opts.memoryLimit ?? 0,
    });
    if (this.opts.memoryLimit) {
      // Sampled often, not only with heartbeats: a task can allocate gigabytes in a second.
      this.memoryTimer = setInterval(() => this.apply(this.state.handle({ type: 'memory', rss: residentBytes(), now: Date.now() })), MEMORY_CHECK_MS);
      this.memoryTimer.unref();
    }
    this.armDeathTimer('since it started');
    try {
      await this.register(true);
    } catch (err) {
      await this.shutdownIo();
      throw err;
    }
    if (this.closed) {
      await this.shutdownIo();
      throw new Error(this.deathReason ?? `worker ${this.name} was closed before it registered with ${this.opts.scheduler}`);
    }
    this.registeredOnce = true;
    if (this.opts.lifetimeMs !== undefined) {
      const delay = lifetimeDelay(this.opts.lifetimeMs, this.opts.lifetimeStaggerMs);
      this.log(`lifetime: retiring in ${fmtMs(delay)}`);
      this.lifetimeTimer = setTimeout(() => {
        this.lifetimeEnded = true;
        void this.close(`lifetime of ${fmtMs(delay)} reached`);
      }, delay);
    }
    return this;
  }

  // ---------------------------------------------------------------- scheduler link

  /**
   * Connects and says hello, retrying until it works: every 20 ms for the first two seconds,
   * then with a doubling backoff capped at 5 s (see {@link reconnectDelay}). Refusals that
   * retrying cannot fix (bad token, version mismatch) are thrown.
   */
  private async register(first: boolean): Promise<void> {
    const since = Date.now();
    let delay = 0;
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        const { conn, welcome } = await connect(this.opts.scheduler, {
          role: 'worker', name: this.name, address: this.listener.address, nthreads: this.nthreads,
          memoryLimit: this.opts.memoryLimit ?? 0, pid: process.pid, host: hostname(), session: this.session,
        }, {
          ...this.linkOptions(), label: `scheduler ${this.opts.scheduler}`, log: this.log,
          ...this.limits(),
        });
        if (this.closed) {
          conn.close(CloseCode.normal, 'worker leaving');
          return;
        }
        // Refused rather than warned of: see guard.ts (and the worker README's "Tokens").
        if (tokenUnchecked(this.opts.token !== undefined, welcome)) {
          conn.close(CloseCode.tokenUnchecked, 'the worker holds a token and this scheduler requires none');
          throw new HandshakeError(workerTokenUncheckedText(this.opts.scheduler, this.how.tokenHelp ?? WORKER_TOKEN_HELP), CloseCode.tokenUnchecked);
        }
        // First, what it still holds and runs (after a reconnect): the scheduler registers the
        // worker then. Not in the hello, which must fit the listener's pre-handshake frame limit.
        conn.send({ op: 'holding', keys: this.state.storedKeys(), running: this.state.runningKeys() });
        // A new registration: the scheduler knows none of this worker's refusals any more.
        this.gate.forgetRefusals();
        this.scheduler = conn;
        this.logs.attach((m) => conn.send(m));
        conn.on('message', (m: Inbound<typeof SCHEDULER_TO_WORKER>) => this.onSchedulerMessage(m));
        conn.on('close', (code: number, reason: string) => this.onSchedulerClosed(conn, code, reason));
        const interval = Math.max(50, Number(welcome.heartbeatIntervalMs ?? 1000));
        this.heartbeatIntervalMs = interval;
        // A scheduler behind a cut link goes silent instead of closing: drop the connection
        // after its TTL (the scheduler expires us then anyway) and register again once it answers.
        const ttl = Number(welcome.heartbeatTtlMs ?? 0);
        this.heartbeatTtlMs = ttl;
        if (ttl > 0) conn.keepAlive(interval, ttl);
        // A stalled peer is waited for as long as the scheduler would still count it alive.
        if (this.opts.peerTimeoutMs === undefined && ttl > 0) this.peerTimeoutMs = ttl + 2 * interval;
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(), interval);
        this.heartbeatTimer.unref();
        this.heartbeat();
        // The wait to register is no pause of this process.
        this.pause = undefined;
        this.schedulerLostAt = undefined;
        clearTimeout(this.deathTimer);
        if (!first) this.log(`re-registered with ${this.opts.scheduler} holding ${this.state.storedCount} result(s)`);
        return;
      } catch (err) {
        const { code, httpStatus } = err as { code?: number; httpStatus?: number };
        if (isPermanentRefusal(code, httpStatus)) throw err;
        if (attempt === 0) this.log(`waiting for the scheduler at ${this.opts.scheduler}: ${(err as Error).message}`);
        delay = reconnectDelay(Date.now() - since, delay);
        await new Promise<void>((r) => {
          this.wake = r;
          this.reconnectTimer = setTimeout(r, delay);
        });
        this.wake = undefined;
      }
    }
  }

  private onSchedulerClosed(conn: Connection, code: number, reason: string): void {
    if (this.scheduler !== conn) return;
    this.scheduler = null;
    this.logs.detach();
    clearInterval(this.heartbeatTimer);
    this.retired?.('lost the scheduler; leaving');
    if (this.closed || this.state.closing) return;
    this.schedulerLostAt = Date.now();
    this.armDeathTimer('since it lost it');
    this.log(code === CloseCode.expired
      ? expiredText(code, reason, this.pausedMs(), this.heartbeatTtlMs, this.state.storedCount)
      : `lost the scheduler (${code}${reason ? `: ${reason}` : ''}); reconnecting`);
    this.apply(this.state.handle({ type: 'scheduler-lost' }));
    this.register(false).catch((err: Error) => {
      // A restarted scheduler with another token: say how this worker takes one, as at start.
      this.log(`giving up on the scheduler: ${withTokenHelp(err, this.how.tokenHelp ?? WORKER_TOKEN_HELP).message}`);
      this.refused = true;
      void this.close('the scheduler refused the worker');
    });
  }

  /**
   * How long this process just did not run: since its last heartbeat, or, when the heartbeat timer
   * ran first on waking (timers can run before the socket's close is read), the pause it saw.
   */
  private pausedMs(): number {
    const now = Date.now();
    const recent = this.pause && now - this.pause.at <= 2 * this.heartbeatIntervalMs ? this.pause.ms : 0;
    return Math.max(now - this.lastCpuTime, recent);
  }

  /** With `deathTimeoutMs`: closes the worker unless a scheduler is connected by then. */
  private armDeathTimer(since: string): void {
    const ms = this.opts.deathTimeoutMs;
    if (ms === undefined) return;
    clearTimeout(this.deathTimer);
    this.deathTimer = setTimeout(() => {
      if (this.scheduler !== null || this.closed) return;
      this.deathTimedOut = true;
      this.deathReason = `no scheduler at ${this.opts.scheduler} for ${fmtMs(ms)} ${since} (death timeout); giving up`;
      void this.close(this.deathReason);
    }, ms);
  }

  /** Whether the worker gave up waiting for a scheduler (`deathTimeoutMs`). */
  get gaveUpWaiting(): boolean {
    return this.deathTimedOut;
  }

  private onSchedulerMessage(m: Inbound<typeof SCHEDULER_TO_WORKER>): void {
    switch (m.op) {
      case 'compute-task': {
        // Refused before anything is fetched for it; not a failure of the task, which the
        // scheduler gives to a worker that accepts its module.
        const refusal = this.gate.refusal(m.fn.module);
        if (refusal) {
          this.sayRefused(m.fn.module, refusal.reason);
          this.scheduler?.send({ op: 'refused', key: m.key, module: m.fn.module, ...refusal });
          return;
        }
        return this.apply(this.state.handle({ type: 'compute', task: computeTaskOf(m) }));
      }
      case 'free-keys': return this.apply(this.state.handle({ type: 'free-keys', keys: m.keys }));
      case 'steal-request': return this.steal(m.key);
      case 'peer-gone': return this.peerGone(m.address);
      case 'acquire': return this.apply(this.state.handle({ type: 'acquire', peer: m.from, keys: m.keys }));
      case 'close':
        // Retiring: the scheduler has had this worker's results copied elsewhere (or says why not).
        if (this.retired) return this.retired(`the scheduler says: ${m.reason ?? 'close'}`);
        void this.close(m.reason ?? 'the scheduler asked the worker to close');
        return;
    }
  }

  /**
   * A task handed to the pool may still wait there, posted to a thread behind a long one: the
   * pool gives it back if no thread started it, and the state machine answers. Before, such a
   * task was refused, and waited for the long one with threads free on other workers.
   */
  private steal(key: string): void {
    const withdrawn = this.state.taskState(key) === 'running' && this.pool.withdraw(key);
    this.apply(this.state.handle({ type: 'steal', key, withdrawn }));
    // Closing, it may have been the last task the worker waited for.
    if (withdrawn) this.drained?.();
  }

  /**
   * Says in this worker's own log, once per module, that it refuses a task module and why: a
   * worker started where its task code is not installed (the wrong directory, no --allow-module)
   * ran nothing and said nothing, while only the dashboard's event log named the reason.
   */
  private sayRefused(module: string, reason: string): void {
    if (this.saidRefused.has(module) || this.saidRefused.size >= MAX_REFUSALS_SAID) return;
    this.saidRefused.add(module);
    this.log(`refusing the tasks of module ${module}: ${reason}; the scheduler gives them to workers that accept it`);
  }

  private heartbeat(): void {
    const now = Date.now();
    // Late by more than an interval: this process did not run meanwhile (stopped, or blocked).
    if (now - this.lastCpuTime > 2 * this.heartbeatIntervalMs) this.pause = { at: now, ms: now - this.lastCpuTime };
    const usage = process.cpuUsage();
    // Process CPU time covers every thread, so a busy pool of N threads can show up to N×100%.
    const cpu = ((usage.user - this.lastCpu.user + usage.system - this.lastCpu.system) / 1000 / Math.max(1, now - this.lastCpuTime)) * 100;
    this.lastCpu = usage;
    this.lastCpuTime = now;
    const rss = residentBytes();
    this.apply(this.state.handle({ type: 'memory', rss }));
    for (const module of this.gate.recheck()) {
      this.saidRefused.delete(module);
      this.log(`module ${module} is allowed now; telling the scheduler`);
      this.scheduler?.send({ op: 'accepts', module });
    }
    this.scheduler?.send({
      op: 'heartbeat',
      metrics: {
        // Executing: tasks running in a thread now, not those handed to a thread ahead of time.
        cpu, rss, memoryLimit: this.opts.memoryLimit ?? 0, executing: Math.min(this.state.executing, this.pool.busyThreads), ready: this.state.readyCount,
        stored: this.state.storedCount, storedBytes: this.state.storedBytes, time: now, paused: this.state.paused,
        cancelledStopped: this.cancelledStopped,
      },
    });
  }

  // ---------------------------------------------------------------- commands

  private apply(commands: WorkerCommand[]): void {
    for (const c of commands) {
      switch (c.type) {
        case 'send': this.scheduler?.send(c.msg); break;
        case 'log': this.log(c.text); break;
        case 'fetch': void this.fetch(c.peer, c.keys); break;
        case 'execute': this.execute(c); break;
        case 'cancel': this.pool.cancel(c.key); break;
        case 'resume': this.pool.resume(c.key); break;
        case 'shed': {
          const key = this.pool.shed(c.why);
          if (key) this.log(`${c.why}: stopped task ${key} (the one running longest)`);
          break;
        }
      }
    }
  }

  private execute(c: Extract<WorkerCommand, { type: 'execute' }>): void {
    const decision = this.gate.check(c.fn.module);
    // Checked when the task arrived, and a module allowed once stays allowed (the gate keeps it).
    if (!decision.ok) throw new Error(`worker ${this.name}: module ${c.fn.module} of task ${c.key} was allowed when it arrived and is not now: ${decision.reason}`);
    const key = c.key;
    this.pool.start({
      key, url: decision.url, exportName: c.fn.export, args: c.args, data: c.data, ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    }, (r) => this.onResult(r, key));
  }

  private onResult(r: PoolResult, key: string): void {
    // The scheduler hears nothing of a cancelled task (nobody wants its result): said here, or a
    // runaway loop killed with its thread left no trace anywhere.
    if (!r.ok && r.stopped?.why === 'cancelled') {
      this.cancelledStopped++;
      this.log(`stopped task ${key} after it ran ${fmtMs(r.stopped.ranMs)}: it was cancelled and still ran ${fmtMs(CANCEL_GRACE_MS)} later; its thread was terminated and replaced`);
    }
    const timing = { start: r.start, stop: r.stop, thread: r.thread };
    this.state.capacity = this.pool.capacity;
    this.apply(this.state.handle(r.ok
      ? { type: 'done', key, value: r.value, nbytes: r.nbytes, ...timing, ...(r.events !== undefined ? { events: r.events } : {}) }
      : { type: 'erred', key, error: r.error, kind: r.died ? 'worker-died' : 'exception', ...timing }));
    this.drained?.();
  }

  // ---------------------------------------------------------------- data

  /** One `get-data` request to a peer for several keys; the answer becomes a state event. */
  private async fetch(peer: string, keys: string[]): Promise<void> {
    try {
      const conn = await this.peer(peer);
      // Timed from the request to the reply (not the connect): the transfer bar on the dashboard.
      const start = Date.now();
      const reply = await conn.request({ op: 'get-data', keys }, FETCH_TIMEOUT_MS);
      const stop = Date.now();
      this.apply(this.state.handle({
        type: 'fetched', peer, data: (reply.data ?? {}) as Record<string, unknown>, missing: (reply.missing ?? []) as string[], start, stop,
        ...(Array.isArray(reply.later) ? { later: reply.later as string[] } : {}),
        ...(reply.tooLarge && typeof reply.tooLarge === 'object' ? { tooLarge: reply.tooLarge as Record<string, string> } : {}),
      }));
    } catch (err) {
      this.apply(this.state.handle({ type: 'fetch-failed', peer, keys, reason: (err as Error).message }));
    }
  }

  /** How this worker proves itself when it connects out: its token and its certificate. */
  private linkOptions(): { token?: string; tls?: TlsOptions; tlsNames: TlsNames } {
    return { ...(this.opts.token ? { token: this.opts.token } : {}), ...(this.opts.tls ? { tls: this.opts.tls } : {}), tlsNames: this.how.tlsNames ?? TLS_OPTION_NAMES };
  }

  /**
   * A cached handshaken connection to a peer's data listener. Connecting may take up to the peer
   * timeout: a stalled peer (GC, swap, SIGSTOP) whose data would otherwise be recomputed.
   */
  private peer(addr: string): Promise<Connection> {
    const cached = this.peers.get(addr);
    if (cached) return cached.conn;
    const abort = new AbortController();
    // Results its task thread encoded stay encoded here, for the thread that uses them to decode.
    const p: Promise<Connection> = connect(addr, { role: 'peer', name: this.name }, {
      ...this.linkOptions(), label: `peer ${addr}`, log: this.log, timeoutMs: this.peerTimeoutMs, signal: abort.signal,
      ...this.limits(), keepEncoded: true,
    }).then(({ conn }) => {
      conn.on('close', () => {
        if (this.peers.get(addr)?.conn === p) this.peers.delete(addr);
      });
      return conn;
    });
    p.catch(() => {
      if (this.peers.get(addr)?.conn === p) this.peers.delete(addr);
    });
    this.peers.set(addr, { conn: p, abort });
    return p;
  }

  /**
   * The scheduler expired the worker at `addr` (no heartbeat within its TTL): a connect to it
   * is given up and an open connection dropped, so the fetches waiting on it fail now and their
   * data is looked for elsewhere or recomputed. A later fetch connects afresh (it may be back).
   */
  private peerGone(addr: string): void {
    const link = this.peers.get(addr);
    if (!link) return;
    this.peers.delete(addr);
    const why = 'the scheduler declared it dead (no heartbeat within its TTL)';
    this.log(`giving up on peer ${addr}: ${why}`);
    link.abort.abort(new Error(why));
    void link.conn.then((c) => c.terminate(why), () => {});
  }

  /** The size limits this worker's connections announce and enforce. */
  private limits(): { maxFrameBytes?: number; maxMessageBytes?: number; maxSendBacklogBytes?: number } {
    return {
      ...(this.opts.maxFrameBytes ? { maxFrameBytes: this.opts.maxFrameBytes } : {}),
      ...(this.opts.maxMessageBytes ? { maxMessageBytes: this.opts.maxMessageBytes } : {}),
      ...(this.opts.maxSendBacklogBytes ? { maxSendBacklogBytes: this.opts.maxSendBacklogBytes } : {}),
    };
  }

  /**
   * Answers `get-data` from peers and clients with what is stored here. One answer carries at
   * most the connection's message budget (by the results' estimated sizes), and the answers to
   * one frame's requests at most its send-backlog limit: the keys that do not fit go in `later`,
   * and the asker fetches them one per request.
   */
  private servePeer(conn: Connection, m: Inbound<typeof PEER_TO_WORKER>): void {
    // A client's keys are bounded by the frame alone (protocol 21): a request naming a key no
    // result can have is refused by naming it, and the connection goes on serving its others.
    const long = m.keys.find((k) => k.length > MAX_KEY_LENGTH);
    if (long !== undefined) {
      conn.reply(m, { op: 'error', message: `get-data: key ${overLongKeyText(long)}; no result has such a key` });
      return;
    }
    const data: Record<string, unknown> = {};
    const missing: string[] = [];
    const later: string[] = [];
    let bytes = 0;
    let included = 0;
    // Answers to the requests of one frame are all queued before the connection next checks
    // what it has left unsent: across them, at most its send-backlog limit of values (and one).
    const answered = this.answering.get(conn) ?? 0;
    for (const key of m.keys) {
      if (!this.state.has(key)) {
        missing.push(key);
        continue;
      }
      const n = this.state.nbytesOf(key);
      if ((included > 0 || answered > 0) && (bytes + n > conn.sendLimit || answered + bytes + n > conn.maxSendBacklogBytes)) {
        later.push(key);
        continue;
      }
      bytes += n;
      included++;
      data[key] = this.state.get(key);
    }
    if (bytes > 0) {
      if (answered === 0) void Promise.resolve().then(() => this.answering.delete(conn));
      this.answering.set(conn, answered + bytes);
    }
    conn.reply(m, { op: 'data', data, missing, ...(later.length ? { later } : {}) });
  }

  /** Bytes of values answered on each peer connection in this turn of the event loop (see servePeer). */
  private readonly answering = new WeakMap<Connection, number>();

  /**
   * An answer over the message budget was not sent (the size estimate was short): a single value
   * is refused with the reason, naming the key, its size and the limit; several go back as `later`
   * so each is asked for on its own.
   */
  private replyTooLarge(conn: Connection, msg: Message, bytes: number, limit: number, whose: string): void {
    if (msg.op !== 'data' || typeof msg.replyTo !== 'number') return;
    const keys = Object.keys((msg.data ?? {}) as object);
    const answer: Message = { op: 'data', replyTo: msg.replyTo, data: {}, missing: msg.missing ?? [] };
    if (keys.length === 1) {
      answer.tooLarge = { [keys[0]!]: tooLargeReason(`the result of ${keys[0]} on worker ${this.name}`, bytes, limit, whose) };
    } else {
      answer.later = [...keys, ...((msg.later as string[] | undefined) ?? [])];
    }
    conn.send(answer);
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Graceful stop (retirement): take no more work, hand unstarted tasks back, let running ones
   * finish and report them, hand back whatever still runs, have the scheduler copy the results
   * held here to other workers (`retire`; it answers `close` once they have them), then leave.
   * All of it within `graceMs`: past it the worker leaves anyway, and what was not copied is
   * computed again when needed. `reason` says why, in this worker's log and the scheduler's line
   * about it leaving (`worker w1 (…) left: SIGTERM`).
   */
  close(reason = 'close() called', graceMs = 30_000): Promise<void> {
    if (!this.closing) {
      this.closing = this.closeInner(reason, graceMs);
      this.closing.then(this.markClosed, this.markClosed);
    }
    return this.closing;
  }

  private markClosed!: () => void;
  /** Settles once the worker has closed (see `closedBy`), however many wait on it. */
  private readonly hasClosed = new Promise<void>((resolve) => (this.markClosed = resolve));

  /**
   * Resolves once the worker has closed, whoever closed it: a `close()` call, the scheduler's
   * `close` message, or giving up on a scheduler that refused it (`refused: true`: a restarted
   * scheduler with another token or CA). A process running the worker exits on it; otherwise
   * nothing would end a process whose worker closed itself.
   */
  closedBy(): Promise<{ refused: boolean; deathTimeout: boolean }> {
    return this.hasClosed.then(() => ({ refused: this.refused, deathTimeout: this.deathTimedOut }));
  }

  private async closeInner(reason: string, graceMs: number): Promise<void> {
    if (!this.registeredOnce) {
      // Still starting (e.g. waiting for the scheduler): nothing to hand back; stop the wait.
      this.log(`${reason}: stopping before registration`);
      this.closed = true;
      clearTimeout(this.reconnectTimer);
      this.wake?.();
      await this.starting?.catch(() => {});
      await this.shutdownIo();
      return;
    }
    if (this.scheduler === null) {
      // Stopped while the scheduler is gone (this worker is trying to register again): nothing
      // can take back queued work, receive a running task's result or copy the results held
      // here. Waiting out the grace for running tasks kept a SIGTERM'd worker alive 30 s for
      // nothing (a LocalCluster's close() killed it after 5 s).
      const running = this.state.executing;
      const since = this.schedulerLostAt === undefined ? '' : ` (lost ${fmtMs(Date.now() - this.schedulerLostAt)} ago)`;
      this.log(`${reason}: the scheduler is gone${since}, so nothing here can be handed back or reported; leaving now`
        + `${running ? `, abandoning ${running} running task(s)` : ''}`);
      this.closed = true;
      clearTimeout(this.reconnectTimer);
      this.wake?.();
      this.apply(this.state.abandonRunning());
      await this.shutdownIo();
      return;
    }
    const deadline = Date.now() + graceMs;
    this.log(`${reason}: handing back queued work and finishing running tasks`);
    this.apply(this.state.handle({ type: 'shutdown', reason, lifetime: this.lifetimeEnded }));
    if (this.state.executing > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          if (this.state.executing === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      this.drained = undefined;
      this.apply(this.state.abandonRunning());
    }
    await this.retire(deadline);
    await this.shutdownIo();
  }

  /**
   * Asks the scheduler to copy the results held here to other workers (`retire`), and waits for
   * its `close` (the copies are done, or it says why there is nothing to do) until `deadline`.
   * At the end of its lifetime, with no other worker running, that includes waiting for one to
   * join: the grace bounds it, as it bounds the rest of the retirement.
   * The data listener keeps serving meanwhile: the recipients fetch from it.
   */
  private async retire(deadline: number): Promise<void> {
    const conn = this.scheduler;
    const held = this.state.storedCount;
    if (!conn || held === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      this.log(`no time left in the grace to move the ${held} result(s) held here; leaving them to be computed again`);
      return;
    }
    this.log(`asking the scheduler to copy the ${held} result(s) held here to other workers (waiting up to ${fmtMs(left)})`);
    const why = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(`no word from the scheduler within the grace (${fmtMs(left)}); leaving, what was not copied is computed again`), left);
      this.retired = (w) => {
        clearTimeout(timer);
        resolve(w);
      };
      conn.send(this.lifetimeEnded ? { op: 'retire', lifetime: true } : { op: 'retire' });
    });
    this.retired = undefined;
    this.log(why);
  }

  private async shutdownIo(): Promise<void> {
    this.closed = true;
    if (this.ioClosed) return;
    this.ioClosed = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.memoryTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.lifetimeTimer);
    clearTimeout(this.deathTimer);
    this.scheduler?.close(CloseCode.normal, 'worker leaving');
    this.scheduler = null;
    for (const p of this.peers.values()) {
      p.abort.abort(new Error('the worker is closing'));
      void p.conn.then((c) => c.close(), () => {});
    }
    await this.pool?.close();
    await this.listener?.close();
  }
}

/** `90s`, `55m`, `1.5h`: a duration for the log. */
function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(2)} h`;
}

/** Starts a worker and registers it with the scheduler. */
export function startWorker(opts: WorkerOptions): Promise<GluonWorker> {
  let w: GluonWorker;
  try {
    checkOptionKeys(opts, WORKER_OPTION_KEYS, 'startWorker');
    checkTlsOptionKeys(opts.tls, 'startWorker: tls', 'listener');
    // File paths, as Client.connect takes them (see Scheduler.start).
    w = new GluonWorker(opts.tls ? { ...opts, tls: readTlsMaterial(opts.tls, 'startWorker: tls') } : opts);
  } catch (err) {
    return Promise.reject(err as Error); // a rejection, as Scheduler.start's and Client.connect's are
  }
  return w.start();
}
