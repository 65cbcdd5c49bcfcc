/**
 * A small declarative schema language for what arrives on the wire. A schema checks a decoded
 * value and carries the TypeScript type it admits (`Infer<S>`), so one declaration gives both
 * the check at the network edge and the type the handlers see. Checks allocate nothing when the
 * value fits; on a mismatch they say where (`tasks[3].fn.module`) and why, in words. Every
 * received message is checked, so an object's check is compiled for its fields (`obj`).
 */
import { CONTROL_CHARACTER } from './log-text.js';

/** Where a value did not fit, and why. */
export interface Problem {
  /** Path inside the checked value, e.g. `.tasks[3].fn`; empty for the value itself. */
  path: string;
  why: string;
  /** Names the innermost tagged object around the mismatch, e.g. `task a-1`. */
  tag?: string;
}

/**
 * What a schema admits, as plain data: for documentation and for tools that build values of the
 * shape (the schema-aware fuzzer generates valid messages from it, then breaks them).
 */
export type Shape =
  | { type: 'any' }
  | { type: 'string'; nonEmpty: boolean; maxLength?: number; plain?: boolean }
  | { type: 'number'; int: boolean; min?: number; max?: number }
  | { type: 'boolean' }
  | { type: 'literal'; values: readonly (string | number | boolean)[] }
  | { type: 'array'; item: Shape; min: number }
  | { type: 'record'; value: Shape; maxKeyLength?: number }
  | { type: 'object'; fields: Readonly<Record<string, { shape: Shape; optional: boolean }>> };

/** Checks a value and carries the type it admits. */
export interface Schema<T> {
  /** A short description of the expected shape, used in reasons. */
  readonly doc: string;
  /** The same, as data. */
  readonly shape: Shape;
  /** True for fields made with {@link opt}. */
  readonly optional?: boolean;
  /** Null when `v` fits, else the problem. */
  check(v: unknown): Problem | null;
  /** Phantom: the admitted type (never set). */
  readonly __type?: T;
}

/** A schema marked optional: the field may be absent (or undefined). */
export interface Optional<T> extends Schema<T> {
  readonly optional: true;
}

/** The TypeScript type a schema admits. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Fields = Record<string, Schema<unknown>>;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Optional<unknown> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The object type an {@link obj} of these fields admits. */
export type ObjectOf<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> }
>;

/** Describes a value in a reason: its type, and short values themselves. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** `op: path (tag) why`, the reason a connection is closed with. */
export function formatProblem(op: string, p: Problem): string {
  const path = p.path.startsWith('.') ? p.path.slice(1) : p.path;
  return `${op}: ${path || 'message'}${p.tag ? ` (${p.tag})` : ''} ${p.why}`;
}

function problem(why: string): Problem {
  return { path: '', why };
}

function within(p: Problem, segment: string): Problem {
  p.path = segment + p.path;
  return p;
}

/** Anything at all (task arguments, results, published values). */
export const anything: Schema<unknown> = { doc: 'any value', shape: { type: 'any' }, check: () => null };

/**
 * Any value whose containers (arrays, objects, Maps, Sets) nest at most `limit` deep, itself
 * included; typed arrays and other leaves count as none. Walked without recursion, stopping at the
 * first container too deep. A decoded frame has no cycles (reference extensions are refused), so
 * nothing is walked twice. For what a receiver passes on: the codec decodes a little deeper than
 * it encodes, so a value of ~3,000 levels (3 kB) came in but could not go out again.
 */
export function nestedAtMost(limit: number): Schema<unknown> {
  return {
    doc: `any value nested at most ${limit} levels deep`,
    shape: { type: 'any' },
    // Most arguments are leaves: no walk, no allocation.
    check: (v) => (isContainer(v) && nestsDeeper(v, limit) ? problem(`is nested more than ${limit} levels deep`) : null),
  };
}

const isContainer = (m: unknown): m is object => typeof m === 'object' && m !== null && !ArrayBuffer.isView(m);

