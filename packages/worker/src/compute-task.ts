/**
 * A compute-task as it arrives (protocol 5: its dependencies as an array of `{key, holders,
 * value?}`) to the task the worker's state machine takes (keyed by dependency). The connection
 * has checked the message's shape (ops.ts).
 */
import type { Inbound, SCHEDULER_TO_WORKER } from '@gluon/protocol';
import type { ComputeTask } from './state.js';

type ComputeTaskMessage = Extract<Inbound<typeof SCHEDULER_TO_WORKER>, { op: 'compute-task' }>;

/**
 * The task a compute-task message describes. A dependency with a `value` field came with its
 * value, whatever it is (undefined included). A dependency named twice is one dependency.
 */
export function computeTaskOf(m: ComputeTaskMessage): ComputeTask {
  const deps: Record<string, string[]> = {};
  let values: Record<string, unknown> | undefined;
  for (const d of m.deps) {
    deps[d.key] = d.holders;
    if ('value' in d) (values ??= {})[d.key] = d.value;
  }
  const task: ComputeTask = { key: m.key, fn: m.fn, args: m.args, deps, priority: m.priority };
  if (values) task.values = values;
  if (m.timeoutMs !== undefined) task.timeoutMs = m.timeoutMs;
  return task;
}
