// Layered layout of the task graph and the groups graph (graph.js draws them): which layer and
// order each node takes, then where it goes on the canvas. Plain functions of the graph and the
// space, so the page and a test compute the same thing.

/**
 * Layers by longest path from the sources (Kahn's order), then each layer ordered by the mean
 * position of its nodes' neighbours: two sweeps down (by dependencies), one up (by dependents,
 * which orders the sources by where their results go), so edges mostly run straight.
 * `edges`: flat [from, to, …] index pairs. Returns each node's layer and the layers in order.
 */
export function layout(n, edges) {
  const preds = Array.from({ length: n }, () => []);
  const succs = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (let i = 0; i < edges.length; i += 2) {
    const [a, b] = [edges[i], edges[i + 1]];
    if (a === b) continue;
    preds[b].push(a);
    succs[a].push(b);
    indeg[b]++;
  }
  const layer = new Int32Array(n);
  const queue = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let h = 0; h < queue.length; h++) {
    const v = queue[h];
    for (const s of succs[v]) {
      if (layer[v] + 1 > layer[s]) layer[s] = layer[v] + 1;
      if (--indeg[s] === 0) queue.push(s);
    }
  }
  let layers = 0;
  for (let i = 0; i < n; i++) layers = Math.max(layers, layer[i] + 1);
  const byLayer = Array.from({ length: layers }, () => []);
  for (let i = 0; i < n; i++) byLayer[layer[i]].push(i);
  const rank = new Float64Array(n);
  const rerank = (l) => l.forEach((v, i) => (rank[v] = i / Math.max(1, l.length)));
  byLayer.forEach(rerank);
  const sortBy = (l, near) => {
    const key = new Map(l.map((v) => [v, near[v].length ? near[v].reduce((a, p) => a + rank[p], 0) / near[v].length : rank[v]]));
    l.sort((a, b) => key.get(a) - key.get(b));
    rerank(l);
  };
  for (let sweep = 0; sweep < 2; sweep++) for (const l of byLayer) sortBy(l, preds);
  for (let li = layers - 2; li >= 0; li--) sortBy(byLayer[li], succs);
  for (const l of byLayer.slice(1)) sortBy(l, preds);
  return { layer, byLayer, layers };
}

/**
 * Where each node of a layout goes, in CSS px. A layer is a block of columns: it wraps into as
 * many columns as it needs for its nodes to stay a cell apart (a 300-task map is a block, not a
 * 1-px column of overlapping dots), filled row by row in the layer's order. Layers are at most
 * `gap[1]` apart and the drawing is centred, so a shallow graph does not stretch its few edges
 * across the whole panel. The cell shrinks from `cells[0]` until the drawing fits `width`; when
 * even the smallest does not fit, the canvas is wider than `width` (its box scrolls).
 *
 * opts: `width`, `height: [min, max]`, `cells: [[w, h], …]` largest first, `gap: [min in cell
 * widths, max in px]` (the space between two layers' blocks), `pad: [x, y]`. Returns `{x, y, width, height, cell: [w, h]}`: every two nodes at least a cell
 * apart in x or in y.
 */
export function arrange({ byLayer, layers }, n, opts) {
  const { width, cells } = opts;
  const [minH, maxH] = opts.height;
  const [gapCells, gapMax] = opts.gap;
  const [padX, padY] = opts.pad;
  const fit = (cw, ch) => {
    const rows = Math.max(1, Math.floor((maxH - 2 * padY) / ch));
    const cols = byLayer.map((l) => Math.ceil(l.length / rows));
    const content = cols.reduce((a, c) => a + c, 0) * cw;
    return { cw, ch, rows, cols, content, need: content + Math.max(0, layers - 1) * gapCells * cw + 2 * padX };
  };
  let f;
  for (const [cw, ch] of cells) {
    f = fit(cw, ch);
    if (f.need <= width) break;
  }
  const { cw, ch, rows, cols, content } = f;
  const gap = layers > 1 ? Math.max(gapCells * cw, Math.min(gapMax, (width - 2 * padX - content) / (layers - 1))) : 0;
  const drawn = content + gap * Math.max(0, layers - 1);
  const canvasW = Math.max(width, Math.ceil(drawn + 2 * padX));
  const tallest = Math.max(1, ...byLayer.map((l) => Math.min(l.length, rows)));
  const canvasH = Math.min(maxH, Math.max(minH, tallest * ch + 2 * padY));
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let left = (canvasW - drawn) / 2;
  byLayer.forEach((l, li) => {
    const c = cols[li];
    const r = Math.ceil(l.length / c);
    // Rows spread over the height (a small layer spaced out like a tree's upper levels); a cell
    // apart at least, since r ≤ tallest.
    l.forEach((v, i) => {
      x[v] = left + ((i % c) + 0.5) * cw;
      y[v] = padY + ((Math.floor(i / c) + 0.5) / r) * (canvasH - 2 * padY);
    });
    left += c * cw + gap;
  });
  return { x, y, width: canvasW, height: canvasH, cell: [cw, ch] };
}
