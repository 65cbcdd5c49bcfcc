/**
 * What a task threw, as the strings an error travels as. JavaScript may throw anything: a task
 * that threw `{ code: 42 }` failed with `Error: [object Object]` and one that threw a string
 * with a stack of the worker's own frames (`at failed (…/thread.js)`), as if Gluon had failed.
 * A value that is not an Error is said as such and shown as Node shows it, with no stack.
 */
import { inspect } from 'node:util';
import { isErrorCodeText, MAX_ERROR_PATH } from '@gluon/protocol/values';

export interface ThrownError {
  name: string;
  message: string;
  stack: string;
  /** The thrown value's `code` (a number as its decimal string), when it fits the protocol's bound. */
  code?: string;
  /** A system error's `errno`, `syscall` and `path` (Node's names), when they fit. */
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Longest rendering of a thrown non-Error value kept in the message. */
const SHOWN_CHARS = 500;

export function describeThrown(err: unknown): ThrownError {
  if (err instanceof Error) return { name: String(err.name), message: String(err.message), stack: String(err.stack ?? err), ...details(err) };
  const message = `the task threw ${kindOf(err)}, not an Error: ${show(err)}`;
  // No frames: only an Error records where it was made; the worker's own would mislead.
  return { name: 'Error', message, stack: `Error: ${message}\n    (no stack: a thrown value that is not an Error has none; throw new Error(…) for one)`, ...details(err) };
}

/**
 * What a client may branch on besides the text: `code`, `errno`, `syscall`, `path`, as Node's
 * system errors have them (also from a thrown object that is not an Error). Only values that fit
 * the protocol's bounds travel; another (an object, an over-long or multi-line code, a getter
 * that throws) is left out: the scheduler would refuse the whole message, closing this worker.
 */
function details(err: unknown): Pick<ThrownError, 'code' | 'errno' | 'syscall' | 'path'> {
  if (err === null || typeof err !== 'object') return {};
  const out: Pick<ThrownError, 'code' | 'errno' | 'syscall' | 'path'> = {};
  const read = (name: string): unknown => {
    try {
      return (err as Record<string, unknown>)[name];
    } catch {
      return undefined; // a throwing getter or proxy
    }
  };
  const code = read('code');
  const codeText = typeof code === 'number' && Number.isFinite(code) ? String(code) : code;
  if (isErrorCodeText(codeText)) out.code = codeText;
  const errno = read('errno');
  if (typeof errno === 'number' && Number.isInteger(errno)) out.errno = errno;
  const syscall = read('syscall');
  if (isErrorCodeText(syscall)) out.syscall = syscall;
  const path = read('path');
  if (typeof path === 'string' && path.length <= MAX_ERROR_PATH) out.path = path;
  return out;
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
