/**
 * generateDataset puts its files in place only once all are whole (src/generate/staging.ts): an
 * abort or a failure part-way leaves the folder as it was, an earlier dataset there included.
 * Before, each file was written in place: a stop left cut files beside whole ones and no
 * manifest.json, and the whole ones read as real ATLAS data; regenerating over a dataset and
 * stopping left a mix of both.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDataset, GenerateInterruptedError } from '../../src/generate/index.js';
import { snapshot } from '../dir-snapshot.js';

const dir = mkdtempSync(path.join(tmpdir(), 'h4l-gen-staging-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const samples = ['data_A', 'data_B', 'Zee', 'ZH125_ZZ4lep'];

t.test('aborted after its first file, over an earlier dataset: that dataset is left as it was', async (t) => {
  const out = path.join(dir, 'again');
  await generateDataset({ outDir: out, scale: 0.05, seed: 2, samples });
  const before = snapshot(out);
  const stop = new AbortController();
  const lines: string[] = [];
  const e = await generateDataset({
    outDir: out, scale: 0.05, seed: 3, samples, signal: stop.signal,
    log: (l) => { lines.push(l); stop.abort('SIGTERM'); },
  }).then(() => undefined, (x: unknown) => x);
  t.ok(e instanceof GenerateInterruptedError, `rejects with a GenerateInterruptedError: ${e}`);
  const g = e as GenerateInterruptedError;
  t.same([g.signal, g.exitCode, g.written, g.total], ['SIGTERM', 143, 1, 4], 'the signal, its exit code, 1 of 4 files written');
  t.equal(lines.length, 1, 'one file said written');
  t.match(lines[0], /^Data\/data_A\.4lep\.root: /, 'the first of the plan (one thread)');
  t.ok(g.removed.files.includes('Data/data_A.4lep.root.partial'), `the written file's .partial removed: ${g.removed.files.join(', ')}`);
  t.same(g.removed.folders, [], 'no folder removed: they were there before');
  t.same(snapshot(out), before, 'the earlier dataset, byte for byte, and nothing else');
  t.equal(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).seed, 2, 'its manifest');
});

t.test('a sample that cannot be written: the ones written before it are removed, and the folders made', async (t) => {
  const out = path.join(dir, 'mc-is-a-file');
  mkdirSync(out);
  writeFileSync(path.join(out, 'MC'), 'a file where the MC folder goes');
  const before = snapshot(out);
  await t.rejects(generateDataset({ outDir: out, scale: 0.05, seed: 2, samples }), /ENOTDIR|EEXIST/);
  t.same(snapshot(out), before, 'no Data/ folder, no .partial file, no manifest.json');
});

t.test('.partial files a generate killed outright left are removed and named by the next, also of samples it does not write', async (t) => {
  const out = path.join(dir, 'killed');
  mkdirSync(path.join(out, 'MC'), { recursive: true });
  mkdirSync(path.join(out, 'Data'), { recursive: true });
  // What a kill -9 leaves: cut files under their .partial names (and its lock, taken over: runs/dataset-lock.ts).
  const left = ['Data/data_C.4lep.root.partial', 'MC/mc_363490.llll.4lep.root.partial', 'manifest.json.partial'];
  for (const f of left) writeFileSync(path.join(out, f), 'cut short');
  writeFileSync(path.join(out, 'notes.partial'), 'mine'); // not a generator's file: left alone
  const lines: string[] = [];
  await generateDataset({ outDir: out, scale: 0.01, seed: 2, samples: ['data_A'], log: (l) => lines.push(l) });
  t.same(lines[0], `removed 3 .partial files left in ${out} by a generate stopped outright (kill -9, a crash; no run reads them): ${left.join(', ')}`);
  t.same(Object.keys(snapshot(out)).filter((f) => f.endsWith('.partial')), ['notes.partial'], 'only the user\'s file of that name is left');
  t.equal(readFileSync(path.join(out, 'notes.partial'), 'utf8'), 'mine');
});
