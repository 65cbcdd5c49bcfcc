/**
 * The scheduler's `warning` messages on the client: conditions of one kind in force at once (two
 * pairs of workers that cannot reach each other) are kept apart by `about`, so the end of one
 * leaves the other in force. Before `about`, the client kept one entry per kind, and the end of
 * either pair emptied `client.warnings` while the other pair was still cut.
 */
import t from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import type { ClusterWarning } from '@gluon/client';
import { fakeScheduler } from '../fake-scheduler.js';

const { noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

t.test('two unreachable pairs in force: the end of one leaves the other', async (t) => {
  const pair = (about: string, active: boolean) => ({ op: 'warning', kind: 'unreachable-peer', active, about, text: `${about} ${active ? 'cut' : 'again'}` });
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    // Said in the order a scheduler would: both pairs cut, then the first one reached again.
    conn.send(pair('w2 → w1', true));
    conn.send(pair('w3 → w1', true));
    conn.send(pair('w2 → w1', false));
  });
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  const third = new Promise<void>((resolve) => client.onWarning((w) => { heard.push(w); if (heard.length === 3) resolve(); }));
  client.submit(noop);
  await third;
  t.same(heard.map((w) => [w.about, w.active]), [['w2 → w1', true], ['w3 → w1', true], ['w2 → w1', false]]);
  t.same(client.warnings.map((w) => [w.kind, w.about, w.text]), [['unreachable-peer', 'w3 → w1', 'w3 → w1 cut']],
    'the pair still cut is still in force');
});

t.test('a warning without about (one condition of its kind) begins and ends as before', async (t) => {
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    conn.send({ op: 'warning', kind: 'memory-stall', active: true, text: 'stuck' });
    conn.send({ op: 'warning', kind: 'memory-stall', active: false, text: 'no longer' });
  });
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const seen: boolean[] = [];
  const both = new Promise<void>((resolve) => client.onWarning((w) => { seen.push(w.active); if (seen.length === 2) resolve(); }));
  client.submit(noop);
  await both;
  t.same(seen, [true, false]);
  t.same(client.warnings, []);
});
