/**
 * Graphs built as they are sent: a `map`, `treeReduce` or `persist` of more tasks than a slice
 * (ConnectOptions.graphSliceTasks) returns its futures at once, its arguments checked, and each
 * unit (an element, a tree node, a root, a node of a deep graph) is built into specs only when
 * its slice leaves (see LazyGraph), so that a million tasks do not hold the event loop.
 */
import { nanoid } from 'nanoid';
import type { TaskSpec } from '@gluon/protocol';
import { Delayed } from './delayed.js';
import { Future, KeyState, type FutureHost } from './future.js';
import type { FutureRegistry } from './future-registry.js';
import { CancelledInput, checkArgs, checkUsable, GraphBuilder, makeSpec } from './graph-builder.js';
import { LazyGraph, type LazyGraphOptions } from './lazy-graph.js';
import type { Lineage } from './lineage.js';
import type { RemoteFunction } from './remote.js';
import { isPlain, NO_DEPS, toWire, type tokenizer } from './serialize.js';
import { UnitPins } from './unit-pins.js';

/** What the lazy graphs use of their client: its tables, and its queue to the scheduler. */
export interface LazySubmitHost {
  /** The client's held keys (a unit's future, once built, holds its key here). */
  readonly keys: Map<string, KeyState>;
  /** The specs behind the held keys, for a reconnect. */
  readonly lineage: Lineage;
  /** Where a unit's future is watched for the garbage collector once it is bound. */
  readonly registry: FutureRegistry<KeyState>;
  /** The client, as the host of the futures made here. */
  readonly futureHost: FutureHost;
  /** Sends a want of `key` on its own (its spec left earlier as a node nobody held). */
  want(key: string): void;
  /** Queues `job` behind what this tick queued before it, and schedules its sending. */
  queue(job: LazyGraph): void;
}

/** The lazy forms of the client's map, treeReduce and persist (callers check the client is open). */
export class LazySubmit {
  constructor(private readonly host: LazySubmitHost) {}

  /**
   * A map() of more elements than a slice: its futures now, its tasks built as they are sent
   * (see LazyGraph), so that building a million of them does not hold the event loop. Plain
   * elements take the short way (one hash, one spec); elements holding futures or graph nodes
   * are checked here (a bad one throws, naming the element and the path, and nothing is
   * queued) and built through the graph builder as their slice comes.
   */
  map(fn: RemoteFunction, group: string, seed: ReturnType<typeof tokenizer> | undefined, lists: unknown[][], n: number): Future[] {
    // Copies: the caller may change its arrays after map() returns; the tasks are what it passed.
    const cols = lists.map((l) => l.slice(0, n));
    const argsAt = (i: number): unknown[] => (cols.length === 1 ? [cols[0]![i]] : cols.map((c) => c[i]));
    const pins = new UnitPins(n);
    const seen = new Set<Delayed>();
    const plainAt = (i: number): boolean => {
      for (const c of cols) if (!isPlain(c[i])) return false;
      return true;
    };
    // One plain pass first (the usual map over numbers), the checks only where it stops.
    const col = cols[0]!;
    let i = 0;
    if (cols.length === 1) while (i < n && isPlain(col[i])) i++;
    for (; i < n; i++) {
      if (!plainAt(i)) checkArgs(argsAt(i), `map(): element ${i}: args`, (f) => pins.add(checkUsable(f, `map(): element ${i}`)), seen);
      pins.end(i);
    }
    return this.graph(n, 0, pins, { what: 'map(): element' }, (i, emit, builder) => {
      const args = argsAt(i);
      if (!plainAt(i)) return builder.key(new Delayed(fn, args));
      const key = seed ? seed.key(args) : `${group}-${nanoid(16)}`;
      if (!this.host.keys.has(key)) emit(makeSpec(key, fn, group, args, NO_DEPS));
      return key;
    });
  }

