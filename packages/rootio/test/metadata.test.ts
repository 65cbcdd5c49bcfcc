import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFile } from 'jsroot';
import { openRootFile } from '@gluon/rootio';
import { sharedData } from './helpers.js';

/**
 * Our metadata reader against jsroot's on every file we have: the same keys, and for each tree
 * the same entry count and the same branches at every depth (jsroot is the reference here only;
 * the reader does not use it).
 */
const fixtures = fileURLToPath(new URL('fixtures/skhep/', import.meta.url));
const data = sharedData();
const files = [
  ...readdirSync(fixtures).filter((f) => f.endsWith('.root')).map((f) => join(fixtures, f)),
  ...(data ? readdirSync(join(data, 'root-testfiles')).filter((f) => f.endsWith('.root')).map((f) => join(data, 'root-testfiles', f)) : []),
];

type JsBranch = { fName: string; fEntries: number; fBranches: { arr: JsBranch[] }; fLeaves: { arr: Array<{ fName: string }> } };
const allNames = (bs: JsBranch[]): string[] => bs.flatMap((b) => [b.fName, ...allNames(b.fBranches.arr)]);
const allBranches = (bs: JsBranch[]): JsBranch[] => bs.flatMap((b) => [b, ...allBranches(b.fBranches.arr)]);

for (const path of files) {
  t.test(path.split('/').pop()!, async (t) => {
    const ours = await openRootFile(path);
    t.teardown(() => ours.close());
    type JsKey = { fName: string; fClassName: string; fCycle: number };
    const js = (await openFile(path)) as unknown as { fKeys: JsKey[]; readObject(n: string): Promise<Record<string, unknown>>; readDirectory(n: string): Promise<{ fKeys: JsKey[] }> };
    const key = (k: { name: string; className: string; cycle: number }) => `${k.name};${k.cycle} ${k.className}`;
    // Every directory's keys, named by path (ours lists those below the top after their directory's key).
    const theirs: string[] = [];
    const walk = (dir: string, keys: typeof js.fKeys): Promise<void> => keys.reduce(async (prev, k) => {
      await prev;
      const name = dir ? `${dir}/${k.fName}` : k.fName;
      theirs.push(key({ name, className: k.fClassName, cycle: k.fCycle }));
      if (/^TDirectory/.test(k.fClassName)) await walk(name, (await js.readDirectory(`${name};${k.fCycle}`)).fKeys);
    }, Promise.resolve());
    await walk('', js.fKeys);
    t.same(ours.keys().map(key).sort(), theirs.sort(), 'the same keys, in every directory');
    for (const k of ours.keys().filter((k) => k.className === 'TTree')) {
      const tree = await ours.tree(`${k.name};${k.cycle}`);
      const jt = (await js.readObject(`${k.name};${k.cycle}`)) as unknown as { fEntries: number; fBranches: { arr: JsBranch[] } };
      t.equal(tree.numEntries, Number(jt.fEntries), `${k.name}: entries`);
      // A leaf list's leaves are listed after it as branches of their own (`leaflist.x`): each is
      // one of jsroot's leaves of that branch.
      const leaves = tree.branches.filter((b) => b.leafOf);
      t.same(tree.branches.filter((b) => !b.leafOf).map((b) => b.name.split('/').pop()).sort(), allNames(jt.fBranches.arr).sort(), `${k.name}: branches at every depth`);
      const jsLeaves = new Set(allBranches(jt.fBranches.arr).flatMap((b) => (b.fLeaves.arr.length > 1 ? b.fLeaves.arr.map((l) => `${b.fName}.${l.fName}`) : [])));
      t.ok(leaves.every((b) => jsLeaves.has(b.name)), `${k.name}: ${leaves.length} leaves of leaf lists, each one of jsroot's`);
    }
  });
}