/** The members of a container, each passed to `visit` until it returns true. */
function someMember(c: object, visit: (m: unknown) => boolean): boolean {
  if (Array.isArray(c)) {
    for (let i = 0; i < c.length; i++) if (visit(c[i])) return true;
  } else if (c instanceof Map) {
    for (const [k, m] of c) if (visit(k) || visit(m)) return true;
  } else if (c instanceof Set) {
    for (const m of c) if (visit(m)) return true;
  } else {
    for (const k in c) if (visit((c as Record<string, unknown>)[k])) return true;
  }
  return false;
}

function nestsDeeper(v: object, limit: number): boolean {
  // Most containers hold only leaves (a dependency's {__gluonRef}, an array of numbers): no stack.
  if (!someMember(v, isContainer)) return false;
  if (limit < 2) return true;
  // Two parallel stacks, not pairs: nothing is allocated per container but the stacks' growth.
  const values: object[] = [v];
  const depths: number[] = [1];
  let next = 0;
  const push = (m: unknown): boolean => {
    if (!isContainer(m)) return false;
    if (next > limit) return true;
    values.push(m);
    depths.push(next);
    return false;
  };
  while (values.length) {
    const c = values.pop()!;
    next = depths.pop()! + 1;
    if (someMember(c, push)) return true;
  }
  return false;
}

/**
 * A string; `nonEmpty` refuses `''`, `maxLength` bounds its length (UTF-16 units, as `.length`
 * counts), `plain` refuses control characters ({@link CONTROL_CHARACTER}: line breaks, tabs,
 * terminal escapes, bidirectional overrides). The reason says which bound, and where a control
 * character is, with the value's start escaped.
 */
export function str(opts: { nonEmpty?: boolean; maxLength?: number; plain?: boolean } = {}): Schema<string> {
  const parts = [opts.nonEmpty ? 'a non-empty string' : 'a string'];
  if (opts.maxLength !== undefined) parts.push(`of at most ${opts.maxLength} characters`);
  if (opts.plain) parts.push('without control characters');
  const doc = parts.join(' ');
  const max = opts.maxLength ?? Infinity;
  const plain = opts.plain === true;
  const shape: Shape = { type: 'string', nonEmpty: opts.nonEmpty === true, ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}), ...(plain ? { plain } : {}) };
  // Most strings of most messages have no bound: their check stays the one comparison it was.
  if (max === Infinity && !plain) {
    return { doc, shape, check: (v) => (typeof v === 'string' && (!opts.nonEmpty || v !== '') ? null : problem(`must be ${doc}, got ${describe(v)}`)) };
  }
  return {
    doc,
    shape,
    check: (v) => {
      if (typeof v !== 'string' || (opts.nonEmpty && v === '')) return problem(`must be ${doc}, got ${describe(v)}`);
      if (v.length > max) return problem(`must be at most ${max} characters, got ${v.length}: ${describe(v)}`);
      if (plain) {
        const at = v.search(CONTROL_CHARACTER);
        if (at >= 0) return problem(`must have no control characters, got U+${v.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')} at character ${at + 1} of ${describe(v)}`);
      }
      return null;
    },
  };
}

/** A finite number; `int` asks for an integer, `min`/`max` bound it. */
export function num(opts: { int?: boolean; min?: number; max?: number } = {}): Schema<number> {
  const parts = [opts.int ? 'an integer' : 'a finite number'];
  if (opts.min !== undefined) parts.push(`≥ ${opts.min}`);
  if (opts.max !== undefined) parts.push(`≤ ${opts.max}`);
  const doc = parts.join(' ');
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  return {
    doc,
    shape: { type: 'number', int: opts.int === true, ...(opts.min !== undefined ? { min: opts.min } : {}), ...(opts.max !== undefined ? { max: opts.max } : {}) },
    check: (v) => (typeof v === 'number' && (opts.int ? Number.isInteger(v) : Number.isFinite(v)) && v >= min && v <= max
      ? null : problem(`must be ${doc}, got ${describe(v)}`)),
  };
}

