import { cpus, hostname } from 'node:os';
import {
  CloseCode, connect, listen, type Connection, type FnRef, type Listener, type Logger, type Message,
} from '@gluon/protocol';
import { checkModule, type AllowList } from './allow.js';
import { ThreadPool, type PoolResult } from './pool.js';
import { estimateSize, typeNameOf } from './size.js';

export interface WorkerOptions {
  /** `ws://host:port` of the scheduler. */
  scheduler: string;
  nthreads?: number;
  name?: string;
  /** Bytes; 0 means no limit. When RSS exceeds it the worker starts no new tasks until it drops. */
  memoryLimit?: number;
  /** Extra allowed task modules: package names or directories / file URLs. */
  allowModules?: string[];
  token?: string;
  /** Interface the data listener binds (default 127.0.0.1). */
  listenHost?: string;
  listenPort?: number;
  /** Working directory that decides which packages and files are allowed. */
  cwd?: string;
  maxFrameBytes?: number;
  log?: Logger;
}

/** Results at most this size ride along in `task-finished`, saving the client a round trip. */
export const INLINE_RESULT_BYTES = 16 * 1024;

type Priority = number[];

interface LocalTask {
  key: string;
  fn: FnRef;
  args: unknown[];
  deps: Record<string, string[]>;
  priority: Priority;
  state: 'fetching' | 'ready' | 'running';
  /** Dependencies still to arrive. */
  missing: number;
  cancelled: boolean;
}

function before(a: Priority, b: Priority): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * A Gluon worker: runs tasks in a thread pool, keeps their results, serves them to peers and
 * clients, and fetches the dependencies it lacks from the peers that hold them. The main
 * thread only moves messages and data, so heartbeats and transfers never wait for a task.
 */
export class GluonWorker {
  readonly name: string;
  readonly nthreads: number;
  private scheduler: Connection | null = null;
  private listener!: Listener;
  private pool!: ThreadPool;
  private readonly tasks = new Map<string, LocalTask>();
  private ready: LocalTask[] = [];
  private readonly store = new Map<string, { value: unknown; nbytes: number }>();
  /** Dependencies fetched from peers, kept while a local task still needs them. */
  private readonly fetched = new Map<string, { value: unknown; users: number }>();
  private storedBytes = 0;
  private readonly peers = new Map<string, Promise<Connection>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private paused = false;
  private lastCpu = process.cpuUsage();
  private lastCpuTime = Date.now();
  private readonly allow: AllowList;
  private readonly log: Logger;
  private reconnectDelay = 20;
  /** Resolves when the first registration with the scheduler is done. */
  registered!: Promise<void>;

  constructor(private readonly opts: WorkerOptions) {
    this.nthreads = Math.max(1, opts.nthreads ?? Math.max(1, cpus().length));
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
    this.allow = { cwd: opts.cwd ?? process.cwd(), extra: opts.allowModules ?? [] };
    this.log = opts.log ?? ((l) => process.stderr.write(`${new Date().toISOString()} worker ${this.name}: ${l}\n`));
  }

  /** The data listener's address, which peers and clients fetch results from. */
  get address(): string {
    return this.listener.address;
  }

  async start(): Promise<this> {
    this.pool = new ThreadPool(this.nthreads, this.name, (topic, value) => this.scheduler?.send({ op: 'publish', topic, value }));
    this.listener = await listen({
      self: `worker ${this.name}`,
      roles: ['peer', 'client'],
      host: this.opts.listenHost ?? '127.0.0.1',
      port: this.opts.listenPort ?? 0,
      ...(this.opts.token ? { token: this.opts.token } : {}),
      ...(this.opts.maxFrameBytes ? { maxFrameBytes: this.opts.maxFrameBytes } : {}),
      log: this.log,
      onConnection: (conn) => conn.on('message', (m: Message) => this.servePeer(conn, m)),
    });
    this.registered = this.register(true);
    await this.registered;
    return this;
  }

  // ---------------------------------------------------------------- scheduler link

