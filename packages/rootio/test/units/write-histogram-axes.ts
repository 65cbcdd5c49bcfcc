/**
 * writeHistogram's axis errors name the field at fault and show its value as given: a range typed
 * as strings ('0', '200', as read from a config file) used to be refused as "need finite lo < hi,
 * got [0, 200]", which looks right, and a TH2D without ny as "y: nbins … got NaN".
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { histogramInput, openRootFile, RootFileWriter, type HistogramInput } from '@gluon/rootio';

t.test('each bad axis field is named with its value as given; nothing is written, the file goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-axes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'h.root');
  const w = await RootFileWriter.create(path);
  const contents = [0, 1, 2, 3, 4, 0];
  const h1 = (over: Partial<HistogramInput>) => ({ type: 'TH1D', name: 'h', nbins: 4, lo: 0, hi: 200, contents, ...over }) as HistogramInput;
  const refused: [Partial<HistogramInput>, string][] = [
    [{ lo: '0' as never }, 'writeHistogram(h): lo must be a finite number, got the string "0"'],
    [{ hi: '200' as never }, 'writeHistogram(h): hi must be a finite number, got the string "200"'],
    [{ lo: NaN }, 'writeHistogram(h): lo must be a finite number, got NaN'],
    [{ hi: Infinity }, 'writeHistogram(h): hi must be a finite number, got Infinity'],
    [{ lo: 200, hi: 0 }, 'writeHistogram(h): lo (200) must be below hi (0)'],
    [{ lo: 10, hi: 10 }, 'writeHistogram(h): lo (10) must be below hi (10)'],
    [{ nbins: '4' as never }, 'writeHistogram(h): nbins must be a positive integer, got the string "4"'],
    [{ nbins: 0 }, 'writeHistogram(h): nbins must be a positive integer, got 0'],
    [{ edges: [0, 50, 100, 150, 250] }, 'writeHistogram(h): lo and hi (0, 200) must equal the first and last of edges (0, 250)'],
  ];
  for (const [over, message] of refused) t.throws(() => w.writeHistogram(h1(over)), { message }, message);
  const n2 = 6 * 5;
  const h2 = (over: Partial<HistogramInput>) => ({ type: 'TH2D', name: 'h2', nbins: 4, lo: 0, hi: 1, ny: 3, ylo: 0, yhi: 1, contents: new Array(n2).fill(0), ...over }) as HistogramInput;
  t.throws(() => w.writeHistogram(h2({ ny: undefined })), { message: 'writeHistogram(h2): ny must be a positive integer, got undefined' });
  t.throws(() => w.writeHistogram(h2({ ylo: undefined })), { message: 'writeHistogram(h2): ylo must be a finite number, got undefined' });
  t.throws(() => w.writeHistogram(h2({ ylo: 2 })), { message: 'writeHistogram(h2): ylo (2) must be below yhi (1)' });
  t.throws(() => w.writeHistogram(h2({ yEdges: [0, 0.5, 0.5, 1] })), { message: 'writeHistogram(h2): yEdges must increase (yEdges[2] = 0.5 after 0.5)' });
  // A y axis under a 1-D type: it said `contents must have nbins + 2 = 6 values (with
  // under/overflow), got 30`, naming neither the type nor the y axis given, and with nbins + 2
  // contents it wrote a 1-D histogram, the y axis dropped without a word.
  t.throws(() => w.writeHistogram(h2({ type: 'TH1D' })), { message: "writeHistogram(h2): ny, ylo, yhi are a TH2D's y axis, but type is TH1D, which has none (type: 'TH2D' for a 2-D histogram)" });
  t.throws(() => w.writeHistogram(h1({ type: 'TH1F', ny: 3 })), { message: "writeHistogram(h): ny is a TH2D's y axis, but type is TH1F, which has none (type: 'TH2D' for a 2-D histogram)" });
  w.writeHistogram(h1({}));
  await w.close();
  const f = await openRootFile(path);
  t.same(f.keys().map((k) => k.name), ['h', 'StreamerInfo'], 'only the good histogram was written');
  t.same(Array.from((await f.histogram('h')).contents), contents);
  await f.close();
});

t.test('a histogram read from a file is written again through histogramInput; given as it is, the error says so', async (t) => {
  // Found by the data-engineer trial (merging per-file skims on the client): a read histogram
  // given to writeHistogram was refused as `unknown option "className"`, naming a field of the
  // reader's object and not the conversion to make, which had to be written by hand.
  const dir = mkdtempSync(join(tmpdir(), 'rootio-reread-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await RootFileWriter.create(join(dir, 'first.root'));
  const contents = Array.from({ length: 6 * 5 }, (_, i) => i % 7);
  first.writeHistogram({ type: 'TH2D', name: 'h2', title: 't2', nbins: 4, lo: 0, hi: 4, ny: 3, ylo: 0, yhi: 10, yEdges: [0, 1, 5, 10], contents, sumw2: contents.map((c) => 2 * c), entries: 77, xTitle: 'x', yTitle: 'y' });
  first.writeHistogram({ type: 'TH1F', name: 'h1', nbins: 3, lo: 0, hi: 3, edges: [0, 1, 2.5, 3], contents: [1, 2, 3, 4, 5] });
  await first.close();
  const read = await openRootFile(join(dir, 'first.root'));
  const [h2, h1] = [await read.histogram('h2'), await read.histogram('h1')];
  await read.close();
  const again = await RootFileWriter.create(join(dir, 'again.root'));
  t.throws(() => again.writeHistogram(h2 as never), { name: 'TypeError', message: 'writeHistogram(h2): this is a histogram as the reader returns it (className TH2D, dimension, x, y…), not what writeHistogram takes: give histogramInput(h) (from @gluon/rootio), which makes one of it' });
  t.throws(() => histogramInput({ ...h1, className: 'TH3D' }), { name: 'TypeError', message: 'histogramInput(h1): it is a TH3D, and the writer writes TH1D, TH1F and TH2D' });
  again.writeHistogram(histogramInput(h2, 'h2copy'));
  again.writeHistogram(histogramInput(h1));
  await again.close();
  const back = await openRootFile(join(dir, 'again.root'));
  const [c2, c1] = [await back.histogram('h2copy'), await back.histogram('h1')];
  await back.close();
  for (const [copy, orig] of [[c2, h2], [c1, h1]] as const) {
    t.same({ ...copy, name: orig.name }, orig, `${orig.name}: the same histogram read back (class, axes, edges, bins, sumw2, entries, titles)`);
  }
  t.equal(c1.sumw2.length, 0, 'an unweighted one stays without sumw2');
});
