/**
 * Encoded values (protocol 20): a value a task thread encoded travels inside a data reply as its
 * bytes, and arrives decoded (or, for a worker's peer links, still as its bytes); anywhere else it
 * is refused; its record shapes do not disturb the frame's own.
 */
import t from 'tap';
import { decodeFrame, decodeValue, EncodedValue, encodedTypeName, encodeFrame, encodeValue, ENCODED_VALUE_EXT } from '@gluon/protocol';

const records = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => ({ run: 7 + seed, event: i, mass: i * 0.5 }));
const own = (v: unknown) => new EncodedValue(Uint8Array.prototype.slice.call(encodeValue(v)));

t.test('a data reply carries encoded values, decoded on arrival; the frame around them reads as before', async (t) => {
  const frame = encodeFrame([
    { op: 'data', replyTo: 1, data: { a: own(records(2000)), b: 5, c: own(new Map([[1, { run: 1, event: 2, mass: 3 }]])) }, missing: [] },
    // After them, objects of the same shapes as inside them, and shapes of the frame's own.
    { op: 'data', replyTo: 2, data: { d: { run: 1, event: 2, mass: 3 }, e: [{ x: 1 }, { x: 2 }] }, missing: ['z'] },
    { op: 'other', list: [{ x: 3 }, { run: 0, event: 0, mass: 0 }] },
  ]);
  const [first, second, third] = decodeFrame(frame);
  t.same(first, { op: 'data', replyTo: 1, data: { a: records(2000), b: 5, c: new Map([[1, { run: 1, event: 2, mass: 3 }]]) }, missing: [] });
  t.same(second, { op: 'data', replyTo: 2, data: { d: { run: 1, event: 2, mass: 3 }, e: [{ x: 1 }, { x: 2 }] }, missing: ['z'] });
  t.same(third, { op: 'other', list: [{ x: 3 }, { run: 0, event: 0, mass: 0 }] });
  t.ok(frame.includes(Buffer.from(own(records(2000)).bytes)), 'the bytes are in the frame as they were made');
});

t.test('keepEncoded: the values stay bytes, each owning its buffer', async (t) => {
  const a = own(records(3000, 1));
  const [m] = decodeFrame(encodeFrame([{ op: 'data', replyTo: 1, data: { a, b: [1] }, missing: [] }]), { keepEncoded: true });
  const got = (m!.data as Record<string, unknown>).a as EncodedValue;
  t.type(got, EncodedValue);
  t.same(got.bytes, a.bytes);
  t.equal(got.bytes.byteOffset, 0);
  t.equal(got.bytes.buffer.byteLength, a.bytes.length, 'a copy, not a view of the frame');
  t.same((m!.data as Record<string, unknown>).b, [1], 'plain values as before');
  t.same(decodeValue(got.bytes), records(3000, 1));
});

t.test('an encoded value anywhere but a data reply\'s values is refused', async (t) => {
  const v = own([1, 2, 3]);
  for (const msgs of [
    [{ op: 'task-finished', key: 'k', value: v }],
    [{ op: 'data', replyTo: 1, data: { a: [v] }, missing: [] }],
    [{ op: 'data', replyTo: 1, data: { a: 1 }, missing: [] }, { op: 'x', v }],
  ]) {
    t.throws(() => decodeFrame(encodeFrame(msgs)), { message: `an encoded value (msgpack extension ${ENCODED_VALUE_EXT}) may only be a value of a data reply's data; the frame has 1 elsewhere` });
  }
  t.throws(() => decodeValue(encodeValue({ v })), { message: /^an encoded value \(msgpack extension 103\) cannot be inside a value; it held 1$/ });
  t.same(decodeFrame(encodeFrame([{ op: 'x', n: 1 }])), [{ op: 'x', n: 1 }], 'the next frame decodes as usual');
});

t.test('an encoded value that does not decode names its key', async (t) => {
  const broken = new EncodedValue(own(records(100)).bytes.slice(0, 50));
  t.throws(() => decodeFrame(encodeFrame([{ op: 'data', replyTo: 1, data: { 'records-1': broken }, missing: [] }])),
    { message: /^the encoded value of records-1 in a data reply does not decode \(50 bytes\): / });
});

t.test('the type of an encoded value is read from its first bytes', async (t) => {
  t.equal(encodedTypeName(own(records(5)).bytes), 'Array');
  t.equal(encodedTypeName(own(Array.from({ length: 70_000 }, () => 0)).bytes), 'Array');
  t.equal(encodedTypeName(own({ zz: 1, yy: [2] }).bytes), 'Object');
  t.equal(encodedTypeName(own(new Map([[1, 2]])).bytes), 'Map');
  t.equal(encodedTypeName(own(new Set([1])).bytes), 'Set');
  t.equal(own(records(5)).nbytes, encodeValue(records(5)).length);
});
