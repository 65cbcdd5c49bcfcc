/**
 * Checks that a TTree or histogram object, read from possibly damaged bytes by the file's own
 * (possibly damaged) StreamerInfo, has the members of the types the reader uses, before it uses
 * them: damage is then said as the member that is wrong, not as a TypeError met somewhere in the
 * interpretation. Pure: returns what is wrong, or null.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const isList = (v: unknown): boolean => isObj(v) && Array.isArray(v.arr);
const isCount = (v: unknown): boolean => (typeof v === 'number' || typeof v === 'bigint') && Number(v) >= 0 && Number.isSafeInteger(Number(v));
const arrayLike = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || ArrayBuffer.isView(v);

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'missing';
  if (typeof v === 'number' || typeof v === 'bigint') return `${String(v)}`;
  if (typeof v === 'string') return `the string "${v.slice(0, 40)}"`;
  return `a ${isObj(v) && typeof v._typename === 'string' ? v._typename : typeof v}`;
}

/** What is wrong with branch `b` (at `where`, its path in the tree) or any branch below it. */
function branchProblem(b: unknown, where: string, depth: number): string | null {
  if (!isObj(b)) return `${where} is ${describe(b)}, not a branch`;
  if (typeof b.fName !== 'string') return `${where}'s name (fName) is ${describe(b.fName)}, not a string`;
  const at = `branch ${b.fName}`;
  if (typeof b._typename !== 'string') return `${at} has no class`;
  if (!isList(b.fBranches)) return `${at}'s sub-branch list (fBranches) is ${describe(b.fBranches)}`;
  if (!isList(b.fLeaves)) return `${at}'s leaf list (fLeaves) is ${describe(b.fLeaves)}`;
  for (const leaf of (b.fLeaves as { arr?: unknown[] } | undefined)?.arr ?? []) {
    if (!isObj(leaf) || typeof leaf.fName !== 'string') return `${at} has a leaf that is ${isObj(leaf) ? `named ${describe(leaf.fName)}` : describe(leaf)}`;
    if (leaf.fLeafCount !== undefined && leaf.fLeafCount !== null && !(isObj(leaf.fLeafCount) && typeof leaf.fLeafCount.fName === 'string')) {
      return `${at}'s leaf ${leaf.fName} has a counter (fLeafCount) that is ${describe(leaf.fLeafCount)}`;
    }
  }
  for (const m of ['fEntries', 'fWriteBasket', 'fMaxBaskets', 'fEntryOffsetLen'] as const) {
    if (b[m] !== undefined && !isCount(b[m]) && !(m === 'fEntryOffsetLen' && typeof b[m] === 'number' && Number.isSafeInteger(b[m]))) return `${at}'s ${m} is ${describe(b[m])}`;
  }
  const written = Math.min(Number(b.fWriteBasket ?? 0), Number(b.fMaxBaskets ?? 0));
  if (b.fBaskets !== undefined && b.fBaskets !== null && !isList(b.fBaskets)) return `${at}'s basket list (fBaskets) is ${describe(b.fBaskets)}`;
  // Baskets kept inside the TTree start at their fBasketEntry too.
  const kept = ((b.fBaskets as { arr?: unknown[] } | undefined)?.arr ?? []).some((x) => x);
  for (const m of ['fBasketSeek', 'fBasketBytes', 'fBasketEntry'] as const) {
    const a = b[m];
    if (a === undefined && written === 0 && !(kept && m === 'fBasketEntry')) continue;
    if (!arrayLike(a)) return `${at}'s ${m} is ${describe(a)}, not an array`;
    if (m !== 'fBasketEntry' && a.length < Math.min(written, arrayLike(b.fBasketEntry) ? b.fBasketEntry.length : 0)) return `${at}'s ${m} has ${a.length} values for ${written} written baskets`;
    for (let k = 0; k < Math.min(written, a.length); k++) {
      if (!isCount(a[k])) return `${at}'s ${m}[${k}] is ${describe(a[k])}`;
    }
  }
  if (depth > 64) return `${at} is nested more than 64 deep`;
  const subs = (b.fBranches as { arr: unknown[] }).arr;
  for (let i = 0; i < subs.length; i++) {
    const p = branchProblem(subs[i], `sub-branch ${i} of ${at}`, depth + 1);
    if (p) return p;
  }
  return null;
}

/** What is wrong with a TTree object, or null. */
export function treeProblem(t: Obj): string | null {
  if (!isCount(t.fEntries)) return `its entry count (fEntries) is ${describe(t.fEntries)}`;
  if (!isList(t.fBranches)) return `its branch list (fBranches) is ${describe(t.fBranches)}`;
  const bs = (t.fBranches as { arr: unknown[] }).arr;
  for (let i = 0; i < bs.length; i++) {
    const p = branchProblem(bs[i], `branch ${i}`, 0);
    if (p) return p;
  }
  return null;
}

/** What is wrong with a histogram's axes (the first `dimension`), or null. */
export function histogramProblem(h: Obj, dimension: number): string | null {
  for (const a of ['fXaxis', 'fYaxis', 'fZaxis'].slice(0, dimension)) {
    const ax = h[a];
    if (!isObj(ax)) return `its axis ${a} is ${describe(ax)}`;
    if (!isCount(ax.fNbins)) return `its ${a}'s bin count (fNbins) is ${describe(ax.fNbins)}`;
    for (const m of ['fXmin', 'fXmax']) if (typeof ax[m] !== 'number') return `its ${a}'s ${m} is ${describe(ax[m])}`;
    if (ax.fXbins !== undefined && ax.fXbins !== null && !arrayLike(ax.fXbins)) return `its ${a}'s bin edges (fXbins) are ${describe(ax.fXbins)}`;
    // ROOT writes no edges for equal bins, else one more than the bins, never decreasing (TAxis
    // allows equal edges): other edges were read silently, as equal bins or as bins that overlap.
    const edges = (ax.fXbins ?? []) as ArrayLike<number>;
    if (edges.length > 0) {
      const n = Number(ax.fNbins);
      if (edges.length !== n + 1) return `its ${a} has ${edges.length} bin edges (fXbins) for ${n} bins`;
      for (let i = 1; i <= n; i++) {
        if (!(edges[i]! >= edges[i - 1]!)) return `its ${a}'s bin edges (fXbins) decrease: edge ${i} is ${edges[i]} after ${edges[i - 1]}`;
      }
    }
  }
  return null;
}
