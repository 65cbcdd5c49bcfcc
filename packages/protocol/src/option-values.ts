/**
 * Numbers in an options object, checked where they are given. JavaScript callers and `as` casts
 * get no type check: a string, a negative or a fraction otherwise reached the code that uses it
 * (`Scheduler.start({ port: 'x' })` started a scheduler at `ws://127.0.0.1:undefined`) or failed
 * in Node naming its own argument (`helloTimeoutMs: 'x'`: `The "requestTimeout" argument must be
 * of type number`). One helper for the option objects of every
 * role, so that each error names the option and shows the value as given.
 */
import { describe } from './schema.js';

/** What a numeric option takes. */
export interface NumberRule {
  /** What it is, for the message: `a whole number`, `a number of milliseconds`. */
  what: string;
  /** Whole numbers only. */
  integer: boolean;
  /** The smallest value taken (or the bound it must be above, with `above`). */
  min: number;
  /** `min` itself is not taken (a duration that must be more than 0). */
  above?: boolean;
  /** The largest value taken. */
  max?: number;
}

/** A whole number from `min` (to `max`), e.g. a count or a bound. */
export const wholeFrom = (min: number, max?: number): NumberRule => ({ what: 'a whole number', integer: true, min, ...(max === undefined ? {} : { max }) });

/** A TCP port (0: any free port). */
export const PORT_RULE: NumberRule = { what: 'a port number', integer: true, min: 0, max: 65535 };

/** A whole number of bytes from 1. */
export const BYTES_RULE: NumberRule = { what: 'a whole number of bytes', integer: true, min: 1 };

/** Milliseconds: more than 0 (a timeout or a TTL), or from 0 (a wait that may be none). */
export const msRule = (zeroTaken: boolean): NumberRule => ({ what: 'a number of milliseconds', integer: false, min: 0, above: !zeroTaken });

/** `from 1`, `> 0`, `from 0 to 65535`: the range of a rule, as its messages say it. */
function rangeText(r: NumberRule): string {
  if (r.max !== undefined) return `from ${r.min} to ${r.max}`;
  return r.above ? `> ${r.min}` : r.integer ? `from ${r.min}` : `≥ ${r.min}`;
}

/** A value as the caller gave it: `-1`, `2.5`, `"5"` (a string), `null`, `an object`. */
function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : describe(v);
}

/**
 * `v` when it is a number `rule` takes; else a RangeError naming `name` (with its call:
 * `Scheduler.start: maxTopics`), what it must be and the value as given
 * (`… must be a whole number from 1, got "5"`).
 */
export function checkNumberOption(name: string, v: unknown, rule: NumberRule): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v))
    && (rule.above ? v > rule.min : v >= rule.min) && (rule.max === undefined || v <= rule.max);
  if (!ok) throw new RangeError(`${name} must be ${rule.what} ${rangeText(rule)}, got ${shown(v)}`);
  return v;
}

/** Which rule each numeric option of an options object `T` takes. */
export type NumberRules<T> = { [K in keyof T]?: NumberRule };

/**
 * Checks every numeric option of `opts` that `rules` names and that is given, in the table's
 * order, with {@link checkNumberOption}: the first not taken throws, named `where: option`.
 */
export function checkNumberOptions<T extends object>(opts: T, rules: NumberRules<T>, where: string): void {
  for (const [name, rule] of Object.entries(rules) as [string, NumberRule][]) {
    const v = (opts as Record<string, unknown>)[name];
    if (v !== undefined) checkNumberOption(`${where}: ${name}`, v, rule);
  }
}
