/**
 * Shape checks of what clients send, at the network edge: the state machine trusts its inputs,
 * so anything malformed is refused here with a reason naming the offending field. Also the
 * check of a worker's `transfer` report (which the state machine ignores when malformed).
 */
import type { TaskSpec } from '@gluon/protocol';

/** Returns why `tasks`/`wants` of an update-graph are malformed, or null when they are fine. */
export function checkUpdateGraph(tasks: unknown, wants: unknown): string | null {
  if (!Array.isArray(tasks)) return `update-graph: tasks must be an array, got ${describe(tasks)}`;
  for (let i = 0; i < tasks.length; i++) {
    const why = checkTaskSpec(tasks[i]);
    if (why) return `update-graph: tasks[${i}]${why}`;
  }
  return checkKeys('update-graph', 'wants', wants);
}

function checkTaskSpec(t: unknown): string | null {
  if (t === null || typeof t !== 'object') return ` must be an object, got ${describe(t)}`;
  const s = t as Partial<TaskSpec>;
  if (typeof s.key !== 'string' || s.key === '') return `.key must be a non-empty string, got ${describe(s.key)}`;
  if (s.fn === null || typeof s.fn !== 'object') return `.fn (task ${s.key}) must be {module, export}, got ${describe(s.fn)}`;
  if (typeof s.fn.module !== 'string' || s.fn.module === '') return `.fn.module (task ${s.key}) must be a non-empty string`;
  if (typeof s.fn.export !== 'string' || s.fn.export === '') return `.fn.export (task ${s.key}) must be a non-empty string`;
  if (!Array.isArray(s.args)) return `.args (task ${s.key}) must be an array, got ${describe(s.args)}`;
  const deps = checkKeys('', `.deps (task ${s.key})`, s.deps);
  if (deps) return deps.slice(2);
  if (s.priority !== undefined && !Number.isFinite(s.priority)) return `.priority (task ${s.key}) must be a finite number, got ${describe(s.priority)}`;
  if (s.retries !== undefined && !(Number.isInteger(s.retries) && s.retries >= 0)) {
    return `.retries (task ${s.key}) must be a non-negative integer, got ${describe(s.retries)}`;
  }
  return null;
}

/**
 * Returns why the `held` hints of an update-graph (key → worker data addresses a reconnecting
 * client saw the result on) are malformed, or null. Absent is fine.
 */
export function checkHeld(held: unknown): string | null {
  if (held === undefined) return null;
  if (held === null || typeof held !== 'object' || Array.isArray(held)) return `update-graph: held must be an object of key → worker addresses, got ${describe(held)}`;
  for (const [key, addrs] of Object.entries(held)) {
    const why = checkKeys('update-graph', `held[${JSON.stringify(key)}]`, addrs);
    if (why) return why.replace('array of keys', 'array of worker addresses').replace('string key', 'string address');
  }
  return null;
}

/** Returns why a message's key list is malformed, or null. */
export function checkKeys(op: string, field: string, keys: unknown): string | null {
  if (!Array.isArray(keys)) return `${op}: ${field} must be an array of keys, got ${describe(keys)}`;
  for (let i = 0; i < keys.length; i++) {
    if (typeof keys[i] !== 'string') return `${op}: ${field}[${i}] must be a string key, got ${describe(keys[i])}`;
  }
  return null;
}

/** A worker's `transfer` report as {@link checkTransfer} accepts it. */
export interface TransferReport {
  from: string;
  keys: string[];
  start: number;
  stop: number;
  bytes: number;
}

/** Returns why a worker's `transfer` report is malformed, or null when it is a {@link TransferReport}. */
export function checkTransfer(m: Record<string, unknown>): string | null {
  if (typeof m.from !== 'string' || m.from === '') return `transfer: from must be the peer's data address, got ${describe(m.from)}`;
  const keys = checkKeys('transfer', 'keys', m.keys);
  if (keys) return keys;
  if ((m.keys as unknown[]).length === 0) return 'transfer: keys must name at least one key';
  for (const f of ['start', 'stop', 'bytes'] as const) {
    if (typeof m[f] !== 'number' || !Number.isFinite(m[f])) return `transfer: ${f} must be a finite number, got ${describe(m[f])}`;
  }
  if ((m.stop as number) < (m.start as number)) return `transfer: stop (${m.stop}) is before start (${m.start})`;
  if ((m.bytes as number) < 0) return `transfer: bytes must be ≥ 0, got ${m.bytes}`;
  return null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
