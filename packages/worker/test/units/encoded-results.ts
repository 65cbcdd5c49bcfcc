/**
 * Results of many members leave their task thread as their wire encoding (thread.ts,
 * ENCODE_MIN_MEMBERS): the pool hands the worker an EncodedValue whose nbytes are its exact
 * length, which decodes to the value the task returned; a dependency kept encoded is decoded in
 * the thread that uses it; what cannot travel fails its task naming what and where; small results
 * and typed arrays leave as before. On real worker_threads.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { decodeValue, EncodedValue, encodeValue, MAX_INLINE_RESULT_BYTES } from '@gluon/protocol';
import { estimateSize, ThreadPool, typeNameOf, WorkerState, type PoolResult } from '@gluon/worker';
import * as local from '../../../client/test/fixtures/records.mjs';

const url = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../../client/test/fixtures/records.mjs')).href;
const pool = new ThreadPool(2, 'encoded-test', () => {});
t.teardown(() => pool.close());

let n = 0;
const run = (exportName: string, args: unknown[], data: Record<string, unknown> = {}) =>
  pool.run({ key: `${exportName}-${n++}`, url, exportName, args, data });
function value(t: Test, r: PoolResult): unknown {
  if (!r.ok) t.fail(`task failed: ${r.error.stack}`);
  return r.ok ? r.value : undefined;
}

t.test('many records leave as their encoding: exact nbytes, the type named, the same records back', async (t) => {
  const r = await run('records', [5000, 2]);
  const v = value(t, r);
  t.type(v, EncodedValue);
  const enc = v as EncodedValue;
  t.equal(r.ok && r.nbytes, enc.bytes.length, 'nbytes is the encoded length');
  t.equal(enc.bytes.byteOffset, 0);
  t.equal(enc.bytes.buffer.byteLength, enc.bytes.length, 'the bytes own their buffer (moved from the thread, nothing around them)');
  t.equal(estimateSize(enc), enc.bytes.length);
  t.equal(typeNameOf(enc), 'Array');
  t.same(decodeValue(enc.bytes), local.records(5000, 2));
  t.same(enc.bytes, encodeValue(local.records(5000, 2)), 'the bytes the wire codec makes of the same value');
});

t.test('every shape the wire carries comes back as itself', async (t) => {
  const v = value(t, await run('mixed', [3000]));
  t.type(v, EncodedValue);
  t.equal(typeNameOf(v), 'Object');
  const back = decodeValue((v as EncodedValue).bytes) as ReturnType<typeof local.mixed>;
  const want = local.mixed(3000);
  t.same(back.rows, want.rows);
  t.same(back.nested, want.nested);
  t.ok('undef' in back.nested && back.nested.undef === undefined, 'an undefined member is kept');
  t.ok(back.byRun instanceof Map && back.byRun.size === 3000);
  t.same(back.byRun.get(2999), { run: 2999, tags: new Set(['t2']) });
  t.ok(back.byRun.get(7)!.tags instanceof Set);
  t.ok(back.when instanceof Date && back.when.getTime() === want.when.getTime());
  t.same(back.big, [2n ** 70n, -5n, 0n]);
  t.equal(typeof back.big[0], 'bigint');
  t.ok(back.hists.every((h, i) => h instanceof Float64Array && h.length === 3 && h[1] === i + 0.5));
  t.ok(back.small[2999] instanceof Int32Array && back.small[2999]![1] === -2999);
  t.same(back.text, want.text);
  t.same(back.bytes, new Uint8Array([0, 255, 7]));
});

t.test('a dependency kept encoded is decoded in the thread that uses it', async (t) => {
  const enc = value(t, await run('records', [4000, 1])) as EncodedValue;
  const r = await run('summariseAll', [{ __gluonRef: 'a' }, { __gluonRef: 'b' }], { a: enc, b: local.records(10, 3) });
  t.same(value(t, r), [local.summarise(local.records(4000, 1)), local.summarise(local.records(10, 3))], 'one encoded, one a plain value');
  t.same(value(t, await run('summariseAll', [{ __gluonRef: 'a' }], { a: enc })), [local.summarise(local.records(4000, 1))], 'and again: the store keeps its bytes');
  const broken = new EncodedValue(enc.bytes.slice(0, 100));
  const bad = await run('summariseAll', [{ __gluonRef: 'a' }], { a: broken });
  t.equal(bad.ok, false);
  if (!bad.ok) t.match(bad.error.message, /^dependency a \(100 encoded bytes\) does not decode: /);
});

t.test('small results, and typed arrays, leave as values', async (t) => {
  t.same(value(t, await run('records', [10])), local.records(10), 'ten records: a value (it rides inline)');
  const few = value(t, await run('records', [300]));
  t.ok(Array.isArray(few), `300 records (${estimateSize(few)} bytes estimated, within the inline bound of ${MAX_INLINE_RESULT_BYTES}) stay a value`);

  const f = value(t, await run('floats', [1 << 17, 1]));
  t.ok(f instanceof Float64Array && f.length === 1 << 17 && f[5] === 3.5, 'a 1 MiB Float64Array arrives as one (moved, not encoded)');
});

t.test('what cannot travel fails its task, naming what and where', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['function', /^the task's result cannot be sent: result\[1500\]\.fit: a function cannot be sent$/],
    ['symbol', /^the task's result cannot be sent: result\[1500\]\.tag: a symbol cannot be sent$/],
    ['cycle', /^the task's result cannot be sent: result\[1500\]\.self: refers back to one of its own parents \(a cycle\)/],
    ['getter', /^the task's result cannot be encoded: mass was read twice$/],
  ];
  for (const [what, re] of cases) {
    const r = await run('recordsWith', [3000, what, 1500]);
    t.equal(r.ok, false, what);
    if (!r.ok) {
      t.equal(r.error.name, 'ResultError', what);
      t.match(r.error.message, re, what);
    }
  }
  t.same(value(t, await run('records', [2])), local.records(2), 'the threads go on');
});

t.test('the worker state stores an encoded result at its exact size and never inlines it', async (t) => {
  // 2000 small arrays: estimated over the inline bound (as they always were, so never inline), but
  // a byte a number once encoded: an encoded value within the bound must not go inline either.
  const ints = value(t, await run('smallInts', [2000])) as EncodedValue;
  t.type(ints, EncodedValue);
  t.ok(ints.nbytes <= MAX_INLINE_RESULT_BYTES, `${ints.nbytes} bytes encoded, within the inline bound`);
  t.same(decodeValue(ints.bytes), local.smallInts(2000));
  for (const [key, enc, n] of [['r', value(t, await run('records', [5000])) as EncodedValue, 5000], ['i', ints, 2000]] as const) {
    const s = new WorkerState({ name: 'w', address: 'ws://w', capacity: 1, memoryLimit: 0 });
    s.handle({ type: 'compute', task: { key, fn: { module: url, export: 'records' }, args: [n], deps: {} } });
    const out = s.handle({ type: 'done', key, value: enc, nbytes: enc.nbytes, start: 1, stop: 2, thread: 0 });
    const sent = out.flatMap((c) => (c.type === 'send' && c.msg.op === 'task-finished' ? [c.msg] : []));
    t.equal(sent.length, 1);
    t.match(sent[0], { key, nbytes: enc.bytes.length, typeName: 'Array' });
    t.notOk('value' in sent[0]! || 'hasValue' in sent[0]!, `${key}: no inline value`);
    t.equal(s.nbytesOf(key), enc.bytes.length);
    t.equal(s.get(key), enc, 'served as its bytes');
    // Announced again (the scheduler lost track): the same size and type, still not inline.
    const again = s.handle({ type: 'compute', task: { key, fn: { module: url, export: 'records' }, args: [n], deps: {} } });
    t.match(again.find((c) => c.type === 'send')?.msg, { op: 'task-finished', key, nbytes: enc.bytes.length, typeName: 'Array', thread: -1 });
    t.notOk('value' in (again.find((c) => c.type === 'send')?.msg ?? {}));
  }
});
