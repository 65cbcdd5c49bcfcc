/**
 * A client that only lost its link comes back to the same scheduler. A worker it had been told of
 * left meanwhile (the `worker-left` was lost with the link), and more than the 100 workers the
 * scheduler remembers as gone left after it. Named by the client as a worker it knew of, that
 * worker was awaited: a scheduler that no longer remembered its leaving held every task back for
 * holderWaitMs (15 s) for a worker that was never coming. The welcome's `schedulerId` tells the
 * client it is the same scheduler, and it names no worker to wait for.
 *
 * A real scheduler process, a real worker that stays and one that is killed, a real client behind
 * a relay whose link fails with both ends told (a reset each learns of at once: no heartbeat TTL
 * short enough for a quick test, which on a loaded machine also dropped the worker that stays); the 101 departures after it are workers registering over the
 * protocol and closing (101 worker processes would not fit this machine), which is all the
 * scheduler sees of any worker that joins and leaves.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { connect } from '@gluon/protocol';
import { Client, remoteFrom } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const { sumAll } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const allow = ['--allow-module', join(here, 'fixtures')];

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

/**
 * How many times the scheduler's log says a worker's connection closed: one line each for the
 * first few of a 10 s window, then a count for the rest (`… and 96 more lost in the last 10 s`).
 */
function workersLost(s: Proc): number {
  const out = s.output();
  const one = out.match(/^.* scheduler: worker .* lost: connection closed/gm)?.length ?? 0;
  return one + [...out.matchAll(/ (\d+) more lost in the last/g)].reduce((a, m) => a + Number(m[1]), 0);
}

t.test('back on the same scheduler after a worker it knew of left, and 100 more after it: no wait for that worker', async (t) => {
  const s = await startScheduler(0, []);
  procs.push(s.proc);
  const keep = await startWorker(s.address, ['--nthreads', '1', '--name', 'keep', ...allow]);
  procs.push(keep.proc);
  const gone = await startWorker(s.address, ['--nthreads', '1', '--name', 'gone', ...allow]);
  procs.push(gone.proc);
  const proxy = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => proxy.close());
  const client = await Client.connect(`ws://127.0.0.1:${proxy.port}`, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());
  // The welcome named both workers; this result says the client has it (it came after).
  const first = client.submit(sumAll, [1, 2]);
  t.equal(await first.result(), 3);

  proxy.cutTelling();
  await s.proc.waitFor(/client \S+ \(.*\) lost: connection closed/, 120_000);
  await until(() => !client.connected, 'the client noticing the cut');
  // While the link is down: `gone` leaves (the client's worker-left is lost), then 101 more.
  gone.proc.kill('SIGKILL');
  await until(() => workersLost(s.proc) === 1, 'the scheduler seeing `gone` leave');
  for (let i = 0; i < 101; i++) {
    const w = await connect(s.address, { role: 'worker', name: `brief-${i}`, address: `ws://127.0.0.1:1/brief-${i}`, nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' }, { log: () => {} });
    w.conn.send({ op: 'holding', keys: {} });
    w.conn.close(1000, 'leaving');
  }
  await until(() => workersLost(s.proc) === 102, `the scheduler seeing 101 more leave (${workersLost(s.proc)} so far)`);
  proxy.restore();

  const second = client.submit(sumAll, [3, 4]);
  t.equal(await second.result(), 7, 'work submitted after the reconnect runs');
  t.equal(client.reconnects, 1);
  t.equal(await first.result(), 3, 'the result from before is still there');
  t.notMatch(s.proc.output(), /knew of \d+ worker\(s\) not registered here/, 'the scheduler waited for no worker: the client named none');
  t.notMatch(s.proc.output(), /did not come back within/);
});
