/**
 * The entry range of a read (`entryStart`, `entryStop` of `arrays` and `iterate`), checked once for
 * TTrees and RNTuples, and made concrete by uproot's rule (`_regularize_entries_start_stop` in
 * uproot's behaviors/TBranch.py), so code ported from uproot reads the same entries.
 */
import type { RangeOptions } from './tree.js';
import { showArg } from './read-args.js';

/**
 * `[start, stop)` of `opts` for a tree of `numEntries` entries, as uproot makes it: entryStart
 * defaults to 0 and entryStop to numEntries; a negative bound counts from the end, like a Python
 * slice (`entryStart: -10` is the last ten entries); both are then clipped to `[0, numEntries]`,
 * and an entryStop below entryStart reads nothing (stop becomes start), so a range partly or
 * wholly outside the tree reads what it overlaps, possibly nothing. Only a bound that is not an
 * integer (`1.5`, `'5'`, `null`, NaN) is refused: a RangeError naming the tree (`what`, e.g.
 * `tree "mini" in data.root`), the bound, its value and the tree's entries.
 */
export function entryRange(what: string, numEntries: number, opts: RangeOptions): { start: number; stop: number } {
  const bound = (name: 'entryStart' | 'entryStop', dflt: number): number => {
    const v = opts[name];
    if (v === undefined) return dflt;
    if (!Number.isInteger(v)) {
      throw new RangeError(`${what}: ${name} must be an integer (negative counts from the end, as in uproot; its ${numEntries} entries are [0, ${numEntries})), got ${showArg(v)}`);
    }
    return Math.min(numEntries, Math.max(0, v < 0 ? v + numEntries : v));
  };
  const start = bound('entryStart', 0);
  const stop = bound('entryStop', numEntries);
  return { start, stop: Math.max(start, stop) };
}