  /**
   * Queues a graph of `n` units to be built as it is sent (see LazyGraph), in order:
   * `unit(i, emit, builder)` returns unit i's key, having emitted the specs it needs (its own,
   * held, through `emit`; nodes it builds through `builder`, whose own spec is made held here).
   * Units from `firstHeld` on get a future each (the returned array, in order); 0 gives every
   * unit one, `n - 1` only the last (whom every unit then feeds). `pins` are the futures
   * each unit names, pinned now and let go once it is built. A unit that fails to build (its
   * arguments changed since the call) fails its future with an error naming `opts.what` and `i`.
   * A unit cancelled before it is built is skipped (its node, `nodeOf(i)`, cancels the units
   * that include it); one that depends on a future or key cancelled meanwhile is cancelled.
   */
  private graph(
    n: number, firstHeld: number, pins: UnitPins, opts: LazyGraphOptions & { what: string; nodeOf?: (i: number) => Delayed },
    unit: (i: number, emit: (spec: TaskSpec) => void, builder: GraphBuilder) => string,
  ): Future[] {
    const { what, nodeOf } = opts;
    const since = KeyState.made;
    // The scheduler knows a key held since before this graph was queued (its spec went ahead).
    const known = (key: string): boolean => (this.host.keys.get(key)?.order ?? Infinity) < since;
    let job!: LazyGraph;
    const builder = new GraphBuilder(known, (spec) => {
      job.tasks.push(spec);
      job.unwanted.add(spec.key);
      this.host.lineage.add(spec, false);
    }, (f) => {
      // A future cancelled meanwhile (before it was built, or by its key since this graph was
      // queued): the unit naming it is cancelled, as a queued dependent of it would be.
      if (f.status === 'cancelled' || (job.cancelledKeys?.has(f.key) ?? false)) throw new CancelledInput();
      checkUsable(f, what);
    });
    const emit = (spec: TaskSpec): void => {
      job.tasks.push(spec); // its want travels with it
      this.host.lineage.add(spec, true);
    };
    job = new LazyGraph(n, new Array<Future>(n), (job, end, deadline) => {
      let i = job.next;
      for (; i < end; i++) {
        // The clock is read every 256 units; at least one is built per call.
        if ((i & 255) === 0 && i > job.next && performance.now() > deadline) break;
        const f = job.futures[i];
        job.futures[i] = undefined;
        if (job.passCancelled(i)) {
          // Cancelled before it was built: never built. Its future settles from the mark.
          pins.release(i);
          const node = nodeOf?.(i);
          if (node) builder.cancel(node);
          continue;
        }
        if (f && f.isReleased && !f.pinned) {
          // Released before it was built, and no later unit names it: nothing to hold, so
          // nothing to build (a unit that includes its node builds that node as its own).
          pins.release(i);
          f.bind(LazyGraph.unsentState());
          continue;
        }
        const before = job.tasks.length;
        let key: string;
        try {
          key = unit(i, emit, builder);
        } catch (err) {
          pins.release(i);
          f?.bind(err instanceof CancelledInput ? job.cancelledState(i) : unbuildable(`${what} ${i}`, err as Error));
          continue;
        }
        pins.release(i);
        if (job.cancelledKeys && this.dropCancelled(job, before, key)) {
          f?.bind(job.cancelledState(i));
          continue;
        }
        if (!f) continue;
        // Its spec is the last one built by this unit, unless the scheduler has it already.
        const builtHere = job.tasks.length > before && job.tasks[job.tasks.length - 1]!.key === key;
        // Built through the builder, as a node nobody holds (emit's specs are held already).
        const asNode = builtHere && job.unwanted.has(key);
        let state = this.host.keys.get(key);
        if (!state) {
          if (asNode) {
            job.unwanted.delete(key); // it travels with its want
            this.host.lineage.hold(key);
          } else if (!builtHere) {
            // Built (and maybe sent) by an earlier unit as a node nobody held: the want goes on its own.
            this.host.lineage.hold(key);
            this.host.want(key);
          }
          state = new KeyState(key);
          this.host.keys.set(key, state);
        }
        state.handles++;
        this.host.registry.register(f, state);
        f.bind(state);
      }
      job.next = i;
    }, { ...opts, open: () => builder.keys(), feedsLast: opts.feedsLast ?? firstHeld === n - 1 });
    pins.pinAll();
    const futures = new Array<Future>(n - firstHeld);
    for (let i = firstHeld; i < n; i++) futures[i - firstHeld] = job.futures[i] = new Future(undefined, this.host.futureHost, job, i);
    // Behind what this tick queued before it, ahead of what comes after.
    this.host.queue(job);
    return futures;
  }

