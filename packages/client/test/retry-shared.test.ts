/**
 * A retry by another client of a task this client holds too (the same key: a pure call both
 * submitted, or an input of what the other client retried). The scheduler runs it again; this
 * client's future must read `pending` meanwhile, so a `result()` asked then waits for the re-run's
 * outcome, as Dask's does. Before, the scheduler said nothing to the other clients: their futures
 * kept the old error until the re-run ended, and `result()` rejected with it.
 *
 * A real scheduler and worker, two real clients.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, delayed, remoteFrom, TaskError } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const allow = ['--allow-module', join(here, 'fixtures')];
const runs = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0);

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

t.test("another client's retry() makes this client's futures of those keys pending", async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'gluon-retry-shared-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const s = await startScheduler(0, []);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '2', ...allow]);
  procs.push(w.proc);
  const a = await Client.connect(s.address);
  t.teardown(() => a.close());
  const b = await Client.connect(s.address);
  t.teardown(() => b.close());

  // The same key on both clients: a submits it, b submits the same pure call.
  const path = join(scratch, 'same');
  const gate = join(scratch, 'same-gate');
  const fa = a.submit(fx.failThenGated, path, gate);
  const fb = b.submit(fx.failThenGated, path, gate);
  t.equal(fa.key, fb.key, 'one key');
  t.type(await fa.exception(), TaskError, "a's future erred");
  t.type(await fb.exception(), TaskError, "b's future erred");
  await b.retry([fb]);
  await until(() => runs(path) === 2, 'the retried task runs again');
  await until(() => fa.status === 'pending', `a's future reads pending while the task runs again (it reads ${fa.status})`);
  const waiting = fa.result();
  writeFileSync(gate, '');
  t.equal(await waiting, 'ok', "a's result() asked during the re-run gives the re-run's value");
  t.equal(await fb.result(), 'ok');

  // An input a holds, under a graph b holds: b's retry of its root runs the erred input again.
  const inputPath = join(scratch, 'input');
  const inputGate = join(scratch, 'input-gate');
  const input = a.submit(fx.failThenGated, inputPath, inputGate);
  const top = b.persist(delayed(fx.countCall)(join(scratch, 'top'), delayed(fx.failThenGated)(inputPath, inputGate)));
  t.equal(((await top.exception()) as TaskError | null)?.key, input.key, "b's root erred because of a's input");
  t.type(await input.exception(), TaskError, "a's input erred");
  await b.retry([top]);
  await until(() => runs(inputPath) === 2, 'the input runs again');
  await until(() => input.status === 'pending', `a's input reads pending while it runs again (it reads ${input.status})`);
  const inputResult = input.result();
  writeFileSync(inputGate, '');
  t.equal(await inputResult, 'ok', "a's input gives the re-run's value");
  t.equal(await top.result(), 'ok');
});
