import { formatPath, MAX_WIRE_DEPTH, PROTO_KEY_REFUSAL, wireChildren, wireKind, type FnRef, type KeyRef } from '@gluon/protocol';
import { SerializationError } from './errors.js';
import { Hasher } from './hash.js';

/**
 * Turns task arguments into their wire form: futures (and graph nodes) become key references,
 * everything else must be data that arrives as itself (plain objects and arrays, Maps, Sets,
 * typed arrays, Dates: see `wireKind` in @gluon/protocol). Fails at submit time with the path
 * of the first value that cannot travel, e.g. `args[1].config.fn is a function`.
 *
 * Values are shared, not copied, unless a reference inside them had to be replaced; the path is
 * kept as a stack of segments and only spelled out for an error.
 *
 * @param refOf returns the key for a future or graph node, or undefined for other values.
 * @param root names `args` in an error's path (a function: spelled out only for an error).
 */
export function toWire(args: unknown[], refOf: (x: object) => string | undefined, root: string | (() => string) = 'args'): { args: unknown[]; deps: string[] } {
  // Only plain values (the usual map() over numbers or strings): nothing to walk or replace.
  if (allPlain(args)) return { args, deps: NO_DEPS };
  let deps: Set<string> | null = null;
  const ancestors: object[] = [];
  const segs: Array<string | number> = [];
  const fail = (what: string): never => {
    throw new SerializationError(formatPath(typeof root === 'string' ? root : root(), segs), what);
  };
  /** Walks the members of a container, copying it only when a member had to be replaced. */
  const walk = (v: unknown): unknown => {
    switch (typeof v) {
      case 'function': return fail('is a function; tasks receive data only (name code with remote())');
      case 'symbol': return fail('is a symbol, which cannot be sent to a worker');
      case 'object': break;
      default: return v;
    }
    if (v === null) return v;
    const key = refOf(v);
    if (key !== undefined) {
      (deps ??= new Set()).add(key);
      return { __gluonRef: key } satisfies KeyRef;
    }
    const kind = wireKind(v);
    if (kind === 'leaf') return v;
    if (typeof kind === 'object') {
      if (kind.refused === 'a Promise') return fail('is a Promise; await it first, or pass a future');
      const what = kind.refused.startsWith('class ') ? `an instance of ${kind.refused}` : kind.refused;
      return fail(`is ${what}, which would not arrive as itself; pass plain objects, arrays, Maps, Sets and typed arrays`);
    }
    if (ancestors.includes(v)) return fail('refers back to one of its own parents (a cycle)');
    if (ancestors.length >= MAX_WIRE_DEPTH) return fail(`is nested more than ${MAX_WIRE_DEPTH} levels deep`);
    ancestors.push(v);
    let out: unknown = v;
    if (kind === 'array') {
      const a = v as unknown[];
      let copy: unknown[] | null = null;
      for (let i = 0; i < a.length; i++) {
        segs.push(i);
        const w = walk(a[i]);
        segs.pop();
        if (w !== a[i]) (copy ??= a.slice())[i] = w;
      }
      if (copy) out = copy;
    } else if (kind === 'object') {
      const o = v as Record<string, unknown>;
      let copy: Record<string, unknown> | null = null;
      for (const k of Object.keys(o)) {
        segs.push(k);
        if (k === '__proto__') fail(`is an own property named "__proto__": ${PROTO_KEY_REFUSAL}`);
        const w = walk(o[k]);
        segs.pop();
        if (w !== o[k]) (copy ??= { ...o })[k] = w;
      }
      if (copy) out = copy;
    } else {
      let changed = false;
      const members: unknown[] = [];
      for (const [seg, x] of wireChildren(v, kind)) {
        segs.push(seg);
        const w = walk(x);
        segs.pop();
        if (w !== x) changed = true;
        members.push(w);
      }
      if (changed) out = kind === 'set' ? new Set(members) : new Map(Array.from({ length: members.length / 2 }, (_, i) => [members[2 * i], members[2 * i + 1]]));
    }
    ancestors.pop();
    return out;
  };
  const wire = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    segs.push(i);
    wire[i] = walk(args[i]);
    segs.pop();
  }
  return { args: wire, deps: deps ? [...deps] : [] };
}

/** The deps of a task with none: one shared array (a million-task map() need not make a million). */
export const NO_DEPS: string[] = Object.freeze([]) as unknown as string[];

/** No objects (nor functions or symbols, which fail) among the values: they travel as they are. */
export function allPlain(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (!isPlain(values[i])) return false;
  return true;
}

/** A value that travels as itself with nothing to walk: not an object, function or symbol. */
export function isPlain(v: unknown): boolean {
  const t = typeof v;
  return !((t === 'object' && v !== null) || t === 'function' || t === 'symbol');
}

/**
 * A deterministic key for a pure task: `<export>-<hash of module, export and arguments>`, so
 * submitting the same call twice reuses the first result, as in Dask.
 */
export function tokenize(group: string, fn: FnRef, wireArgs: unknown[]): string {
  // Submits one after another are nearly always of one function: its part of the hash (the
  // module's URL hashed a character at a time) is mixed in once for all of them.
  let t = lastTokenizer;
  if (t === undefined || t.group !== group || t.module !== fn.module || t.export !== fn.export) {
    lastTokenizer = t = { group, module: fn.module, export: fn.export, of: tokenizer(group, fn) };
  }
  return t.of.key(wireArgs);
}

/** The tokenizer of the function {@link tokenize} keyed last. */
let lastTokenizer: { group: string; module: string; export: string; of: { key(wireArgs: unknown[]): string } } | undefined;

/**
 * {@link tokenize} for many calls of one function (a map): the function's part of the hash is
 * mixed in once, and each key starts from a copy of it.
 */
export function tokenizer(group: string, fn: FnRef): { key(wireArgs: unknown[]): string } {
  const seed = new Hasher();
  seed.str(fn.module);
  seed.int(0);
  seed.str(fn.export);
  const prefix = `${group}-`;
  return {
    key(wireArgs) {
      const h = seed.copy();
      h.value(wireArgs);
      return prefix + h.digest();
    },
  };
}
