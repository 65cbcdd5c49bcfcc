import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Column } from '@gluon/rootio';

/**
 * ROOT's offset-map I/O option (scikit-hep-testdata's uproot-small-dy-nooffsets.root): every
 * basket header has a negative fNevBufSize and one extra byte, and jagged baskets carry no entry
 * offsets. The same events written the ordinary way (…-withoffsets.root) are the reference.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

function plain(c: Column): unknown {
  if (ArrayBuffer.isView(c)) return Array.from(c as ArrayLike<unknown>);
  if ('offsets' in c) return { offsets: Array.from(c.offsets), values: Array.from(c.values as ArrayLike<unknown>) };
  return c;
}

t.test('a file written with the offset-map option reads as the same file written without it', async (t) => {
  const bare = await openRootFile(fixture('uproot-small-dy-nooffsets.root'));
  const ref = await openRootFile(fixture('uproot-small-dy-withoffsets.root'));
  t.teardown(async () => {
    await bare.close();
    await ref.close();
  });
  const a = await bare.tree('tree');
  const b = await ref.tree('tree');
  t.equal(a.numEntries, b.numEntries);
  const names = b.branches.map((x) => x.name);
  t.same(a.branches.map((x) => [x.name, x.kind]), b.branches.map((x) => [x.name, x.kind]), 'same branches, same kinds');
  t.ok(a.branches.some((x) => x.kind === 'counted-array'), 'the file has jagged branches');
  const whole = await a.arrays(names);
  const want = await b.arrays(names);
  for (const n of names) t.same(plain(whole[n]!), plain(want[n]!), `${n}: every entry`);
  // Ranges that start and end inside baskets (the counter is read for whole baskets).
  for (const [s, e] of [[0, 1], [7, 333], [199, 201], [450, 501]] as const) {
    const got = await a.arrays(['Jet_pt', 'Muon_charge', 'event'], { entryStart: s, entryStop: e });
    const exp = await b.arrays(['Jet_pt', 'Muon_charge', 'event'], { entryStart: s, entryStop: e });
    t.same(plain(got.Jet_pt!), plain(exp.Jet_pt!), `Jet_pt [${s}, ${e})`);
    t.same(plain(got.Muon_charge!), plain(exp.Muon_charge!), `Muon_charge [${s}, ${e})`);
    t.same(plain(got.event!), plain(exp.event!), `event [${s}, ${e})`);
  }
});
