/**
 * metadataTimeoutMs counts the time the process could run (src/running-timeout.ts): a process
 * starved past the limit (a batch node loaded far past its cores) still reads a good file. With a
 * wall-clock limit the late timer ran before the I/O that had finished meanwhile, and the file was
 * called "damaged metadata?" (seen: a Slurm run at load 80 skipped a good data file as bad input).
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';
import { runningTimeout } from '../src/running-timeout.js';

const path = fileURLToPath(new URL('fixtures/skhep/uproot-small-dy-withoffsets.root', import.meta.url));

/** Holds this thread for `ms`, as a starved process is held: its timers and I/O wait meanwhile. */
const starve = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** From a timer's callback, so the I/O that finishes while starved is handled before the next timers run. */
const fromTimer = <T>(fn: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => fn().then(resolve, reject), 0));

t.test('a process starved longer than metadataTimeoutMs opens a good local file and reads its tree', async (t) => {
  const f = await fromTimer(() => {
    const opening = openRootFile(path, { metadataTimeoutMs: 500 });
    starve(3000);
    return opening;
  });
  t.teardown(() => f.close());
  const name = f.keys().find((k) => k.className === 'TTree')!.name;
  const tree = await fromTimer(() => {
    const reading = f.tree(name);
    starve(3000);
    return reading;
  });
  t.ok(tree.branches.length > 0, `tree ${name} read after 3 s of starvation (limit 500 ms): ${tree.branches.length} branches`);
});

t.test('runningTimeout: a late tick counts as at most two; the limit still comes while the process runs', async (t) => {
  let fired = false;
  const cancel = runningTimeout(200, () => { fired = true; });
  t.teardown(cancel);
  starve(1000);
  // The timers due during the starvation have run once this timer's callback does.
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setImmediate(r));
  t.notOk(fired, '1 s of starvation did not use up a 200 ms limit');
  // The rest of the limit passes while the process runs freely: it comes (bounded by tap's timeout).
  await new Promise<void>((resolve) => { const check = () => (fired ? resolve() : setTimeout(check, 20)); check(); });
  t.ok(fired, 'the limit came once the process had run for it');
});

t.test('runningTimeout: cancelled, it never calls back', async (t) => {
  let fired = false;
  const cancel = runningTimeout(20, () => { fired = true; });
  cancel();
  // Well past the limit: its timer would have fired by now.
  await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setImmediate(r));
  t.notOk(fired);
});