/** true or false. */
export const bool: Schema<boolean> = {
  doc: 'a boolean',
  shape: { type: 'boolean' },
  check: (v) => (typeof v === 'boolean' ? null : problem(`must be a boolean, got ${describe(v)}`)),
};

/** One of a few literal values. */
export function oneOf<const V extends readonly (string | number | boolean)[]>(...values: V): Schema<V[number]> {
  const doc = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return {
    doc, shape: { type: 'literal', values }, check: (v) => (values.includes(v as V[number]) ? null : problem(`must be ${doc}, got ${describe(v)}`)),
  };
}

/**
 * An item's doc made plural for its array's: the noun before the item's bounds takes the `s`
 * ("a non-empty string of at most 4096 characters" → "non-empty strings of at most 4096
 * characters", "an integer ≥ 0" → "integers ≥ 0"); it was put after the bounds.
 */
function plural(doc: string): string {
  if (!/^an? /.test(doc)) return doc + (doc.endsWith('s') ? '' : 's');
  const d = doc.replace(/^an? /, '');
  const at = d.search(/ (?:of|with|without|≥|≤) /);
  const [head, tail] = at < 0 ? [d, ''] : [d.slice(0, at), d.slice(at)];
  return head + (head.endsWith('s') ? '' : 's') + tail;
}

/** An array whose elements fit `item`; `min` is the fewest elements allowed. */
export function arrayOf<T>(item: Schema<T>, opts: { min?: number } = {}): Schema<T[]> {
  const doc = `an array of ${item === anything ? 'values' : plural(item.doc)}`;
  const min = opts.min ?? 0;
  return {
    doc,
    shape: { type: 'array', item: item.shape, min },
    check: (v) => {
      if (!Array.isArray(v)) return problem(`must be ${doc}, got ${describe(v)}`);
      if (v.length < min) return problem(`must have at least ${min} element(s)`);
      if (item === anything) return null;
      for (let i = 0; i < v.length; i++) {
        const p = item.check(v[i]);
        if (p) return within(p, `[${i}]`);
      }
      return null;
    },
  };
}

/**
 * A plain object used as a map: string keys (`maxKeyLength` bounds each, as {@link str}'s
 * `maxLength` does), values fitting `value`.
 */
export function recordOf<T>(value: Schema<T>, opts: { maxKeyLength?: number } = {}): Schema<Record<string, T>> {
  const maxKey = opts.maxKeyLength ?? Infinity;
  const doc = `an object of ${value.doc.replace(/^an? /, '')} values${maxKey < Infinity ? ` with keys of at most ${maxKey} characters` : ''}`;
  const at = (k: string) => `[${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)}]`;
  return {
    doc,
    shape: { type: 'record', value: value.shape, ...(maxKey < Infinity ? { maxKeyLength: maxKey } : {}) },
    check: (v) => {
      if (!isPlainObject(v)) return problem(`must be ${doc}, got ${describe(v)}`);
      if (value === anything && maxKey === Infinity) return null;
      for (const k in v) {
        if (k.length > maxKey) return within(problem(`is a key of ${k.length} characters, over the ${maxKey} allowed`), at(k));
        const p = value === anything ? null : value.check((v as Record<string, unknown>)[k]);
        if (p) return within(p, at(k));
      }
      return null;
    },
  };
}

/** Marks a field of an {@link obj} as optional. */
export function opt<T>(s: Schema<T>): Optional<T> {
  return { doc: s.doc, shape: s.shape, optional: true, check: (v) => s.check(v) };
}

/**
 * An object with exactly these fields: a missing required field or a field not listed is a
 * mismatch. `tag` names the object in reasons (e.g. `task a-1`) when it can.
 */
