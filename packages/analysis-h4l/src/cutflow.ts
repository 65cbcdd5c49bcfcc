/** Cut-flow counts, raw and weighted, as plain mergeable data. */
export interface CutFlow {
  cuts: string[];
  raw: Float64Array;
  weighted: Float64Array;
}

/** An empty cut flow over the named cuts (the first is usually "all events"). */
export function makeCutFlow(cuts: readonly string[]): CutFlow {
  return { cuts: [...cuts], raw: new Float64Array(cuts.length), weighted: new Float64Array(cuts.length) };
}

/** Counts one event surviving cut i with weight w. */
export function pass(cf: CutFlow, i: number, w: number): void {
  cf.raw[i] += 1;
  cf.weighted[i] += w;
}

/** Adds b into a; the cut lists must be equal. */
export function mergeCutFlow(a: CutFlow, b: CutFlow): CutFlow {
  if (a.cuts.join('\u0000') !== b.cuts.join('\u0000')) {
    throw new Error(`cannot merge cut flows with different cuts: [${a.cuts}] vs [${b.cuts}]`);
  }
  for (let i = 0; i < a.cuts.length; i++) {
    a.raw[i] += b.raw[i];
    a.weighted[i] += b.weighted[i];
  }
  return a;
}

/** The documented row form `[{cut, raw, weighted}]`. */
export function cutFlowRows(cf: CutFlow): { cut: string; raw: number; weighted: number }[] {
  return cf.cuts.map((cut, i) => ({ cut, raw: cf.raw[i], weighted: cf.weighted[i] }));
}
