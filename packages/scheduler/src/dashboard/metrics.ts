import type { Registry } from 'prom-client';
import type { ClusterEvent, DashboardSource, GroupState } from './source.js';
import { unauthenticatedFigures, type UnauthenticatedFigures } from '@gluon/protocol';

/**
 * The scheduler's figures for Prometheus (`/metrics` on the dashboard's port). The hot path only
 * counts: each event adds to a number in a fixed array (no labels, no strings, no allocation);
 * everything Prometheus sees — label sets, the text format — is built by prom-client when a
 * scrape asks, from those counters and from the source's snapshot at that moment. prom-client
 * itself is loaded on the first scrape, so a scheduler nobody scrapes does not pay for it.
 */

type Prom = typeof import('prom-client');

/** Task states a transition can start or end in; the index is the counters' row/column. */
const ENDS = ['released', 'waiting', 'queued', 'processing', 'memory', 'erred', 'forgotten'] as const;
const GROUP_STATES: readonly GroupState[] = ['waiting', 'queued', 'processing', 'memory', 'erred'];
const END_INDEX = new Map<string, number>(ENDS.map((s, i) => [s, i]));

/** Counters fed by cluster events (all since the dashboard started). */
class EventCounters {
  /** transitions[from * ENDS.length + to] */
  readonly transitions = new Float64Array(ENDS.length * ENDS.length);
  completed = 0;
  computeMs = 0;
  transfers = 0;
  transferBytes = 0;

  apply(e: ClusterEvent): void {
    switch (e.kind) {
      case 'task-state': {
        const from = END_INDEX.get(e.from);
        const to = END_INDEX.get(e.to);
        if (from !== undefined && to !== undefined) this.transitions[from * ENDS.length + to]!++;
        return;
      }
      case 'task-done':
        this.completed++;
        if (e.stop > e.start) this.computeMs += e.stop - e.start;
        return;
      case 'transfer':
        this.transfers++;
        if (Number.isFinite(e.bytes) && e.bytes > 0) this.transferBytes += e.bytes;
        return;
    }
  }
}

/**
 * Process metrics (CPU, RSS, heap, GC, event-loop lag) from prom-client's default collectors. One
 * registry per process, made on the first scrape: they describe the process, and each set of
 * default collectors keeps an event-loop-delay monitor and a GC observer for the process's life.
 */
