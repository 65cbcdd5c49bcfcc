/**
 * Schema-aware fuzzing of Gluon listeners with fast-check. Valid messages are generated from the
 * op tables' shapes (@gluon/protocol ops.ts), then broken: a required field removed, a field of
 * the wrong type, an unknown field, a huge array, an op of another role, an unknown op; sent
 * after a good hello, or instead of it; plus broken hellos, random bytes and valid frames with
 * bytes flipped. Each case runs on a fresh raw connection (raw-ws.ts) and checks the verdict the
 * schema predicts: a malformed message is refused with 4003 and exactly the reason the schema
 * gives, a well-formed one is accepted. Used by fuzz-frames.test.ts (bounded) and bench/fuzz.ts
 * (long runs).
 */
import fc from 'fast-check';
import {
  checkHello, checkInbound, CloseCode, DIRECTIONS, encodeFrame, HELLO, HELLO_MAX_BYTES, PROTOCOL_VERSION, trimReason, type Direction, type Hello,
  type Shape,
} from '@gluon/protocol';
import { frame, helloOf, messages, RawSocket } from './raw-ws.js';
import { key, valid } from '../../protocol/test/shape-values.js';

export type FuzzRole = 'client' | 'worker' | 'peer';

/** A listener under test: which roles it serves and what it accepts from each. */
export interface Target {
  name: string;
  address: string;
  /** `self` of its listener, for the hello oracle. */
  self: string;
  roles: FuzzRole[];
  inbound: Partial<Record<FuzzRole, Direction>>;
}

export type FuzzCase =
  | { kind: 'message'; role: FuzzRole; mutation: string; msg: Record<string, unknown> }
  | { kind: 'before-hello'; mutation: string; msg: Record<string, unknown> }
  | { kind: 'hello'; role: FuzzRole; mutation: string; hello: Record<string, unknown> }
  | { kind: 'bytes'; afterHello: boolean; role: FuzzRole; bytes: Uint8Array }
  | { kind: 'mutated-frame'; role: FuzzRole; flips: Array<[number, number]>; cut: number; msg: Record<string, unknown> };

/** How one case ended: the close code and reason the listener sent (1006: none, we hung up). */
export interface Outcome {
  label: string;
  code: number;
  reason: string;
}

const WRONG_VALUES: unknown[] = [null, 0, -1, 1.5, 'x', '', true, [], {}, [1, 'a'], { a: 1 }, new Uint8Array(3), 2 ** 60];
const HUGE = 50_000;
/**
 * Strings every string field admits that a careless consumer would not: a line break followed by
 * what looks like a log line of its own (fuzz-frames checks none starts a line of the log),
 * terminal escapes, markup for the dashboard, names of Object.prototype's members, bidi
 * overrides, a long one.
 */
export const FORGED = 'FORGED-BY-FUZZ';
const ODD_STRINGS: string[] = [
  `x\n2026-01-01T00:00:00.000Z scheduler: ${FORGED} worker admin registered`, `\r${FORGED}\x1b[2K\x1b]0;title\x07`,
  '<img src=x onerror=alert(1)><script>alert(2)</script>', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__',
  '\u202eevil\u2066', '\u0000nul', 'ws://x/../../etc/passwd', 'y'.repeat(100_000),
];
/** Record keys likewise (not `__proto__`: msgpack renames it, see shape-values.ts). */
const ODD_KEYS: string[] = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '<b>k</b>', `k\n${FORGED}`, '\u202ek'];

/** A place inside a value that a mutation can change. */
interface Spot {
  path: Array<string | number>;
  shape: Shape;
  /** Set when the spot is a field of an object: may it be absent? */
  optional?: boolean;
}

/** Every field and element of `value` (which has `shape`), with its path. */
function spots(shape: Shape, value: unknown, path: Array<string | number> = []): Spot[] {
  const out: Spot[] = [];
  if (shape.type === 'object' && value !== null && typeof value === 'object') {
    for (const [name, f] of Object.entries(shape.fields)) {
      if (path.length === 0 && name === 'op') continue;
      const here = [...path, name];
      out.push({ path: here, shape: f.shape, optional: f.optional });
      if (name in (value as object)) out.push(...spots(f.shape, (value as Record<string, unknown>)[name], here));
    }
  } else if (shape.type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ path: [...path, i], shape: shape.item });
      out.push(...spots(shape.item, v, [...path, i]));
    });
  } else if (shape.type === 'record' && value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      out.push({ path: [...path, k], shape: shape.value });
      out.push(...spots(shape.value, (value as Record<string, unknown>)[k], [...path, k]));
    }
  }
  return out;
}

