/**
 * What a task threw, as the strings an error travels as. JavaScript may throw anything: a task
 * that threw `{ code: 42 }` failed with `Error: [object Object]` and one that threw a string
 * with a stack of the worker's own frames (`at failed (…/thread.js)`), as if Gluon had failed.
 * A value that is not an Error is said as such and shown as Node shows it, with no stack.
 */
import { inspect } from 'node:util';

export interface ThrownError {
  name: string;
  message: string;
  stack: string;
}

/** Longest rendering of a thrown non-Error value kept in the message. */
const SHOWN_CHARS = 500;

export function describeThrown(err: unknown): ThrownError {
  if (err instanceof Error) return { name: String(err.name), message: String(err.message), stack: String(err.stack ?? err) };
  const message = `the task threw ${kindOf(err)}, not an Error: ${show(err)}`;
  // No frames: only an Error records where it was made; the worker's own would mislead.
  return { name: 'Error', message, stack: `Error: ${message}\n    (no stack: a thrown value that is not an Error has none; throw new Error(…) for one)` };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

function show(v: unknown): string {
  let s: string;
  try {
    s = inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 20, maxStringLength: SHOWN_CHARS });
  } catch {
    s = Object.prototype.toString.call(v); // a throwing getter or proxy
  }
  return s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}…` : s;
}
