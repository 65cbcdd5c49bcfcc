import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFile } from 'jsroot';
import { openRootFile } from '@gluon/rootio';
import { sharedData } from '../helpers.js';

/**
 * Our metadata reader against jsroot's on every file we have: the same keys, and for each tree
 * the same entry count and the same branches at every depth (jsroot is the reference here only;
 * the reader does not use it).
 */
const fixtures = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));
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
      // A member of an unsplit object is listed after the object as a branch of its own, named as
      // ROOT names it split (`obj./obj.x`; the readable ones carry `member`): jsroot lists the object
      // only. So ours are jsroot's branches and, beyond them, members of one of jsroot's branches.
      const jsNames = allNames(jt.fBranches.arr);
      const jsSet = new Set(jsNames);
      const ourNames = new Set(tree.branches.filter((b) => !b.leafOf).map((b) => b.name));
      const last = (name: string) => name.split('/').pop()!;
      const parentOf = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf('/')));
      const members = tree.branches.filter((b) => !b.leafOf && (b.member || !jsSet.has(last(b.name))));
      t.same(tree.branches.filter((b) => !b.leafOf && !members.includes(b)).map((b) => last(b.name)).sort(), [...jsNames].sort(), `${k.name}: branches at every depth`);
      // A field of a container of objects (`X.links.m_persKey`, typeName `… (m_persKey of each ElementLink<…>)`)
      // is listed after its container, one of ours (a branch of jsroot's, or a member of one).
      const containerOf = (b: { name: string; typeName: string }) => {
        const field = / \((\S+) of each .*\)$/.exec(b.typeName)?.[1];
        return field && b.name.endsWith(`.${field}`) ? b.name.slice(0, -field.length - 1) : null;
      };
      t.ok(members.every((b) => (containerOf(b) !== null ? ourNames.has(containerOf(b)!) : ourNames.has(parentOf(b.name)) && jsSet.has(last(parentOf(b.name))))),
        `${k.name}: ${members.length} more, each a member of one of jsroot's branches or a field of one of our containers`);
      const jsLeaves = new Set(allBranches(jt.fBranches.arr).flatMap((b) => (b.fLeaves.arr.length > 1 ? b.fLeaves.arr.map((l) => `${b.fName}.${l.fName}`) : [])));
      t.ok(leaves.every((b) => jsLeaves.has(b.name)), `${k.name}: ${leaves.length} leaves of leaf lists, each one of jsroot's`);
    }
  });
}
