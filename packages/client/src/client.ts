import { nanoid } from 'nanoid';
import {
  connect, type Connection, type Message, type TaskError as TaskErrorInfo, type TaskSpec,
} from '@gluon/protocol';
import { Delayed } from './delayed.js';
import { Future, KeyState, type FutureHost } from './future.js';
import { remote, type RemoteFunction, type TaskOptions } from './remote.js';
import { toWire, tokenize } from './serialize.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;
type Awaitable<T> = T | Future<T>;
type FutureArgs<A extends unknown[]> = { [I in keyof A]: A[I] | Future<A[I]> | Delayed<A[I]> };

/** What `gather` returns for a structure of futures: the same structure with values. */
export type Gathered<T> = T extends Future<infer V>
  ? V
  : T extends Delayed<infer V>
    ? V
    : T extends ArrayBufferView
      ? T
      : T extends readonly unknown[]
        ? { [I in keyof T]: Gathered<T[I]> }
        : T extends Record<string, unknown>
          ? { [K in keyof T]: Gathered<T[K]> }
          : T;

export interface ConnectOptions {
  /** Shared secret; defaults to the GLUON_TOKEN environment variable. */
  token?: string;
  /** Shown in the scheduler's log and dashboard. */
  name?: string;
  /** Handshake timeout. Default 10 s. */
  timeoutMs?: number;
}

/**
 * A connection to a Gluon scheduler: submit tasks, get futures, gather results.
 *
 * ```ts
 * const client = await Client.connect('ws://127.0.0.1:8786');
 * const inc = remote<(x: number) => number>('@gluon/examples/tasks', 'inc');
 * const futures = client.map(inc, [1, 2, 3]);
 * console.log(await client.gather(futures)); // [2, 3, 4]
 * ```
 */
export class Client implements FutureHost {
  /** The dashboard URL the scheduler announced, if it serves one. */
  readonly dashboardUrl: string | undefined;
  private readonly keys = new Map<string, KeyState>();
  private readonly workers = new Map<string, Promise<Connection>>();
  private closed = false;
  private readonly registry = new FinalizationRegistry<KeyState>((state) => this.dropRef(state));

  private constructor(private readonly conn: Connection, welcome: Message, private readonly token: string | undefined) {
    this.dashboardUrl = typeof welcome.dashboard === 'string' ? welcome.dashboard : undefined;
    conn.on('message', (m: Message) => this.onMessage(m));
    conn.on('close', (code: number, reason: string) => this.onClose(code, reason));
  }

  /** Connects to a scheduler at `ws://host:port`. */
  static async connect(url: string, opts: ConnectOptions = {}): Promise<Client> {
    const token = opts.token ?? process.env.GLUON_TOKEN;
    const { conn, welcome } = await connect(url, { role: 'client', name: opts.name ?? `client-${process.pid}` }, {
      ...(token ? { token } : {}), timeoutMs: opts.timeoutMs ?? 10_000, label: `scheduler ${url}`,
      log: (l) => process.stderr.write(`gluon client: ${l}\n`),
    });
    return new Client(conn, welcome, token);
  }

  // ---------------------------------------------------------------- submitting

  /** Runs `fn(...args)` on a worker. Futures (anywhere in the arguments) become dependencies. */
  submit<F extends AnyFn>(fn: RemoteFunction<F>, ...args: FutureArgs<Parameters<F>>): Future<Awaited<ReturnType<F>>> {
    return this.submitGraph([new Delayed(fn, args)])[0] as Future<Awaited<ReturnType<F>>>;
  }

  /** One task per element: `map(inc, [1, 2, 3])`, or per zipped element with several lists. */
  map<F extends AnyFn>(fn: RemoteFunction<F>, ...iterables: Array<Iterable<unknown>>): Array<Future<Awaited<ReturnType<F>>>> {
    if (iterables.length === 0) throw new TypeError('map() needs at least one iterable of arguments');
    const lists = iterables.map((it) => [...it]);
    const n = Math.min(...lists.map((l) => l.length));
    const nodes: Delayed[] = [];
    for (let i = 0; i < n; i++) nodes.push(new Delayed(fn, lists.map((l) => l[i])));
    return this.submitGraph(nodes) as Array<Future<Awaited<ReturnType<F>>>>;
  }

  /** Submits delayed graphs and returns a future per root, the graph staying on the cluster. */
  persist<T>(node: Delayed<T>): Future<T>;
  persist(nodes: Delayed[]): Future[];
  persist(x: Delayed | Delayed[]): Future | Future[] {
    return Array.isArray(x) ? this.submitGraph(x) : this.submitGraph([x])[0]!;
  }

  /** Submits delayed graphs and waits for their values. */
  async compute<T>(node: Delayed<T>): Promise<T>;
  async compute(nodes: Delayed[]): Promise<unknown[]>;
  async compute(x: Delayed | Delayed[]): Promise<unknown> {
    const futures = Array.isArray(x) ? this.submitGraph(x) : this.submitGraph([x]);
    try {
      const values = await this.gather(futures);
      return Array.isArray(x) ? values : values[0];
    } finally {
      for (const f of futures) f.release();
    }
  }

