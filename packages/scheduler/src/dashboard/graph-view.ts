import type { ClusterEvent, ClusterProbe } from './source.js';
import { shownKey } from '../log-line.js';
import type { ServerView } from './views.js';

/** One character per task state, in the order of {@link STATE_CODES}. */
const CODE: Record<string, string> = { waiting: 'w', queued: 'q', processing: 'p', memory: 'm', erred: 'e', released: 'r', forgotten: 'f' };
/** The state codes, in the order of a group's counts. */
export const STATE_CODES = 'wqpmer';

/** The task graph: keys, each one's group (an index into `groups`), dependency edges as index pairs. */
export interface TaskGraph {
  keys: string[];
  groups: string[];
  group: number[];
  /** `[dependency, dependent, dependency, dependent, …]` indices into `keys`. */
  edges: number[];
}

/** The groups graph: a node per group with its counts per state, an edge per (group → group) with how many task edges it stands for. */
export interface GroupGraph {
  names: string[];
  /** per group, tasks by state in the order of {@link STATE_CODES}. */
  counts: number[][];
  /** `[from, to, task edges]` by group index. */
  edges: Array<[number, number, number]>;
}

/** `views.graph`: each part present when it changed (all of them in a state). */
export interface GraphPart {
  /** 'tasks' when the graph has at most `maxNodes` tasks (both graphs are sent), else 'groups'. */
  mode?: 'tasks' | 'groups';
  /** tasks the scheduler holds. */
  total?: number;
  tasks?: TaskGraph | null;
  /** each task's state code, aligned with `tasks.keys`. */
  states?: string;
  groups?: GroupGraph;
}

/**
 * The task graph, coloured by state, and the groups graph (one node per group, edges between
 * groups). Read from the scheduler's records at most once per period while tasks change state:
 * O(tasks + edges) per read, the period growing with the graph (1 s, or one per 10,000 tasks),
 * so the cost per second stays bounded; only while a browser watches, or when a page asks for the
 * state (an unwatched push reads nothing). Graphs of at most `maxNodes` tasks are sent whole (the
 * structure only when it changed, the states as one character per task); bigger ones as the
 * groups graph only.
 */
export class GraphView implements ServerView {
  readonly name = 'graph';
  private dirty = true;
  private last = -Infinity;
  private current: Required<GraphPart> = { mode: 'tasks', total: 0, tasks: null, states: '', groups: { names: [], counts: [], edges: [] } };
  private groupsSig = '';
  private pending: GraphPart | undefined;

  constructor(private readonly probe?: ClusterProbe, readonly maxNodes = 3000) {}

  apply(e: ClusterEvent): void {
    if (e.kind === 'task-state') this.dirty = true;
  }

  delta(now: number): GraphPart | undefined {
    this.refresh(now);
    const out = this.pending;
    this.pending = undefined;
    return out;
  }

  state(now: number): GraphPart {
    this.refresh(now);
    return { ...this.current };
  }

  private refresh(now: number): void {
    if (!this.probe || !this.dirty) return;
    const n = this.probe.tasks.size;
    if (now - this.last < Math.max(1000, n / 10)) return;
    this.last = now;
    this.dirty = false;
    const next = this.read(n <= this.maxNodes);
    const part: GraphPart = {};
    if (next.mode !== this.current.mode || next.total !== this.current.total) {
      part.mode = next.mode;
      part.total = next.total;
    }
    if (!sameGraph(next.tasks, this.current.tasks)) {
      part.tasks = next.tasks;
      part.states = next.states;
    } else if (next.states !== this.current.states) {
      part.states = next.states;
    }
    const sig = JSON.stringify(next.groups);
    if (sig !== this.groupsSig) {
      this.groupsSig = sig;
      part.groups = next.groups;
    }
    this.current = next;
    if (Object.keys(part).length) this.pending = { ...this.pending, ...part };
  }

  /** One pass over the records: the groups graph always, the task graph when `withTasks`. */
  private read(withTasks: boolean): Required<GraphPart> {
    const tasks = this.probe!.tasks;
    const groupIndex = new Map<string, number>();
    const counts: number[][] = [];
    const groupEdges = new Map<number, number>();
    const index = withTasks ? new Map<string, number>() : undefined;
    const keys: string[] = [];
    const group: number[] = [];
    let states = '';
    const gi = (name: string): number => {
      let i = groupIndex.get(name);
      if (i === undefined) {
        groupIndex.set(name, (i = counts.length));
        counts.push([0, 0, 0, 0, 0, 0]);
      }
      return i;
    };
    for (const t of tasks.values()) {
      const g = gi(t.group);
      const code = CODE[t.state] ?? 'r';
      const c = STATE_CODES.indexOf(code);
      if (c >= 0) counts[g]![c]!++;
      for (const d of t.deps) {
        // Group pairs as one number: groups are few, so from * 2^20 + to cannot collide.
        const k = gi(d.group) * 1_048_576 + g;
        groupEdges.set(k, (groupEdges.get(k) ?? 0) + 1);
      }
      if (index) {
        index.set(t.key, keys.length);
        keys.push(shownKey(t.key));
        group.push(g);
        states += code;
      }
    }
    let taskGraph: TaskGraph | null = null;
    if (index) {
      const edges: number[] = [];
      let i = 0;
      for (const t of tasks.values()) {
        for (const d of t.deps) {
          const j = index.get(d.key);
          if (j !== undefined) edges.push(j, i);
        }
        i++;
      }
      taskGraph = { keys, groups: [...groupIndex.keys()], group, edges };
    }
    return {
      mode: withTasks ? 'tasks' : 'groups',
      total: tasks.size,
      tasks: taskGraph,
      states: withTasks ? states : '',
      groups: {
        names: [...groupIndex.keys()],
        counts,
        edges: [...groupEdges].map(([k, n]) => [Math.floor(k / 1_048_576), k % 1_048_576, n]),
      },
    };
  }
}

function sameGraph(a: TaskGraph | null, b: TaskGraph | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.keys.length !== b.keys.length || a.edges.length !== b.edges.length || a.groups.length !== b.groups.length) return false;
  for (let i = 0; i < a.keys.length; i++) if (a.keys[i] !== b.keys[i] || a.group[i] !== b.group[i]) return false;
  for (let i = 0; i < a.edges.length; i++) if (a.edges[i] !== b.edges[i]) return false;
  for (let i = 0; i < a.groups.length; i++) if (a.groups[i] !== b.groups[i]) return false;
  return true;
}
