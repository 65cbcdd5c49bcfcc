/**
 * The frame codec's declared records (wire-records.ts, protocol 4): each names a real message
 * shape, the hot messages travel without their definitions, a frame that defines its own record
 * under a declared id changes nothing for later frames, and the handshake's messages stay
 * readable by a protocol-3 build (and its hello by this one), so a version mismatch is reported
 * as one.
 */
import t from 'tap';
import { Packr, Unpackr } from 'msgpackr';
import {
  decodeFrame, DIRECTIONS, encodeFrame, HELLO, TASK_SPEC, WELCOME, WIRE_RECORDS, WORKER_METRICS, type Shape,
} from '@gluon/protocol';

/** Protocol 3's codec: plain objects as records defined inside each frame, nothing declared. */
const V3 = { useRecords: true, mapsAsObjects: false, moreTypes: true, bundleStrings: false, structuredClone: false } as const;

const fn = { module: '@gluon/examples/tasks', export: 'inc' };
/**
 * One message of each hot shape, built as the scheduler, workers and client build them. Objects
 * keyed by task keys (`deps`, `values`, `data`) are records of their own frame; they are empty here
 * so that a definition in the frame can only be the message's own.
 */
const HOT = [
  { op: 'compute-task', key: 'inc-1', fn, args: [1], deps: [], priority: [-0, 1, -0, 7] },
  {
    op: 'compute-task', key: 'inc-3', fn, args: [{ __gluonRef: 'inc-1' }, { __gluonRef: 'inc-2' }],
    deps: [{ key: 'inc-1', holders: ['ws://127.0.0.1:1'] }, { key: 'inc-2', holders: [], value: 2 }], priority: [0, 1, 0, 8],
  },
  { op: 'task-finished', key: 'inc-1', nbytes: 9, typeName: 'number', start: 1.5, stop: 2.5, thread: 0, value: 2, hasValue: true },
  { op: 'task-finished', key: 'inc-1', nbytes: 900, typeName: 'Float64Array', start: 1.5, stop: 2.5, thread: 0 },
  { op: 'key-in-memory', key: 'inc-1', nbytes: 9, typeName: 'number', workers: ['ws://127.0.0.1:1'], value: 2 },
  { op: 'key-in-memory', key: 'inc-1', nbytes: 900, typeName: 'Float64Array', workers: ['ws://127.0.0.1:1'] },
  { op: 'update-graph', tasks: [{ key: 'inc-1', fn, group: 'inc', args: [1], deps: [] }], wants: ['inc-1'] },
  { op: 'heartbeat', metrics: { cpu: 1, rss: 2, memoryLimit: 3, executing: 0, ready: 0, stored: 1, storedBytes: 9, time: 5, paused: false } },
  { op: 'release-keys', keys: ['inc-1'] },
  { op: 'get-data', keys: ['inc-1'], id: 3 },
  { op: 'data', data: {}, missing: ['inc-1'], replyTo: 3 },
];

/** Every object schema's field list, messages and their nested objects alike. */
function objectShapes(): Array<{ name: string; fields: Record<string, { optional: boolean }> }> {
  const out: Array<{ name: string; fields: Record<string, { shape: Shape; optional: boolean }> }> = [];
  const walk = (name: string, s: Shape): void => {
    if (s.type === 'object') {
      out.push({ name, fields: s.fields });
      for (const [k, f] of Object.entries(s.fields)) walk(`${name}.${k}`, f.shape);
    } else if (s.type === 'array') walk(`${name}[]`, s.item);
    else if (s.type === 'record') walk(`${name}{}`, s.value);
  };
  for (const d of DIRECTIONS) for (const [op, schema] of Object.entries(d.ops)) walk(`${d.from}: ${op}`, schema.shape);
  walk('task spec', TASK_SPEC.shape);
  walk('worker metrics', WORKER_METRICS.shape);
  return out;
}

t.test('each declared record is the field set of a message (or part of one) in ops.ts', async (t) => {
  const shapes = objectShapes();
  const special = new Set([JSON.stringify([]), JSON.stringify(['__gluonRef'])]); // an empty object; a KeyRef
  const seen = new Set<string>();
  for (const keys of WIRE_RECORDS) {
    const id = JSON.stringify(keys);
    t.notOk(seen.has(id), `${id} is declared once`);
    seen.add(id);
    if (special.has(id)) continue;
    const match = shapes.find((s) => keys.every((k) => Object.hasOwn(s.fields, k)) &&
      Object.entries(s.fields).every(([k, f]) => f.optional || keys.includes(k)));
    t.ok(match, `${id} has the fields of a schema${match ? ` (${match.name})` : ''}`);
  }
  t.ok(WIRE_RECORDS.length <= 32, 'a few declared shapes leave most one-byte record ids to the frames');
});

