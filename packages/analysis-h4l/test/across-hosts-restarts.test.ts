/**
 * The H→4ℓ analysis across hosts (network namespaces, see hosts.ts) through lost connections to
 * the scheduler: its process killed and restarted mid-run, and the client host's link cut. Each
 * run's merged histograms must be bit-identical to the serial run. Skips with a message where
 * namespaces cannot be made (not root, no `ip`).
 */
import t from 'tap';
import { HostsSuite, netnsUnavailable } from './hosts.js';

const why = netnsUnavailable();
if (why) {
  t.skip(`cross-host scenarios need network namespaces: ${why}`, () => {});
} else {
  const suite = new HostsSuite(t);

  t.test('5. the scheduler host\'s process killed and restarted mid-run: the run completes', async (t) => {
    const c = await suite.cluster(t, { ttl: '5s' });
    await suite.progressed(c, 1 / 3);
    c.sched.proc.kill('SIGKILL');
    await c.sched.proc.exited();
    const again = await c.lab.startScheduler('sched', ['--heartbeat-ttl', '5s']);
    t.equal(again.address, c.sched.address, 'the new scheduler listens on the same address');
    for (const [h, w] of c.workers) await w.waitFor(/re-registered with wss:\/\/10\.201\.0\.1:8786/, 60_000).then(() => t.pass(`${h} re-registered`));
    const done = await suite.finishedIdentical(t, c);
    suite.reconnected(t, c, done);
  });

  t.test('6. the client host cut off briefly: the client reconnects and its futures resolve', async (t) => {
    const c = await suite.cluster(t, { ttl: '3s' });
    await suite.progressed(c, 1 / 4);
    c.lab.link('client', 'down');
    // Long enough for the client to notice (its keep-alive drops a scheduler silent for the TTL).
    await c.client.waitFor(/lost the scheduler connection .*reconnecting/, 60_000);
    c.lab.link('client', 'up');
    const done = await suite.finishedIdentical(t, c);
    suite.reconnected(t, c, done);
    t.notMatch(c.sched.proc.output(), /expired/, 'no worker was dropped');
  });
}
