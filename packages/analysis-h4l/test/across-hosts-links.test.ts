/**
 * The H→4ℓ analysis across hosts (network namespaces, see hosts.ts) through network trouble: a
 * plain run, a worker host's link cut longer and shorter than the heartbeat TTL, and a slow lossy
 * link. Each run's merged histograms must be bit-identical to the serial run. Skips with a
 * message where namespaces cannot be made (not root, no `ip`).
 */
import t from 'tap';
import { HostsSuite, netemUnavailable, netnsUnavailable } from './hosts.js';

const why = netnsUnavailable();
if (why) {
  t.skip(`cross-host scenarios need network namespaces: ${why}`, () => {});
} else {
  const suite = new HostsSuite(t);

  t.test('1. the analysis across hosts over wss://: three worker hosts and a client host', async (t) => {
    const c = await suite.cluster(t, { ttl: '10s', workers: ['w1', 'w2', 'w3'] });
    await suite.finishedIdentical(t, c);
    t.match(c.sched.address, /^wss:\/\/10\.201\.0\.1:8786$/, 'the scheduler speaks TLS');
  });

  t.test('2. a worker host cut off longer than the heartbeat TTL mid-run: the run finishes, the worker rejoins', async (t) => {
    const c = await suite.cluster(t, { ttl: '3s' });
    await suite.progressed(c, 1 / 4);
    c.lab.link('w1', 'down');
    await c.sched.proc.waitFor(/worker w1 at wss?:\/\/10\.201\.0\.11:\d+ \(connection from 10\.201\.0\.11:\d+\) expired: no heartbeat within 3000 ms/, 60_000);
    c.lab.link('w1', 'up');
    const w1 = c.workers.get('w1')!;
    await w1.waitFor(/re-registered with wss:\/\/10\.201\.0\.1:8786/, 90_000);
    t.pass('w1 registered again once its link was back');
    await suite.finishedIdentical(t, c);
  });

  t.test('3. a worker host cut off shorter than the TTL: nothing rescheduled, nothing lost', async (t) => {
    const c = await suite.cluster(t, { ttl: '10s' });
    await suite.progressed(c, 1 / 4);
    c.lab.link('w2', 'down');
    // Shorter than the TTL by a wide margin: the scenario is a blip, not a timing race.
    await new Promise((r) => setTimeout(r, 1000));
    c.lab.link('w2', 'up');
    await suite.finishedIdentical(t, c);
    // Workers only: the client's own exit is logged as a lost client (its keys kept for the session grace).
    t.notMatch(c.sched.proc.output(), /worker \S+ \([^)]*\) (expired|lost: connection closed)/, 'the scheduler dropped no worker');
    t.notMatch(c.workers.get('w2')!.output(), /lost the scheduler/, 'w2 kept its connection');
  });

  // The kernel's netem where it has one; elsewhere w1's cable runs through a user-space relay
  // (VXLAN frames in UDP, scripts/netem-relay.mjs) that delays and drops them.
  const noNetem = netemUnavailable();
  const via = noNetem ? 'a relay on its cable (this kernel has no netem)' : 'tc netem';
  // w1 is the only worker, so every task and every result crosses the slow, lossy link.
  t.test(`4. 50 ms delay and 2% loss on the worker host's link, by ${via}: the run finishes`, async (t) => {
    const c = await suite.cluster(t, {
      ttl: '10s', workers: ['w1'], ...(noNetem ? { relayed: ['w1'] } : {}), beforeRun: (lab) => lab.netem('w1', 'delay 50ms loss 2%'),
    });
    await suite.finishedIdentical(t, c);
    if (noNetem) {
      const s = c.lab.relayStats('w1');
      t.same([s.delayMs, s.lossPercent], [50, 2], 'every frame of w1 was delayed 50 ms, each lost with probability 2%');
      t.ok(s.forwarded > 100 && s.dropped > 0, `w1's link lost frames: ${s.dropped} dropped, ${s.forwarded} delivered late`);
      t.ok(s.largest <= 1500 + 50, `frames stayed within the link's MTU (largest datagram ${s.largest} bytes)`);
    }
  });
}
