import t from 'tap';
import { copyInto } from '../../src/shared-copy.js';

/**
 * copyInto copies out of shared memory with Buffer#fill (V8's own copy would go a word or a byte
 * at a time: bench/shared-copy.ts). Whatever the route,
 * the bytes must be exactly `dst.set(src, at)`'s, and nothing else in `dst` may change.
 */
t.test('the same bytes as dst.set(src, at), at every alignment, size and kind of memory', async (t) => {
  const CHUNK = 64 << 10;
  let checked = 0;
  for (const size of [0, 1, 7, 255, 256, 1000, CHUNK - 3, CHUNK, CHUNK + 5, 3 * CHUNK + 11]) {
    for (const shared of [true, false]) {
      const srcBuf = shared ? new SharedArrayBuffer(size + 16) : new ArrayBuffer(size + 16);
      const all = new Uint8Array(srcBuf);
      for (let i = 0; i < all.length; i++) all[i] = (i * 131 + 7) & 255;
      for (let from = 0; from < 8; from++) {
        for (let to = 0; to < 8; to++) {
          for (const at of [0, 3]) {
            const src = new Uint8Array(srcBuf, from, size);
            const expected = new Uint8Array(size + 24).fill(0xee);
            expected.set(src, to + at);
            const got = new Uint8Array(size + 24).fill(0xee);
            copyInto(got.subarray(to), src, at);
            if (!Buffer.from(got).equals(Buffer.from(expected))) {
              t.fail(`size ${size}, ${shared ? 'shared' : 'plain'} source at ${from}, destination at ${to} + ${at}`);
              return;
            }
            checked++;
          }
        }
      }
    }
  }
  t.pass(`${checked} copies exact`);
});

t.test('a destination in shared memory, or too short, is refused as dst.set refuses it', async (t) => {
  const src = new Uint8Array(new SharedArrayBuffer(1024)).fill(5);
  const dst = new Uint8Array(new SharedArrayBuffer(1030));
  copyInto(dst.subarray(3), src);
  t.equal(dst[2], 0);
  t.equal(dst[3], 5);
  t.equal(dst[1026], 5);
  t.equal(dst[1027], 0);
  t.throws(() => copyInto(new Uint8Array(1000), src), RangeError);
  t.throws(() => copyInto(new Uint8Array(2000), src, 1001), RangeError);
  // Misaligned and too short: nothing written.
  const big = new Uint8Array(new SharedArrayBuffer(200_000)).fill(9);
  const short = new Uint8Array(150_004);
  t.throws(() => copyInto(short, big.subarray(4)), RangeError);
  t.throws(() => copyInto(short, big.subarray(4, 1004), -1), RangeError);
  t.ok(short.every((x) => x === 0), 'nothing written');
});
