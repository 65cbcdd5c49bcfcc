import { nanoid } from 'nanoid';
import type { TaskSpec } from '@gluon/protocol';
import { Delayed } from './delayed.js';
import { Future } from './future.js';
import type { RemoteFunction, TaskOptions } from './remote.js';
import { isPlain, toWire, tokenize } from './serialize.js';

/**
 * Turns graph nodes into task specs, each node's dependencies before it, for one submission: a
 * node reached twice is built once. Used at once by `submit`/`persist` of small graphs, and a
 * unit at a time by a graph built as it is sent (see LazyGraph), which keeps one builder for
 * all its units so that they share nodes as one submission would.
 */
/** Thrown while building a unit of a lazy graph that names something cancelled: the unit is cancelled too. */
export class CancelledInput extends Error {
  constructor() {
    super('names a cancelled task');
  }
}

export class GraphBuilder {
  private readonly built = new Map<Delayed, string>();
  private readonly specKeys = new Set<string>();
  /** Nodes cancelled before they were built: a node including one is not built either. */
  private cancelled: Set<Delayed> | undefined;

  constructor(
    /** The scheduler has the key's spec, or is sent it ahead of what this builder emits. */
    private readonly known: (key: string) => boolean,
    /** Takes each new spec, dependencies first. */
    private readonly emit: (spec: TaskSpec) => void,
    /** Throws when a future cannot be used as an argument (released, cancelled). */
    private readonly checkFuture: (f: Future) => void,
  ) {}

  /** The key of `node`, building it and what it depends on first (once per builder). */
  key(node: Delayed): string {
    return this.built.get(node) ?? this.build(node);
  }

  /** `node` was cancelled before it was built: building it, or a node naming it, throws CancelledInput. */
  cancel(node: Delayed): void {
    (this.cancelled ??= new Set()).add(node);
  }

  /** The keys of every node built so far. */
  keys(): IterableIterator<string> {
    return this.built.values();
  }

  private readonly refOf = (x: object): string | undefined => {
    if (x instanceof Future) {
      this.checkFuture(x);
      return x.key;
    }
    if (x instanceof Delayed) return this.key(x);
    return undefined;
  };

  private build(node: Delayed): string {
    if (this.cancelled?.has(node)) throw new CancelledInput();
    const opts: TaskOptions = node.fn.options;
    const { args, deps } = toWire(node.args, this.refOf);
    const group = opts.group ?? node.fn.fn.export;
    // An impure node keeps the key it got first, so it stays one node across submissions.
    const key = node.key ?? opts.key ?? (opts.pure === false ? `${group}-${nanoid(16)}` : tokenize(group, node.fn.fn, args));
    node.key = key;
    this.built.set(node, key);
    if (!this.specKeys.has(key) && !this.known(key)) {
      this.specKeys.add(key);
      this.emit(makeSpec(key, node.fn, group, args, deps));
    }
    return key;
  }
}

/**
 * Checks at the call that graph nodes' arguments can travel (the error names the path, as
 * building them would), without hashing or building anything: a graph built as it is sent
 * still fails at the call, with nothing queued. Every future met is given to `onFuture`
 * (which checks it and may pin it); a node reached twice is checked once (`seen`).
 */
export function checkArgs(args: unknown[], root: string, onFuture: (f: Future) => void, seen: Set<Delayed>): void {
  // The usual case, a plain object or array of plain values per argument, needs no walk.
  let flat = true;
  for (let i = 0; i < args.length && flat; i++) flat = flatPlain(args[i]);
  if (flat) return;
  const refOf = (x: object): string | undefined => {
    if (x instanceof Future) {
      onFuture(x);
      return '';
    }
    if (x instanceof Delayed) {
      if (!seen.has(x)) {
        seen.add(x);
        checkArgs(x.args, `${root} → ${x.fn.fn.export}(…) args`, onFuture, seen);
      }
      return '';
    }
    return undefined;
  };
  toWire(args, refOf, root);
}

/**
 * Whether the graph of `roots` has more than `limit` nodes, counted in a walk of the arguments'
 * arrays and plain objects that stops past the limit (no building, no checks). Roots whose
 * arguments are all plain (the usual single submit) need no walk.
 */
export function graphOver(roots: Delayed[], limit: number): boolean {
  if (roots.length > limit) return true;
  let flat = true;
  for (let r = 0; r < roots.length && flat; r++) {
    const args = roots[r]!.args;
    for (let i = 0; i < args.length && flat; i++) flat = flatPlain(args[i]);
  }
  if (flat) return false;
  const seen = new Set<Delayed>();
  const stack: unknown[] = [...roots];
  const push = (v: unknown): void => {
    if (typeof v === 'object' && v !== null) stack.push(v);
  };
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof Delayed) {
      if (seen.has(v)) continue;
      seen.add(v);
      if (seen.size > limit) return true;
      for (const a of v.args) push(a);
    } else if (Array.isArray(v)) {
      for (const a of v) push(a);
    } else if (Object.getPrototypeOf(v) === Object.prototype) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) push(o[k]);
    }
  }
  return false;
}

/**
 * A value that travels as itself without a walk: plain, or a plain object (or array) whose
 * members are all plain. Anything else (nesting, futures, Maps …) is for toWire to judge.
 */
function flatPlain(v: unknown): boolean {
  if (isPlain(v)) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) if (!isPlain(a[i])) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!isPlain(o[k])) return false;
  return true;
}

/** A task spec with the options that travel (only those set, to keep frames small). */
export function makeSpec(key: string, fn: RemoteFunction, group: string, args: unknown[], deps: string[]): TaskSpec {
  const opts = fn.options;
  const spec: TaskSpec = { key, fn: fn.fn, group, args, deps };
  if (opts.priority) spec.priority = opts.priority;
  if (opts.retries) spec.retries = opts.retries;
  if (opts.timeoutMs !== undefined) spec.timeoutMs = opts.timeoutMs;
  return spec;
}
