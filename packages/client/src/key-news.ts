/**
 * Reading the client's held keys: what the scheduler's news of a key does to its state, which
 * keys a retry runs again, whether any is still pending, and which a reconnect re-sends.
 * Functions of the key table (and the lineage) the client passes in; the client keeps the table.
 */
import type { Message, TaskError as TaskErrorInfo } from '@gluon/protocol';
import type { KeyState, WorkerLists } from './future.js';
import type { Lineage } from './lineage.js';

/**
 * Applies the scheduler's news of one held key (`key-in-memory`, `task-erred`, `cancelled`,
 * `task-retried`, `key-lost`; other messages are not about a key's state) to its `state`. True
 * when the key was cancelled: the client forgets it.
 */
export function keyNews(state: KeyState, m: Message, workerLists: WorkerLists): boolean {
  switch (m.op) {
    case 'key-in-memory':
      state.inMemory(workerLists.of(Array.isArray(m.workers) ? (m.workers as string[]) : []), 'value' in m ? { value: m.value } : undefined);
      return false;
    case 'task-erred':
      state.erred(m.error as TaskErrorInfo);
      return false;
    case 'cancelled':
      state.cancelled();
      return true;
    case 'task-retried':
      // Another client's retry (or this one's, already reset in retry()): pending again, so a
      // result() asked now waits for the re-run instead of rejecting with the old error.
      if (state.status === 'error') state.reset();
      return false;
    case 'key-lost':
      state.erred({
        message: `the result of ${state.key} was lost and cannot be recomputed`, name: 'LostKeyError', stack: '',
        key: state.key, worker: '', retriesUsed: 0, kind: 'lost',
      });
      return false;
    default:
      return false;
  }
}

/**
 * The keys a retry of `keys` (erred) runs again, as the scheduler walks them: each and, through
 * the kept lineage, the erred keys it depends on. A key this client does not hold has no status
 * here; the walk goes through it (a task erred because an input did depends on that input).
 */
export function erredUpstream(keys: string[], states: ReadonlyMap<string, KeyState>, lineage: Lineage): Set<string> {
  const out = new Set<string>();
  const stack = [...keys];
  while (stack.length) {
    const k = stack.pop()!;
    if (out.has(k)) continue;
    const s = states.get(k);
    if (s && s.status !== 'error') continue;
    out.add(k);
    for (const d of lineage.depsOf(k) ?? []) stack.push(d);
  }
  return out;
}

/**
 * A key of `states` not done yet, or undefined: `hint` (the one found last time) while it is
 * still pending and held, else the first in the table.
 */
export function pendingKey(states: ReadonlyMap<string, KeyState>, hint: KeyState | undefined): KeyState | undefined {
  // The key found pending last time, while it still is: the walk below starts at the oldest
  // key, and a loop of submit().result() beside many finished futures kept its one pending
  // key last, so each check walked them all.
  if (hint !== undefined && !hint.done && states.get(hint.key) === hint) return hint;
  for (const s of states.values()) if (!s.done) return s;
  return undefined;
}

/**
 * What a reconnect re-sends of the held keys: every one that has not failed or been cancelled
 * (`roots`), and, to a `restarted` scheduler, where the finished ones were last seen (`held`).
 */
export function heldRoots(states: ReadonlyMap<string, KeyState>, restarted: boolean): { roots: string[]; held: Record<string, string[]> } {
  const roots: string[] = [];
  const held: Record<string, string[]> = {};
  for (const [key, s] of states) {
    if (!s.held || s.status === 'error' || s.status === 'cancelled') continue;
    roots.push(key);
    if (restarted && s.status === 'finished' && s.workers.length) held[key] = [...s.workers];
  }
  return { roots, held };
}
