/**
 * A local path that does not exist says which part is missing and the name it likely meant. The
 * reader used to answer every one with a bare "no such file": a case slip in the file's name
 * (data_a for data_A), a letter dropped from the extension, a typo in a folder higher up, or a
 * file used as a folder, each sent the user through the whole path by hand.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openRootFile } from '@gluon/rootio';
import { missingPathReason } from '../../src/missing-path.js';
import { nearNames } from '../../src/near-names.js';

t.test('opening a missing local file names what is missing and the near names', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-missing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'atlas-4lep', 'Data');
  mkdirSync(data, { recursive: true });
  for (const x of 'ABCD') writeFileSync(join(data, `data_${x}.4lep.root`), 'root');
  writeFileSync(join(data, 'README'), '');
  const cases: [string, string][] = [
    [join(data, 'data_a.4lep.root'), '(did you mean data_A.4lep.root?)'],
    [join(data, 'data_A.4lep.roo'), '(did you mean data_A.4lep.root?)'],
    [join(data, 'data_E.4lep.root'), `(${data} holds 4 entries ending .root: data_A.4lep.root, data_B.4lep.root, data_C.4lep.root, data_D.4lep.root)`],
    [join(dir, 'atlas-4lap', 'Data', 'data_A.4lep.root'), `(no atlas-4lap in ${dir}; did you mean atlas-4lep?)`],
    [join(dir, 'atlas-4lep', 'Dat', 'data_A.4lep.root'), `(no Dat in ${join(dir, 'atlas-4lep')}; did you mean Data?)`],
    [join(dir, 'elsewhere', 'x.root'), `(no elsewhere in ${dir})`],
    [join(data, 'data_A.4lep.root', 'mini'), `(${join(data, 'data_A.4lep.root')} is a file, not a directory)`],
    // uproot's "file.root:object" (it said only "no such file").
    [`${join(data, 'data_A.4lep.root')}:mini`, `(openRootFile takes the file alone, not uproot's "file.root:object": open ${join(data, 'data_A.4lep.root')}, then ask it for mini (file.tree("mini"), file.histogram(…), file.object(…)))`],
    [`${join(data, 'data_B.4lep.root')}:dir/sub/tree`, `(openRootFile takes the file alone, not uproot's "file.root:object": open ${join(data, 'data_B.4lep.root')}, then ask it for dir/sub/tree (file.tree("dir/sub/tree"), file.histogram(…), file.object(…)))`],
    [`${join(data, 'data_C.4lep.root')}:`, `(openRootFile takes the file alone, not uproot's "file.root:object": open ${join(data, 'data_C.4lep.root')})`],
  ];
  for (const [path, said] of cases) {
    await t.rejects(openRootFile(path), { name: 'RootIOError', path, message: `${path}: no such file ${said}` }, path);
  }
  // A relative path is reported as given; its directory is looked at from the working directory.
  const rel = relative(process.cwd(), join(data, 'data_b.4lep.root'));
  await t.rejects(openRootFile(rel), { path: rel, message: `${rel}: no such file (did you mean data_B.4lep.root?)` });
  await t.rejects(openRootFile(new URL(`file://${join(data, 'Data_C.4lep.root')}`)), { message: /Data_C\.4lep\.root: no such file \(did you mean data_C\.4lep\.root\?\)$/ });
  // A directory with nothing like it: the plain message.
  await t.rejects(openRootFile(join(data, 'zz')), { message: `${join(data, 'zz')}: no such file` });
});

t.test('the decision alone', async (t) => {
  t.equal(missingPathReason('/a/b.root', null), 'no such file', 'nothing of the path exists');
  t.equal(missingPathReason('/a/b.root', { path: '/a', isDirectory: true, entries: [] }), 'no such file');
  t.equal(missingPathReason('/a/b/c/d.root', { path: '/a', isDirectory: true, entries: ['bb'] }), 'no such file (no b in /a)', 'names under 3 letters suggest nothing');
  t.same(nearNames('lep.root', ['Lep.root', 'LEP.root', 'lap.root']), ['Lep.root', 'LEP.root'], 'a case match wins over an edit');
  t.same(nearNames('data_A.4lep.rot', ['data_A.4lep.root', 'data_B.4lep.root']), ['data_A.4lep.root'], 'only the nearest');
  t.same(nearNames('abcdefgh', ['abcdefXY', 'abXYefgh']), ['abcdefXY', 'abXYefgh'], 'two edits allowed from 8 letters');
  t.same(nearNames('abcdefg', ['abcdeXY']), [], 'one edit under 8 letters');
  // Two-letter names (hh, h1, pt, px) said nothing until 2026-12-07: hx for hh was not offered hh.
  t.same(nearNames('hx', ['hh', 'h1', 'mass']), ['hh', 'h1'], 'a two-letter name is offered its one-edit neighbours');
  t.same(nearNames('ps', ['pt', 'px', 'eta']), ['pt', 'px'], 'a two-letter branch name too');
  t.same(nearNames('et', ['pt', 'eta']), ['pt', 'eta'], 'a letter dropped from a three-letter name');
  t.same(nearNames('hx', ['h0', 'h1', 'h2', 'h3', 'mass']), [], 'more than three equally near two-letter names are a family: none offered');
  t.same(nearNames('x', ['y', 'xy']), [], 'a one-letter name is offered nothing by edits');
  // Until 2026-12-08 a swap of neighbouring letters was two edits, and a fixed-size array's branch,
  // named with its dimension, was not offered for the name without it.
  t.same(nearNames('mnii', ['mini', 'mono']), ['mini'], 'a transposed pair of letters is one edit');
  t.same(nearNames('lep_tp', ['lep_pt', 'lep_n']), ['lep_pt'], 'a transposition in a longer name');
  t.same(nearNames('Jet.Tau', ['Jet.TauTag', 'Jet.Tau[5]', 'GenJet.Tau[5]']), ['Jet.Tau[5]'], 'a name without its trailing [n] dimension');
  t.same(nearNames('m.x', ['m.x[3][4]', 'm.y']), ['m.x[3][4]'], 'several trailing dimensions');
  t.same(nearNames('X', ['x', 'y']), ['x'], 'but its other case still is');
});
