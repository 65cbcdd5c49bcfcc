/**
 * Bad input: a truncated file, a non-ROOT file, a missing branch, an unreachable URL. By default
 * the run stops with an error naming the file and the reason; with skipBadFiles it completes and
 * lists every skipped file.
 */
import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runAnalysis, processChunk, sampleByName, openTree } from '@gluon/analysis-h4l';
import { opendataDir } from '../data-path.js';

const { dir: real, looked } = opendataDir();
if (!real) {
  t.skip(`shared data not found at ${looked}`, () => {});
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'h4l-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'Data'));
  const good = path.join(dir, 'Data/data_A.4lep.root');
  copyFileSync(path.join(real, 'Data/data_A.4lep.root'), good);
  const bytes = readFileSync(path.join(real, 'Data/data_B.4lep.root'));
  const truncated = path.join(dir, 'Data/data_B.4lep.root');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const notRoot = path.join(dir, 'Data/data_C.4lep.root');
  writeFileSync(notRoot, 'this is not a ROOT file\n'.repeat(50));
  const base = { dataDir: dir, selection: 'notebook' as const, lumiFb: 10, chunkSize: 100, dashboard: false, publish: false };

  t.test('default: the run stops with an error naming the bad file', async (t) => {
    await t.rejects(runAnalysis({ ...base, nWorkers: 0, skipBadFiles: false }),
      { message: /bad input file .*data_[BC]\.4lep\.root: / });
  });

  t.test('skip_bad_files: completes, good file counted, bad files listed with reasons', async (t) => {
    const r = await runAnalysis({ ...base, nWorkers: 0, skipBadFiles: true });
    t.equal(r.result.samples.data_A.cutflow.raw[2], 27, 'data_A still selected 27');
    const skipped = r.files.filter((f) => f.status === 'skipped').map((f) => path.basename(f.file)).sort();
    t.same(skipped, ['data_B.4lep.root', 'data_C.4lep.root']);
    // The reason says why; the file is named once, in f.file (not repeated in the reason).
    for (const f of r.files.filter((x) => x.status === 'skipped')) { t.ok(f.reason); t.notMatch(f.reason, path.basename(f.file)); }
  });

  t.test('skip_bad_files on a 2-worker cluster', async (t) => {
    // publish on: the running histogram and the failures/h4l list go to the scheduler.
    const r = await runAnalysis({ ...base, nWorkers: 2, skipBadFiles: true, publish: true });
    t.equal(r.result.samples.data_A.cutflow.raw[2], 27);
    t.equal(r.files.filter((f) => f.status === 'skipped').length, 2);
  });

  t.test('a missing branch and a range past the end name the file', async (t) => {
    const tree = await openTree(good);
    await t.rejects(tree.arrays(['lep_pt', 'lep_nope'], 0, 10), { name: 'BadInputError', message: /data_A\.4lep\.root: missing branch lep_nope/ });
    await tree.close();
    await t.rejects(processChunk(good, sampleByName('data_A'), { entryStart: 0, entryStop: 99 }, { selection: 'notebook', lumiFb: 10 }),
      /data_A\.4lep\.root: entry range 0–99 exceeds its 39 entries/);
    const r = await processChunk(truncated, sampleByName('data_B'), { entryStart: 0, entryStop: 10 }, { selection: 'notebook', lumiFb: 10, skipBadFiles: true });
    t.equal(r.skipped.length, 1, 'skipped instead of thrown');
    t.match(r.skipped[0], { file: truncated, sample: 'data_B' });
  });

  t.test('an unreachable URL fails naming the URL', async (t) => {
    await t.rejects(runAnalysis({ ...base, dataDir: 'http://127.0.0.1:9/4lep', nWorkers: 0, skipBadFiles: false }),
      /bad input file http:\/\/127\.0\.0\.1:9\/4lep\/Data\/data_A\.4lep\.root: cannot reach it/);
  });
}