function edit(value: unknown, path: Array<string | number>, change: (parent: Record<string | number, unknown>, last: string | number) => void): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
  change(at, path[path.length - 1]!);
  return copy;
}

/** A broken variant of `value` (which has `shape`), named by what was done. */
export function mutation(shape: Shape, value: Record<string, unknown>): fc.Arbitrary<{ mutation: string; msg: Record<string, unknown> }> {
  const all = spots(shape, value);
  const objects = [{ path: [] as Array<string | number> }, ...all.filter((s) => s.shape.type === 'object' && hasPath(value, s.path))];
  const options: Array<fc.Arbitrary<{ mutation: string; msg: Record<string, unknown> }>> = [];
  const present = all.filter((s) => hasPath(value, s.path));
  const required = present.filter((s) => s.optional === false);
  if (required.length) {
    options.push(fc.constantFrom(...required).map((s) => ({
      mutation: 'missing-field', msg: edit(value, s.path, (p, l) => delete p[l]) as Record<string, unknown>,
    })));
  }
  if (present.length) {
    options.push(fc.tuple(fc.constantFrom(...present), fc.constantFrom(...WRONG_VALUES)).map(([s, v]) => ({
      mutation: 'wrong-type', msg: edit(value, s.path, (p, l) => (p[l] = v)) as Record<string, unknown>,
    })));
  }
  options.push(fc.tuple(fc.constantFrom(...objects), key()).map(([s, k]) => ({
    mutation: 'unknown-field',
    msg: (s.path.length ? edit(value, [...s.path, `zz-${k}`], (p, l) => (p[l] = 1)) : { ...value, [`zz-${k}`]: 1 }) as Record<string, unknown>,
  })));
  // Valid values a hostile sender may still send: odd strings, odd record keys, one element
  // repeated (the same worker named 50,000 times, one task 50,000 times), a huge record.
  const strings = present.filter((s) => s.shape.type === 'string');
  if (strings.length) {
    options.push(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...ODD_STRINGS)).map(([s, v]) => ({
      mutation: 'odd-string', msg: edit(value, s.path, (p, l) => (p[l] = v)) as Record<string, unknown>,
    })));
  }
  const records = all.filter((s) => s.shape.type === 'record' && hasPath(value, s.path));
  if (records.length) {
    options.push(fc.tuple(fc.constantFrom(...records), fc.constantFrom(...ODD_KEYS)).map(([s, k]) => ({
      mutation: 'odd-key',
      msg: edit(value, [...s.path, k], (p, l) => (p[l] = sample((s.shape as Extract<Shape, { type: 'record' }>).value))) as Record<string, unknown>,
    })));
  }
  const topRecords = records.filter((s) => s.path.length === 1);
  if (topRecords.length) {
    options.push(fc.constantFrom(...topRecords).map((s) => ({
      mutation: 'huge-record',
      msg: edit(value, s.path, (p, l) => {
        const item = sample((s.shape as Extract<Shape, { type: 'record' }>).value);
        p[l] = Object.fromEntries(Array.from({ length: HUGE }, (_, i) => [`k-${i}`, item]));
      }) as Record<string, unknown>,
    })));
  }
  const arrays = all.filter((s) => s.shape.type === 'array' && s.path.length === 1);
  if (arrays.length) {
    options.push(fc.constantFrom(...arrays).map((s) => ({
      mutation: 'repeated-element',
      msg: edit(value, s.path, (p, l) => {
        const current = p[l] as unknown[] | undefined;
        const item = current?.length ? current[0] : sample((s.shape as Extract<Shape, { type: 'array' }>).item);
        p[l] = Array.from({ length: HUGE }, () => item);
      }) as Record<string, unknown>,
    })));
    options.push(fc.tuple(fc.constantFrom(...arrays), fc.boolean()).map(([s, garbage]) => ({
      mutation: garbage ? 'huge-array-of-garbage' : 'huge-array',
      msg: edit(value, s.path, (p, l) => (p[l] = Array.from({ length: HUGE }, (_, i) => (garbage ? i : `k-${i}`)))) as Record<string, unknown>,
    })));
  }
  return fc.oneof(...options);
}

