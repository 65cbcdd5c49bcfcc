import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, RootIOError } from '@gluon/rootio';

/**
 * Reads after close() (found by the new-user trial): a tree's arrays() failed with Node's bare
 * "Error: file closed" (naming neither the file nor the tree), file.tree() called the file
 * damaged ("RootFormatError … reading events failed: file closed"), and a small file whose
 * baskets were already in memory read on. Now each is a RootIOError naming the file,
 * the call and that the file was closed; closing twice is harmless.
 */
const dir = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));

t.test('reads after close() are refused, naming the file and the call', async (t) => {
  const path = `${dir}uproot-small-dy-withoffsets.root`;
  const f = await openRootFile(path);
  const name = f.keys().find((k) => k.className === 'TTree')!.name;
  const tree = await f.tree(name);
  const branch = tree.branches.find((b) => b.kind === 'scalar')!.name;
  t.equal(f.closed, false);
  await f.close();
  t.equal(f.closed, true);
  await t.resolves(f.close(), 'a second close() is harmless');
  const closed = (call: string) => ({ name: 'RootIOError', message: `${path}: ${call}: the file was closed (close() was called); open it again to read from it` });
  await t.rejects(tree.arrays([branch]), closed(`arrays() of tree "${name}"`));
  await t.rejects(tree.iterate([branch], { step: 100 }).next(), closed(`iterate() of tree "${name}"`));
  await t.rejects(f.tree(name), closed(`tree(${name})`));
  await t.rejects(f.histogram(name), closed(`histogram(${name})`));
  await t.rejects(f.object(name), closed(`object(${name})`));
  const err = await tree.arrays([branch]).catch((e: unknown) => e);
  t.type(err, RootIOError);

  // Reopened, it reads.
  const g = await openRootFile(path);
  t.teardown(() => g.close());
  const col = (await (await g.tree(name)).arrays([branch]))[branch] as ArrayLike<number>;
  t.equal(col.length, tree.numEntries, 'the reopened file reads');
});

/** An RNTuple's reads after close() failed with Node's bare "Error: file closed" (new-user trial). */
t.test('an RNTuple\'s reads after close() are refused alike', async (t) => {
  const path = `${dir}ntpl001_staff_rntuple_v1-0-1-0.root`;
  const f = await openRootFile(path);
  const r = await f.rntuple('Staff');
  t.equal(((await r.arrays(['Age'], { entryStop: 3 })).Age as ArrayLike<number>).length, 3, 'it reads while open');
  await f.close();
  const closed = (call: string) => ({ name: 'RootIOError', message: `${path}: ${call}: the file was closed (close() was called); open it again to read from it` });
  await t.rejects(r.arrays(['Age']), closed('arrays() of RNTuple "Staff"'));
  await t.rejects(r.iterate(['Age'], { step: 100 }).next(), closed('iterate() of RNTuple "Staff"'));
  await t.rejects(f.rntuple('Staff'), closed('rntuple(Staff)'));
});
