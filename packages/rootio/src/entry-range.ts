/**
 * The entry range of a read (`entryStart`, `entryStop` of `arrays` and `iterate`), checked once for
 * TTrees and RNTuples: a bad bound is refused naming the tree, the bound, its value and the valid
 * range, instead of `invalid entry range [-1, undefined)`.
 */
import type { RangeOptions } from './tree.js';

/**
 * `[start, stop)` of `opts` for a tree of `numEntries` entries: entryStart defaults to 0 and must
 * be an integer from 0 to numEntries; entryStop defaults to numEntries, must be an integer ≥ the
 * start, and is clipped to numEntries (as uproot does). `what` names the tree (`tree "mini" in
 * data.root`).
 */
export function entryRange(what: string, numEntries: number, opts: RangeOptions): { start: number; stop: number } {
  const { entryStart, entryStop } = opts;
  const start = entryStart ?? 0;
  const entries = `its ${numEntries} entries are [0, ${numEntries})`;
  if (!(Number.isInteger(start) && start >= 0 && start <= numEntries)) {
    throw new RangeError(`${what}: entryStart must be an integer from 0 to ${numEntries} (${entries}), got ${show(entryStart)}`);
  }
  if (entryStop !== undefined && !(Number.isInteger(entryStop) && entryStop >= start)) {
    throw new RangeError(`${what}: entryStop must be an integer from entryStart (${start}) up, past ${numEntries} read as ${numEntries} (${entries}), got ${show(entryStop)}`);
  }
  return { start, stop: Math.min(entryStop ?? numEntries, numEntries) };
}

/** A bound as it was given: numbers as such, anything else as JSON (`"5"`, `null`). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}
