/**
 * Surviving the scheduler: kill -9 of the scheduler process mid-run and a new one started on the
 * same address. The workers re-register with what they hold (and what they still run), the
 * client re-sends the graph of every key it holds, and the run completes with the same result:
 * no task that had run (or was running) runs again, counted by the tasks themselves.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, ClientClosedError, remoteFrom, type Future } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';

const here = dirname(fileURLToPath(import.meta.url));
const { recordRun, sumAll } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

/** Lines of the run log: one per task run. */
function runs(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

t.test('kill -9 of the scheduler mid-run, a new one on the same address: same result, nothing recomputed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'runs');
  const s1 = await startScheduler(0);
  procs.push(s1.proc);
  const port = Number(new URL(s1.address).port);
  for (let i = 0; i < 2; i++) procs.push((await startWorker(s1.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const client = await Client.connect(s1.address, { reconnectTimeoutMs: 60_000 });
  t.teardown(() => client.close());

  const n = 120;
  // The second half of the leaves hold their threads until the gate exists: the scheduler is
  // killed with leaves still to start however fast the workers get through the first half
  // (at load ~25 they could all have started before the client saw a third of them finish).
  const gate = join(dir, 'gate');
  const leaves: Array<Future<number>> = [];
  for (let i = 0; i < n; i++) leaves.push(i < n / 2 ? client.submit(recordRun, log, i, 15) : client.submit(recordRun, log, i, 15, gate));
  const total = client.treeReduce(sumAll, leaves, { fanIn: 8 });
  const expected = (n * (n + 1)) / 2;

  let done = 0;
  for await (const _ of client.asCompleted(leaves)) if (++done === n / 3) break;
  s1.proc.kill('SIGKILL');
  await s1.proc.exited();
  const before = runs(log).length;
  t.ok(before >= n / 3 && before < n, `killed the scheduler after ${before} of ${n} leaves had started`);
  writeFileSync(gate, '');
  // Work submitted while the scheduler is away is queued and sent once it is back.
  const late = client.submit(recordRun, log, 1000, 0);

  const s2 = await startScheduler(port);
  procs.push(s2.proc);
  t.equal(await total.result(), expected, 'the run completes with the same result');
  t.equal(await late.result(), 1001, 'work submitted while the scheduler was away runs too');
  t.same(await client.gather(leaves), leaves.map((_, i) => i + 1), 'every leaf is right');
  const all = runs(log);
  const counts = new Map<string, number>();
  for (const x of all) counts.set(x, (counts.get(x) ?? 0) + 1);
  const twice = [...counts].filter(([, c]) => c > 1).map(([x]) => x);
  t.same(twice, [], 'no leaf ran twice: results held by workers (and tasks they were running) were taken back');
  t.equal(all.length, n + 1, `${n + 1} runs in all: ${before} before the kill, ${all.length - before} after`);
  t.equal(client.reconnects, 1);
});

t.test('while the scheduler is away result() waits; past reconnectTimeoutMs it fails, naming the address and the time', async (t) => {
  const s = await startScheduler(0);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const client = await Client.connect(s.address, { reconnectTimeoutMs: 1200 });
  t.teardown(() => client.close());
  const dir = mkdtempSync(join(tmpdir(), 'gluon-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(await client.submit(recordRun, join(dir, 'runs'), 1, 0).result(), 2);
  // Submitted in the same turn as the kill, before anything is awaited: the client gives up
  // reconnectTimeoutMs after it sees the loss, and a test that waited for the scheduler's exit
  // first, on a loaded machine, saw it after the client had given up and could not submit at all
  // ("this client cannot be used: gave up …"). The scheduler, killed, reads nothing of it.
  const started = Date.now();
  s.proc.kill('SIGKILL');
  const pending = client.submit(recordRun, join(dir, 'runs'), 2, 0);
  await s.proc.exited();
  const err = await pending.result().then(() => null, (e: unknown) => e);
  const waited = Date.now() - started;
  t.type(err, ClientClosedError);
  t.match((err as Error).message, `gave up on the scheduler at ${s.address} after trying for `);
  t.match((err as Error).message, /reconnectTimeoutMs=1200/);
  t.ok(waited >= 1000, `result() waited for the scheduler (${waited} ms from the kill) before failing`);
  t.throws(() => client.submit(recordRun, join(dir, 'runs'), 3, 0), ClientClosedError, 'a client that gave up refuses new work');
});

t.test('closing the client is not mistaken for a lost scheduler: no reconnect', async (t) => {
  const s = await startScheduler(0);
  procs.push(s.proc);
  const client = await Client.connect(s.address);
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await client.close();
  } finally {
    process.stderr.write = write;
  }
  t.same(lines.filter((l) => /reconnect/.test(l)), [], 'nothing about reconnecting');
  t.equal(client.reconnects, 0);
  t.notOk(client.connected);
});
