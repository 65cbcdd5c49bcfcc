/**
 * The dashboard's colours (assets/palette.js): group colours stay apart for normal vision and
 * never collide among the groups on screen; state colours stay apart for normal vision and with
 * deuteranopia (simulated with Machado et al. 2009, severity 1, in linear RGB); the task graph's
 * nodes stand out from the panel in the light and the dark theme (WCAG 2.1 contrast ratio, 3:1
 * for graphics) and their fills stay apart, hollow (released) ones included. Distances are CIE76
 * ΔE in L*a*b*; about 2.3 is a just-noticeable difference, the bounds here are far above it.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { GRAPH_NODE, GROUP_PALETTE, GroupColors, STATE_COLORS } from '../../assets/palette.js';

type Rgb = [number, number, number];

const DEUTERANOPIA = [
  [0.367322, 0.860646, -0.227968],
  [0.280085, 0.672501, 0.047413],
  [-0.01182, 0.04294, 0.968881],
];

function linear(hex: string): Rgb {
  // #rgb as CSS reads it: each digit doubled.
  if (/^#[0-9a-f]{3}$/i.test(hex)) hex = `#${[...hex.slice(1)].map((d) => d + d).join('')}`;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [m[1]!, m[2]!, m[3]!].map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
}

function deuteranopia(c: Rgb): Rgb {
  return DEUTERANOPIA.map((row) => Math.min(1, Math.max(0, row[0]! * c[0] + row[1]! * c[1] + row[2]! * c[2]))) as Rgb;
}

function lab([r, g, b]: Rgb): Rgb {
  const f = (v: number) => (v > 0.008856 ? Math.cbrt(v) : 7.787 * v + 16 / 116);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** WCAG 2.1 contrast ratio of two colours (1 to 21). */
function contrast(a: string, b: string): number {
  const y = (hex: string) => {
    const [r, g, b] = linear(hex);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [y(a), y(b)].sort((p, q) => q - p);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** The panel's background in each theme, as assets/dashboard.css sets it (light first, then the dark media query). */
function panels(): { light: string; dark: string } {
  const css = readFileSync(new URL('../../assets/dashboard.css', import.meta.url), 'utf8');
  const dark = css.indexOf('@media (prefers-color-scheme: dark)');
  const panel = (from: number) => /--panel:\s*(#[0-9a-f]{3,6})\s*;/i.exec(css.slice(from))?.[1];
  const light = panel(0), darkPanel = panel(dark);
  if (dark < 0 || !light || !darkPanel || css.indexOf('--panel:') > dark) throw new Error('dashboard.css: no --panel colour for the light theme and the dark one');
  return { light, dark: darkPanel };
}

function closestPair(colors: Record<string, string>, see: (c: Rgb) => Rgb): { a: string; b: string; dE: number } {
  const names = Object.keys(colors);
  let best = { a: '', b: '', dE: Infinity };
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const p = lab(see(linear(colors[names[i]!]!)));
      const q = lab(see(linear(colors[names[j]!]!)));
      const dE = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
      if (dE < best.dE) best = { a: names[i]!, b: names[j]!, dE };
    }
  }
  return best;
}

t.test('the simulation itself: the old memory/erred pair collapses with deuteranopia, black and white do not', async (t) => {
  t.ok(closestPair({ memory: '#59a14f', erred: '#e15759' }, deuteranopia).dE < 3, 'the colours the issue reported as indistinguishable are');
  t.ok(closestPair({ black: '#000000', white: '#ffffff' }, deuteranopia).dE > 90);
});

t.test('state colours: apart for normal vision and with deuteranopia', async (t) => {
  const normal = closestPair(STATE_COLORS, (c) => c);
  t.ok(normal.dE >= 15, `closest pair ${normal.a}/${normal.b}: ΔE ${normal.dE.toFixed(1)}`);
  const deut = closestPair(STATE_COLORS, deuteranopia);
  t.ok(deut.dE >= 15, `with deuteranopia, closest pair ${deut.a}/${deut.b}: ΔE ${deut.dE.toFixed(1)}`);
});

t.test('task graph nodes: outlined at 3:1 or more against the panel in light and dark mode; fills apart, hollow ones too', async (t) => {
  const bg = panels();
  for (const theme of ['light', 'dark'] as const) {
    const outline = GRAPH_NODE.outline[theme] as string;
    const c = contrast(outline, bg[theme]);
    t.ok(c >= 3, `${theme}: the outline ${outline} on the panel ${bg[theme]}: ${c.toFixed(2)}:1`);
    // What a node looks like inside its outline: its fill, or the panel for a hollow (released) one.
    const fills = Object.fromEntries(Object.entries(GRAPH_NODE.fill as Record<string, string | null>).map(([s, f]) => [s, f ?? bg[theme]]));
    t.same(Object.keys(fills).sort(), [...'emprqw'].sort(), 'a fill for every state code of the feed');
    for (const [name, see] of [['normal vision', (x: Rgb) => x], ['deuteranopia', deuteranopia]] as const) {
      const p = closestPair(fills, see);
      t.ok(p.dE >= 15, `${theme}, ${name}: closest pair of node fills ${p.a}/${p.b}: ΔE ${p.dE.toFixed(1)}`);
    }
  }
  t.equal(GRAPH_NODE.fill.r, null, 'released nodes are hollow');
});

t.test('group palette: every pair apart, none red (red marks transfers and errors)', async (t) => {
  const named = Object.fromEntries((GROUP_PALETTE as string[]).map((c) => [c, c]));
  const p = closestPair(named, (c) => c);
  t.ok(p.dE >= 20, `closest pair ${p.a}/${p.b}: ΔE ${p.dE.toFixed(1)}`);
  const transfer = lab(linear('#d62728'));
  for (const c of GROUP_PALETTE as string[]) {
    const q = lab(linear(c));
    t.ok(Math.hypot(q[0] - transfer[0], q[1] - transfer[1], q[2] - transfer[2]) >= 20, `${c} is not the transfers' red`);
  }
});

t.test('groups on screen never share a colour; a returning group keeps its colour while remembered', async (t) => {
  const colors = new GroupColors();
  const names = ['h4l-chunk', 'merge', 'load', 'select', 'fit', 'plot', 'sum', 'inc', 'double', 'combine', 'histogram', 'finalize'];
  const first = names.map((n) => colors.color(n));
  t.equal(new Set(first).size, names.length, `${names.length} groups, ${names.length} colours`);
  t.same(names.map((n) => colors.color(n)), first, 'asked again: the same colours');
  // A 13th group takes the colour of the group asked for least recently, not a visible one.
  for (const n of names.slice(1)) colors.color(n);
  const thirteenth = colors.color('late');
  t.equal(thirteenth, first[0], 'the least recently drawn group gives up its colour');
  t.equal(new Set([...names.slice(1), 'late'].map((n) => colors.color(n))).size, 12, 'the twelve groups on screen are still distinct');
});
