import t from 'tap';
import { selectColumns, sampleByName, SAMPLES } from '@gluon/analysis-h4l';
import { columns, lep } from '../events.js';

/**
 * Spec 3.1: the framework (2020–2021) replaced mcWeight by its sign for single-top samples (job
 * option containing "single"); every other factor of the event weight stays.
 */
const fourMu = [lep(50, 1, 13), lep(40, -1, 13, { phi: 3 }), lep(30, 1, 13, { phi: 1 }), lep(20, -1, 13, { phi: -1 })];
const cols = (mcWeight: number[]) => ({
  ...columns(mcWeight.map(() => ({ leps: fourMu }))),
  mcWeight, scaleFactor_PILEUP: mcWeight.map(() => 0.5), scaleFactor_ELE: mcWeight.map(() => 2),
  scaleFactor_MUON: mcWeight.map(() => 1.5), scaleFactor_LepTRIGGER: mcWeight.map(() => 1),
});
const weightedAll = (sample: string, mcWeight: number[]) =>
  selectColumns(cols(mcWeight) as unknown as Record<string, unknown>, sampleByName(sample), { selection: 'framework', lumiFb: 10 }).cutflow.weighted[0];

t.test('framework: single-top samples weigh events by the sign of mcWeight', async (t) => {
  const singleTop = SAMPLES.filter((s) => s.name.includes('single')).map((s) => s.name);
  t.equal(singleTop.length, 6, 'the six single-top samples');
  // Scale factors multiply to 1.5; mcWeight 2.5 → +1, -0.7 → -1, 4 → +1.
  for (const name of singleTop) t.equal(weightedAll(name, [2.5, -0.7, 4]), 1.5, name);
});

t.test('framework: other MC samples keep the full mcWeight', async (t) => {
  t.equal(weightedAll('ttbar_lep', [2.5, -0.7, 4]), (2.5 - 0.7 + 4) * 1.5);
  t.equal(weightedAll('Zee', [2, 2]), 6);
});

t.test('notebook selection: no sign-only rule (it has no single-top samples, and its weight is the notebook\'s)', async (t) => {
  const sel = selectColumns(cols([2.5, -0.7]) as unknown as Record<string, unknown>, sampleByName('ttbar_lep'), { selection: 'notebook', lumiFb: 10 });
  t.ok(Math.abs(sel.cutflow.weighted[0] - (2.5 - 0.7) * 1.5 * 10 * 1000 * 452.693559 / 49386600) < 1e-9);
});