  /**
   * Merges many results in a tree of `combine` tasks on the workers, `fanIn` inputs per task,
   * so the client receives one value instead of all of them. `combine` receives an array.
   */
  treeReduce<T>(combine: RemoteFunction<(parts: T[]) => T | Promise<T>>, futures: Array<Future<T>>, opts: { fanIn?: number } = {}): Future<T> {
    const fanIn = opts.fanIn ?? 8;
    if (!Number.isInteger(fanIn) || fanIn < 2) throw new RangeError(`treeReduce: fanIn must be an integer ≥ 2, got ${fanIn}`);
    if (futures.length === 0) throw new RangeError('treeReduce: no futures to reduce');
    // Build the whole tree as one graph: one round trip, and the scheduler sees the depth.
    let level: Array<Delayed | Future> = futures;
    do {
      const next: Delayed[] = [];
      for (let i = 0; i < level.length; i += fanIn) next.push(new Delayed(combine, [level.slice(i, i + fanIn)]));
      level = next;
    } while (level.length > 1);
    return this.submitGraph(level as Delayed[])[0] as Future<T>;
  }

  private submitGraph(roots: Delayed[]): Future[] {
    this.assertOpen();
    const tasks: TaskSpec[] = [];
    const refOf = (x: object): string | undefined => {
      if (x instanceof Future) {
        if (x.isReleased) throw new TypeError(`future ${x.key} was released and cannot be used as an argument`);
        return x.key;
      }
      if (x instanceof Delayed) return x.key ?? build(x);
      return undefined;
    };
    const build = (node: Delayed): string => {
      const opts: TaskOptions = node.fn.options;
      const { args, deps } = toWire(node.args, refOf);
      const key = opts.key ?? (opts.pure === false ? `${node.fn.fn.export}-${nanoid(16)}` : tokenize(node.fn.fn, args));
      node.key = key;
      tasks.push({ key, fn: node.fn.fn, args, deps, ...(opts.priority ? { priority: opts.priority } : {}), ...(opts.retries ? { retries: opts.retries } : {}) });
      return key;
    };
    const futures = roots.map((r) => this.futureFor(r.key ?? build(r)));
    // Deduplicate keys within the batch (equal pure calls).
    const seen = new Set<string>();
    const unique = tasks.filter((t) => (seen.has(t.key) ? false : (seen.add(t.key), true)));
    this.conn.send({ op: 'update-graph', tasks: unique, wants: futures.map((f) => f.key) });
    return futures;
  }

