/**
 * Acceptance on the real ATLAS Open Data files: selection A reproduces the spec's published
 * counts and histograms bin for bin, in-process and through a 2-worker LocalCluster with small
 * chunks (so treeReduce merges many partial results); both give identical results.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { runAnalysis, type RunReport } from '@gluon/analysis-h4l';
import { opendataDir } from '../data-path.js';

const { dir, looked } = opendataDir();
const REF = {
  data_A: '1 3 4 0 0 1 0 0 1 1 0 1 1 0 0 0 0 0 0 0 0 1 0 0 0 2 0 1 0 0 0 1 0 1',
  data_B: '1 1 5 0 1 2 3 0 5 0 2 0 1 2 0 0 2 2 3 0 1 2 2 4 3 1 2 2 1 1 0 0 3 4',
  data_C: '1 13 11 3 0 2 3 2 5 4 4 4 1 4 3 4 5 2 1 1 7 3 2 3 2 4 1 3 1 4 3 1 3 1',
  data_D: '3 11 19 5 2 1 1 6 13 7 4 3 6 5 4 2 4 2 3 4 7 10 4 8 6 5 7 3 4 8 5 6 4 3',
  sum: '6 28 39 8 3 6 7 8 24 12 10 8 9 11 7 6 11 6 7 5 15 16 8 15 11 12 10 9 6 13 8 8 10 9',
};
const REF_PT = {
  data_A: '1 1 2 0 0 1 0 0 0 1 0 0 1 0 0 0 0 0 0 0 0 1 0 0 0 2 0 1 0 0 0 1 0 1',
  data_B: '0 0 2 0 1 1 3 0 2 0 2 0 1 1 0 0 2 1 2 0 1 2 1 3 3 1 1 2 1 1 0 0 3 3',
  data_C: '0 8 4 2 0 0 2 1 3 3 4 2 1 3 3 3 5 2 1 1 7 2 2 3 2 3 1 3 1 4 3 1 3 1',
  data_D: '1 4 8 2 1 1 0 4 12 5 4 3 5 4 4 2 4 2 1 4 6 10 4 8 6 5 7 3 4 8 4 6 4 3',
  sum: '2 13 16 4 2 3 5 5 17 9 10 5 8 8 7 5 11 5 4 5 14 15 7 14 11 11 9 9 6 13 7 8 10 8',
};
const ENTRIES = { data_A: 39, data_B: 156, data_C: 237, data_D: 400 };
const SELECTED = { data_A: 27, data_B: 86, data_C: 146, data_D: 248 };
const SELECTED_PT = { data_A: 21, data_B: 66, data_C: 116, data_D: 209 };

function check(t: Test, r: RunReport, pt: boolean): void {
  const ref = pt ? REF_PT : REF;
  const sum = new Float64Array(34);
  for (const name of Object.keys(ENTRIES) as (keyof typeof ENTRIES)[]) {
    const s = r.result.samples[name];
    t.ok(s, `${name} present`);
    const cf = s.cutflow;
    t.equal(cf.raw[0], ENTRIES[name], `${name} entries`);
    t.equal(cf.raw[cf.raw.length - 1], (pt ? SELECTED_PT : SELECTED)[name], `${name} selected`);
    const bins = Array.from(s.hists.m4l.sumw.subarray(1, 35));
    t.equal(bins.join(' '), ref[name], `${name} m4l bin for bin`);
    bins.forEach((v, i) => (sum[i] += v));
  }
  t.equal(Array.from(sum).join(' '), ref.sum, 'summed m4l bin for bin');
  t.equal(r.result.events, 832);
}

if (!dir) {
  t.skip(`shared data not found at ${looked}`, () => {});
} else {
  const base = { dataDir: dir, lumiFb: 10, skipBadFiles: false, dashboard: false, publish: false } as const;
  let serial: RunReport, cluster: RunReport;
  t.test('selection A in-process (serial reference)', async (t) => {
    serial = await runAnalysis({ ...base, selection: 'notebook', nWorkers: 0, chunkSize: 60 });
    check(t, serial, false);
  });
  t.test('selection A and A+pT on a 2-worker LocalCluster, small chunks, identical to serial', async (t) => {
    cluster = await runAnalysis({ ...base, selection: 'notebook', nWorkers: 2, chunkSize: 40, fanIn: 3 });
    t.equal(cluster.mode, 'local-cluster');
    t.ok(cluster.result.chunks > 16, `merged ${cluster.result.chunks} chunks`);
    check(t, cluster, false);
    for (const [k, s] of Object.entries(serial.result.samples)) {
      t.same(Array.from(cluster.result.samples[k].hists.m4l.sumw), Array.from(s.hists.m4l.sumw), `${k}: cluster == serial`);
      t.same(Array.from(cluster.result.samples[k].cutflow.raw), Array.from(s.cutflow.raw));
    }
    const withPt = await runAnalysis({ ...base, selection: 'notebook-pt', nWorkers: 2, chunkSize: 100 });
    check(t, withPt, true);
  });
  t.test('A+pT in-process', async (t) => {
    check(t, await runAnalysis({ ...base, selection: 'notebook-pt', nWorkers: 0, chunkSize: 1000 }), true);
  });
  t.test('--scheduler: an existing scheduler and its workers', async (t) => {
    const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    t.teardown(() => cluster.close());
    const r = await runAnalysis({ ...base, selection: 'notebook', nWorkers: 0, scheduler: cluster.schedulerAddress, chunkSize: 200 });
    t.equal(r.mode, 'scheduler');
    check(t, r, false);
  });
}
