/**
 * generateDataset: the files land in the real layout, jsroot reads every one with the real
 * file's branch classes, rootio reads back exactly the generated columns, entries follow --scale.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile } from '@gluon/rootio';
import { generateDataset, generateSampleColumns, planSamples, MINI_SCHEMA, GENERATED_SAMPLES, type JaggedColumn } from '../../src/generate/index.js';

const dir = mkdtempSync(join(tmpdir(), 'h4l-gen-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('every file is readable by jsroot with the mini schema, and rootio reads back the generated events', async (t) => {
  const m = await generateDataset({ outDir: join(dir, 'a'), scale: 0.01, seed: 9 });
  t.same(m.samples.map((s) => s.sample), GENERATED_SAMPLES);
  t.same(m.samples.map((s) => s.file).slice(0, 5), ['Data/data_A.4lep.root', 'Data/data_B.4lep.root', 'Data/data_C.4lep.root',
    'Data/data_D.4lep.root', 'MC/mc_361106.Zee.4lep.root']);
  t.same(JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8')).samples, m.samples);
  const { openFile } = await import('jsroot');
  const { treeProcess, TSelector } = await import('jsroot/tree');
  const cls: Record<string, string> = { bool: 'bool', int32: 'int', uint32: 'unsigned int', float: 'float' };
  const leaf: Record<string, string> = { bool: 'TLeafO', int32: 'TLeafI', uint32: 'TLeafI', float: 'TLeafF' };
  for (const s of m.samples) {
    const tree = await (await openFile(join(dir, 'a', s.file))).readObject('mini');
    t.equal(tree.fEntries, s.entries, `${s.file}: entries`);
    const got = tree.fBranches.arr.map((b: { fName: string; fClassName?: string; fLeaves: { arr: { _typename: string }[] } }) =>
      `${b.fName}:${b.fClassName || b.fLeaves.arr[0]._typename}`);
    t.same(got, MINI_SCHEMA.map((b) => `${b.name}:${b.jagged ? `vector<${cls[b.type]}>` : leaf[b.type]}`), `${s.file}: branches`);
    // jsroot decodes every entry of a few branches of each kind.
    const sel = new TSelector();
    for (const b of ['lep_pt', 'lep_type', 'lep_charge', 'trigE', 'lep_n', 'mcWeight', 'jet_pt']) sel.addBranch(b);
    let n = 0, leps = 0;
    sel.Process = function (this: { tgtobj: { lep_pt: number[]; lep_n: number } }) {
      n++;
      if (this.tgtobj.lep_pt.length === this.tgtobj.lep_n) leps++;
    };
    await treeProcess(tree, sel);
    t.equal(n, s.entries, `${s.file}: jsroot read every entry`);
    t.equal(leps, s.entries, `${s.file}: lep_pt sizes equal lep_n`);
  }
  // rootio reads back exactly what the generator produces for that seed.
  const f = await openRootFile(join(dir, 'a', 'MC/mc_341964.WH125_ZZ4lep.4lep.root'));
  const tree = await f.tree('mini');
  const names = MINI_SCHEMA.map((b) => b.name);
  const back = await tree.arrays(names);
  const want = generateSampleColumns('WH125_ZZ4lep', tree.numEntries, 9);
  for (const b of MINI_SCHEMA) {
    const x = back[b.name] as unknown, y = want[b.name];
    if (b.jagged) {
      t.same(Array.from((x as JaggedColumn).offsets), Array.from((y as JaggedColumn).offsets), `${b.name} offsets`);
      t.same(Array.from((x as JaggedColumn).values, Number), Array.from((y as JaggedColumn).values, Number), `${b.name} values`);
    } else {
      t.same(Array.from(x as ArrayLike<number>, Number), Array.from(y as ArrayLike<number>, Number), b.name);
    }
  }
  await f.close();
});

t.test('--scale sets entry counts proportionally; bad options are named', async (t) => {
  const m = await generateDataset({ outDir: join(dir, 'b'), scale: 0.02, seed: 9, samples: ['data_D', 'Zee', { name: 'llll', entries: 123 }] });
  t.same(m.samples.map((s) => s.entries), [8, 18, 123]);
  t.same(planSamples({ scale: 100, samples: ['ggH125_ZZ4lep'] }), [{ name: 'ggH125_ZZ4lep', entries: 16471600 }]);
  t.same(planSamples({ scale: 0.01 }).map((p) => p.entries), [1, 2, 2, 4, 9, 7, 10, 5543, 1647, 1911, 154, 145]);
  t.throws(() => planSamples({ scale: 1000 }), /scale must be a number from 0.01 to 100, got 1000/);
  t.throws(() => planSamples({ samples: ['Ztautau'] }), /unknown sample "Ztautau"/);
  await t.rejects(generateDataset({ outDir: '', scale: 1 }), /outDir is required/);
  await t.rejects(generateDataset({ outDir: join(dir, 'negative-seed'), seed: -3 }), /seed must be a non-negative integer, got -3/);
});

t.test('the same seed writes byte-identical files; another seed does not', async (t) => {
  const opts = { scale: 0.02, samples: ['data_B', 'Zmumu', { name: 'ggH125_ZZ4lep', entries: 300 }] };
  const one = await generateDataset({ outDir: join(dir, 's1'), seed: 5, ...opts });
  const two = await generateDataset({ outDir: join(dir, 's2'), seed: 5, ...opts });
  const other = await generateDataset({ outDir: join(dir, 's3'), seed: 6, ...opts });
  for (let i = 0; i < one.samples.length; i++) {
    const f = one.samples[i]!.file;
    t.ok(readFileSync(join(dir, 's1', f)).equals(readFileSync(join(dir, 's2', f))), `${f}: identical bytes for seed 5`);
    t.notOk(readFileSync(join(dir, 's1', f)).equals(readFileSync(join(dir, 's3', other.samples[i]!.file))), `${f}: seed 6 differs`);
  }
  t.equal(two.samples.length, one.samples.length);
});

t.test('written on several threads, the files are byte-identical to a serial run, listed in plan order', async (t) => {
  const opts = { scale: 0.02, seed: 5, samples: ['data_B', { name: 'llll', entries: 2000 }, 'Zmumu', { name: 'ggH125_ZZ4lep', entries: 700 }] };
  const serial = await generateDataset({ outDir: join(dir, 't1'), ...opts });
  const lines: string[] = [];
  const threaded = await generateDataset({ outDir: join(dir, 't3'), threads: 3, log: (l) => lines.push(l), ...opts });
  t.same(threaded.samples, serial.samples, 'the same manifest, in the order asked for');
  t.equal(lines.length, serial.samples.length, 'one progress line per file');
  for (const s of serial.samples) t.ok(readFileSync(join(dir, 't1', s.file)).equals(readFileSync(join(dir, 't3', s.file))), `${s.file}: identical bytes`);
  await t.rejects(generateDataset({ outDir: join(dir, 't3'), threads: 0, ...opts }), /threads must be a positive integer, got 0/);
  // A dataset folder that cannot be made is named before any thread starts (dataset-lock.ts).
  writeFileSync(join(dir, 'plain-file'), 'x');
  await t.rejects(generateDataset({ outDir: join(dir, 'plain-file'), threads: 2, ...opts }), { message: `cannot make the dataset folder ${join(dir, 'plain-file')}: a file is there, not a folder` });
  // A thread's failure names the sample it was writing: here MC/ is a file.
  mkdirSync(join(dir, 'mc-blocked'));
  writeFileSync(join(dir, 'mc-blocked', 'MC'), 'x');
  await t.rejects(generateDataset({ outDir: join(dir, 'mc-blocked'), threads: 2, ...opts }), /generating (llll|Zmumu|ggH125_ZZ4lep): .*(ENOTDIR|EEXIST)/);
});
