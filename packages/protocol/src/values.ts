/**
 * Which values can travel between Gluon processes, and how big they are on the wire. Task
 * arguments, results and published values are msgpack-encoded (codec.ts): primitives, plain
 * objects and arrays, typed arrays, `ArrayBuffer`, `Date`, `RegExp`, `Map` and `Set` arrive as
 * themselves. Anything else would arrive as something else — a class instance as a plain object
 * without its methods, a function as `{}`, a cycle as a stack overflow in the encoder — so it is
 * refused where it is made, with the path of the value.
 *
 * This module imports only log-text.ts (which imports nothing), so worker threads can load it
 * without the codec and sockets.
 */
import { CONTROL_CHARACTER } from './log-text.js';

/**
 * Most characters of a failed task's error `code` and `syscall` (Node's `ENOENT`, `open`; a
 * library's `BAD_INPUT`, `23505`), carried so a client can branch on them (protocol 19, ops.ts);
 * a worker leaves out a longer one or one with control characters ({@link isErrorCodeText}: a
 * code nobody matches), never sending what the scheduler would refuse.
 */
export const MAX_ERROR_CODE = 256;
/** Most characters of a failed task's error `path` (a system error's file): Linux's PATH_MAX. */
export const MAX_ERROR_PATH = 4096;

/** True for a string that may travel as an error's `code` or `syscall`. */
export function isErrorCodeText(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && v.length <= MAX_ERROR_CODE && !CONTROL_CHARACTER.test(v);
}

/** How a value travels: as an opaque leaf, or as a container whose children are walked. */
export type WireKind = 'leaf' | 'array' | 'object' | 'map' | 'set';

/**
 * Deepest nesting a value may have. msgpackr encodes and decodes recursively and overflows the
 * stack at around 2,000 levels (less in a worker thread and inside a frame), so the limit keeps
 * a wide margin; real data is rarely more than a few dozen levels deep.
 */
export const MAX_WIRE_DEPTH = 512;

/** Most bytes one value may encode to: a Node Buffer holds at most 4 GiB on every supported Node. */
export const MAX_WIRE_BYTES = 2 ** 32 - 1;

/** A value that cannot travel: `what` names it for an error message (`a function`, `class Foo`). */
export interface Refused {
  refused: string;
}

