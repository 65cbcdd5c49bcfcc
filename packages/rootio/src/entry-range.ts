/**
 * The entry range of a read (`entryStart`, `entryStop` of `arrays` and `iterate`), checked once for
 * TTrees and RNTuples: a bad bound is refused naming the tree, the bound, its value and the valid
 * range, instead of `invalid entry range [-1, undefined)`.
 */
import type { RangeOptions } from './tree.js';

/**
 * `[start, stop)` of `opts` for a tree of `numEntries` entries. Both bounds are clipped to
 * `[0, numEntries]` as uproot does, so a range partly or wholly past the end reads what the tree
 * has, possibly nothing (a caller stepping fixed ranges over files of unknown length needs no
 * special case). entryStart defaults to 0 and must be a non-negative integer; entryStop defaults
 * to numEntries and must be an integer ≥ entryStart. Negative bounds are refused, not read from
 * the end as in uproot. `what` names the tree (`tree "mini" in data.root`).
 */
export function entryRange(what: string, numEntries: number, opts: RangeOptions): { start: number; stop: number } {
  const { entryStart, entryStop } = opts;
  const start = entryStart ?? 0;
  const clipped = `past ${numEntries} read as ${numEntries} (its ${numEntries} entries are [0, ${numEntries}))`;
  if (!(Number.isInteger(start) && start >= 0)) {
    throw new RangeError(`${what}: entryStart must be a non-negative integer, ${clipped}, got ${show(entryStart)}`);
  }
  if (entryStop !== undefined && !(Number.isInteger(entryStop) && entryStop >= start)) {
    throw new RangeError(`${what}: entryStop must be an integer from entryStart (${start}) up, ${clipped}, got ${show(entryStop)}`);
  }
  return { start: Math.min(start, numEntries), stop: Math.min(entryStop ?? numEntries, numEntries) };
}

/** A bound as it was given: numbers as such, anything else as JSON (`"5"`, `null`). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}
