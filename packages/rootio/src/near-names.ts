/** Near misses for a name someone typed: a file in a folder, a branch in a tree. */

/**
 * The entries nearest `name`: those that differ only in case or Unicode form (NFKC: µ and μ,
 * é and e + ◌́) or by a trailing array dimension (`Jet.Tau` for the branch `Jet.Tau[5]`: ROOT names
 * a fixed-size array's branch with its leaf's dimensions), else those at the smallest edit
 * distance (a transposed pair of neighbouring letters, `mnii` for `mini`, is one edit), if that is at most 1 (names under 8 letters) or 2 (longer names). A one-letter name
 * gets no edit suggestion (every one-letter key is one edit away); a two-letter name (`hx` for
 * `hh`, a histogram's or a branch's usual length) gets them only when there are at most
 * {@link SHORT_NAME_MOST}: ten keys `h0`…`h9` one edit from `hx` say nothing the listing does not.
 */
export function nearNames(name: string, entries: readonly string[]): string[] {
  const lower = name.toLowerCase();
  // Compatibility forms too: the micro sign typed as Greek mu (µ/μ), an accent composed or not.
  const folded = fold(name);
  const same = entries.filter((e) => e !== name && (e.toLowerCase() === lower || fold(e) === folded || fold(e.replace(DIMENSIONS, '')) === folded));
  if (same.length) return same;
  if (name.length < 2) return [];
  const max = name.length < 8 ? 1 : 2;
  let best = max + 1;
  let out: string[] = [];
  for (const e of entries) {
    if (Math.abs(e.length - name.length) > max) continue;
    const d = editDistance(e.toLowerCase(), lower, max);
    if (d < best) [best, out] = [d, [e]];
    else if (d === best) out.push(e);
  }
  if (best > max || (name.length < 3 && out.length > SHORT_NAME_MOST)) return [];
  return out;
}

/** A name's trailing array dimensions (`[5]`, `[3][4]`). */
const DIMENSIONS = /(\[\d+\])+$/;

/** The most near names a two-letter name is offered; more are a family, not a typo's target. */
export const SHORT_NAME_MOST = 3;

/** A name as compared for near misses: compatibility-normalised (NFKC) and lower-case. */
function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/**
 * Edit distance counting a transposition of two neighbouring letters as one edit, as a typo makes
 * it (optimal string alignment: Levenshtein's, plus the swap), stopped once every path through a
 * row exceeds `max` (then max + 1). Levenshtein's alone made `mnii` two edits from `mini`. rootio's
 * one copy (read-args.ts uses it for option names): rootio depends on no other Gluon package, so it
 * does not take @gluon/protocol's (option-keys.ts), which the packages above it share.
 */
export function editDistance(a: string, b: string, max: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  /** The row before `prev`, for transpositions. */
  let older: number[] = [];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, older[j - 2]! + 1);
      best = Math.min(best, row[j]!);
    }
    // Still exact with swaps: a swap into the next row costs older[j - 2] + 1, never less than
    // this row's row[j - 1] (the diagonal from the same cell), so no later row gets below `best`.
    if (best > max) return max + 1;
    older = prev;
    prev = row;
  }
  return prev[b.length]!;
}
