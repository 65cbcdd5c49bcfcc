// Where a chart's axis labels go, from their text widths alone (no DOM: the tests run it in Node).
// uPlot picks tick spacing from a fixed minimum number of pixels, not from its labels: a time
// axis's first label carries the date on a second line ("10:59pm" over "12/3/26"), wider than the
// spacing, and was drawn over the next tick's; and a value axis is as wide as it was configured,
// so a wider label ("1000 ms") was cut at the canvas's edge.

/**
 * One tick label as an axis along x lays it out: centred on `pos`, as wide as its widest line.
 * @typedef {{ pos: number, width: number, lines: number }} TickLabel
 */

/**
 * The labels (from {@link measureLabels}) kept so that no two are closer than `gap` and none
 * sticks out of `[lo, hi]`: `true` for each label drawn. Labels with more lines go first: their
 * extra lines say what the plain ones leave out (the date, or the minute of ":30"). Among those,
 * a later one beats an earlier one, since its context holds for the ticks to its right (keeping
 * ":30 / 10:59pm" over ":00 / 11:00pm" would have the next ":30" read as 10:59:30); plain labels
 * fill in from the left, so a run of equal ones is thinned evenly.
 * @param {Array<TickLabel | null>} labels null where a tick has no label
 * @param {{ lo?: number, hi?: number, gap?: number }} [room]
 * @returns {boolean[]}
 */
export function fittingLabels(labels, { lo = -Infinity, hi = Infinity, gap = 0 } = {}) {
  const order = labels.flatMap((l, i) => (l ? [i] : []));
  order.sort((a, b) => {
    const la = /** @type {TickLabel} */ (labels[a]);
    const lb = /** @type {TickLabel} */ (labels[b]);
    if (la.lines !== lb.lines) return lb.lines - la.lines;
    return la.lines > 1 ? b - a : a - b;
  });
  const keep = labels.map(() => false);
  /** @type {Array<[number, number]>} */
  const taken = [];
  for (const i of order) {
    const l = /** @type {TickLabel} */ (labels[i]);
    const left = l.pos - l.width / 2;
    const right = l.pos + l.width / 2;
    if (left < lo || right > hi) continue;
    if (taken.some(([a, b]) => left < b + gap && right > a - gap)) continue;
    taken.push([left, right]);
    keep[i] = true;
  }
  return keep;
}

/**
 * Tick labels as uPlot gives them (a string per tick, one line per '\n'; null or '' for none) with
 * their positions (px), measured by `measure` (a line's width in the same px).
 * @param {Array<string | null | undefined>} values
 * @param {number[]} positions
 * @param {(line: string) => number} measure
 * @returns {Array<TickLabel | null>}
 */
export function measureLabels(values, positions, measure) {
  return values.map((v, i) => {
    if (v == null || v === '') return null;
    const lines = String(v).split('\n');
    return { pos: positions[i] ?? NaN, width: Math.max(...lines.map(measure)), lines: lines.length };
  });
}

/**
 * `values` with the labels that would overlap another or stick out of `[lo, hi]` replaced by null
 * (uPlot then draws the tick and its grid line without a label). See {@link fittingLabels}.
 * @param {Array<string | null | undefined>} values
 * @param {number[]} positions
 * @param {(line: string) => number} measure
 * @param {{ lo?: number, hi?: number, gap?: number }} [room]
 * @returns {Array<string | null>}
 */
export function thinLabels(values, positions, measure, room) {
  const keep = fittingLabels(measureLabels(values, positions, measure), room);
  return values.map((v, i) => (keep[i] ? String(v) : null));
}

/**
 * How wide a value axis (left or right of a chart) must be for its widest label (`measure`, px)
 * after the tick and the gap uPlot puts between the axis line and its labels; at least `least`.
 * @param {Array<string | null | undefined> | null | undefined} values
 * @param {(line: string) => number} measure
 * @param {{ tick: number, gap: number, least: number }} sizes
 */
export function valueAxisSize(values, measure, { tick, gap, least }) {
  let widest = 0;
  for (const v of values ?? []) {
    if (v == null || v === '') continue;
    for (const line of String(v).split('\n')) widest = Math.max(widest, measure(line));
  }
  // A pixel to spare: the text's ink may reach past its advance width by a fraction of a pixel.
  return Math.max(least, Math.ceil(tick + gap + widest + 1));
}
