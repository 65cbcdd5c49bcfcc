/**
 * --skip-bad-files with a file damaged in the middle: its chunks before the damage read fine,
 * yet a skipped file contributes nothing — console, run.json, histograms.json, the cut flow and
 * the plot agree, in-process and on a 2-worker cluster.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { cliSandbox, readJson } from '../cli-sandbox.js';

const { tmp, cli } = cliSandbox(t, 'h4l-skip-');

const data = path.join(tmp, 'data');
const damaged = path.join(data, 'MC/mc_363490.llll.4lep.root');

t.before(async () => {
  // Two 10,000-entry baskets per branch: entries 0–9,999 read, 10,000–16,471 damaged.
  await generateDataset({ outDir: data, seed: 2, samples: ['data_A', { name: 'ggH125_ZZ4lep', entries: 300 }, { name: 'llll', entries: 16_472 }] });
  const b = readFileSync(damaged);
  const key = Buffer.from('\x07TBasket\x06lep_pt', 'latin1');
  const second = b.indexOf(key, b.indexOf(key) + 1);
  if (second < 0) throw new Error('the generated file has no second lep_pt basket');
  b.fill(0xff, second + 100, second + 400);   // inside the compressed payload
  writeFileSync(damaged, b);
});

for (const workers of ['0', '2']) {
  t.test(`a skipped file contributes nothing (--n-workers ${workers})`, async (t) => {
    const out = path.join(tmp, `out-${workers}`);
    const { stdout } = await cli(['run', '--data-dir', data, '--n-workers', workers, '--out', out, '--chunk-size', '10000', '--skip-bad-files', '--no-dashboard']);
    const j = readJson(path.join(out, 'histograms.json'));
    t.notOk('llll' in j.samples, 'no llll sample in histograms.json');
    t.notOk('ZZ' in j.groups, 'no ZZ group (llll is its only sample here)');
    t.same(j.meta.partialFiles.map((f: { sample: string }) => f.sample), ['llll']);
    t.match(j.meta.partialFiles[0], { file: damaged, reason: /cannot decompress/ });
    const r = readJson(path.join(out, 'run.json'));
    t.match(r.files.find((f: { sample: string }) => f.sample === 'llll'), { status: 'skipped', entries: 16_472, reason: /cannot decompress/ });
    t.equal(r.events, 39 + 300, 'events in the outputs: data_A and ggH only');
    t.equal(r.eventsLeftOut, 16_472);
    t.notMatch(readFileSync(path.join(out, 'cutflow.csv'), 'utf8'), /,llll,/, 'no llll rows in the cut flow');
    t.match(readFileSync(path.join(out, 'cutflow.md'), 'utf8'), /> partial: 1 input file skipped as bad input contributes nothing \(llll\)/);
    t.notMatch(stdout, /^ {2}llll +\d+ in/m, 'the console lists no llll events');
    t.match(stdout, /skipped bad files \(each contributes nothing to the outputs\):\n {2}llll +\S+mc_363490\.llll\.4lep\.root: cannot decompress/);
    t.notMatch(stdout, /mc_363490\.llll\.4lep\.root: \S+mc_363490/, 'the path is named once');
    t.match(stdout, /339 events in the outputs \(16,472 entries of skipped files left out\); [\d,]+ read in /);
    t.notMatch(readFileSync(path.join(out, 'm4l.svg'), 'utf8'), /Background ZZ\*/, 'the plot has no ZZ* legend entry');
  });
}