  /**
   * After a unit of `job` was built (its specs from `before` on): drops the specs that are, or
   * depend on, keys cancelled since the graph was queued (adding theirs, so that later units
   * depending on them go too). True if the unit itself is cancelled.
   */
  private dropCancelled(job: LazyGraph, before: number, key: string): boolean {
    const cancelled = job.cancelledKeys!;
    let own = false;
    let w = before;
    for (let r = before; r < job.tasks.length; r++) {
      const t = job.tasks[r]!;
      if (!cancelled.has(t.key) && !t.deps.some((d) => cancelled.has(d))) {
        job.tasks[w++] = t;
        continue;
      }
      cancelled.add(t.key);
      this.host.lineage.unadd(t, !job.unwanted.delete(t.key));
      if (t.key === key) own = true;
    }
    job.tasks.length = w;
    // Or it is a cancelled key no longer held here (the scheduler has forgotten it).
    return own || (cancelled.has(key) && !this.host.keys.has(key));
  }

  /**
   * A treeReduce over more inputs than a slice: its nodes, level by level, are the units of a
   * graph built as it is sent; only the root has a future. The inputs are checked here.
   */
  tree(combine: RemoteFunction, inputs: ReadonlyArray<unknown>, fanIn: number): Future {
    const sizes: number[] = [];
    for (let l = inputs.length; l > 1;) sizes.push((l = Math.ceil(l / fanIn)));
    const n = sizes.reduce((a, b) => a + b, 0);
    const levels: unknown[][] = [inputs.slice()];
    const pins = new UnitPins(n);
    const seen = new Set<Delayed>();
    for (let u = 0; u < n; u++) {
      if (u < sizes[0]!) {
        const from = u * fanIn;
        const where = `treeReduce(): inputs ${from}–${Math.min(inputs.length, from + fanIn) - 1}`;
        checkArgs([levels[0]!.slice(from, from + fanIn)], where, (f) => pins.add(checkUsable(f, where)), seen);
      }
      pins.end(u);
    }
    let level = 1;
    let start = 0; // the unit where `level` starts
    return this.graph(n, n - 1, pins, { what: 'treeReduce(): node' }, (u, _emit, builder) => {
      if (u - start >= sizes[level - 1]!) {
        start += sizes[level - 1]!;
        levels[level - 1] = []; // every node of the level below is built: let them go
        level++;
      }
      const i = u - start;
      const node = new Delayed(combine, [levels[level - 1]!.slice(i * fanIn, (i + 1) * fanIn)]);
      (levels[level] ??= new Array<unknown>(sizes[level - 1]!))[i] = node;
      return builder.key(node);
    })[0]!;
  }

  /** `Client.submitGraph` of more roots than a slice: each root a unit of a graph built as it is sent. */
  roots(nodes: Delayed[]): Future[] {
    const roots = nodes.slice();
    const pins = new UnitPins(roots.length);
    const seen = new Set<Delayed>();
    for (let i = 0; i < roots.length; i++) {
      const r = roots[i]!;
      if (!(r instanceof Delayed)) throw new TypeError(`persist(): root ${i} is not a delayed value`);
      if (!seen.has(r)) {
        seen.add(r);
        checkArgs(r.args, `persist(): root ${i}: args`, (f) => pins.add(checkUsable(f, `persist(): root ${i}`)), seen);
      }
      pins.end(i);
    }
    // A root built already (as a node of an earlier root, or submitted before) has its key: a
    // cancel goes by it. The others, cancelled unbuilt, cancel the later roots that include them.
    return this.graph(roots.length, 0, pins, {
      what: 'persist(): root', keyed: (i) => roots[i]!.key !== undefined, nodeOf: (i) => roots[i]!,
    }, (i, _emit, builder) => builder.key(roots[i]!));
  }

