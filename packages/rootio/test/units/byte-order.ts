import t from 'tap';
import { copyBigEndian, lanesOf, swapInPlace, typedView, type ElementType } from '../../src/types.js';

/**
 * Big-endian elements become host-order typed-array elements two ways: copied out of a basket
 * (copyBigEndian) or, when a basket was decompressed straight into its column, swapped where
 * they are (swapInPlace). Both must give the same bits for every element size, in short runs
 * (a JavaScript loop) and long ones (Node's native swap), NaN payloads included.
 */
const TYPES: Array<[ElementType, number]> = [['uint8', 1], ['int16', 2], ['uint16', 2], ['float', 4], ['int32', 4], ['double', 8], ['int64', 8]];

/** `n` elements' worth of big-endian bytes: a fixed pattern that is no element's own byte-reverse. */
function bigEndianBytes(n: number, size: number): Uint8Array {
  const b = Uint8Array.from({ length: n * size }, (_, i) => (i * 37 + 11) & 0xff);
  // A signalling-NaN payload in the first 4- or 8-byte element: copied bits, never a canonical NaN.
  if (size === 4) b.set([0x7f, 0xa0, 0x00, 0x01]);
  if (size === 8) b.set([0x7f, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]);
  return b;
}

for (const n of [3, 63, 64, 200]) {
  t.test(`${n} elements: swapped in place = copied and swapped = read big-endian`, async (t) => {
    for (const [type, size] of TYPES) {
      const src = bigEndianBytes(n, size);
      const copied = typedView(type, new ArrayBuffer((n + 2) * size), 0, n + 2);
      copyBigEndian(size, new DataView(src.buffer), 0, n, lanesOf(copied, size), 1);
      const inPlace = typedView(type, new ArrayBuffer((n + 2) * size), 0, n + 2);
      new Uint8Array(inPlace.buffer, size, n * size).set(src);
      swapInPlace(size, lanesOf(inPlace, size), 1, n);
      t.same(new Uint8Array(inPlace.buffer), new Uint8Array(copied.buffer), `${type}: the same bytes`);
      // And what a DataView reads big-endian, element by element (bits, so NaN payloads compare).
      const dv = new DataView(src.buffer);
      const want = Array.from({ length: n }, (_, i) => (size === 1 ? dv.getUint8(i) : size === 2 ? dv.getUint16(2 * i) : size === 4 ? dv.getUint32(4 * i) : dv.getBigUint64(8 * i)));
      const lanes = size === 8 ? new BigUint64Array(inPlace.buffer, 8, n) : lanesOf(inPlace, size).subarray(1, n + 1);
      t.same(Array.from(lanes as ArrayLike<number | bigint>), want, `${type}: each element's big-endian value`);
      t.equal(new Uint8Array(inPlace.buffer)[0], 0, `${type}: nothing before the run touched`);
      t.equal(new Uint8Array(inPlace.buffer)[(n + 1) * size], 0, `${type}: nothing after it`);
    }
  });
}
