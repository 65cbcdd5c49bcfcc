import type { ClusterEvent, ClusterProbe, ClusterSnapshot, ProbeWorker, WorkerRow } from './source.js';
import type { ServerView } from './views.js';

/** A transfer as a worker's page lists it. */
export interface TransferRow {
  /** when the data arrived (ms). */
  time: number;
  /** 'in': this worker fetched from `peer`; 'out': `peer` fetched from this worker. */
  direction: 'in' | 'out';
  peer: string;
  keys: string[];
  bytes: number;
  ms: number;
}

/** Everything a worker's page shows (`api/worker?name=…`). */
export interface WorkerDetail {
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

const MAX_TASKS = 200;
const MAX_LARGEST = 20;
const MAX_TRANSFERS = 100;
const MAX_LOG = 200;
/** Workers remembered (live and gone); the longest unseen are forgotten first. */
const MAX_WORKERS = 500;

interface Kept {
  row?: WorkerRow;
  transfers: TransferRow[];
  log: Array<{ time: number; text: string }>;
}

/**
 * What a worker's page needs beyond the main feed: its recent transfers and log lines (kept from
 * events, bounded per worker and in workers), and, when asked, its tasks and results read from
 * the scheduler's records (O(what it holds), only while someone looks at its page).
 */
export class WorkerPages implements ServerView {
  readonly name = 'worker-pages';
  private readonly kept = new Map<string, Kept>();

  constructor(snapshot: ClusterSnapshot, private readonly probe?: ClusterProbe) {
    for (const w of snapshot.workers) this.entry(w.name).row = w;
  }

  apply(e: ClusterEvent): void {
    switch (e.kind) {
      case 'worker':
        this.entry(e.row.name).row = e.row;
        return;
      case 'worker-log': {
        const log = this.entry(e.worker).log;
        log.push({ time: e.time, text: e.text });
        if (log.length > MAX_LOG) log.shift();
        return;
      }
      case 'transfer': {
        const base = { time: e.stop, keys: e.keys.length > 20 ? e.keys.slice(0, 20) : e.keys, bytes: e.bytes, ms: e.stop - e.start };
        this.addTransfer(e.to, { ...base, direction: 'in', peer: e.from });
        this.addTransfer(e.from, { ...base, direction: 'out', peer: e.to });
        return;
      }
      default:
        return;
    }
  }

  /** The page of the worker named `name`, or undefined when no such worker was seen. */
  detail(name: string): WorkerDetail | undefined {
    const k = this.kept.get(name);
    let live: ProbeWorker | undefined;
    if (this.probe) for (const w of this.probe.workers.values()) if (w.name === name) live = w;
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
      name,
      ...(k?.row ? { row: k.row } : {}),
      tasks,
      tasksTotal: live?.processing.size ?? 0,
      stored: [...byGroup.values()].sort((a, b) => b[2] - a[2] || b[1] - a[1]),
      largest,
      transfers: k ? k.transfers.slice().reverse() : [],
      log: k ? k.log.slice() : [],
    };
  }

  private entry(name: string): Kept {
    let k = this.kept.get(name);
    if (k) {
      // Most recently seen last, so the first entry is the one to forget.
      this.kept.delete(name);
    } else {
      k = { transfers: [], log: [] };
    }
    this.kept.set(name, k);
    while (this.kept.size > MAX_WORKERS) this.kept.delete(this.kept.keys().next().value!);
    return k;
  }

  private addTransfer(name: string, row: TransferRow): void {
    const list = this.entry(name).transfers;
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