let processRegistry: Registry | undefined;
function processMetrics(prom: Prom): Registry {
  if (!processRegistry) {
    processRegistry = new prom.Registry();
    prom.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The dashboard's own live feeds, for `/metrics`: open now, the cap, refused and dropped since it started. */
export interface FeedFigures {
  open: number;
  max: number;
  /** feeds one address may hold at once. */
  maxPerAddress: number;
  /** refused since the start, by the cap that refused them. */
  refused: { total: number; 'per-address': number };
  dropped: number;
}

/** `/metrics` for one dashboard. */
export class SchedulerMetrics {
  private readonly counts = new EventCounters();
  private readonly unsubscribe: () => void;
  private registry: Promise<{ prom: Prom; registry: Registry }> | undefined;

  constructor(private readonly source: DashboardSource, private readonly feeds?: () => FeedFigures) {
    this.unsubscribe = source.subscribe((e) => this.counts.apply(e));
  }

  /** The text exposition (this scheduler's figures, then the process's) and its `Content-Type`. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    this.registry ??= import('prom-client').then((prom) => ({ prom, registry: this.define(prom) }));
    const { prom, registry } = await this.registry;
    // Each scrape reads one snapshot, shared by every gauge below.
    this.snap = this.source.snapshot();
    try {
      return { text: (await registry.metrics()) + (await processMetrics(prom).metrics()), contentType: registry.contentType };
    } finally {
      this.snap = undefined;
    }
  }

  close(): void {
    this.unsubscribe();
  }

  private snap: ReturnType<DashboardSource['snapshot']> | undefined;

  private snapshot(): ReturnType<DashboardSource['snapshot']> {
    return this.snap ?? this.source.snapshot();
  }

  private define(prom: Prom): Registry {
    const { Counter, Gauge } = prom;
    const registry = new prom.Registry();
    const registers = [registry];
    const self = this;
    const c = this.counts;
    new Gauge({
      name: 'gluon_scheduler_tasks', help: 'Tasks the scheduler holds, by state (released and forgotten tasks are not held)', labelNames: ['state'], registers,
      collect() {
        const n: Record<GroupState, number> = { waiting: 0, queued: 0, processing: 0, memory: 0, erred: 0 };
        for (const g of self.snapshot().groups) for (const s of GROUP_STATES) n[s] += g.counts[s] ?? 0;
        for (const s of GROUP_STATES) this.set({ state: s }, n[s]);
      },
    });
    new Gauge({
      name: 'gluon_scheduler_task_groups', help: 'Task groups the scheduler knows', registers,
      collect() {
        this.set(self.snapshot().groups.length);
      },
    });
    new Counter({
      name: 'gluon_scheduler_transitions_total', help: 'Task state transitions since the scheduler started, by the states left and entered', labelNames: ['from', 'to'], registers,
      collect() {
        this.reset();
        for (let f = 0; f < ENDS.length; f++) {
          for (let t = 0; t < ENDS.length; t++) {
            const v = c.transitions[f * ENDS.length + t]!;
            if (v > 0) this.inc({ from: ENDS[f]!, to: ENDS[t]! }, v);
          }
        }
      },
    });
    const counter = (name: string, help: string, value: () => number) => new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(value());
      },
    });
    counter('gluon_scheduler_tasks_completed_total', 'Task executions that finished successfully since the scheduler started', () => c.completed);
    counter('gluon_scheduler_task_compute_seconds_total', 'Time workers spent running the tasks that finished (sum of their durations)', () => c.computeMs / 1000);
    counter('gluon_scheduler_transfers_total', 'Peer-to-peer fetches of task inputs between workers', () => c.transfers);
    counter('gluon_scheduler_transfer_bytes_total', 'Bytes moved between workers by those fetches (the workers\' size estimates)', () => c.transferBytes);

    const alive = () => self.snapshot().workers.filter((w) => w.alive);
    new Gauge({
      name: 'gluon_scheduler_workers', help: 'Workers connected now', registers,
      collect() {
        this.set(alive().length);
      },
    });
    new Gauge({
      name: 'gluon_scheduler_threads', help: 'Task threads of the connected workers', registers,
      collect() {
        this.set(alive().reduce((n, w) => n + w.nthreads, 0));
      },
    });
    type Row = ReturnType<typeof alive>[number];
    /** A gauge per connected worker; as a counter (`_total`) for a count that only grows while the worker runs. */
    const perWorker = (name: string, help: string, value: (w: Row) => number, Kind: typeof Gauge | typeof Counter = Gauge) => new Kind({
      name, help, labelNames: ['worker', 'address'], registers,
      collect() {
        // Reset first: a worker that left must not keep reporting its last figures.
        this.reset();
        // Names need not be unique (two hosts given the same --name): the address (its data
        // listener, one per live worker) keeps each its own series instead of one overwriting
        // the other.
        for (const w of alive()) {
          if (this instanceof Gauge) this.set({ worker: w.name, address: w.address }, value(w));
          else this.inc({ worker: w.name, address: w.address }, value(w));
        }
      },
    });
    perWorker('gluon_worker_threads', 'Task threads of each connected worker', (w) => w.nthreads);
    perWorker('gluon_worker_rss_bytes', 'Resident memory of each worker process (last heartbeat)', (w) => w.rss);
    perWorker('gluon_worker_memory_limit_bytes', 'Memory limit of each worker (0: none)', (w) => w.memoryLimit);
    perWorker('gluon_worker_stored_bytes', 'Bytes of results each worker holds', (w) => w.storedBytes);
    perWorker('gluon_worker_stored_results', 'Results each worker holds', (w) => w.stored);
    perWorker('gluon_worker_executing_tasks', 'Tasks each worker is running now (last heartbeat)', (w) => w.executing);
    perWorker('gluon_worker_queued_tasks', 'Tasks assigned to each worker and not yet running', (w) => w.queued);
    // A count since the worker started: a counter, so rate() and increase() take a worker's restart
    // for the reset it is (it was a gauge without _total).
    perWorker('gluon_worker_cancelled_tasks_stopped_total', 'Cancelled tasks each worker stopped, by terminating their threads, because they ran on after the cancel (since the worker started; last heartbeat)', (w) => w.cancelledStopped ?? 0, Counter);
    const feeds = this.feeds;
    if (feeds) {
      // An operator sees the cap coming (or a script holding feeds open) before pages are refused.
      new Gauge({ name: 'gluon_dashboard_feeds', help: 'Live feeds of the dashboard open now (pages, performance reports)', registers, collect() { this.set(feeds().open); } });
      new Gauge({ name: 'gluon_dashboard_feeds_max', help: 'Live feeds the dashboard serves at once (--dashboard-max-feeds)', registers, collect() { this.set(feeds().max); } });
      new Gauge({ name: 'gluon_dashboard_feeds_max_per_address', help: 'Live feeds the dashboard serves at once to one address (--dashboard-max-feeds-per-address)', registers, collect() { this.set(feeds().maxPerAddress); } });
      new Counter({
        name: 'gluon_dashboard_feeds_refused_total', labelNames: ['cap'], registers,
        help: 'Live feeds refused, by the cap that refused them: total (every one the dashboard serves taken), per-address (every one the address may hold)',
        collect() {
          const r = feeds().refused;
          this.reset();
          this.inc({ cap: 'total' }, r.total);
          this.inc({ cap: 'per-address' }, r['per-address']);
        },
      });
      counter('gluon_dashboard_feeds_dropped_total', 'Live feeds dropped for not reading (4010)', () => feeds().dropped);
    }
    // This process's listeners (the scheduler's port, its Unix socket, this dashboard): a flood
    // of connections without a token shows here before anyone is kept out (protocol's shedding.ts).
    const perListener = (name: string, help: string, value: (l: UnauthenticatedFigures) => number) => new Gauge({
      name, help, labelNames: ['listener'], registers,
      collect() {
        this.reset();
        for (const l of unauthenticatedFigures()) this.set({ listener: l.listener }, value(l));
      },
    });
    perListener('gluon_unauthenticated_connections', 'Connections each listener of the scheduler process holds that have not authenticated yet (no hello with the token, TLS handshake or dashboard login)', (l) => l.held);
    perListener('gluon_unauthenticated_connections_max', 'Connections each listener holds at once before they authenticate (--max-unauthenticated-connections)', (l) => l.bound);
    new Counter({
      name: 'gluon_unauthenticated_connections_closed_total', labelNames: ['listener', 'reason'], registers,
      help: 'Unauthenticated connections closed, the oldest first, to take in new ones: past-bound (the listener held its bound), no-descriptor (a new connection took the process\'s last file descriptor)',
      collect() {
        this.reset();
        for (const l of unauthenticatedFigures()) {
          for (const [reason, n] of Object.entries(l.closed)) this.inc({ listener: l.listener, reason }, n);
        }
      },
    });
    perWorker('gluon_worker_cpu_ratio', 'CPU use of each worker process over its last heartbeat interval (1 = one core)', (w) => w.cpu / 100);
    return registry;
  }
}
