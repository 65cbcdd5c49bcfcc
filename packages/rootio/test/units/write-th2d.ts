import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { openRootFile, RootFileWriter } from '@gluon/rootio';

/** A TH2D written by our writer reads back, in jsroot (the reference) and in our reader, bin for bin. */
t.test('TH2D: regular x, variable y, under/overflow, sumw2 and statistics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-th2d-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'h2.root');
  const nx = 4;
  const ny = 3;
  const yEdges = [0, 1, 5, 10];
  const n = (nx + 2) * (ny + 2);
  const contents = Array.from({ length: n }, (_, i) => (i * 7) % 11);
  const sumw2 = contents.map((c) => c * 1.5);
  const w = await RootFileWriter.create(path);
  w.writeHistogram({ type: 'TH2D', name: 'h2', title: 'two dims', nbins: nx, lo: -2, hi: 2, ny, ylo: 0, yhi: 10, yEdges, contents, sumw2, xTitle: 'x [GeV]', yTitle: 'y' });
  t.throws(() => w.writeHistogram({ type: 'TH2D', name: 'bad', nbins: nx, lo: -2, hi: 2, ny, ylo: 0, yhi: 10, contents: contents.slice(1) }),
    /contents must have \(nbins \+ 2\)·\(ny \+ 2\) = 30 values/);
  t.throws(() => w.writeHistogram({ type: 'TH2D', name: 'bad', nbins: nx, lo: -2, hi: 2, contents }), /ny must be a positive integer, got undefined/);
  await w.close();

  const j = (await (await openFile(path)).readObject('h2')) as Record<string, any>;
  t.equal(j._typename, 'TH2D');
  t.same(Array.from(j.fArray as ArrayLike<number>), contents, 'jsroot reads every bin');
  t.same(Array.from(j.fSumw2 as ArrayLike<number>), sumw2);
  t.same([j.fXaxis.fNbins, j.fXaxis.fXmin, j.fXaxis.fXmax, j.fXaxis.fTitle], [nx, -2, 2, 'x [GeV]']);
  t.same(Array.from(j.fYaxis.fXbins as ArrayLike<number>), yEdges);
  // Statistics over the bins proper, as ROOT's TH2::GetStats would give them.
  let swxy = 0;
  for (let iy = 1; iy <= ny; iy++) {
    for (let ix = 1; ix <= nx; ix++) {
      const x = -2 + (ix - 0.5);
      const y = (yEdges[iy - 1]! + yEdges[iy]!) / 2;
      swxy += contents[ix + (nx + 2) * iy]! * x * y;
    }
  }
  t.ok(Math.abs(j.fTsumwxy - swxy) < 1e-9, `fTsumwxy ${j.fTsumwxy}`);

  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const h = await f.histogram('h2');
  t.equal(h.dimension, 2);
  t.same(Array.from(h.contents), contents, 'our reader too');
  t.same(Array.from(h.y!.edges!), yEdges);
  t.equal(h.yTitle, 'y');
});