t.test('the hot messages travel as declared records: no definitions in their frames', async (t) => {
  for (const msg of HOT) {
    const frame = encodeFrame([msg]);
    const defines = frame.some((b, i) => b === 0xd4 && frame[i + 1] === 0x72);
    t.notOk(defines, `${msg.op} (${Object.keys(msg).join(',')}) carries no record definition`);
    t.same(decodeFrame(frame), [msg], `${msg.op} round-trips`);
  }
});

t.test('a frame defining its own record under a declared id does not change later frames', async (t) => {
  // Protocol 3's writer gives the frame's first record id 0x40, the id of the first declared shape.
  const hostile = new Packr({ ...V3 }).pack([{ op: 'compute-task', evil: 1 }]);
  t.equal(hostile[1], 0xd4, 'the frame defines a record');
  t.equal(hostile[3], 0x40, 'under the first declared id');
  t.same(decodeFrame(hostile), [{ op: 'compute-task', evil: 1 }], 'inside its frame the frame\'s definition holds');
  t.same(decodeFrame(encodeFrame([HOT[0]])), [HOT[0]], 'the next frame reads the declared shape again');
  // The same, for a frame whose decoding fails after the definition.
  const broken = hostile.subarray(0, hostile.length - 1);
  t.throws(() => decodeFrame(broken), /undecodable frame/);
  t.same(decodeFrame(encodeFrame([HOT[0]])), [HOT[0]], 'and after a frame that failed half-way');
});

t.test('hello, welcome and rejected are readable across protocol 3 and 4, so a mismatch is named', async (t) => {
  const v3 = new Packr({ ...V3 });
  const v3reader = new Unpackr({ ...V3 });
  const hello = { protocol: 3, version: '0.1.0', role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'h', maxFrameBytes: 1, maxMessageBytes: 1, op: 'hello' };
  const welcome = { op: 'welcome', protocol: 4, version: '0.1.0', maxFrameBytes: 1, maxMessageBytes: 1, workerId: 'w-1', heartbeatIntervalMs: 1, heartbeatTtlMs: 2 };
  const rejected = { op: 'rejected', reason: 'protocol version mismatch: scheduler speaks 4, worker speaks 3', code: 4002 };
  t.same(decodeFrame(v3.pack([hello])), [hello], 'this build reads a protocol-3 hello (and can refuse it by its version)');
  for (const m of [{ ...hello, protocol: 4 }, welcome, rejected]) t.same(v3reader.unpack(encodeFrame([m])), [m], `a protocol-3 build reads this ${m.op}`);
  for (const keys of WIRE_RECORDS) {
    t.notOk(keys.includes('protocol') || JSON.stringify(keys) === JSON.stringify(['op', 'reason', 'code']), `${JSON.stringify(keys)} is no handshake message`);
  }
  t.ok(HELLO.worker && WELCOME.worker);
  // Protocol 2 and older sent msgpack maps: named, not just "no op".
  const v2hello = new Packr({ useRecords: false }).pack([{ op: 'hello', protocol: 2 }]);
  t.throws(() => decodeFrame(v2hello), /msgpack map, not a record: the peer speaks Gluon protocol 2 or older/);
});

t.test('after a frame of a few MiB, later frames are not views of a buffer that size', async (t) => {
  // msgpackr grows its shared output buffer to 4x an encoding that does not fit and keeps it:
  // a 2 MiB frame left an 8 MiB buffer that every later frame viewed (and kept resident).
  const big = encodeFrame([{ op: 'blob', data: 'x'.repeat(2 * 1024 * 1024) }]);
  t.ok(big.length > 2 * 1024 * 1024);
  const small = encodeFrame([{ op: 'heartbeat' }]);
  t.ok(small.buffer.byteLength <= 1024 * 1024, `a small frame's buffer is ${small.buffer.byteLength} bytes`);
  t.same(decodeFrame(small), [{ op: 'heartbeat' }]);
  t.same(String(decodeFrame(big)[0]!.data).length, 2 * 1024 * 1024, 'the big frame is intact');
});
