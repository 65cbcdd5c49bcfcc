/**
 * What a task threw, as the strings an error travels as. JavaScript may throw anything: a task
 * that threw `{ code: 42 }` failed with `Error: [object Object]` and one that threw a string
 * with a stack of the worker's own frames (`at failed (…/thread.js)`), as if Gluon had failed.
 * A value that is not an Error is said as such and shown as Node shows it, with no stack.
 * An Error's `cause` and an AggregateError's `errors` follow its stack, as Node prints them
 * for an uncaught error: `new Error('row 7 is bad', { cause: jsonError })` lost the JSON
 * parser's words, the only ones saying what was wrong with the row.
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
  if (err instanceof Error) return { name: String(err.name), message: String(err.message), stack: stackWithCauses(err), ...details(err) };
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
  const code = read(err, 'code');
  const codeText = typeof code === 'number' && Number.isFinite(code) ? String(code) : code;
  if (isErrorCodeText(codeText)) out.code = codeText;
  const errno = read(err, 'errno');
  if (typeof errno === 'number' && Number.isInteger(errno)) out.errno = errno;
  const syscall = read(err, 'syscall');
  if (isErrorCodeText(syscall)) out.syscall = syscall;
  const path = read(err, 'path');
  if (typeof path === 'string' && path.length <= MAX_ERROR_PATH) out.path = path;
  return out;
}

/** How many errors (causes and an AggregateError's members, at any depth) a stack shows besides the thrown one. */
const MAX_RELATED = 32;

/**
 * The error's stack, then each cause (`Caused by: …`, as a chain) and an AggregateError's
 * members (`errors[i]: …`, indented under it). A cycle (`e.cause = e`) is named, not followed;
 * past MAX_RELATED errors the rest are counted, so a pathological error stays a short text.
 */
function stackWithCauses(err: Error): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let budget = MAX_RELATED;
  const add = (e: unknown, label: string, indent: string): void => {
    if (label !== '') {
      if (seen.has(e)) {
        lines.push(`${indent}${label}(an error shown above)`);
        return;
      }
      if (budget <= 0) {
        lines.push(`${indent}${label}(not shown: over ${MAX_RELATED} related errors)`);
        return;
      }
      budget--;
    }
    seen.add(e);
    const text = e instanceof Error ? ownStack(e) : `${show(e)} (not an Error)`;
    for (const [i, line] of text.split('\n').entries()) lines.push(i === 0 ? `${indent}${label}${line}` : `${indent}${line}`);
    if (!(e instanceof Error)) return;
    const errors = read(e, 'errors');
    if (e instanceof AggregateError && Array.isArray(errors)) {
      for (const [i, member] of errors.entries()) add(member, `errors[${i}]: `, `${indent}  `);
    }
    // A member's cause goes under the member, so that it is not read as the next member's.
    if (hasOwn(e, 'cause')) add(read(e, 'cause'), 'Caused by: ', indent === '' ? '' : `${indent}  `);
  };
  add(err, '', '');
  return lines.join('\n');
}

function ownStack(e: Error): string {
  const stack = read(e, 'stack');
  if (typeof stack === 'string' && stack !== '') return stack;
  return `${String(read(e, 'name') ?? 'Error')}: ${String(read(e, 'message') ?? '')}`;
}

function hasOwn(v: object, name: string): boolean {
  try {
    return Object.prototype.hasOwnProperty.call(v, name);
  } catch {
    return false; // a proxy whose trap throws
  }
}

/** A property as a thrown value has it, or undefined when reading it throws (a getter or proxy). */
function read(v: object, name: string): unknown {
  try {
    return (v as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
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
