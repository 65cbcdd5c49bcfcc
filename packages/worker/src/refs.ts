/** Dependency references inside task arguments. */

/**
 * Replaces `{__gluonRef: key}` placeholders, at any depth, with the dependency values. Plain
 * arrays, objects, Maps (keys and values) and Sets are walked; typed arrays and other values
 * pass through untouched.
 */
export function substitute(args: unknown[], data: Record<string, unknown>): unknown[] {
  const sub = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map(sub);
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [sub(k), sub(x)]));
    if (v instanceof Set) return new Set([...v].map(sub));
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
    const ref = (v as { __gluonRef?: unknown }).__gluonRef;
    if (typeof ref === 'string') {
      if (!(ref in data)) throw new ReferenceError(`dependency ${ref} was not delivered to the task`);
      return data[ref];
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = sub((v as Record<string, unknown>)[k]);
    return out;
  };
  for (const _ in data) return args.map(sub);
  return args;
}
