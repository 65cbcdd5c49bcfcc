import type { FnRef, KeyRef } from '@gluon/protocol';
import { SerializationError } from './errors.js';
import { Hasher } from './hash.js';

/**
 * Turns task arguments into their wire form: futures (and graph nodes) become key references,
 * everything else must be plain data. Fails at submit time with the path of the first value that
 * cannot travel, e.g. `args[1].config.fn is a function`.
 *
 * Values are shared, not copied, unless a reference inside them had to be replaced; the path is
 * kept as a stack of segments and only spelled out for an error.
 *
 * @param refOf returns the key for a future or graph node, or undefined for other values.
 */
export function toWire(args: unknown[], refOf: (x: object) => string | undefined, root = 'args'): { args: unknown[]; deps: string[] } {
  let deps: Set<string> | null = null;
  const ancestors: object[] = [];
  const segs: Array<string | number> = [];
  const fail = (what: string): never => {
    throw new SerializationError(formatPath(root, segs), what);
  };
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
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return v;
    if (ancestors.includes(v)) return fail('refers back to one of its own parents (a cycle)');
    if (v instanceof Map || v instanceof Set) {
      return fail(`is a ${v.constructor.name}; convert it to ${v instanceof Map ? 'a plain object or an array of pairs' : 'an array'}`);
    }
    if (v instanceof Promise) return fail('is a Promise; await it first, or pass a future');
    ancestors.push(v);
    let out: unknown = v;
    if (Array.isArray(v)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        segs.push(i);
        const w = walk(v[i]);
        segs.pop();
        if (w !== v[i]) (copy ??= v.slice())[i] = w;
      }
      if (copy) out = copy;
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        fail(`is an instance of ${proto?.constructor?.name ?? 'a class'}; pass plain objects, arrays and typed arrays`);
      }
      const o = v as Record<string, unknown>;
      let copy: Record<string, unknown> | null = null;
      for (const k of Object.keys(o)) {
        segs.push(k);
        const w = walk(o[k]);
        segs.pop();
        if (w !== o[k]) (copy ??= { ...o })[k] = w;
      }
      if (copy) out = copy;
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

/** `args[1].config["odd key"][3]` from a stack of segments. */
function formatPath(root: string, segs: ReadonlyArray<string | number>): string {
  let p = root;
  for (const s of segs) p += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return p;
}

/**
 * A deterministic key for a pure task: `<export>-<hash of module, export and arguments>`, so
 * submitting the same call twice reuses the first result, as in Dask.
 */
export function tokenize(group: string, fn: FnRef, wireArgs: unknown[]): string {
  const h = new Hasher();
  h.str(fn.module);
  h.int(0);
  h.str(fn.export);
  h.value(wireArgs);
  return `${group}-${h.digest()}`;
}
