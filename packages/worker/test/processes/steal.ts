/**
 * Work stealing between real worker processes: a short task queued on a worker behind a long one
 * runs on a thread free on another worker, while the long tasks still run, even when the busiest
 * worker has nothing the free one may take.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { Message, TaskSpec } from '@gluon/protocol';
import { endAfter, fixture, RawClient, startScheduler, startWorker, endWithCase } from '../procs.js';
import { until } from '../../../../test/helpers/until.js';

const mod = pathToFileURL(fixture).href;
const { procs, clients } = endAfter(t);

t.test('short tasks queued behind long ones run on threads free elsewhere while every long task still runs', async (t) => {
  endWithCase(t, { procs, clients });
  // Found by a new user on the dashboard: workers of 2, 2 and 1 threads, three 20 s tasks, then
  // 20 no-ops: a no-op waited 20 s behind the 1-thread worker's long task while the others each
  // had a thread free. Only a worker with nothing stole, and a worker refused to give back a task
  // it had posted to its thread behind the running one.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-steal-'));
  const ran = join(dir, 'ran');
  const open = join(dir, 'open');
  t.teardown(() => {
    writeFileSync(open, '');
    rmSync(dir, { recursive: true, force: true });
  });
  const s = await startScheduler(0);
  procs.push(s.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  for (const [name, n] of [['a1', 2], ['a2', 2], ['a3', 1]] as const) procs.push((await startWorker(s.address, ['--name', name, '--nthreads', String(n)])).proc);
  await until(() => client.messages.filter((m) => m.op === 'worker-joined').length === 3, 'the three workers registered');

  // Each long task notes its start in `ran` and runs until the test creates `open`.
  const longs: TaskSpec[] = [1, 2, 3].map((i) => ({ key: `long-${i}`, fn: { module: mod, export: 'fileGated' }, args: [ran, open, i], deps: [] }));
  client.conn.send({ op: 'update-graph', tasks: longs, wants: longs.map((x) => x.key) });
  const starts = () => readFileSync(ran, 'utf8').split('\n').filter(Boolean);
  await until(() => { try { return starts().length === 3; } catch { return false; } }, 'the three long tasks started');
  t.equal(new Set(starts()).size, 3, 'one long task on each worker');

  const quick: TaskSpec[] = Array.from({ length: 20 }, (_, i) => ({ key: `inc-${i}`, fn: { module: mod, export: 'inc' }, args: [i], deps: [] }));
  client.conn.send({ op: 'update-graph', tasks: quick, wants: quick.map((x) => x.key) });
  // Before: the one placed on a3 behind its long task waited for it, here for ever (the gate is shut).
  const res = await client.results(quick.map((x) => x.key));
  t.same(quick.map((x) => res.get(x.key)!.value), quick.map((_, i) => i + 1), 'every short task finished while the long ones still ran');
  t.equal(starts().length, 3, 'no long task was moved or started again');

  writeFileSync(open, '');
  const done = await client.results(longs.map((x) => x.key));
  t.same(longs.map((x) => done.get(x.key)!.value), [1, 2, 3]);
  t.equal(starts().length, 3);
});

t.test('a worker whose busiest victim has nothing it may run steals from the next busiest', async (t) => {
  endWithCase(t, { procs, clients });
  // a3 will not import module `other` (not on its allow-list). a1's unstarted task is of that
  // module and a2's is a short one behind two long ones: as much unstarted work each, a1
  // registered first. a3's thread freed: it asked a1 only, for nothing it would run, and stayed
  // idle while the short task waited behind a2's long ones (here for ever: the gate is shut).
  const dir = mkdtempSync(join(tmpdir(), 'gluon-steal-'));
  const otherDir = join(dir, 'other');
  mkdirSync(otherDir);
  const other = join(otherDir, 'other.mjs');
  writeFileSync(other, `export { fileGated, inc } from ${JSON.stringify(mod)};\n`);
  const otherMod = pathToFileURL(other).href;
  const ran = join(dir, 'ran');
  const open = join(dir, 'open');
  const open3 = join(dir, 'open3');
  t.teardown(() => {
    writeFileSync(open, '');
    writeFileSync(open3, '');
    rmSync(dir, { recursive: true, force: true });
  });
  const s = await startScheduler(0);
  procs.push(s.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const addresses = new Map<string, string>();
  for (const [name, n, extra] of [['a1', 2, ['--allow-module', otherDir]], ['a2', 2, ['--allow-module', otherDir]], ['a3', 1, []]] as const) {
    const w = await startWorker(s.address, ['--name', name, '--nthreads', String(n), ...extra]);
    procs.push(w.proc);
    addresses.set(name, w.address);
  }
  await until(() => client.messages.filter((m) => m.op === 'worker-joined').length === 3, 'the three workers registered');
  const starts = () => { try { return readFileSync(ran, 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
  const gated = (key: string, gate: string, i: number, module = mod): TaskSpec => ({ key, fn: { module, export: 'fileGated' }, args: [ran, gate, i], deps: [] });
  const submit = (...tasks: TaskSpec[]) => client.conn.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  const where = (m: Message) => (m.workers as string[]).map((a) => [...addresses].find(([, x]) => x === a)?.[0] ?? a);

  // One long task each on a1 and a2; then a3, the least occupied, is sent a task of `other` and
  // refuses it (the scheduler notes that), and it runs on a1.
  submit(gated('long-1', open, 1), gated('long-2', open, 2));
  await until(() => starts() === 2, 'the first two long tasks started');
  submit({ key: 'probe-1', fn: { module: otherMod, export: 'inc' }, args: [41], deps: [] });
  const probe = (await client.results(['probe-1'])).get('probe-1')!;
  t.equal(probe.value, 42, 'the task of module other ran');
  t.same(where(probe), ['a1'], 'on a1, after a3 refused it');
  // a3 runs a task of its own; then a1 and a2 run two long ones each: no thread free anywhere.
  submit(gated('own-3', open3, 3));
  await until(() => starts() === 3, 'a3 started its task');
  submit(gated('long-4', open, 4));
  submit(gated('long-5', open, 5));
  await until(() => starts() === 5, 'every thread runs a task');
  // Then an `other` task (to a1, the first registered: as occupied as the others, with room) and
  // a short one (to a2, the next).
  submit(gated('other-6', open, 6, otherMod));
  submit({ key: 'inc-1', fn: { module: mod, export: 'inc' }, args: [1], deps: [] });
  // a3's thread frees: it takes inc-1 from a2, not other-6 from a1 (its module refused there).
  writeFileSync(open3, '');
  const res = await client.results(['own-3', 'inc-1']);
  t.equal(res.get('inc-1')!.value, 2, 'the short task finished while every long task still runs');
  t.same(where(res.get('inc-1')!), ['a3'], 'on a3, whose thread was free');
  t.equal(starts(), 5, 'no long task moved or started again, other-6 not started');

  writeFileSync(open, '');
  const keys = ['long-1', 'long-2', 'long-4', 'long-5', 'other-6'];
  const done = await client.results(keys);
  t.same(keys.map((k) => done.get(k)!.value), [1, 2, 4, 5, 6]);
  // a1 or a2 (both accept `other`; whichever frees a thread first may run or steal it), never a3.
  t.ok(['a1', 'a2'].includes(where(done.get('other-6')!)[0]!), `other-6 ran where its module is accepted (${where(done.get('other-6')!)})`);
  t.equal(starts(), 6, 'each gated task started once');
});
