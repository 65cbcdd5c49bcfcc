import { nanoid } from 'nanoid';
import type { TaskSpec } from '@gluon/protocol';
import { Delayed } from './delayed.js';
import { Future } from './future.js';
import type { RemoteFunction, TaskOptions } from './remote.js';
import { isPlain, toWire, tokenize } from './serialize.js';

/** Thrown while building a unit of a lazy graph that names something cancelled: the unit is cancelled too. */
export class CancelledInput extends Error {
  constructor() {
    super('names a cancelled task');
  }
}

/**
 * Turns graph nodes into task specs, each node's dependencies before it, for one submission: a
 * node reached twice is built once. Used at once by `submit`/`persist` of small graphs, and a
 * unit at a time by a graph built as it is sent (see LazyGraph), which keeps one builder for
 * all its units so that they share nodes as one submission would.
 */
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

  /**
   * The key of `node`, building it and what it depends on first (once per builder). The walk
   * keeps its own stack, not the call stack's: a chain of any depth is built (within memory).
   * A graph whose arguments lead back to a node being built fails with a TypeError naming it.
   */
  key(node: Delayed): string {
    const done = this.built.get(node);
    if (done !== undefined) return done;
    const stack: Delayed[] = [node];
    // Nodes met before the nodes they name were built: the path down from `node` (made when a
    // node first has to wait: a submit of plain arguments, the usual one, never does).
    let waiting: Set<Delayed> | undefined;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.built.has(top)) {
        stack.pop();
        continue;
      }
      const missing = this.tryBuild(top);
      if (missing.length === 0) {
        stack.pop();
        waiting?.delete(top);
        continue;
      }
      (waiting ??= new Set()).add(top);
      // Reversed, so that the first argument's nodes are built (and emitted) first.
      for (let i = missing.length - 1; i >= 0; i--) {
        const kid = missing[i]!;
        if (waiting.has(kid)) throw new TypeError(`delayed graph: it has a cycle through ${kid.fn.fn.export}(…)`);
        stack.push(kid);
      }
    }
    return this.built.get(node)!;
  }

  /** `node` was cancelled before it was built: building it, or a node naming it, throws CancelledInput. */
  cancel(node: Delayed): void {
    (this.cancelled ??= new Set()).add(node);
  }

  /** The keys of every node built so far. */
  keys(): IterableIterator<string> {
    return this.built.values();
  }

  /** Nodes named by the arguments of the node being built that are not built yet. */
  private missing: Delayed[] = [];

  private readonly refOf = (x: object): string | undefined => {
    if (x instanceof Future) {
      this.checkFuture(x);
      return x.key;
    }
    if (x instanceof Delayed) {
      const key = this.built.get(x);
      if (key !== undefined) return key;
      this.missing.push(x);
      return '';
    }
    return undefined;
  };

  /**
   * Builds `node` if every node its arguments name is built, and returns none; otherwise builds
   * nothing and returns those nodes (a node met before its inputs is walked twice, no more).
   */
  private tryBuild(node: Delayed): Delayed[] {
    if (this.cancelled?.has(node)) throw new CancelledInput();
    // Nodes passed as arguments themselves (`inc(x)`, `add(a, b)`), up to the first argument
    // that would need a walk, are found without one (the first argument's nodes stay first).
    this.missing = [];
    for (const a of node.args) {
      if (!(a instanceof Delayed)) {
        if (isPlain(a)) continue;
        break;
      }
      if (!this.built.has(a)) this.missing.push(a);
    }
    if (this.missing.length > 0) return this.missing;
    const wire = toWire(node.args, this.refOf);
    const missing = this.missing;
    if (missing.length === 0) this.build(node, wire);
    return missing;
  }

  private build(node: Delayed, { args, deps }: { args: unknown[]; deps: string[] }): void {
    const opts: TaskOptions = node.fn.options;
    const group = opts.group ?? node.fn.fn.export;
    // An impure node keeps the key it got first, so it stays one node across submissions.
    const key = node.key ?? opts.key ?? (opts.pure === false ? `${group}-${nanoid(16)}` : tokenize(group, node.fn.fn, args));
    node.key = key;
    this.built.set(node, key);
    if (!this.specKeys.has(key) && !this.known(key)) {
      this.specKeys.add(key);
      this.emit(makeSpec(key, node.fn, group, args, deps));
    }
  }
}

/**
 * Checks at the call that graph nodes' arguments can travel (the error names the path, as
 * building them would), without hashing or building anything: a graph built as it is sent
 * still fails at the call, with nothing queued. Every future met is given to `onFuture`
 * (which checks it and may pin it); a node reached twice is checked once (`seen`). The walk
 * keeps its own stack, so a chain of any depth is checked; a nested node's path is spelled out
 * only for an error (`root → inc(…) args → … 29,990 more … → sumAll(…) args[0][1].f`).
 */
export function checkArgs(args: unknown[], root: string, onFuture: (f: Future) => void, seen: Set<Delayed>): void {
  const todo: Nested[] = [{ args, name: root, parent: undefined }];
  while (todo.length > 0) {
    const at = todo.pop()!;
    // The usual case, a plain object or array of plain values per argument, needs no walk.
    let flat = true;
    for (let i = 0; i < at.args.length && flat; i++) flat = flatPlain(at.args[i]);
    if (flat) continue;
    const kids: Nested[] = [];
    toWire(at.args, (x) => {
      if (x instanceof Future) {
        onFuture(x);
        return '';
      }
      if (x instanceof Delayed) {
        if (!seen.has(x)) {
          seen.add(x);
          kids.push({ args: x.args, name: `${x.fn.fn.export}(…) args`, parent: at });
        }
        return '';
      }
      return undefined;
    }, () => pathOf(at));
    // Reversed, so that the first argument's nodes are checked first.
    for (let i = kids.length - 1; i >= 0; i--) todo.push(kids[i]!);
  }
}

/** Arguments met in {@link checkArgs}: a root's, or a nested node's (`parent` names it). */
interface Nested { args: unknown[]; name: string; parent: Nested | undefined }

/** Nested nodes named in full in an error's path; deeper ones are counted in the middle. */
const PATH_NODES = 8;

/** The path of `at`'s arguments from the root, for an error: `root → f(…) args → g(…) args`. */
function pathOf(at: Nested): string {
  const names: string[] = [];
  for (let n: Nested | undefined = at; n; n = n.parent) names.push(n.name);
  names.reverse();
  if (names.length > 1 + PATH_NODES) {
    const head = PATH_NODES / 2 + 1;
    const tail = PATH_NODES / 2;
    const skipped = names.length - head - tail;
    names.splice(head, skipped, `… ${skipped.toLocaleString('en-US')} more …`);
  }
  return names.join(' → ');
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
  // An own "__proto__" key is for toWire to refuse (serialize.ts), at the call.
  for (const k of Object.keys(o)) if (k === '__proto__' || !isPlain(o[k])) return false;
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

/** Throws unless `f` can be a task's argument (not released, unless pinned; not cancelled). */
export function checkUsable(f: Future, where?: string): Future {
  const at = where ? `${where}: ` : '';
  if (f.isReleased && !f.pinned) throw new TypeError(`${at}future ${f.key} was released and cannot be used as an argument`);
  if (f.isBound && !f.state.held) throw new TypeError(`${at}future ${f.key} was cancelled and cannot be used as an argument`);
  return f;
}
