/**
 * A benchmark DRIVER, not a worker: many simulated workers in one process, each one WebSocket
 * connection speaking the real worker protocol to a real scheduler (hello with its threads,
 * `holding`, heartbeats with metrics, `task-finished` for every `compute-task` at once, answers
 * to steal requests). Nothing is run: each task "returns" null inline. It exists so that the
 * real scheduler can meet hundreds or thousands of workers on a 2-core machine
 * (bench/scale.ts); tests use real workers, never this.
 */
import { CloseCode, connect, SCHEDULER_TO_WORKER, type Connection, type Inbound } from '@gluon/protocol';

type FromScheduler = Inbound<typeof SCHEDULER_TO_WORKER>;

/** What the fleet tells its owner as it happens (all optional, all cheap). */
export interface FleetHooks {
  /** A compute-task arrived at `worker` (called before it is answered). */
  onCompute?(key: string, worker: SimWorker): void;
}

/** One simulated worker: a connection and its counters. */
export class SimWorker {
  /** compute-tasks received / answered, keys freed, steal requests seen. */
  received = 0;
  answered = 0;
  freed = 0;
  steals = 0;
  /** While set, compute-tasks are kept unanswered (in `pending`), as a worker busy or about to die. */
  stuck = false;
  readonly pending = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private thread = 0;

  constructor(readonly name: string, readonly nthreads: number, readonly conn: Connection, heartbeatMs: number, private readonly hooks: FleetHooks, private readonly fleet: { heartbeatsPaused: boolean }) {
    conn.on('message', (m: FromScheduler) => this.onMessage(m));
    conn.on('close', () => clearInterval(this.heartbeat));
    this.heartbeat = setInterval(() => this.sendHeartbeat(), heartbeatMs);
    this.heartbeat.unref();
  }

  private onMessage(m: FromScheduler): void {
    switch (m.op) {
      case 'compute-task': {
        this.received++;
        this.hooks.onCompute?.(m.key, this);
        if (this.stuck) this.pending.add(m.key);
        else this.finish(m.key);
        return;
      }
      case 'free-keys':
        this.freed += m.keys.length;
        for (const k of m.keys) this.pending.delete(k);
        return;
      case 'steal-request':
        this.steals++;
        // Unstarted only while stuck; otherwise it already finished.
        this.conn.send({ op: 'steal-response', key: m.key, ok: this.pending.delete(m.key) });
        return;
      case 'close':
        this.conn.close(CloseCode.normal, 'asked to close');
        return;
    }
  }

  private finish(key: string): void {
    const now = Date.now();
    this.answered++;
    this.thread = (this.thread + 1) % this.nthreads;
    this.conn.send({ op: 'task-finished', key, nbytes: 8, typeName: 'null', start: now, stop: now, thread: this.thread, value: null, hasValue: true });
  }

  /** Answers what it kept while stuck, and answers at once again. */
  unstick(): void {
    this.stuck = false;
    for (const k of this.pending) this.finish(k);
    this.pending.clear();
  }

  private sendHeartbeat(): void {
    if (this.fleet.heartbeatsPaused) return;
    this.conn.send({
      op: 'heartbeat',
      metrics: {
        cpu: 0, rss: 64 * 2 ** 20, memoryLimit: 0, executing: 0, ready: 0, stored: this.answered - this.freed, storedBytes: 0,
        time: Date.now(), paused: false,
      },
    });
  }

  /** Drops the connection at once, as a dead worker's would. */
  kill(): void {
    clearInterval(this.heartbeat);
    this.conn.terminate('simulated worker killed');
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.conn.close(CloseCode.normal, 'simulated worker leaving');
  }
}

/** Many simulated workers against one scheduler. */
export class SimFleet {
  readonly workers: SimWorker[] = [];
  /**
   * While set, the workers skip their heartbeats: a run measured without them costs the
   * scheduler CPU per task only (1,000 workers' heartbeats cost it CPU by the second, so a
   * figure netted of them by an estimate moved with the run's wall time, i.e. with the load).
   * Keep it short against the scheduler's heartbeat TTL.
   */
  heartbeatsPaused = false;
  private next = 0;

  constructor(readonly scheduler: string, readonly hooks: FleetHooks = {}) {}

  /** Connects `n` more workers (at most `parallel` handshakes at a time) and sends each its `holding`. */
  async add(n: number, nthreads: number, parallel = 100): Promise<SimWorker[]> {
    const added: SimWorker[] = [];
    let started = 0;
    const one = async (): Promise<void> => {
      while (started < n) {
        started++;
        const i = this.next++;
        const name = `sim-${i}`;
        // The address is never dialled: no task here has dependencies the driver must serve.
        const { conn, welcome } = await connect(this.scheduler, {
          role: 'worker', name, address: `ws://127.0.0.1:9/${name}`, nthreads, memoryLimit: 0, pid: process.pid, host: 'sim',
        }, { label: `scheduler (as ${name})`, timeoutMs: 120_000 });
        const w = new SimWorker(name, nthreads, conn, Math.max(50, Number(welcome.heartbeatIntervalMs ?? 1000)), this.hooks, this);
        conn.send({ op: 'holding', keys: {} });
        this.workers.push(w);
        added.push(w);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, n) }, one));
    return added;
  }

  get answered(): number {
    let n = 0;
    for (const w of this.workers) n += w.answered;
    return n;
  }

  /** Keys the scheduler has told the workers to free, over all of them. */
  get freed(): number {
    let n = 0;
    for (const w of this.workers) n += w.freed;
    return n;
  }

  closeAll(): void {
    for (const w of this.workers.splice(0)) w.close();
  }
}
