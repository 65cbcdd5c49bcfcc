import { EncodedValue } from '@gluon/protocol/codec';
import { wireSizeUpTo } from '@gluon/protocol/values';

/**
 * Estimated wire size of a value: exact for typed arrays and strings, close for the rest.
 * Cheap enough to run on every value (no encoding), bounded in work (at most `budget` members
 * are looked at; the rest count as nothing) and iterative, so a huge, deep or cyclic value costs
 * a bounded time and no stack. Results have their exact-walk size from their thread
 * (`checkWire`); this is for values that arrived over the wire. A value kept as its encoding
 * (`EncodedValue`) is its encoded length, exactly.
 */
export function estimateSize(value: unknown, budget = 10_000): number {
  if (value instanceof EncodedValue) return value.nbytes;
  return wireSizeUpTo(value, Infinity, budget);
}

/** A short type name for the dashboard and `key-in-memory`; a value kept encoded is named for what it holds. */
export function typeNameOf(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof EncodedValue) return value.typeName;
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') {
    const name: unknown = (value as object).constructor?.name;
    return typeof name === 'string' ? name : 'Object';
  }
  return typeof value;
}
