/**
 * The luminosity: --lumi normalises the MC of every selection (the framework's groups too, not
 * just its label), and run.json, histograms.json and the plot name the same number.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { cliSandbox, readJson } from '../cli-sandbox.js';

const { tmp, cli } = cliSandbox(t, 'h4l-lumi-');
const total = (h: { sumw: number[]; underflow: number; overflow: number }) => h.sumw.reduce((a, b) => a + b, h.underflow + h.overflow);

const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 4, samples: ['data_D', 'llll', 'ggH125_ZZ4lep'] }));

async function runWith(name: string, extra: string[]) {
  const out = path.join(tmp, name);
  await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', out, ...extra]);
  const { openFile } = (await import('jsroot')) as unknown as { openFile(p: string): Promise<{ readObject(n: string): Promise<{ fArray: number[] }> }> };
  const root = await openFile(path.join(out, 'histograms.root'));
  const hist = extra.includes('framework') ? 'mass_four_lep' : 'm4l';
  return { j: readJson(path.join(out, 'histograms.json')), r: readJson(path.join(out, 'run.json')),
    svg: readFileSync(path.join(out, 'm4l.svg'), 'utf8'), rootZZ: (await root.readObject(`group_ZZ_${hist}`)).fArray.reduce((a, b) => a + b, 0) };
}

t.test('framework: --lumi scales the MC groups; the default is the framework\'s 10,064 pb⁻¹', async (t) => {
  const def = await runWith('fw-default', ['--selection', 'framework']);
  const twice = await runWith('fw-twice', ['--selection', 'framework', '--lumi', '20.128']);
  const zz = (x: typeof def) => total(x.j.groups.ZZ.histograms.mass_four_lep);
  t.ok(zz(def) > 0);
  t.ok(Math.abs(zz(twice) / zz(def) - 2) < 1e-12, `ZZ doubles with the luminosity (${zz(def)} → ${zz(twice)})`);
  t.ok(Math.abs(twice.rootZZ / def.rootZZ - 2) < 1e-12, 'and in histograms.root');
  const w = (x: typeof def) => x.j.groups.Higgs.cutflow.at(-1).weighted;
  t.ok(Math.abs(w(twice) / w(def) - 2) < 1e-12, 'the group cut flow too');
  t.equal(total(twice.j.groups.data.histograms.mass_four_lep), total(def.j.groups.data.histograms.mass_four_lep), 'data unchanged');
  t.equal(def.j.lumiFb, 10.064);
  t.equal(def.j.meta.lumiFb, 10.064 * 0.01);
  t.equal(twice.j.meta.lumiFb, 20.128 * 0.01);
  t.equal(twice.r.mcNormalisedToFb, 20.128);
});

t.test('run.json, histograms.json and the plot name one luminosity (a scaled synthetic dataset)', async (t) => {
  const { j, r, svg } = await runWith('nb', []);
  t.equal(r.meta.lumiFb, 0.1, 'run.json: 10 fb⁻¹ × scale 0.01');
  t.equal(j.plotLumiFb, r.meta.lumiFb);
  t.equal(j.meta.lumiFb, r.meta.lumiFb);
  t.equal(r.mcNormalisedToFb, 10);
  t.equal(r.config.lumi_fb, null, 'not set: the selection\'s reference');
  t.match(svg, /∫L dt = 0\.1 fb/);
});