export function obj<F extends Fields>(fields: F, opts: { tag?: (v: Record<string, unknown>) => string | undefined } = {}): Schema<ObjectOf<F>> {
  const names = Object.keys(fields);
  // Fields are read as o[name], which would find Object.prototype's members on an object lacking them.
  for (const n of names) if (n in Object.prototype) throw new Error(`obj(): field name "${n}" is a member of Object.prototype`);
  const checks = names.map((n) => (fields[n] === anything ? null : fields[n]!.check));
  const optional = names.map((n) => fields[n]!.optional === true);
  const doc = `{${names.map((n, i) => `${n}${optional[i] ? '?' : ''}`).join(', ')}}`;
  /** The reason a value does not fit (null when it does). */
  const explain = (v: unknown): Problem | null => {
    if (!isPlainObject(v)) return problem(`must be an object ${doc}, got ${describe(v)}`);
    const o = v as Record<string, unknown>;
    let present = 0;
    for (let i = 0; i < names.length; i++) {
      const x = o[names[i]!];
      if (x === undefined) {
        if (optional[i]) continue;
        return tagged(within(problem('is missing'), `.${names[i]}`), o, opts.tag);
      }
      present++;
      const p = checks[i] ? checks[i]!(x) : null;
      if (p) return tagged(within(p, `.${names[i]}`), o, opts.tag);
    }
    // As many own keys as declared fields found: none is undeclared. Otherwise one is not
    // declared (or a declared optional one is present as undefined, which is fine).
    let count = 0;
    for (const _ in o) count++;
    if (count === present) return null;
    for (const k of Object.keys(o)) {
      if (!Object.hasOwn(fields, k)) {
        const shown = k.length > 40 ? `${k.slice(0, 40)}…` : k;
        return tagged(within(problem(`is not a known field (expected ${doc})`), `.${shown}`), o, opts.tag);
      }
    }
    return null;
  };
  return {
    doc,
    shape: { type: 'object', fields: Object.fromEntries(names.map((n, i) => [n, { shape: fields[n]!.shape, optional: optional[i]! }])) },
    check: compiledObjectCheck(names, checks, optional, explain),
  };
}

/**
 * The check of an {@link obj}, compiled once for its field names: every message of every op is
 * checked, and a generic loop reading `o[names[i]]` makes each of those reads a lookup by a
 * varying name on objects of every op's shape (megamorphic, slow), where `o.key` in code of its
 * own is cached per op. It only answers "fits"; for anything else it asks `explain`, which gives
 * the same answer the loop would (fits, or the problem), so both agree by construction.
 */
function compiledObjectCheck(
  names: readonly string[],
  checks: ReadonlyArray<((v: unknown) => Problem | null) | null>,
  optional: readonly boolean[],
  explain: (v: unknown) => Problem | null,
): (v: unknown) => Problem | null {
  const lines = names.map((n, i) => {
    const read = `x = o[${JSON.stringify(n)}];`;
    const nested = checks[i] ? ` if (checks[${i}](x) !== null) return explain(o);` : '';
    return optional[i]
      ? `${read} if (x !== undefined) { present++;${nested} }`
      : `${read} if (x === undefined) return explain(o); present++;${nested}`;
  });
  const body = `return function check(o) {
    if (o === null || typeof o !== 'object') return explain(o);
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) return explain(o);
    let present = 0, x;
    ${lines.join('\n    ')}
    let count = 0;
    for (const _ in o) count++;
    return count === present ? null : explain(o);
  };`;
  try {
    return new Function('checks', 'explain', body)(checks, explain) as (v: unknown) => Problem | null;
  } catch {
    // Code generation from strings is off (node --disallow-code-generation-from-strings): the loop.
    return explain;
  }
}

function tagged(p: Problem, o: Record<string, unknown>, tag: ((v: Record<string, unknown>) => string | undefined) | undefined): Problem {
  if (tag && p.tag === undefined) {
    const t = tag(o);
    if (t !== undefined) p.tag = t;
  }
  return p;
}

/** An object made by `{}` (as msgpack decodes maps), not an array, typed array or class instance. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