/** Classifies a value for the wire, or says what it is when it cannot travel. */
export function wireKind(v: unknown): WireKind | Refused {
  switch (typeof v) {
    case 'function': return { refused: 'a function' };
    case 'symbol': return { refused: 'a symbol' };
    case 'object': break;
    default: return 'leaf';
  }
  if (v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return 'leaf';
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return 'object';
  if (proto === Array.prototype) return 'array';
  if (proto === Map.prototype) return 'map';
  if (proto === Set.prototype) return 'set';
  if (proto === Date.prototype || proto === RegExp.prototype) return 'leaf';
  if (v instanceof Promise) return { refused: 'a Promise' };
  const name = (proto as { constructor?: { name?: unknown } } | undefined)?.constructor?.name;
  return { refused: typeof name === 'string' && name ? `class ${name}` : 'an instance of an anonymous class' };
}

/**
 * Why an own property named `__proto__` cannot travel: msgpackr's decoder renames it `__proto_`
 * (its guard against prototype pollution), so the value would arrive with a key it never had.
 * Such keys come from `JSON.parse` of data a task did not write (a log line, a web payload).
 */
export const PROTO_KEY_REFUSAL = 'it would arrive renamed "__proto_" (the decoder\'s guard against prototype pollution); rename the key, or carry the data in a Map';

/** Estimated wire bytes of a leaf (exact for typed arrays and strings, close for the rest). */
export function leafSize(v: unknown): number {
  switch (typeof v) {
    case 'number': return 9;
    case 'bigint': return 9;
    case 'boolean': return 1;
    case 'string': return v.length + 5;
    case 'undefined': return 1;
    default: break;
  }
  if (v === null) return 1;
  if (ArrayBuffer.isView(v)) return v.byteLength + 6;
  if (v instanceof ArrayBuffer) return v.byteLength + 6;
  if (v instanceof RegExp) return v.source.length + 12;
  return 10;
}

/** The children of a container, as [path segment, value] pairs (map keys and values both travel). */
export function* wireChildren(v: unknown, kind: WireKind): Generator<[string | number, unknown]> {
  switch (kind) {
    case 'array': {
      const a = v as unknown[];
      for (let i = 0; i < a.length; i++) yield [i, a[i]];
      return;
    }
    case 'object':
      for (const k of Object.keys(v as object)) yield [k, (v as Record<string, unknown>)[k]];
      return;
    case 'map': {
      let i = 0;
      for (const [k, x] of v as Map<unknown, unknown>) {
        yield [`<key ${i}>`, k];
        yield [`<value ${i++}>`, x];
      }
      return;
    }
    case 'set': {
      let i = 0;
      for (const x of v as Set<unknown>) yield [`<item ${i++}>`, x];
      return;
    }
    default:
  }
}

/** Bytes a container adds on the wire besides its children (header, keys). */
function containerSize(seg: string | number, parentKind: WireKind): number {
  return parentKind === 'object' && typeof seg === 'string' ? seg.length + 1 : 0;
}

/** Segments a path names in full; a longer one names its first and last {@link PATH_ENDS}. */
const PATH_FULL = 24;
const PATH_ENDS = 10;
/** Characters of a key a path quotes; a longer key is cut, its length said. */
const PATH_KEY_SHOWN = 64;

/**
 * `args[1].config["odd key"][3]` from a root and a stack of segments; Map/Set members as
 * `.<value 0>`. A path over {@link PATH_FULL} segments keeps its first and last ten and says how
 * many levels lie between (`result[0][0]…(580 levels)…[0][0]`), and a key over 64 characters is
 * cut: a task returning a value 600 levels deep failed with 1.7 kB of `[0]` (5 kB of `.<value 0>`
 * for Maps) before the reason, which is what the message is read for.
 */
export function formatPath(root: string, segs: ReadonlyArray<string | number>): string {
  const cut = segs.length > PATH_FULL;
  const shown = cut ? [...segs.slice(0, PATH_ENDS), null, ...segs.slice(-PATH_ENDS)] : segs;
  let p = root;
  for (const s of shown) {
    if (s === null) p += `…(${segs.length - 2 * PATH_ENDS} levels)…`;
    else if (typeof s === 'number') p += `[${s}]`;
    else if (s.length <= PATH_KEY_SHOWN && (/^[A-Za-z_$][\w$]*$/.test(s) || /^<(key|value|item) \d+>$/.test(s))) p += `.${s}`;
    else p += `[${JSON.stringify(s.length <= PATH_KEY_SHOWN ? s : `${s.slice(0, PATH_KEY_SHOWN)}…(${s.length} characters)`)}]`;
  }
  return p;
}

/** The outcome of {@link checkWire}: the estimated encoded size, or what cannot be sent and where. */
export type WireCheck = { ok: true; nbytes: number; members: number } | { ok: false; message: string };

/** A container being walked by {@link checkWire}: its children, the next one's index, its size so far. */
interface Frame {
  value: object;
  kind: WireKind;
  /** An array's elements, a Map's keys and values in turn, a Set's members; null for an object. */
  items: unknown[] | null;
  /** An object's own keys; null for the others. */
  keys: string[] | null;
  /** Index of the next child. */
  i: number;
  nbytes: number;
  /** Whether a child is a container (only such a container is remembered once walked: see checkWire). */
  nested: boolean;
}

/**
 * Containers with at most this many children, all leaves, are walked again each time they are
 * reached rather than remembered: a record is cheaper to walk twice than to put in a Map once
 * (on a million `{run, event, mass}` the Map was a third of the walk), and walking one again
 * costs at most this many steps, so no sharing makes the walk blow up.
 */
const UNREMEMBERED_CHILDREN = 16;

/**
 * Up to this depth a cycle is found by looking along the path itself; deeper containers go in a
 * Set as well. Most values are a few levels deep, and the Set cost an add and a delete per container.
 */
const PATH_SCAN_DEPTH = 32;

/** The children of a container as one array (an object's are read through its keys instead). */
function itemsOf(v: object, kind: WireKind): unknown[] | null {
  switch (kind) {
    case 'array': return v as unknown[];
    case 'map': {
      const out: unknown[] = [];
      for (const [k, x] of v as Map<unknown, unknown>) out.push(k, x);
      return out;
    }
    case 'set': return [...(v as Set<unknown>)];
    default: return null;
  }
}

/** The path segment of a frame's child `i`, as {@link wireChildren} names it. */
function segmentOf(f: Frame, i: number): string | number {
  switch (f.kind) {
    case 'object': return f.keys![i]!;
    case 'map': return i % 2 === 0 ? `<key ${i / 2}>` : `<value ${(i - 1) / 2}>`;
    case 'set': return `<item ${i}>`;
    default: return i;
  }
}

/**
 * Walks a whole value, without recursion, and says whether it can travel: every member must be
 * a leaf or a plain container ({@link wireKind}), no container may contain itself, nesting is at
 * most {@link MAX_WIRE_DEPTH}, no object has an own `__proto__` key ({@link PROTO_KEY_REFUSAL}) and
 * the encoded size is at most {@link MAX_WIRE_BYTES}. A container
 * reached twice (shared, not cyclic) is walked once (but for small ones of leaves only, see
 * {@link UNREMEMBERED_CHILDREN}); its size counts each time, as it is encoded each time.
 * `members` counts what was walked (containers and leaves, the top included), which says what a
 * structured clone of the value would cost. The message names the value's path from `root`, e.g.
 * `result.a.b[3]: class Foo cannot be sent`.
 *
 * Plain loops over each container's children, not {@link wireChildren}'s generator: a task
 * returning a million records is walked here before it leaves its thread, and the generators (one
 * per container, a pair per child) took 0.75 s of it.
 */
export function checkWire(value: unknown, root: string): WireCheck {
  const top = wireKind(value);
  if (typeof top === 'object') return { ok: false, message: `${root}: ${top.refused} cannot be sent` };
  if (top === 'leaf') return { ok: true, nbytes: leafSize(value), members: 1 };
  const done = new Map<object, number>();
  const deepPath = new Set<object>();
  const stack: Frame[] = [];
  let members = 1;
  const fail = (seg: string | number | null, what: string): WireCheck => {
    const segs: Array<string | number> = [];
    for (let d = 1; d < stack.length; d++) segs.push(segmentOf(stack[d - 1]!, stack[d - 1]!.i - 1));
    if (seg !== null) segs.push(seg);
    return { ok: false, message: `${formatPath(root, segs)}: ${what}` };
  };
  const onPath = (o: object): boolean => {
    const scan = Math.min(stack.length, PATH_SCAN_DEPTH);
    for (let d = 0; d < scan; d++) if (stack[d]!.value === o) return true;
    return deepPath.has(o);
  };
  const open = (v: object, kind: WireKind) => {
    if (stack.length >= PATH_SCAN_DEPTH) deepPath.add(v);
    const items = itemsOf(v, kind);
    stack.push({ value: v, kind, items, keys: items === null ? Object.keys(v) : null, i: 0, nbytes: 5, nested: false });
  };
  open(value as object, top);
  for (;;) {
    const f = stack[stack.length - 1]!;
    const n = f.items !== null ? f.items.length : f.keys!.length;
    let opened = false;
    while (f.i < n) {
      const i = f.i++;
      let child: unknown;
      if (f.keys !== null) {
        const k = f.keys[i]!;
        if (k === '__proto__') return fail(k, `an own property named "__proto__" cannot be sent: ${PROTO_KEY_REFUSAL}`);
        f.nbytes += k.length + 1;
        child = (f.value as Record<string, unknown>)[k];
      } else child = f.items![i];
      members++;
      // Leaves inline, as wireKind and leafSize would class and size them, without their calls.
      if (typeof child !== 'object' || child === null) {
        if (typeof child === 'function' || typeof child === 'symbol') return fail(segmentOf(f, i), `${(wireKind(child) as Refused).refused} cannot be sent`);
        f.nbytes += leafSize(child);
        continue;
      }
      const kind = wireKind(child);
      if (typeof kind === 'object') return fail(segmentOf(f, i), `${kind.refused} cannot be sent`);
      if (kind === 'leaf') {
        f.nbytes += leafSize(child);
        continue;
      }
      f.nested = true;
      if (onPath(child)) return fail(segmentOf(f, i), 'refers back to one of its own parents (a cycle), which cannot be sent');
      const known = done.size === 0 ? undefined : done.get(child);
      if (known !== undefined) {
        f.nbytes += known;
        continue;
      }
      if (stack.length >= MAX_WIRE_DEPTH) return fail(segmentOf(f, i), `is nested more than ${MAX_WIRE_DEPTH} levels deep, which cannot be sent`);
      open(child, kind);
      opened = true;
      break;
    }
    if (opened) continue;
    stack.pop();
    if (stack.length >= PATH_SCAN_DEPTH) deepPath.delete(f.value);
    if (f.nested || n > UNREMEMBERED_CHILDREN) done.set(f.value, f.nbytes);
    const parent = stack[stack.length - 1];
    if (!parent) return f.nbytes > MAX_WIRE_BYTES ? tooBig(root, f.nbytes) : { ok: true, nbytes: f.nbytes, members };
    parent.nbytes += f.nbytes;
    if (parent.nbytes > MAX_WIRE_BYTES) return fail(null, `encodes to more than ${MAX_WIRE_BYTES} bytes, which cannot be sent (a value shared by several parents is encoded once per parent)`);
  }
}

function tooBig(root: string, nbytes: number): WireCheck {
  return { ok: false, message: `${root}: encodes to about ${nbytes} bytes, more than the ${MAX_WIRE_BYTES} one value can have` };
}

/**
 * Most bytes a result may have to travel inline in `task-finished` (and on to clients and
 * dependents from the scheduler), by the measure of {@link checkWire}. The worker inlines only
 * results this small; the scheduler measures what it receives against it ({@link wireSizeUpTo})
 * rather than trusting the `nbytes` the worker declared.
 */
export const MAX_INLINE_RESULT_BYTES = 16 * 1024;

/**
 * The size {@link checkWire} gives a value, walked only until it passes `cap` bytes or has looked
 * at `members` members, whichever comes first; no recursion. Past `cap` the walk stops and
 * returns the figure reached, some number over `cap`: every member counts at least one byte and
 * a container its 5 when it is found, so it looks at no more than `cap` + 1 members however large
 * the value is, and a receiver can measure what a peer sent without trusting the size it
 * declared, at a cost bounded by the bound it enforces. Past `members` the rest counts as nothing:
 * an estimate for byte accounting in bounded time of any value, huge, deep or cyclic. Give at
 * least one of the two bounds finite (a cycle is walked until one ends it). Members that cannot
 * travel count as leaves (a decoded value has none).
 */
export function wireSizeUpTo(value: unknown, cap: number, members = Infinity): number {
  // Plain loops, not wireChildren's generator: the scheduler runs this on every inline result.
  const todo: object[] = [];
  let n = memberSize(value, todo);
  let left = members - 1;
  while (todo.length > 0 && n <= cap && left > 0) {
    const v = todo.pop()!;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && n <= cap && left > 0; i++, left--) n += memberSize(v[i], todo);
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        n += memberSize(k, todo) + memberSize(x, todo);
        left -= 2;
        if (n > cap || left <= 0) break;
      }
    } else if (v instanceof Set) {
      for (const x of v) {
        n += memberSize(x, todo);
        if (n > cap || --left <= 0) break;
      }
    } else {
      for (const k of Object.keys(v)) {
        n += k.length + 1 + memberSize((v as Record<string, unknown>)[k], todo);
        if (n > cap || --left <= 0) break;
      }
    }
  }
  return n;
}

/** A member's bytes for {@link wireSizeUpTo}: a leaf's size, or a container's 5 (queued in `todo` to be opened). */
function memberSize(x: unknown, todo: object[]): number {
  if (typeof x !== 'object' || x === null) return leafSize(x);
  const kind = wireKind(x);
  if (kind === 'leaf' || typeof kind === 'object') return leafSize(x);
  todo.push(x);
  return 5;
}
