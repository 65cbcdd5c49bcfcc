/**
 * A compute-task's dependencies as they arrive (protocol 5: an array of `{key, holders, value?}`)
 * become the task the worker's state machine takes: where each dependency lives, and the values
 * that came along (present whatever they are, undefined included).
 */
import t from 'tap';
import { checkInbound, SCHEDULER_TO_WORKER } from '@gluon/protocol';
import { computeTaskOf } from '../../src/compute-task.js';

const fn = { module: 'm', export: 'e' };

t.test('holders and values by dependency, a value of undefined included', async (t) => {
  const m = {
    op: 'compute-task' as const, key: 'sum-1', fn, args: [], priority: [0, 1, 0, 2], timeoutMs: 50,
    deps: [{ key: 'a-1', holders: ['ws://h:1'] }, { key: 'b-1', holders: [], value: 3 }, { key: 'c-1', holders: ['ws://h:2'], value: undefined }],
  };
  t.equal(checkInbound(SCHEDULER_TO_WORKER, m), null, 'the message fits its schema');
  const task = computeTaskOf(m);
  t.same(task.deps, { 'a-1': ['ws://h:1'], 'b-1': [], 'c-1': ['ws://h:2'] });
  t.ok(task.values && Object.hasOwn(task.values, 'c-1'), 'a value of undefined still came along');
  t.same(Object.keys(task.values!).sort(), ['b-1', 'c-1'], 'a-1 is fetched');
  t.equal(task.values!['b-1'], 3);
  t.equal(task.timeoutMs, 50);
});

t.test('no dependencies: no values; a dependency named twice is one', async (t) => {
  const none = computeTaskOf({ op: 'compute-task', key: 'x-1', fn, args: [1], deps: [], priority: [0] });
  t.same(none.deps, {});
  t.equal(none.values, undefined);
  t.equal('timeoutMs' in none, false);
  const twice = computeTaskOf({ op: 'compute-task', key: 'x-2', fn, args: [], deps: [{ key: 'a-1', holders: ['ws://h:1'] }, { key: 'a-1', holders: ['ws://h:1'] }], priority: [0] });
  t.same(Object.keys(twice.deps), ['a-1']);
});

t.test('protocol 4 dependencies (an object keyed by task key) are refused with the field named', async (t) => {
  const v4 = { op: 'compute-task', key: 'x-1', fn, args: [], deps: { 'a-1': ['ws://h:1'] }, priority: [0] };
  const p = checkInbound(SCHEDULER_TO_WORKER, v4);
  t.match(String(p), /compute-task: deps must be an array/);
});
