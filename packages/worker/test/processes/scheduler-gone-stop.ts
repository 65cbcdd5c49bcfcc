/**
 * A worker stopped (SIGTERM) while its scheduler is gone leaves at once: nothing can take back
 * its work, receive a running task's result or copy what it holds. It used to wait out its 30 s
 * grace for the running task (a LocalCluster whose scheduler had died took 5 s per close(), its
 * SIGKILL bound; a gluon-worker under a batch system 30 s).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { endAfter, fixture, RawClient, startScheduler, startWorker, endWithCase } from '../procs.js';

const { procs, clients } = endAfter(t);

t.test('SIGTERM to a worker running a task after its scheduler died: it leaves now, saying why', async (t) => {
  endWithCase(t, { procs, clients });
  const dir = mkdtempSync(join(tmpdir(), 'gluon-gone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '1', '--name', 'orphan']);
  procs.push(w.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  // A task that runs until a file that never appears does (300 s), far past the worker's grace.
  client.conn.send({ op: 'update-graph', wants: ['gate-1'], tasks: [
    { key: 'gate-1', fn: { module: pathToFileURL(fixture).href, export: 'fileGated' }, args: [join(dir, 'ran'), join(dir, 'never'), 1], deps: [] }] });
  await until('the task started', () => { try { return readFileSync(join(dir, 'ran'), 'utf8').startsWith('ran') || undefined; } catch { return undefined; } });

  s.proc.kill('SIGKILL');
  await w.proc.waitFor(/lost the scheduler/);
  const t0 = Date.now();
  w.proc.kill('SIGTERM');
  const code = await w.proc.exited();
  const ms = Date.now() - t0;
  t.equal(code, 0, 'it exits cleanly');
  t.match(w.proc.output(), /SIGTERM: the scheduler is gone \(lost [\d.]+ (ms|s) ago\), so nothing here can be handed back or reported; leaving now, abandoning 1 running task\(s\)/,
    `it says why it does not wait for its running task (exited after ${ms} ms); its log:\n${w.proc.output()}`);
  t.notMatch(w.proc.output(), /finishing running tasks/, 'it did not wait for the task');
});

/** Waits, bounded, until `pred` holds, paced at 50 ms (a file written by a task thread). */
async function until<T>(what: string, pred: () => T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`never ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
