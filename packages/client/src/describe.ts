import { Future } from './future.js';

/** A short description of a value for an error message: `the number 5`, `a Future (inc-…)`, `a plain object`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (v instanceof Future) return `a Future (${v.key})`;
  switch (typeof v) {
    case 'string': return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number': case 'bigint': case 'boolean': return `the ${typeof v} ${String(v)}`;
    case 'function': return `a function${v.name ? ` (${v.name})` : ''}`;
    case 'symbol': return 'a symbol';
    default: {
      const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
      return proto === null || proto === Object.prototype ? 'a plain object' : `an instance of ${proto.constructor?.name || 'a class'}`;
    }
  }
}
