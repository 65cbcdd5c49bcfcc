/**
 * What copying out of shared memory costs (not a test): V8 copies to or from a SharedArrayBuffer
 * (TypedArray#set, Buffer#copy) with relaxed atomic stores, a word at a time when the source and
 * the destination sit at the same offset modulo 8 and a byte at a time when they do not. The
 * decompression ring (packages/rootio/src/inflate-pool.ts) starts its slots at multiples of 8 for
 * this, and rootio's `copyInto` (packages/rootio/src/shared-copy.ts) copies out of shared memory
 * with `Buffer#fill`, one memcpy. Prints µs per copy of SIZE bytes (2 MiB by default), best of
 * ROUNDS, in this run: plain to plain, shared to plain aligned alike, shared to plain 4 bytes
 * apart, the same through `copyInto`, and `Buffer#fill` at both alignments.
 *
 * Run: `npx tsc -b packages/rootio && npx tsx bench/shared-copy.ts` (SIZE=…, ROUNDS=…).
 */
import { copyInto } from '../packages/rootio/dist/shared-copy.js';
import { envInt } from './env.js';

const SIZE = envInt('SIZE', 2 << 20, 1, 2147483647);
const ROUNDS = envInt('ROUNDS', 200, 1, 1e9);
const shared = new SharedArrayBuffer(SIZE + 64);
const plain = new ArrayBuffer(SIZE + 64);
const plainSource = new ArrayBuffer(SIZE + 64);
new Uint8Array(shared).fill(7);
new Uint8Array(plainSource).fill(7);
const words = SIZE / 4;

function best(copy: () => void): number {
  for (let i = 0; i < 20; i++) copy();
  let min = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    copy();
    min = Math.min(min, performance.now() - t0);
  }
  return min * 1000;
}

const sides: Record<string, () => void> = {
  'plain → plain': () => new Uint32Array(plain, 0, words).set(new Uint32Array(plainSource, 0, words)),
  'shared → plain, both at 0 mod 8': () => new Uint32Array(plain, 0, words).set(new Uint32Array(shared, 0, words)),
  'shared → plain, both at 4 mod 8': () => new Uint32Array(plain, 4, words).set(new Uint32Array(shared, 4, words)),
  'shared → plain, 4 bytes apart mod 8': () => new Uint32Array(plain, 0, words).set(new Uint32Array(shared, 4, words)),
  'the same through copyInto': () => copyInto(new Uint8Array(plain, 0, SIZE), new Uint8Array(shared, 4, SIZE)),
  'shared → plain by Buffer#fill, at 0 mod 8': () => Buffer.from(plain, 0, SIZE).fill(new Uint8Array(shared, 0, SIZE)),
  'shared → plain by Buffer#fill, 4 apart': () => Buffer.from(plain, 0, SIZE).fill(new Uint8Array(shared, 4, SIZE)),
};
const base = best(sides['plain → plain']!);
console.log(`${process.version}, ${SIZE} bytes, best of ${ROUNDS}`);
for (const [label, copy] of Object.entries(sides)) {
  const us = best(copy);
  console.log(`${label.padEnd(38)} ${us.toFixed(0).padStart(6)} µs  ${(us / base).toFixed(2)}× plain`);
}
