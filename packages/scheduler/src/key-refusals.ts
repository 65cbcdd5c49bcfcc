/**
 * Keys a client names that the scheduler does not take (protocol 21): a key over the protocol's
 * bound (`MAX_KEY_LENGTH`). A client's keys reach the scheduler bounded by the frame alone, so one
 * over-long key is refused here, by naming it, instead of by closing the connection (4003) and
 * losing every other task that connection carried. Such a key is never stored, indexed or shown:
 * its task fails alone (and the tasks depending on it, with its key missing), and an over-long key
 * in another op is left out of what that op does. Pure: what to say, not whom to tell.
 */
import { MAX_KEY_LENGTH, overLongKeyText, type TaskError } from '@gluon/protocol';
import { shortKey } from './log-line.js';

/** Whether the scheduler refuses this key: it is over the protocol's bound. */
export function overLong(key: string): boolean {
  return key.length > MAX_KEY_LENGTH;
}

/**
 * The over-long keys of `keys` added to `into` (each once), or `into` itself when there are
 * none: one length comparison per key, nothing allocated for a frame without one.
 */
export function overLongKeys(keys: readonly string[], into: Set<string> | null = null): Set<string> | null {
  for (const k of keys) if (k.length > MAX_KEY_LENGTH) (into ??= new Set()).add(k);
  return into;
}

/** The error of a task whose own key is over the bound: the client's future of that key fails with it. */
export function overLongKeyError(key: string): TaskError {
  return {
    message: `task key ${overLongKeyText(key)}: the scheduler did not take the task; the rest of its graph goes on`,
    name: 'KeyTooLongError', stack: '', key, worker: '', retriesUsed: 0, kind: 'bad-input',
  };
}

/**
 * The error of a task whose dependency `missing` the scheduler does not have: released, never
 * submitted, a key over the bound that no task can have, or (`later`) a task of the same
 * update-graph placed after it, which is how a task that depends on itself or a cycle arrives:
 * those were said to be unknown, "never submitted", of a key the very frame held.
 */
export function missingDependencyError(key: string, missing: string, later = false): TaskError {
  const why = overLong(missing) ? `${overLongKeyText(missing)}, so no task has it`
    : missing === key ? 'itself'
      : later ? `${missing}, which comes after it in the same update-graph: a task must come after the tasks it depends on (so no cycle can be submitted)`
        : `${missing}, which the scheduler does not know (released or never submitted)`;
  return { message: `task ${key} depends on ${why}`, name: 'UnknownDependencyError', stack: '', key, worker: '', retriesUsed: 0, kind: 'bad-input' };
}

/**
 * What a client is told (a `warning` of kind `key-refused` about the op) when an op other than
 * update-graph names over-long keys: the op did the rest of its keys, and left these out.
 */
export function refusedKeysText(op: string, keys: ReadonlySet<string>): string {
  const [first] = keys;
  const more = keys.size > 1 ? ` (and ${keys.size - 1} more such key(s))` : '';
  return `${op}: key ${overLongKeyText(first!)}${more}; no task has such a key, so it was left out and the rest of the ${op} done`;
}

/** The scheduler's log line for a client's update-graph naming over-long keys. */
export function refusedTasksText(client: string, keys: ReadonlySet<string>): string {
  const [first] = keys;
  return `client ${client} sent ${keys.size} task key(s) over ${MAX_KEY_LENGTH} characters (the first: ${shortKey(first!)}); `
    + 'those tasks and the tasks depending on them failed, the rest of the graph goes on';
}
