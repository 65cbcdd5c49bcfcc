/**
 * Where the dashboard's charts put their axis labels (assets/tick-labels.js), without a browser:
 * widths from an estimate of the font they are drawn in. uPlot spaces a time axis's ticks 50 px
 * apart whatever their labels; its first label carries the date on a second line, wider than
 * that, and was drawn over the next minute's. A value axis kept its configured width and cut a
 * wider label ('1000 ms' on the Scheduler chart's 56 px right axis) at the canvas's edge.
 */
import t from 'tap';
import { fittingLabels, measureLabels, thinLabels, valueAxisSize } from '../../assets/tick-labels.js';

/**
 * Advance widths (px) of DejaVu Sans at 12 px, the face Debian's chromium draws the charts' 12 px
 * sans-serif in; other characters as a digit.
 */
const ADVANCE: Record<string, number> = { ':': 4.04, '/': 4.04, ' ': 3.81, a: 7.35, p: 7.61, m: 11.69, s: 6.24, '%': 11.4, '.': 3.81 };
const estimate = (line: string) => [...line].reduce((w, ch) => w + (ADVANCE[ch] ?? 7.63), 0);

type Box = [number, number];
/** The boxes of the labels that are drawn (not null). */
function boxes(values: Array<string | null | undefined>, positions: number[]): Box[] {
  return measureLabels(values, positions, estimate).flatMap((l) => (l ? [[l.pos - l.width / 2, l.pos + l.width / 2] as Box] : []));
}
/** Pairs of boxes that overlap, or closer than `gap`. */
function clashes(b: Box[], gap = 0): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) if (b[i]![0] < b[j]![1] + gap && b[i]![1] > b[j]![0] - gap) n++;
  return n;
}

t.test("a minute axis: the first label's date no longer runs into the next minute's label", async (t) => {
  // uPlot's labels for a 10-minute window at 50 px a minute: the first carries the date.
  const values = ['10:59pm\n12/3/26', '11:00pm', '11:01pm', '11:02pm', '11:03pm', '11:04pm', '11:05pm'];
  const positions = values.map((_, i) => 60 + i * 50);
  t.ok(clashes(boxes(values, positions)) > 0, 'as uPlot draws them, labels overlap (each is ~54 px wide, 50 px apart)');
  const kept = thinLabels(values, positions, estimate, { gap: 6 });
  t.same(kept, ['10:59pm\n12/3/26', null, '11:01pm', null, '11:03pm', null, '11:05pm'], 'the date stays; every other minute is labelled');
  t.equal(clashes(boxes(kept, positions), 6), 0, 'no two labels closer than the gap');
});

t.test('two labels with a second line: the later one stays, so the ticks after it read right', async (t) => {
  // Ticks every 30 s at 60 px: ":30" with the date, then ":00" with the next minute.
  const values = [':30\n12/3/26 10:59pm', ':00\n11:00pm', ':30', ':00\n11:01pm', ':30'];
  const positions = values.map((_, i) => 50 + i * 60);
  t.ok(clashes(boxes(values, positions)) > 0, "the date's line overlaps the next minute's");
  const kept = thinLabels(values, positions, estimate, { gap: 6 });
  t.same(kept, [null, ':00\n11:00pm', ':30', ':00\n11:01pm', ':30'], "the first label goes: keeping it would have the next ':30' read as 10:59:30");
  t.equal(clashes(boxes(kept, positions), 6), 0);
});

t.test('labels with room are all kept; none sticks out of the canvas', async (t) => {
  const values = [':00\n12/6/26 10:43am', ':10', ':20', ':30', ':40', ':50', ':00\n10:44am'];
  const positions = values.map((_, i) => 70 + i * 110);
  t.same(thinLabels(values, positions, estimate, { lo: 0, hi: 800, gap: 6 }), values, 'nothing dropped at 110 px a tick');
  // The same axis on a narrower canvas: the date's line would start left of the canvas.
  const cut = thinLabels(values, positions.map((p) => p - 30), estimate, { lo: 0, hi: 800, gap: 6 });
  t.equal(cut[0], null, 'a label that would be cut by the canvas edge is left out');
  t.same(cut.slice(1), values.slice(1));
  t.same(thinLabels([':10', ':20'], [795, 845], estimate, { lo: 0, hi: 800 }), [null, null], 'both past the right edge');
});

t.test('ticks without labels stay without; an empty axis is fine', async (t) => {
  t.same(thinLabels([null, '', undefined, ':10'], [0, 50, 100, 150], estimate), [null, null, null, ':10']);
  t.same(thinLabels([], [], estimate), []);
  t.same(fittingLabels([]), []);
});

t.test('whatever the labels and spacing: none overlap, and each one left out had a reason', async (t) => {
  // A small deterministic generator (no Math.random: a failure must be reproducible).
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const texts = [':00', ':15', '10:59pm', '12/3/26 10:59pm', '11pm', '12/4', '2026', '−8.5 s', 'now'];
  for (let run = 0; run < 300; run++) {
    const n = 1 + Math.floor(rnd() * 14);
    const spacing = 10 + rnd() * 120;
    const values = Array.from({ length: n }, () => {
      const lines = 1 + Math.floor(rnd() * 2);
      return Array.from({ length: lines }, () => texts[Math.floor(rnd() * texts.length)]).join('\n');
    });
    const positions = values.map((_, i) => 20 + i * spacing);
    const room = { lo: 0, hi: 20 + n * spacing, gap: 6 };
    const labels = measureLabels(values, positions, estimate);
    const keep = fittingLabels(labels, room);
    const kept = labels.filter((_, i) => keep[i]).map((l) => [l!.pos - l!.width / 2, l!.pos + l!.width / 2] as Box);
    if (clashes(kept, room.gap) !== 0) t.fail(`run ${run}: kept labels overlap`);
    for (const [i, l] of labels.entries()) {
      if (keep[i] || !l) continue;
      const [a, b] = [l.pos - l.width / 2, l.pos + l.width / 2];
      const outside = a < room.lo || b > room.hi;
      if (!outside && clashes([[a, b], ...kept], room.gap) === 0) t.fail(`run ${run}: label ${i} (${values[i]}) left out with room for it`);
    }
  }
  t.pass('300 axes');
});

t.test("a value axis is as wide as its widest label: '1000 ms' is not cut", async (t) => {
  const sizes = { tick: 10, gap: 5, least: 56 };
  t.ok(15 + estimate('1000 ms') > 56, "'1000 ms' did not fit the Scheduler chart's 56 px right axis");
  const size = valueAxisSize(['0 ms', '500 ms', '1000 ms'], estimate, sizes);
  t.ok(size >= 15 + estimate('1000 ms'), `${size} px for ${estimate('1000 ms').toFixed(1)} px of text after 15 px of tick and gap`);
  t.equal(valueAxisSize(['0%', '50%', '100%'], estimate, sizes), 56, 'narrow labels keep the configured size');
  t.equal(valueAxisSize(null, estimate, sizes), 56, 'before any labels');
  t.equal(valueAxisSize(['a\nlonger line', null, ''], estimate, sizes), Math.ceil(15 + estimate('longer line') + 1), 'the widest line counts');
});
