import type { ClusterEvent, ClusterProbe, ClusterSnapshot, ProbeWorker, WorkerRow } from './source.js';
import { shownKey } from '../log-line.js';
import type { ServerView } from './views.js';

/** A transfer as a worker's page lists it. */
export interface TransferRow {
  /** when the data arrived (ms). */
  time: number;
  /** 'in': this worker fetched from `peer`; 'out': `peer` fetched from this worker. */
  direction: 'in' | 'out';
  /**
   * the other worker's name (its address when unknown); in a {@link WorkerDetail}, with its id
   * (`node (w3)`) when workers this page knows share that name, as the dashboard labels them.
   */
  peer: string;
  /** the other worker's id, when known: its page (workers may share a name). */
  peerId?: string;
  keys: string[];
  bytes: number;
  ms: number;
}

/** Everything a worker's page shows (`api/worker?id=…`). */
export interface WorkerDetail {
  /** the scheduler's id of the worker (one per registration): what its page is keyed by. */
  id: string;
  name: string;
  /** its Workers-table row (absent only for a name seen in transfers or logs alone). */
  row?: WorkerRow;
  /** tasks assigned to it now (executing or waiting there for a thread), at most 200: `[key, group]`. */
  tasks: Array<[string, string]>;
  tasksTotal: number;
  /** its results by group, largest first: `[group, count, bytes]`. */
  stored: Array<[string, number, number]>;
  /** its 20 largest results: `[key, group, bytes]`. */
  largest: Array<[string, string, number]>;
  /** the last 100 transfers in and out, newest first. */
  transfers: TransferRow[];
  /** the last 200 lines it logged, oldest first. */
  log: Array<{ time: number; text: string }>;
}

/**
 * A worker a name stands for, when a link by name (`worker?name=…`, the form before pages were
 * keyed by id) names several: two processes started with the same `--name`, or one worker's
 * earlier registrations.
 */
export interface WorkerMatch {
  id: string;
  name: string;
  address: string;
  host: string;
  alive: boolean;
}

const MAX_TASKS = 200;
const MAX_LARGEST = 20;
const MAX_TRANSFERS = 100;
const MAX_LOG = 200;
/** Workers remembered (live and gone); the longest unseen are forgotten first. */
const MAX_WORKERS = 500;

interface Kept {
  /** the name its events gave (its row's, once it has one). */
  name: string;
  row?: WorkerRow;
  transfers: TransferRow[];
  log: Array<{ time: number; text: string }>;
}

/**
 * What a worker's page needs beyond the main feed: its recent transfers and log lines (kept from
 * events, bounded per worker and in workers), and, when asked, its tasks and results read from
 * the scheduler's records (O(what it holds), only while someone looks at its page). Keyed by the
 * worker's id, not its name: two workers started with the same `--name` shared one page, and
 * one's figures hid the other's. Events without ids (sources older than the ids) key by name.
 */
export class WorkerPages implements ServerView {
  readonly name = 'worker-pages';
  private readonly kept = new Map<string, Kept>();

  constructor(snapshot: ClusterSnapshot, private readonly probe?: ClusterProbe) {
    for (const w of snapshot.workers) this.entry(w.id, w.name).row = w;
  }

  apply(e: ClusterEvent): void {
    switch (e.kind) {
      case 'worker':
        this.entry(e.row.id, e.row.name).row = e.row;
        return;
      case 'worker-log': {
        const log = this.entry(e.workerId ?? e.worker, e.worker).log;
        log.push({ time: e.time, text: e.text });
        if (log.length > MAX_LOG) log.shift();
        return;
      }
      case 'transfer': {
        const base = { time: e.stop, keys: (e.keys.length > 20 ? e.keys.slice(0, 20) : e.keys).map(shownKey), bytes: e.bytes, ms: e.stop - e.start };
        this.addTransfer(e.toId ?? e.to, e.to, { ...base, direction: 'in', peer: e.from, ...(e.fromId ? { peerId: e.fromId } : {}) });
        this.addTransfer(e.fromId ?? e.from, e.from, { ...base, direction: 'out', peer: e.to, ...(e.toId ? { peerId: e.toId } : {}) });
        return;
      }
      default:
        return;
    }
  }