  private async register(first: boolean): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        const keys: Record<string, number> = {};
        for (const [k, v] of this.store) keys[k] = v.nbytes;
        const { conn, welcome } = await connect(this.opts.scheduler, {
          role: 'worker', name: this.name, address: this.listener.address, nthreads: this.nthreads,
          memoryLimit: this.opts.memoryLimit ?? 0, pid: process.pid, host: hostname(), keys,
        }, { ...(this.opts.token ? { token: this.opts.token } : {}), label: `scheduler ${this.opts.scheduler}`, log: this.log, ...(this.opts.maxFrameBytes ? { maxFrameBytes: this.opts.maxFrameBytes } : {}) });
        this.scheduler = conn;
        this.reconnectDelay = 20;
        conn.on('message', (m: Message) => this.onSchedulerMessage(m));
        conn.on('close', (code: number, reason: string) => this.onSchedulerClosed(conn, code, reason));
        const interval = Number(welcome.heartbeatIntervalMs ?? 1000);
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(), interval);
        this.heartbeatTimer.unref();
        this.heartbeat();
        if (!first) this.log(`re-registered with ${this.opts.scheduler} holding ${this.store.size} result(s)`);
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        // Refusals that retrying cannot fix end the worker with the scheduler's reason.
        if (code === CloseCode.badToken || code === CloseCode.versionMismatch) throw err;
        if (first && attempt === 0) this.log(`waiting for the scheduler at ${this.opts.scheduler}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, this.reconnectDelay));
        this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5000);
      }
    }
  }

  private onSchedulerClosed(conn: Connection, code: number, reason: string): void {
    if (this.scheduler !== conn) return;
    this.scheduler = null;
    clearInterval(this.heartbeatTimer);
    if (this.closing) return;
    this.log(`lost the scheduler (${code}${reason ? `: ${reason}` : ''}); reconnecting`);
    // The scheduler reassigns what we had not started; drop it so it is not run twice.
    for (const t of [...this.tasks.values()]) if (t.state !== 'running') this.dropTask(t);
    void this.register(false).catch((err: Error) => this.log(`giving up on the scheduler: ${err.message}`));
  }

  private onSchedulerMessage(m: Message): void {
    switch (m.op) {
      case 'compute-task': return this.computeTask(m);
      case 'free-keys': return this.freeKeys(m.keys as string[]);
      case 'steal-request': return this.steal(String(m.key));
      case 'close': void this.close(String(m.reason ?? 'scheduler asked')); return;
      default: this.scheduler?.protocolError(`unknown op "${m.op}" from the scheduler`);
    }
  }

  private heartbeat(): void {
    const now = Date.now();
    const usage = process.cpuUsage();
    const cpu = ((usage.user - this.lastCpu.user + usage.system - this.lastCpu.system) / 1000 / Math.max(1, now - this.lastCpuTime)) * 100;
    this.lastCpu = usage;
    this.lastCpuTime = now;
    const rss = process.memoryUsage.rss();
    this.checkMemory(rss);
    this.scheduler?.send({
      op: 'heartbeat',
      metrics: {
        cpu, rss, memoryLimit: this.opts.memoryLimit ?? 0, executing: this.pool.executing, ready: this.ready.length,
        stored: this.store.size, storedBytes: this.storedBytes, time: now,
      },
    });
  }

  private checkMemory(rss: number): void {
    const limit = this.opts.memoryLimit ?? 0;
    if (!limit) return;
    if (!this.paused && rss > limit) {
      this.paused = true;
      this.log(`paused: RSS ${(rss / 2 ** 20).toFixed(0)} MiB is over the memory limit of ${(limit / 2 ** 20).toFixed(0)} MiB; starting no new tasks until it falls below 90%`);
    } else if (this.paused && rss < limit * 0.9) {
      this.paused = false;
      this.log(`resumed: RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
      this.pump();
    }
  }

  // ---------------------------------------------------------------- tasks

  private computeTask(m: Message): void {
    const key = String(m.key);
    if (this.tasks.has(key) || this.closing) return;
    const t: LocalTask = {
      key, fn: m.fn as FnRef, args: m.args as unknown[], deps: (m.deps ?? {}) as Record<string, string[]>,
      priority: (m.priority as Priority) ?? [0], state: 'fetching', missing: 0, cancelled: false,
    };
    this.tasks.set(key, t);
    const toFetch: string[] = [];
    for (const dep of Object.keys(t.deps)) {
      const f = this.fetched.get(dep);
      if (this.store.has(dep)) continue;
      if (f) {
        f.users++;
        continue;
      }
      toFetch.push(dep);
    }
    if (toFetch.length === 0) return this.makeReady(t);
    t.missing = toFetch.length;
    void this.fetchDeps(t, toFetch);
  }

  private makeReady(t: LocalTask): void {
    t.state = 'ready';
    // Insert in priority order; queues are short (the scheduler bounds them), so a sorted array is enough.
    let i = this.ready.length;
    while (i > 0 && before(t.priority, this.ready[i - 1]!.priority)) i--;
    this.ready.splice(i, 0, t);
    this.pump();
  }

  private pump(): void {
    while (this.ready.length && this.pool.hasRoom && !this.paused) {
      const t = this.ready.shift()!;
      void this.execute(t);
    }
  }

  private async execute(t: LocalTask): Promise<void> {
    t.state = 'running';
    const decision = checkModule(t.fn.module, this.allow);
    let result: PoolResult;
    if (!decision.ok) {
      const now = Date.now();
      result = {
        ok: false, start: now, stop: now, thread: -1, died: false,
        error: { name: 'ModuleNotAllowedError', message: `module ${t.fn.module} is not allowed on worker ${this.name}: ${decision.reason}`, stack: '' },
      };
    } else {
      result = await this.pool.run({ key: t.key, url: decision.url, exportName: t.fn.export, args: this.resolveArgs(t) });
    }
    this.finish(t, result, decision.ok ? undefined : 'not-allowed');
  }

  private finish(t: LocalTask, r: PoolResult, kind?: 'not-allowed'): void {
    this.tasks.delete(t.key);
    this.releaseDeps(t);
    if (!t.cancelled) {
      if (r.ok) {
        const nbytes = estimateSize(r.value);
        this.store.set(t.key, { value: r.value, nbytes });
        this.storedBytes += nbytes;
        const msg: Message = { op: 'task-finished', key: t.key, nbytes, typeName: typeNameOf(r.value), start: r.start, stop: r.stop, thread: r.thread };
        if (nbytes <= INLINE_RESULT_BYTES) {
          msg.value = r.value;
          msg.hasValue = true;
        }
        if (r.events !== undefined) msg.events = r.events;
        this.scheduler?.send(msg);
      } else {
        this.scheduler?.send({
          op: 'task-erred', key: t.key, error: r.error, start: r.start, stop: r.stop, thread: r.thread,
          kind: r.died ? 'worker-died' : (kind ?? 'exception'),
        });
      }
    }
    this.pump();
    if (this.closing) this.drained?.();
  }

  /** Replaces dependency references in the arguments with their values. */
  private resolveArgs(t: LocalTask): unknown[] {
    if (Object.keys(t.deps).length === 0) return t.args;
    const lookup = (key: string) => (this.store.has(key) ? this.store.get(key)!.value : this.fetched.get(key)?.value);
    const sub = (v: unknown): unknown => {
      if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
      if (Array.isArray(v)) return v.map(sub);
      const ref = (v as { __gluonRef?: unknown }).__gluonRef;
      if (typeof ref === 'string') return lookup(ref);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = sub((v as Record<string, unknown>)[k]);
      return out;
    };
    return t.args.map(sub);
  }

  private releaseDeps(t: LocalTask): void {
    for (const dep of Object.keys(t.deps)) {
      const f = this.fetched.get(dep);
      if (f && --f.users <= 0) this.fetched.delete(dep);
    }
  }

  private dropTask(t: LocalTask): void {
    t.cancelled = true;
    this.tasks.delete(t.key);
    const i = this.ready.indexOf(t);
    if (i >= 0) this.ready.splice(i, 1);
    if (t.state !== 'fetching') this.releaseDeps(t);
  }

  private freeKeys(keys: string[]): void {
    for (const key of keys) {
      const s = this.store.get(key);
      if (s) {
        this.store.delete(key);
        this.storedBytes -= s.nbytes;
      }
      const t = this.tasks.get(key);
      if (t) {
        if (t.state === 'running') t.cancelled = true;
        else this.dropTask(t);
      }
    }
  }

  private steal(key: string): void {
    const t = this.tasks.get(key);
    const ok = !!t && t.state !== 'running';
    if (t && ok) this.dropTask(t);
    this.scheduler?.send({ op: 'steal-response', key, ok });
  }

  // ---------------------------------------------------------------- data

  /** Fetches dependencies, batching keys per holder and trying the next holder on failure. */
  private async fetchDeps(t: LocalTask, keys: string[]): Promise<void> {
    const byPeer = new Map<string, string[]>();
    for (const k of keys) {
      const holders = t.deps[k] ?? [];
      const h = holders.length ? holders[Math.floor(Math.random() * holders.length)]! : '';
      if (!byPeer.has(h)) byPeer.set(h, []);
      byPeer.get(h)!.push(k);
    }
    await Promise.all([...byPeer].map(async ([addr, ks]) => {
      for (const key of ks) if (!(await this.fetchOne(t, key, addr))) return;
    }));
  }

  private readonly inflight = new Map<string, Promise<unknown>>();

  private async fetchOne(t: LocalTask, key: string, first: string): Promise<boolean> {
    const holders = [first, ...(t.deps[key] ?? []).filter((h) => h !== first)].filter(Boolean);
    let lastErrant = first;
    for (const addr of holders) {
      if (t.cancelled) return false;
      lastErrant = addr;
      try {
        let p = this.inflight.get(key);
        if (!p) {
          p = this.getFromPeer(addr, key);
          this.inflight.set(key, p);
          void p.finally(() => this.inflight.delete(key)).catch(() => {});
        }
        const value = await p;
        if (t.cancelled) return false;
        const f = this.fetched.get(key);
        if (this.store.has(key)) { /* computed here meanwhile */ }
        else if (f) f.users++;
        else this.fetched.set(key, { value, users: 1 });
        if (--t.missing === 0 && t.state === 'fetching') this.makeReady(t);
        return true;
      } catch (err) {
        this.log(`could not fetch ${key} from ${addr}: ${(err as Error).message}`);
      }
    }
    if (t.cancelled) return false;
    // Nobody could give it to us: the scheduler recomputes it and takes the task back.
    this.dropTask(t);
    this.scheduler?.send({ op: 'missing-data', key, errantWorker: lastErrant, dependent: t.key });
    return false;
  }

  private async getFromPeer(addr: string, key: string): Promise<unknown> {
    if (addr === this.listener.address) {
      const s = this.store.get(key);
      if (s) return s.value;
      throw new Error(`${key} is not stored here`);
    }
    let cp = this.peers.get(addr);
    if (!cp) {
      cp = connect(addr, { role: 'peer', name: this.name }, { ...(this.opts.token ? { token: this.opts.token } : {}), label: `peer ${addr}`, log: this.log, timeoutMs: 5000 }).then(({ conn }) => {
        conn.on('close', () => this.peers.delete(addr));
        return conn;
      });
      this.peers.set(addr, cp);
      cp.catch(() => this.peers.delete(addr));
    }
    const conn = await cp;
    const reply = await conn.request({ op: 'get-data', keys: [key] }, 60_000);
    const data = reply.data as Record<string, unknown>;
    if (!(key in data)) throw new Error(`${addr} does not have ${key}`);
    return data[key];
  }

  private servePeer(conn: Connection, m: Message): void {
    if (m.op !== 'get-data') return conn.protocolError(`unknown op "${m.op}" on a worker's data port`);
    const data: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const k of m.keys as string[]) {
      const s = this.store.get(k);
      if (s) data[k] = s.value;
      else missing.push(k);
    }
    conn.reply(m, { op: 'data', data, missing });
  }

  // ---------------------------------------------------------------- shutdown

  private drained: (() => void) | undefined;

  /**
   * Graceful stop: take no more work, hand unstarted tasks back, let running ones finish (up to
   * `graceMs`), report them, then leave.
   */
  async close(reason = 'closing', graceMs = 30_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.log(`${reason}: handing back queued work and finishing running tasks`);
    const unstarted = [...this.tasks.values()].filter((t) => t.state !== 'running');
    for (const t of unstarted) this.dropTask(t);
    this.scheduler?.send({ op: 'closing' });
    if (unstarted.length) this.scheduler?.send({ op: 'handback', keys: unstarted.map((t) => t.key) });
    if (this.tasks.size) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          if (this.tasks.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      const left = [...this.tasks.keys()];
      if (left.length) this.scheduler?.send({ op: 'handback', keys: left });
    }
    clearInterval(this.heartbeatTimer);
    this.scheduler?.close(CloseCode.normal, 'worker leaving');
    for (const p of this.peers.values()) void p.then((c) => c.close(), () => {});
    await this.pool.close();
    await this.listener.close();
  }
}

/** Starts a worker and registers it with the scheduler. */
export function startWorker(opts: WorkerOptions): Promise<GluonWorker> {
  return new GluonWorker(opts).start();
}
