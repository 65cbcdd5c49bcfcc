/**
 * folderBelowHint: a --data-dir whose files are partly unusable (the folder above the dataset,
 * ../shared/data, holds root-testfiles/ of other trees beside atlas-opendata-13tev-2020-4lep/)
 * names the folders one level down that hold only good files, in the words given. The run named
 * only the first unrelated file it met. Pure: judged on counts made up here.
 */
import t from 'tap';
import path from 'node:path';
import { folderBelowHint, type FileCount } from '@gluon/analysis-finalstates';

const BRANCHES = ['lep_pt', 'lep_eta'];
const good = (file: string): FileCount => ({ file, entries: 10, clusters: [0, 10], branches: [...BRANCHES, 'extra'] });
const noTree = (file: string): FileCount => ({ file, error: 'no tree "mini"' });

t.test('the folder above the dataset names the one folder below whose files are all good, relative as given', async (t) => {
  const dir = path.resolve('above');
  const counts = [good(path.join(dir, 'atlas', 'Data', 'data_A.4lep.root')), good(path.join(dir, 'atlas', 'Data', 'data_B.4lep.root')),
    noTree(path.join(dir, 'testfiles', 'uproot-HZZ.root')), good(path.join(dir, 'testfiles', 'other.root'))];
  t.equal(folderBelowHint('above', counts, BRANCHES),
    'under above, its folder atlas holds only files the run can read (Data/data_A.4lep.root, …): give above/atlas instead');
  t.equal(folderBelowHint('../x/above', counts.map((c) => ({ ...c, file: c.file.replace(dir, path.resolve('../x/above')) })), BRANCHES),
    'under ../x/above, its folder atlas holds only files the run can read (Data/data_A.4lep.root, …): give ../x/above/atlas instead');
  // One file: no '…'.
  t.equal(folderBelowHint(dir, [good(path.join(dir, 'atlas', 'a.root')), noTree(path.join(dir, 'b.root'))], BRANCHES),
    `under ${dir}, its folder atlas holds only files the run can read (a.root): give ${path.join(dir, 'atlas')} instead`);
});

t.test('a missing branch makes a file bad too; several good folders are all named', async (t) => {
  const dir = path.resolve('d');
  const missing: FileCount = { file: path.join(dir, 'c', 'x.root'), entries: 1, clusters: [0, 1], branches: ['lep_pt'] };
  t.equal(folderBelowHint(dir, [good(path.join(dir, 'a', 'x.root')), good(path.join(dir, 'b', 'y.root')), missing], BRANCHES),
    `under ${dir}, its folders a, b hold only files the run can read: give one of ${path.join(dir, 'a')}, ${path.join(dir, 'b')} instead`);
});

t.test('nothing to say when every file is good, no folder is wholly good, or the files are the directory\'s own', async (t) => {
  const dir = path.resolve('d');
  t.equal(folderBelowHint(dir, [good(path.join(dir, 'a', 'x.root')), good(path.join(dir, 'y.root'))], BRANCHES), undefined, 'all good');
  t.equal(folderBelowHint(dir, [good(path.join(dir, 'a', 'x.root')), noTree(path.join(dir, 'a', 'y.root'))], BRANCHES), undefined, 'the folder mixes');
  t.equal(folderBelowHint(dir, [good(path.join(dir, 'x.root')), noTree(path.join(dir, 'y.root'))], BRANCHES), undefined, 'no folder below');
  const file = path.join(dir, 'one.root');
  t.equal(folderBelowHint(file, [noTree(file)], BRANCHES), undefined, 'a file given');
});