  /**
   * The workers seen under `name` (live and gone), for a link by name: one is that worker's
   * page; several are listed for the reader to pick (see {@link WorkerMatch}).
   */
  named(name: string): WorkerMatch[] {
    const out: WorkerMatch[] = [];
    for (const [id, k] of this.kept) {
      if (k.name !== name) continue;
      out.push({ id, name, address: k.row?.address ?? '', host: k.row?.host ?? '', alive: k.row?.alive ?? this.probe?.workers.has(id) ?? false });
    }
    if (this.probe) {
      for (const w of this.probe.workers.values()) if (w.name === name && !this.kept.has(w.id)) out.push({ id: w.id, name, address: '', host: '', alive: true });
    }
    // Live ones first, then by id (the scheduler's ids, w1, w2 …, are in registration order).
    return out.sort((a, b) => Number(b.alive) - Number(a.alive) || a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  /** The page of the worker with id `id`, or undefined when no such worker was seen. */
  detail(id: string): WorkerDetail | undefined {
    const k = this.kept.get(id);
    const live: ProbeWorker | undefined = this.probe?.workers.get(id);
    if (!k && !live) return undefined;
    const tasks: Array<[string, string]> = [];
    const byGroup = new Map<string, [string, number, number]>();
    const largest: Array<[string, string, number]> = [];
    if (live) {
      for (const t of live.processing) {
        if (tasks.length >= MAX_TASKS) break;
        tasks.push([t.key, t.group]);
      }
      for (const t of live.has) {
        let g = byGroup.get(t.group);
        if (!g) byGroup.set(t.group, (g = [t.group, 0, 0]));
        g[1]++;
        g[2] += t.nbytes;
        keepLargest(largest, [t.key, t.group, t.nbytes]);
      }
    }
    return {
      id,
      name: k?.row?.name ?? k?.name ?? live?.name ?? id,
      ...(k?.row ? { row: k.row } : {}),
      tasks,
      tasksTotal: live?.processing.size ?? 0,
      stored: [...byGroup.values()].sort((a, b) => b[2] - a[2] || b[1] - a[1]),
      largest,
      transfers: k ? this.peersLabelled(k.transfers).reverse() : [],
      log: k ? k.log.slice() : [],
    };
  }

  /** Transfer rows whose peer's name other workers seen share, named with the peer's id too (copies; the kept rows stay as they are). */
  private peersLabelled(rows: TransferRow[]): TransferRow[] {
    const count = new Map<string, number>();
    for (const k of this.kept.values()) {
      const name = k.row?.name ?? k.name;
      count.set(name, (count.get(name) ?? 0) + 1);
    }
    return rows.map((x) => (x.peerId && (count.get(x.peer) ?? 0) > 1 ? { ...x, peer: `${x.peer} (id ${x.peerId})` } : x));
  }

  private entry(id: string, name: string): Kept {
    let k = this.kept.get(id);
    if (k) {
      // Most recently seen last, so the first entry is the one to forget.
      this.kept.delete(id);
    } else {
      k = { name, transfers: [], log: [] };
    }
    this.kept.set(id, k);
    while (this.kept.size > MAX_WORKERS) this.kept.delete(this.kept.keys().next().value!);
    return k;
  }

  private addTransfer(id: string, name: string, row: TransferRow): void {
    const list = this.entry(id, name).transfers;
    list.push(row);
    if (list.length > MAX_TRANSFERS) list.shift();
  }
}

/** Keeps `list` the {@link MAX_LARGEST} largest, largest first (insertion into a short sorted list). */
function keepLargest(list: Array<[string, string, number]>, item: [string, string, number]): void {
  if (list.length >= MAX_LARGEST && item[2] <= list[list.length - 1]![2]) return;
  let i = list.length;
  while (i > 0 && list[i - 1]![2] < item[2]) i--;
  list.splice(i, 0, item);
  if (list.length > MAX_LARGEST) list.pop();
}
