import t from 'tap';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { inflateCopy, inflateInto } from '../../src/zlib-into.js';
import { decompress } from '../../src/decompress.js';

/**
 * Inflating into the caller's memory (zlib's handle, as the read path does) and its fallback
 * through the public API (a Node without the handle): the same bytes, the same refusals, and
 * nothing written outside `[at, at + size)`.
 */
const raw = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251));
const z = deflateSync(raw);
const r = deflateRawSync(raw);
const PAD = 16;

/** Runs `inflate` into the middle of a buffer of sentinels; returns that buffer. */
function into(inflate: typeof inflateInto, isRaw: boolean, body: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size + 2 * PAD).fill(0xee);
  inflate(isRaw, body, out, PAD, size);
  return out;
}

for (const [name, inflate] of [['inflateInto', inflateInto], ['inflateCopy (fallback)', inflateCopy]] as const) {
  t.test(name, async (t) => {
    for (const [fmt, isRaw, body] of [['zlib', false, z], ['raw deflate', true, r]] as const) {
      const out = into(inflate, isRaw, body, raw.length);
      t.equal(Buffer.compare(out.subarray(PAD, PAD + raw.length), raw), 0, `${fmt}: the bytes`);
      t.ok(out.subarray(0, PAD).every((x) => x === 0xee) && out.subarray(PAD + raw.length).every((x) => x === 0xee), `${fmt}: nothing written outside`);
    }
    // Declared too small: refused as a RangeError (what decompress reports as past its size), and
    // nothing written past the room given.
    const small = new Uint8Array(1000 + PAD).fill(0xee);
    t.throws(() => inflate(false, z, small, 0, 1000), RangeError, 'more than declared: RangeError');
    t.ok(small.subarray(1000).every((x) => x === 0xee), 'more than declared: nothing written past the room');
    t.throws(() => into(inflate, false, z, raw.length + 1), /gave 50000 bytes, expected 50001/, 'less than declared');
    t.throws(() => into(inflate, false, z.subarray(0, z.length >> 1), raw.length), /unexpected end of file/, 'cut in the middle');
    // Cut just before the checksum: every byte came out, but the stream never ended.
    t.throws(() => into(inflate, false, z.subarray(0, z.length - 4), raw.length), /unexpected end of file/, 'cut before the checksum');
    const damaged = Uint8Array.from(z);
    damaged[2] = 0xff;
    t.throws(() => into(inflate, false, damaged, raw.length), /invalid|incorrect|error/i, 'a damaged stream');
    t.equal(Buffer.compare(into(inflate, false, z, raw.length).subarray(PAD, PAD + raw.length), raw), 0, 'inflates again after an error');
    // Bytes after the end of the stream are ignored, as inflateSync ignores them.
    const trailing = Buffer.concat([z, Buffer.from([1, 2, 3])]);
    t.equal(Buffer.compare(into(inflate, false, trailing, raw.length).subarray(PAD, PAD + raw.length), raw), 0, 'bytes after the stream are ignored');
  });
}

t.test('decompress into a given buffer: several blocks, the result a view of it; too little room is an error', async (t) => {
  const header = (csize: number, usize: number) => Uint8Array.from([0x5a, 0x4c, 8, csize & 255, (csize >> 8) & 255, csize >> 16, usize & 255, (usize >> 8) & 255, usize >> 16]);
  const a = deflateSync(raw.subarray(0, 20_000));
  const b = deflateSync(raw.subarray(20_000));
  const payload = Buffer.concat([header(a.length, 20_000), a, header(b.length, 30_000), b]);
  const room = new Uint8Array(60_000).fill(0xee);
  const got = decompress(payload, raw.length, 'x.root', 0, room);
  t.equal(got.buffer, room.buffer, 'a view of the buffer given');
  t.equal(Buffer.compare(got, raw), 0, 'both blocks, in order');
  t.ok(room.subarray(raw.length).every((x) => x === 0xee), 'nothing past the payload');
  t.equal(Buffer.compare(decompress(payload, raw.length, 'x.root', 0), raw), 0, 'the same without a buffer');
  t.throws(() => decompress(payload, raw.length, 'x.root', 0, new Uint8Array(10)), RangeError);
  t.throws(() => decompress(payload, raw.length - 1, 'x.root', 0, room), { name: 'RootFormatError' }, 'a block past the declared total');
});
