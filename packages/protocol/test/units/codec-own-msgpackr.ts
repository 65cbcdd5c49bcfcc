/**
 * Gluon's msgpack extension 0x67 (EncodedValue) is Gluon's alone. It was registered with
 * msgpackr's addExtension on the copy of msgpackr every other module imports too, whose
 * extension table is global to it: a task module's or a client script's `unpack` of an extension
 * 0x67 returned an EncodedValue and left it in the codec's list of a frame's encoded values (the
 * codec's next decodeValue then threw), its `pack` of an EncodedValue wrote Gluon's extension,
 * and a user's own extension 0x67 replaced Gluon's on the wire. The wire's bytes stay the same:
 * the frames below were encoded by the codec before the change.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import * as esm from 'msgpackr';
import { decodeFrame, decodeValue, encodeFrame, encodeValue, EncodedValue } from '../../src/codec.js';

const cjs: typeof esm = createRequire(import.meta.url)('msgpackr');
/** fixext 1 of type 0x67 holding one byte: what a user's data may hold for an extension of its own. */
const EXT_0X67 = Buffer.from([0xd4, 0x67, 0x01]);

for (const [name, m] of [['import', esm], ['require', cjs]] as const) {
  t.test(`msgpackr by ${name} beside the codec is msgpackr without it`, async (t) => {
    t.throws(() => m.unpack(EXT_0X67), /Unknown extension/, 'an extension 0x67 is unknown to it, as without Gluon');
    t.same(decodeValue(encodeValue({ a: 1 })), { a: 1 }, 'and the codec decodes on, its state untouched by the user\'s decode');
    const packed = m.pack(new EncodedValue(Buffer.from([0xc0])));
    t.not(packed[1], 0x67, 'its pack of an EncodedValue writes no Gluon extension');
    t.notOk(m.unpack(packed) instanceof EncodedValue);
  });
}

t.test('a user\'s own extension 0x67 is theirs, and Gluon\'s wire is unchanged by it', async (t) => {
  class Mine { constructor(readonly n: number) {} }
  for (const m of [esm, cjs]) {
    m.addExtension({ Class: Mine, type: 0x67, pack: (v: Mine) => Buffer.from([v.n]), unpack: (b: Uint8Array) => new Mine(b[0]!) });
  }
  for (const m of [esm, cjs]) t.same(m.unpack(m.pack(new Mine(7))), new Mine(7), 'the user\'s extension round-trips for the user');
  const frame = decodeFrame(encodeFrame([{ op: 'data', data: { k: new EncodedValue(encodeValue({ run: 1 })) } }]));
  t.same(frame, [{ op: 'data', data: { k: { run: 1 } } }], 'Gluon\'s encoded value still decodes as its value');
  // Gluon's codec reads 0x67 as its own, which a value may not hold: refused, never the user's class.
  t.throws(() => decodeValue(esm.pack(new Mine(7))), /an encoded value \(msgpack extension 103\) cannot be inside a value/, 'the user\'s bytes are not read with the user\'s extension by Gluon');
});

t.test('the wire\'s bytes are those of the codec before the change', async (t) => {
  const frames: Record<string, unknown[]> = {
    records: [{ op: 'heartbeat' }, { op: 'data', data: { 'x-1': 1.5, y: 'text', z: [1, 2, 3] } }],
    types: [{ op: 'data', data: { m: new Map<unknown, unknown>([[1, 'a'], ['k', { nested: true }]]), s: new Set([1, 'b']), f: new Float64Array([1.5, -2]), i: new Int32Array([7, -8]), d: new Date(1764931200000), b: 12345678901234567890n } }],
    encoded: [{ op: 'data', data: { k: new EncodedValue(encodeValue({ run: 1, event: 2, mass: 125.1 })) } }],
  };
  const before: Record<string, string> = {
    records: '92d4725491a26f70a9686561727462656174d4725592a26f70a464617461a464617461d4725693a3782d31a179a17acb3ff8000000000000a47465787493010203',
    types: '91d4725492a26f70a464617461a464617461d4725596a16da173a166a169a164a1628201a161a16bd4725691a66e6573746564c3d473009201a162c7117408000000000000f83f00000000000000c0c709740507000000f8ffffffd6ff6932b680cfab54a98ceb1f0ad2',
    encoded: '91d4725492a26f70a464617461a464617461d4725591a16bc71e67d4725493a372756ea56576656e74a46d6173730102cb405f466666666666',
  };
  for (const [name, frame] of Object.entries(frames)) t.equal(encodeFrame(frame).toString('hex'), before[name], name);
});