  private futureFor(key: string): Future {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = new KeyState(key)));
    state.refs++;
    const f = new Future(state, this);
    this.registry.register(f, state, f);
    return f;
  }

  // ---------------------------------------------------------------- results

  /** Values of futures anywhere in a structure (arrays, plain objects), fetched in bulk. */
  async gather<T>(x: T): Promise<Gathered<T>> {
    const found: Future[] = [];
    const collect = (v: unknown, depth: number) => {
      if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
      if (v instanceof Future) return void found.push(v);
      if (Array.isArray(v)) for (const y of v) collect(y, depth + 1);
      else if (Object.getPrototypeOf(v) === Object.prototype) for (const y of Object.values(v)) collect(y, depth + 1);
    };
    collect(x, 0);
    const values = await this.fetchValues(found.map((f) => f.state));
    const rebuild = (v: unknown, depth: number): unknown => {
      if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
      if (v instanceof Future) return values.get(v.key);
      if (Array.isArray(v)) return v.map((y) => rebuild(y, depth + 1));
      if (Object.getPrototypeOf(v) !== Object.prototype) return v;
      const o: Record<string, unknown> = {};
      for (const [k, y] of Object.entries(v)) o[k] = rebuild(y, depth + 1);
      return o;
    };
    return rebuild(x, 0) as Gathered<T>;
  }

  /** @internal */
  async resultOf(state: KeyState): Promise<unknown> {
    return (await this.fetchValues([state])).get(state.key);
  }

  private async fetchValues(states: KeyState[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    await Promise.all(states.map((s) => s.settled()));
    const need: KeyState[] = [];
    for (const s of states) {
      if (s.status !== 'finished') throw s.failure();
      if (s.hasValue) out.set(s.key, s.value);
      else need.push(s);
    }
    if (need.length === 0) return out;
    const keys = [...new Set(need.map((s) => s.key))];
    const reply = await this.conn.request({ op: 'who-has', keys });
    const whoHas = reply.whoHas as Record<string, string[]>;
    const byWorker = new Map<string, string[]>();
    const lost: string[] = [];
    for (const k of keys) {
      const addrs = whoHas[k] ?? [];
      if (addrs.length === 0) lost.push(k);
      else {
        const a = addrs[Math.floor(Math.random() * addrs.length)]!;
        if (!byWorker.has(a)) byWorker.set(a, []);
        byWorker.get(a)!.push(k);
      }
    }
    await Promise.all([...byWorker].map(async ([addr, ks]) => {
      const conn = await this.workerConnection(addr);
      const r = await conn.request({ op: 'get-data', keys: ks });
      const data = r.data as Record<string, unknown>;
      for (const k of ks) {
        if (k in data) out.set(k, data[k]);
        else lost.push(k);
      }
    }));
    if (lost.length) {
      // The holder vanished between who-has and get-data: wait for the recomputation.
      for (const k of lost) this.keys.get(k)?.reset();
      const again = await this.fetchValues(lost.map((k) => this.keys.get(k)!).filter(Boolean));
      for (const [k, v] of again) out.set(k, v);
    }
    return out;
  }

  private workerConnection(addr: string): Promise<Connection> {
    let p = this.workers.get(addr);
    if (!p) {
      p = connect(addr, { role: 'client', name: `client-${process.pid}` }, { ...(this.token ? { token: this.token } : {}), label: `worker ${addr}`, timeoutMs: 10_000 })
        .then(({ conn }) => {
          conn.on('close', () => this.workers.delete(addr));
          return conn;
        });
      p.catch(() => this.workers.delete(addr));
      this.workers.set(addr, p);
    }
    return p;
  }

  /** Yields futures as they finish (or fail), in completion order. */
  async *asCompleted<T>(futures: Iterable<Future<T>>): AsyncGenerator<Future<T>> {
    const pending = new Set(futures);
    const ready: Array<Future<T>> = [];
    let wake: (() => void) | null = null;
    for (const f of pending) {
      void f.state.settled().then(() => {
        ready.push(f);
        wake?.();
      });
    }
    while (pending.size) {
      if (ready.length === 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      while (ready.length) {
        const f = ready.shift()!;
        pending.delete(f);
        yield f;
      }
    }
  }

  /**
   * Waits until all futures are done (finished, failed or cancelled) or `timeoutMs` passes;
   * never throws for a failed task. Returns which are done.
   */
  async wait<T>(futures: Array<Future<T>>, opts: { timeoutMs?: number } = {}): Promise<{ done: Array<Future<T>>; notDone: Array<Future<T>> }> {
    const all = Promise.all(futures.map((f) => f.state.settled()));
    if (opts.timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, opts.timeoutMs)))]);
      clearTimeout(timer);
    } else await all;
    return { done: futures.filter((f) => f.done), notDone: futures.filter((f) => !f.done) };
  }

  // ---------------------------------------------------------------- control

  /** Cancels the tasks (and what depends on them); their futures reject with CancelledError. */
  async cancel(futures: Future[]): Promise<void> {
    this.assertOpen();
    const keys = futures.filter((f) => !f.done).map((f) => f.key);
    if (keys.length) this.conn.send({ op: 'cancel', keys });
  }

  /** Runs failed tasks again (and the failed tasks they depend on). */
  async retry(futures: Future[]): Promise<void> {
    this.assertOpen();
    const keys = futures.filter((f) => f.status === 'error').map((f) => f.key);
    for (const k of keys) this.keys.get(k)?.reset();
    if (keys.length) this.conn.send({ op: 'retry', keys });
  }

  /** Drops futures' holds on their results. */
  release(futures: Future[]): void {
    for (const f of futures) f.release();
  }

  /** Publishes a value on a topic of the dashboard's Results panel. */
  publish(topic: string, value: unknown): void {
    this.assertOpen();
    toWire([value], () => undefined);
    this.conn.send({ op: 'publish', topic, value });
  }

  /** @internal */
  releaseKey(state: KeyState): void {
    this.dropRef(state);
  }

  private dropRef(state: KeyState): void {
    if (--state.refs <= 0 && this.keys.get(state.key) === state) this.keys.delete(state.key);
    if (!this.closed) this.conn.send({ op: 'release-keys', keys: [state.key] });
  }

  private onMessage(m: Message): void {
    const state = typeof m.key === 'string' ? this.keys.get(m.key) : undefined;
    switch (m.op) {
      case 'key-in-memory':
        state?.finished('value' in m ? { value: m.value } : undefined);
        return;
      case 'task-erred':
        state?.erred(m.error as TaskErrorInfo);
        return;
      case 'cancelled':
        state?.cancelled();
        return;
      default:
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const info = (key: string): TaskErrorInfo => ({
      message: `lost the scheduler connection (${code}${reason ? `: ${reason}` : ''}) before ${key} finished`,
      name: 'ConnectionClosedError', stack: '', key, worker: '', retriesUsed: 0, kind: 'lost',
    });
    for (const s of this.keys.values()) if (!s.done) s.erred(info(s.key));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this client is closed');
  }

  /** Closes the connections; futures still pending fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.conn.close(1000, 'client closing');
    this.onClose(1000, 'client closed');
    await Promise.all([...this.workers.values()].map((p) => p.then((c) => c.close(), () => {})));
  }
}

/** A shorthand for a one-off remote call: `await client.submit(remote('pkg', 'f'), 1).result()`. */
export { remote };
export type { Awaitable };
