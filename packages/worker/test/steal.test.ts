/**
 * Work stealing between real worker processes: a short task queued on a worker behind a long one
 * runs on a thread free on another worker, while the long tasks still run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { endAfter, fixture, RawClient, startScheduler, startWorker } from './procs.js';
import { until } from '../../../test/helpers/until.js';

const mod = pathToFileURL(fixture).href;
const { procs, clients } = endAfter(t);

t.test('short tasks queued behind long ones run on threads free elsewhere while every long task still runs', async (t) => {
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