/** The plainest valid value of `shape` (for filling huge records and arrays). */
function sample(shape: Shape): unknown {
  switch (shape.type) {
    case 'any': return null;
    case 'string': return 'ws://127.0.0.1:1';
    case 'number': return Math.max(shape.min ?? 0, Math.min(shape.max ?? 1, 1));
    case 'boolean': return true;
    case 'literal': return shape.values[0];
    case 'array': return Array.from({ length: shape.min }, () => sample(shape.item));
    case 'record': return {};
    case 'object': return Object.fromEntries(Object.entries(shape.fields).filter(([, f]) => !f.optional).map(([n, f]) => [n, sample(f.shape)]));
  }
}

function hasPath(value: unknown, path: Array<string | number>): boolean {
  let at = value as Record<string | number, unknown> | undefined;
  for (const p of path) {
    if (at === null || typeof at !== 'object' || !(p in at)) return false;
    at = at[p] as Record<string | number, unknown>;
  }
  return true;
}

/** A valid message of one of `dir`'s ops. */
function validMessage(dir: Direction): fc.Arbitrary<Record<string, unknown>> {
  const ops = Object.keys(dir.ops);
  return fc.constantFrom(...ops).chain((op) => valid(dir.ops[op]!.shape).map((m) => ({ ...(m as object), op })));
}

/** Every kind of case against `target`. */
export function fuzzCase(target: Target): fc.Arbitrary<FuzzCase> {
  const role = fc.constantFrom(...target.roles);
  const others = DIRECTIONS.filter((d) => !target.roles.some((r) => target.inbound[r] === d) && Object.keys(d.ops).length);
  return fc.oneof(
    // a valid message of the role, then (most of the time) broken
    role.chain((r) => validMessage(target.inbound[r]!).chain((m) => fc.oneof(
      { weight: 1, arbitrary: fc.constant({ kind: 'message' as const, role: r, mutation: 'valid', msg: m }) },
      { weight: 4, arbitrary: mutation(target.inbound[r]!.ops[m.op as string]!.shape, m).map((x) => ({ kind: 'message' as const, role: r, ...x })) },
    ))),
    // an op of another role, or no role at all
    role.chain((r) => fc.oneof(
      fc.constantFrom(...others).chain(validMessage).map((m) => ({ kind: 'message' as const, role: r, mutation: 'wrong-role', msg: m })),
      fc.string({ maxLength: 20 }).map((op) => ({ kind: 'message' as const, role: r, mutation: 'unknown-op', msg: { op } })),
    )),
    // anything instead of the hello
    fc.constantFrom(...DIRECTIONS.filter((d) => Object.keys(d.ops).length)).chain(validMessage).chain((m) => fc.oneof(
      fc.constant({ kind: 'before-hello' as const, mutation: 'message-first', msg: m }),
      fc.constant({ kind: 'before-hello' as const, mutation: 'huge-first', msg: { ...m, pad: 'x'.repeat(100_000) } }),
    )),
    // a broken hello
    role.chain((r) => {
      const hello = helloOf(r);
      return fc.oneof(
        mutation(HELLO[r].shape, hello),
        fc.constantFrom({ protocol: PROTOCOL_VERSION + 1 }, { version: '99.0.0' }, { role: 'dashboard' }, { role: 5 }, { token: 'nope' }).map((f) => ({
          mutation: `hello-${Object.keys(f)[0]}`, msg: { ...hello, ...f },
        })),
      ).map((x) => ({ kind: 'hello' as const, role: r, mutation: x.mutation, hello: x.msg }));
    }),
    // random bytes as a frame, before or after the hello
    fc.tuple(fc.boolean(), role, fc.uint8Array({ maxLength: 256 })).map(([afterHello, r, bytes]) => ({ kind: 'bytes' as const, afterHello, role: r, bytes })),
    // a valid frame with bytes flipped or cut short
    role.chain((r) => fc.tuple(validMessage(target.inbound[r]!), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(8))
      .map(([msg, flips, cut]) => ({ kind: 'mutated-frame' as const, role: r, flips, cut, msg }))),
  );
}

