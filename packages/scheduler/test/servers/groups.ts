import t from 'tap';
import { SchedulerState } from '@gluon/scheduler';
import { Client, remoteFrom } from '@gluon/client';
import { until } from '../../../../test/helpers/until.js';

/**
 * A task's group travels with it (TaskSpec.group, else fn.export) and is never parsed from its
 * key: generated ids contain '-' and '_', which made one-task groups ('h4l-chunk-…', 989 groups
 * for a 5,000-task map) when the group was the key up to its last '-'.
 */
t.test('the state machine groups by the spec, not by the key', async (t) => {
  const s = new SchedulerState();
  s.clientConnected('c', 'client', 0);
  const tasks = Array.from({ length: 50 }, (_, i) => ({
    key: `h4l-chunk-${i}_a-b${i}`, fn: { module: 'm', export: 'processChunk' }, group: 'h4l-chunk', args: [], deps: [],
  }));
  const plain = Array.from({ length: 20 }, (_, i) => ({ key: `inc-x-${i}-y`, fn: { module: 'm', export: 'inc' }, args: [], deps: [] }));
  s.updateGraph('c', [...tasks, ...plain], [], 0);
  t.same([...s.groups.keys()].sort(), ['h4l-chunk', 'inc'], 'one group per spec group (or export name)');
  t.equal(s.groups.get('h4l-chunk')!.total, 50);
  t.equal(s.groups.get('inc')!.total, 20);
});

t.test('a client\'s 500-task impure map and its prefixed map arrive as two groups', async (t) => {
  const { startScheduler } = await import('@gluon/scheduler');
  const sched = await startScheduler({ port: 0, dashboard: false, log: () => {} } as never);
  t.teardown(() => sched.close());
  const client = await Client.connect(sched.address);
  t.teardown(() => client.close());
  type Tasks = typeof import('@gluon/examples/tasks');
  const { inc } = remoteFrom<Tasks>('@gluon/examples/tasks');
  const a = client.map(inc.with({ pure: false }), Array.from({ length: 500 }, (_, i) => i));
  const b = client.map(inc.with({ group: 'my-prefix' }), [1, 2, 3]);
  t.ok(a.some((x) => /^inc-.*[-_]/.test(x.key)), 'generated ids contain - or _');
  await until(() => (sched.state.groups.get('inc')?.total ?? 0) >= 500, 'the scheduler knows all 500 inc tasks');
  t.same([...sched.state.groups.keys()].sort(), ['inc', 'my-prefix']);
  t.equal(sched.state.groups.get('inc')!.total, 500);
  // Both maps' futures are kept to the end: a future collected releases its task, which the
  // scheduler then forgets (the group's total falls short of 500 for good).
  t.ok([...a, ...b].every((f) => f.status === 'pending'), 'the 503 tasks still wait (no worker), held to the end');
});
