import t from 'tap';
import { drawM4lSvg, type PlotInput } from '../src/plot.js';

/** The plot's two styles: the notebook's single pad, the framework's extra Data/Pred pad. */
const input = (style: 'notebook' | 'framework'): PlotInput => ({
  lo: 80, hi: 100, nbins: 4, lumiFb: 10, style,
  data: [2, 4, 0, 5],
  backgrounds: [{ label: 'ZZ', color: '#6cf', values: [1.5, 2, 0, 0], sumw2: [0.25, 0.25, 0, 0] }],
  signal: { label: 'Higgs', color: '#f00', values: [0.5, 0, 0, 0] },
});

/** The circles drawn inside the ratio pad's clip group. */
function ratioCircles(svg: string): number[] {
  const g = /<g clip-path="url\(#ratio\)">([\s\S]*?)<\/g>/.exec(svg);
  return g ? [...g[1]!.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1])) : [];
}

t.test('notebook style: one pad, no ratio', async (t) => {
  const svg = drawM4lSvg(input('notebook'));
  t.match(svg, /height="480"/);
  t.notMatch(svg, /Data\/Pred/);
  t.same(ratioCircles(svg), []);
});

t.test('framework style: a Data/Pred pad from 0 to 2 under the main axes', async (t) => {
  const svg = drawM4lSvg(input('framework'));
  t.match(svg, /height="600"/);
  t.match(svg, /Data\/Pred/);
  // Pred = background + signal: bin 0 → 2/2 = 1, bin 1 → 4/2 = 2; bins 2 and 3 have no prediction.
  // The pad spans y 437 (ratio 2) to 547 (ratio 0).
  t.same(ratioCircles(svg), [492, 437]);
  t.match(svg, /stroke-dasharray="4 3"/, 'the line at 1');
  for (const label of ['0', '0.5', '1', '1.5', '2']) t.match(svg, new RegExp(`text-anchor="end">${label.replace('.', '\\.')}</text>`), `y label ${label}`);
});
