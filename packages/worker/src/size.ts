/**
 * Estimated wire size of a value: exact for typed arrays and strings, close for the rest.
 * Cheap enough to run on every result (no encoding), bounded in work on huge nested values.
 */
export function estimateSize(value: unknown, budget = { n: 10_000 }): number {
  if (budget.n-- <= 0) return 0;
  switch (typeof value) {
    case 'number': return 9;
    case 'bigint': return 9;
    case 'boolean': return 1;
    case 'string': return value.length + 5;
    case 'undefined': return 1;
    case 'object': {
      if (value === null) return 1;
      if (ArrayBuffer.isView(value)) return value.byteLength + 6;
      if (value instanceof ArrayBuffer) return value.byteLength + 6;
      if (value instanceof Date) return 10;
      let n = 5;
      if (Array.isArray(value)) for (const v of value) n += estimateSize(v, budget);
      else if (value instanceof Map) for (const [k, v] of value) n += estimateSize(k, budget) + estimateSize(v, budget);
      else for (const k in value) n += k.length + 1 + estimateSize((value as Record<string, unknown>)[k], budget);
      return n;
    }
    default: return 0;
  }
}

/** A short type name for the dashboard and `key-in-memory`. */
export function typeNameOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'Object';
  return typeof value;
}