/** Short text for counts and failure messages. */
export function describeCase(c: FuzzCase): string {
  switch (c.kind) {
    case 'message': return `${c.role} ${c.mutation} ${String(c.msg.op).slice(0, 20)}`;
    case 'before-hello': return `before-hello ${c.mutation}`;
    case 'hello': return `hello ${c.role} ${c.mutation}`;
    case 'bytes': return `bytes ${c.afterHello ? 'after' : 'before'} hello`;
    case 'mutated-frame': return `mutated-frame ${c.role}`;
  }
}

/** The first frame(s) a good connection of `role` sends: its hello (and a worker's holding). */
function opening(role: FuzzRole, extra: object[] = []): Buffer {
  return messages(helloOf(role, { name: `fuzz-${role}` }), ...(role === 'worker' ? [{ op: 'holding', keys: {} }] : []), ...extra);
}

/**
 * Runs one case on a fresh connection and checks the listener's verdict against the schema's.
 * Throws (with the case) when they differ. Resolves with how the connection ended.
 */
export async function runCase(target: Target, c: FuzzCase): Promise<Outcome> {
  let bytes: Buffer[];
  /** The reason the listener must close with, null when it must accept, undefined: either. */
  let expect: { code: number; reason?: string } | null | undefined;
  switch (c.kind) {
    case 'message': {
      const why = checkInbound(target.inbound[c.role]!, c.msg as { op: string })
        ?? (c.role === 'worker' && c.msg.op === 'holding' ? 'holding: a worker sends it once, right after its hello' : null);
      bytes = [opening(c.role), messages(c.msg)];
      expect = why === null ? null : { code: 4003, reason: trimReason(`protocol error: ${why}`) };
      break;
    }
    case 'before-hello': {
      const frameBytes = messages(c.msg);
      bytes = [frameBytes];
      expect = frameBytes.length > HELLO_MAX_BYTES ? { code: 1009 } : { code: 4003, reason: trimReason(`protocol error: expected "hello" first, got "${String(c.msg.op)}"`) };
      break;
    }
    case 'hello': {
      const refusal = checkHello(c.hello as Partial<Hello>, { self: target.self, roles: target.roles });
      const role = c.hello.role as FuzzRole;
      const shape = refusal ? null : HELLO[role].check(c.hello);
      const helloBytes = messages(c.hello);
      bytes = [helloBytes, ...(role === 'worker' && !refusal && !shape ? [messages({ op: 'holding', keys: {} })] : [])];
      expect = helloBytes.length > HELLO_MAX_BYTES ? { code: 1009 } : refusal ? { code: refusal.code } : shape ? { code: CloseCode.badHello } : null;
      break;
    }
    case 'bytes':
      bytes = c.afterHello ? [opening(c.role), frame(Buffer.from(c.bytes))] : [frame(Buffer.from(c.bytes))];
      expect = undefined;
      break;
    case 'mutated-frame': {
      const enc = Buffer.from(encodeFrame([c.msg]));
      for (const [at, v] of c.flips) enc[at % enc.length] = v;
      bytes = [opening(c.role), frame(enc.subarray(0, Math.max(1, enc.length - c.cut)))];
      expect = undefined;
      break;
    }
  }
  const raw = await RawSocket.open(target.address);
  let timer: NodeJS.Timeout | undefined;
  try {
    raw.write(...bytes);
    raw.socket.end(); // everything sent is read before our FIN: the verdict comes first
    const closed = await Promise.race([
      raw.closed,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no close within 120 s: ${describeCase(c)}`)), 120_000))),
    ]);
    const out: Outcome = { label: describeCase(c), ...closed };
    if (expect === null && (closed.code === 4003 || closed.code === 1009)) {
      throw new Error(`${out.label}: refused (${closed.code}: ${closed.reason}) though its schema accepts it: ${preview(c)}`);
    }
    if (expect && closed.code !== expect.code) {
      throw new Error(`${out.label}: closed with ${closed.code} (${closed.reason}), expected ${expect.code}${expect.reason ? ` (${expect.reason})` : ''}: ${preview(c)}`);
    }
    if (expect?.reason !== undefined && closed.reason !== expect.reason) {
      throw new Error(`${out.label}: reason "${closed.reason}", expected "${expect.reason}"`);
    }
    return out;
  } finally {
    clearTimeout(timer);
    raw.destroy();
  }
}

function preview(c: FuzzCase): string {
  const v = 'msg' in c ? c.msg : 'hello' in c ? c.hello : c;
  const text = JSON.stringify(v, (_k, x) => (Array.isArray(x) && x.length > 8 ? `[array of ${x.length}]` : x));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
