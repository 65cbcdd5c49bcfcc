import type { FnRef, KeyRef } from '@gluon/protocol';
import { SerializationError } from './errors.js';
import { Hasher } from './hash.js';

/**
 * Turns task arguments into their wire form: futures (and graph nodes) become key references,
 * everything else must be plain data. Fails at submit time with the path of the first value that
 * cannot travel, e.g. `args[1].config.fn is a function`.
 *
 * @param refOf returns the key for a future or graph node, or undefined for other values.
 */
export function toWire(args: unknown[], refOf: (x: object) => string | undefined, root = 'args'): { args: unknown[]; deps: string[] } {
  const deps = new Set<string>();
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): unknown => {
    switch (typeof v) {
      case 'function': throw new SerializationError(path, `is a function; tasks receive data only (name code with remote())`);
      case 'symbol': throw new SerializationError(path, 'is a symbol, which cannot be sent to a worker');
      case 'object': break;
      default: return v;
    }
    if (v === null) return v;
    const key = refOf(v);
    if (key !== undefined) {
      deps.add(key);
      return { __gluonRef: key } satisfies KeyRef;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return v;
    if (seen.has(v)) throw new SerializationError(path, 'refers back to one of its own parents (a cycle)');
    if (v instanceof Map || v instanceof Set) {
      throw new SerializationError(path, `is a ${v.constructor.name}; convert it to ${v instanceof Map ? 'a plain object or an array of pairs' : 'an array'}`);
    }
    if (v instanceof Promise) throw new SerializationError(path, 'is a Promise; await it first, or pass a future');
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((x, i) => walk(x, `${path}[${i}]`));
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new SerializationError(path, `is an instance of ${proto?.constructor?.name ?? 'a class'}; pass plain objects, arrays and typed arrays`);
      }
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v)) o[k] = walk((v as Record<string, unknown>)[k], /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  const wire = args.map((a, i) => walk(a, `${root}[${i}]`));
  return { args: wire, deps: [...deps] };
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