  /**
   * `Client.submitGraph` of few roots whose graph has more nodes than a slice: every node is a
   * unit of a graph built as it is sent, dependencies first (the nodes no root is, then the
   * roots, which have the futures). Each node's own arguments are checked here, in a walk that
   * does not recurse into nested nodes (a chain of a million nodes does not overflow the stack,
   * at the call or when built: each unit's nodes are built by then).
   */
  nodes(roots: Delayed[]): Future[] {
    const isRoot = new Set(roots);
    const order: Delayed[] = [];
    const pins = new UnitPins(0, true);
    // Post-order: a node is placed once every node its arguments name has been.
    const placed = new Set<Delayed>();
    const onStack = new Set<Delayed>();
    const stack: Array<{ node: Delayed; kids: Delayed[]; next: number; futures: Future[] }> = [];
    const open = (node: Delayed, where: string): void => {
      const kids: Delayed[] = [];
      const futures: Future[] = [];
      toWire(node.args, (x) => {
        if (x instanceof Delayed) kids.push(x);
        else if (x instanceof Future) futures.push(checkUsable(x, where));
        else return undefined;
        return '';
      }, `${where}: ${node.fn.fn.export}(…) args`);
      onStack.add(node);
      stack.push({ node, kids, next: 0, futures });
    };
    const place = (top: { node: Delayed; futures: Future[] }): void => {
      onStack.delete(top.node);
      placed.add(top.node);
      if (isRoot.has(top.node)) return; // placed after the others, in the roots' order
      for (const f of top.futures) pins.add(f);
      pins.end(order.length);
      order.push(top.node);
    };
    const rootPins = new Map<Delayed, Future[]>();
    for (let r = 0; r < roots.length; r++) {
      const root = roots[r]!;
      if (!(root instanceof Delayed)) throw new TypeError(`persist(): root ${r} is not a delayed value`);
      if (placed.has(root)) continue;
      open(root, `persist(): root ${r}`);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.kids.length) {
          const kid = top.kids[top.next++]!;
          if (placed.has(kid)) continue;
          if (onStack.has(kid)) throw new TypeError(`persist(): root ${r}: its graph has a cycle through ${kid.fn.fn.export}(…)`);
          open(kid, `persist(): root ${r}`);
          continue;
        }
        stack.pop();
        if (isRoot.has(top.node)) rootPins.set(top.node, top.futures);
        place(top);
      }
    }
    const inner = order.length;
    for (let r = 0; r < roots.length; r++) {
      // A root named twice is built once: its futures are pinned for the first.
      for (const f of rootPins.get(roots[r]!) ?? []) pins.add(f);
      rootPins.delete(roots[r]!);
      pins.end(inner + r);
      order.push(roots[r]!);
    }
    // Each unit's nodes are built by the time it is: builder.key() meets cached keys only.
    return this.graph(order.length, inner, pins, {
      what: 'delayed graph: node', keyed: (i) => order[i]!.key !== undefined, nodeOf: (i) => order[i]!, feedsLast: roots.length === 1,
    }, (i, _emit, builder) => builder.key(order[i]!));
  }
}

/**
 * The state of a future whose unit could not be built when its slice came (its arguments were
 * changed after the call into something that cannot travel): failed, with what and where.
 */
function unbuildable(where: string, err: Error): KeyState {
  const key = `unbuilt-${nanoid(16)}`;
  const state = new KeyState(key);
  state.erred({
    message: `${where} could not be built when its slice was sent: ${err.message}`, name: err.name, stack: '',
    key, worker: '', retriesUsed: 0, kind: 'bad-input',
  });
  return state;
}
