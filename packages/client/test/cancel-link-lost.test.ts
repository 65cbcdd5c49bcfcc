/**
 * A cancel whose connection is lost before the scheduler answers it. The message may never have
 * reached the scheduler (it was in a socket buffer when the link went), and the reconnect re-sends
 * every held key's task; the cancel was not sent again, so the runaway task ran on and its future
 * stayed pending for good, though `await cancel()` had resolved.
 *
 * A real scheduler and worker, a real client behind a relay that drops the link (both ends told)
 * right after the cancel is written.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { CancelledError, Client, remoteFrom } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const allow = ['--allow-module', join(here, 'fixtures')];

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

t.test('a cancel lost with the link is sent again once the client is back', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'gluon-cancel-link-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const s = await startScheduler(0, []);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '1', ...allow]);
  procs.push(w.proc);
  const relay = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => relay.close());
  const client = await Client.connect(relay.address, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());

  const mark = join(scratch, 'running');
  const runaway = client.submit(fx.spin.with({ pure: false }), mark);
  const dependent = client.submit(fx.countCall, join(scratch, 'dependent'), runaway as never);
  await until(() => existsSync(mark), 'the runaway task runs');
  const cancelled = client.cancel([runaway]);
  // The cancel is written (cancel() sends it after a microtask); the link goes before the relay
  // carries it, and both ends learn of it at once.
  await new Promise((r) => setImmediate(r));
  relay.cut();
  relay.restore();
  await cancelled;
  await until(() => client.reconnects > 0, 'the client reconnects');
  const settled = await until(() => runaway.done, 'the runaway future settles', 60_000).then(() => true, (err: unknown) => t.fail(String(err)));
  if (!settled) return; // its result() would wait for ever
  t.equal(runaway.status, 'cancelled');
  t.equal(dependent.status, 'cancelled');
  await t.rejects(runaway.result(), CancelledError);
  t.equal(await client.submit(fx.countCall, join(scratch, 'after'), 5).result(), 5, 'the worker runs tasks again: the runaway was stopped');
});
