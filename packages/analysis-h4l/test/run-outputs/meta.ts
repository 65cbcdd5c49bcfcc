/**
 * Every output says what it is: synthetic events, the selection's variants, a data-only run
 * (no MC) — in histograms.json's and run.json's `meta`, the cut flow and the console.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { opendataDir } from '../data-path.js';
import { cliSandbox, readJson } from '../cli-sandbox.js';

const { tmp, cli } = cliSandbox(t, 'h4l-meta-');

t.test('a synthetic dataset is marked synthetic in every output', async (t) => {
  const data = path.join(tmp, 'syn');
  await generateDataset({ outDir: data, scale: 0.01, seed: 3, samples: ['data_A', 'data_B', 'llll', 'ggH125_ZZ4lep'] });
  const out = path.join(tmp, 'out-syn');
  const { stdout } = await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', out, '--no-dashboard']);
  const j = readJson(path.join(out, 'histograms.json'));
  t.match(j.meta, { synthetic: true, datasetScale: 0.01, selection: 'notebook', lumiFb: 0.1, variants: [], mcPresent: true, partialFiles: [] });
  t.match(readJson(path.join(out, 'run.json')).meta, { synthetic: true, lumiFb: 0.1 });
  t.match(readFileSync(path.join(out, 'cutflow.md'), 'utf8'), /^# Cut flow[^\n]*\n\n> SYNTHETIC events/);
  t.match(readFileSync(path.join(out, 'cutflow.csv'), 'utf8'), /^# SYNTHETIC events[^\n]*\nkind,name,cut,raw,weighted\n/);
  t.match(stdout, /note: SYNTHETIC events/);
});

const { dir: real, looked } = opendataDir();
t.test('real data: not synthetic; the pT-cut and corrected_d0 variants; a data-only run says MC is absent', { skip: real ? false : `shared data not found at ${looked}` }, async (t) => {
  const out = path.join(tmp, 'out-pt');
  const { stdout } = await cli(['run', '--data-dir', real!, '--n-workers', '0', '--out', out, '--selection', 'notebook-pt']);
  const j = readJson(path.join(out, 'histograms.json'));
  t.match(j.meta, { synthetic: false, datasetScale: 1, selection: 'notebook-pt', lumiFb: 10, variants: ['pt-cut'], mcPresent: false });
  t.match(readJson(path.join(out, 'run.json')).meta, { variants: ['pt-cut'], mcPresent: false });
  const md = readFileSync(path.join(out, 'cutflow.md'), 'utf8');
  t.match(md, /> variant of selection notebook-pt: pt-cut/);
  t.match(md, /> no MC sample in this run/);
  t.notMatch(md, /SYNTHETIC/);
  t.match(stdout, /note: no MC sample in this run: data only/);
  t.match(stdout, /note: variant of selection notebook-pt: pt-cut/);

  const cfg = path.join(tmp, 'd0.yaml');
  writeFileSync(cfg, 'selection: framework\ncorrected_d0: true\n');
  const out2 = path.join(tmp, 'out-d0');
  await cli(['run', '--config', cfg, '--data-dir', real!, '--n-workers', '0', '--out', out2]);
  t.match(readJson(path.join(out2, 'histograms.json')).meta, { selection: 'framework', variants: ['corrected_d0'] });
  t.match(readFileSync(path.join(out2, 'cutflow.csv'), 'utf8'), /^# variant of selection framework: corrected_d0/m);
});
