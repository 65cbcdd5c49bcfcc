import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { openRootFile, RootFileWriter, type BranchSpec, type Column, type ElementType, type Jagged, type TypedArray } from '@gluon/rootio';

/**
 * The read path (baskets decompressed into a read's reused scratch or a thread's ring, then
 * decoded with native byte swaps and the unrolled std::vector copy) against a reference decoder
 * written as plainly as possible: every basket found from the branch's own tables, inflated with
 * node:zlib, and every element's bytes reversed one byte at a time. Bit for bit (random bit
 * patterns: NaN payloads, -0, every integer), for a flat, a counted and a vector branch of each
 * numeric type, in baskets of 7 entries (so ranges start and end inside baskets), with entries of
 * 0 to 9 elements (both sides of the vector copy's 6-element fast path).
 */
const TYPES: ElementType[] = ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float', 'double'];
const SIZE: Record<ElementType, number> = { bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, float: 4, double: 8 };
const N = 200;
const BASKET = 7;

const dir = mkdtempSync(join(tmpdir(), 'rootio-decode-ref-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic byte stream. */
function bytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a >>> 24;
  }
  return out;
}

/** `n` elements of `type` with random bits (bools 0 or 1), as the writer takes them. */
function values(type: ElementType, n: number, seed: number): TypedArray {
  const raw = bytes(seed, n * SIZE[type]);
  const buf = raw.buffer;
  switch (type) {
    case 'bool': return raw.map((x) => x & 1);
    case 'uint8': return raw;
    case 'int8': return new Int8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'uint16': return new Uint16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint64': return new BigUint64Array(buf);
    case 'float': return new Float32Array(buf);
    case 'double': return new Float64Array(buf);
  }
}

const counts = Int32Array.from(bytes(7, N), (x) => x % 10);
const offsets = new Int32Array(N + 1);
for (let i = 0; i < N; i++) offsets[i + 1] = offsets[i]! + counts[i]!;

async function write(path: string, compressed: boolean): Promise<void> {
  const spec: BranchSpec[] = [{ name: 'n', type: 'int32' }];
  const cols: Record<string, unknown> = { n: counts };
  TYPES.forEach((type, k) => {
    spec.push({ name: `s_${type}`, type }, { name: `c_${type}`, type, jagged: 'counted', counter: 'n' }, { name: `v_${type}`, type, jagged: 'vector' });
    cols[`s_${type}`] = values(type, N, 100 + k);
    cols[`c_${type}`] = { offsets, values: values(type, offsets[N]!, 200 + k) };
    cols[`v_${type}`] = { offsets, values: values(type, offsets[N]!, 300 + k) };
  });
  const w = await RootFileWriter.create(path, { compression: compressed ? { algorithm: 'zlib', level: 1 } : { algorithm: 'none', level: 0 } });
  const tw = w.createTree('t', '', spec, { basketEntries: BASKET });
  await tw.append(cols as Parameters<typeof tw.append>[0]);
  await w.close();
}

type Meta = { fBranches: { arr: Array<{ fName: string; fWriteBasket: number; fBasketSeek: number[]; fBasketBytes: number[] }> } };

/** A whole column decoded the plain way: element bytes (little-endian) and entry offsets. */
function reference(file: Uint8Array, br: Meta['fBranches']['arr'][number], kind: 's' | 'c' | 'v', size: number): { bytes: Uint8Array; offsets: number[] } {
  const out: number[] = [];
  const offs = [0];
  for (let k = 0; k < br.fWriteBasket; k++) {
    const blob = file.subarray(Number(br.fBasketSeek[k]), Number(br.fBasketSeek[k]) + Number(br.fBasketBytes[k]));
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const keylen = dv.getInt16(14);
    const objlen = dv.getInt32(6);
    let p = 18 + (dv.getInt16(4) > 1000 ? 16 : 8);
    for (let s = 0; s < 3; s++) p += 1 + blob[p]!;
    const entries = dv.getInt32(p + 10);
    const dataLength = dv.getInt32(p + 14) - keylen;
    let data = blob.subarray(keylen);
    if (data.length !== objlen) {
      const parts: Uint8Array[] = [];
      for (let s = 0; s < data.length;) {
        const csize = data[s + 3]! | (data[s + 4]! << 8) | (data[s + 5]! << 16);
        parts.push(inflateSync(data.subarray(s + 9, s + 9 + csize)));
        s += 9 + csize;
      }
      data = Buffer.concat(parts);
    }
    const dd = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const starts: number[] = [];
    for (let i = 0; i < entries; i++) starts.push(kind === 's' ? i * size : dd.getInt32(dataLength + 4 + 4 * i) - keylen);
    starts.push(kind === 's' ? entries * size : dataLength);
    for (let i = 0; i < entries; i++) {
      const from = starts[i]! + (kind === 'v' ? 10 : 0);
      for (let q = from; q < starts[i + 1]!; q += size) for (let j = size - 1; j >= 0; j--) out.push(data[q + j]!);
      offs.push(out.length / size);
    }
  }
  return { bytes: Uint8Array.from(out), offsets: offs };
}

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The column's bits and offsets against the reference's entries [a, z). */
function check(t: { pass(m: string): void; fail(m: string): void; same(a: unknown, b: unknown, m: string): void }, name: string, col: Column, ref: { bytes: Uint8Array; offsets: number[] }, size: number, a: number, z: number, what: string): void {
  const jagged = !name.startsWith('s_');
  const from = jagged ? ref.offsets[a]! : a;
  const to = jagged ? ref.offsets[z]! : z;
  const want = ref.bytes.subarray(from * size, to * size);
  const vals = jagged ? (col as Jagged).values : (col as TypedArray);
  if (Buffer.compare(bytesOf(vals), want) !== 0) t.fail(`${name} ${what}: values differ from the reference`);
  else t.pass(`${name} ${what}: values bit-identical`);
  if (jagged) {
    const o = Array.from((col as Jagged).offsets);
    t.same(o, ref.offsets.slice(a, z + 1).map((x) => x - from), `${name} ${what}: offsets`);
  }
}

for (const compressed of [true, false]) {
  t.test(`${compressed ? 'zlib' : 'uncompressed'} baskets of ${BASKET} entries: every type and kind, whole and cut ranges, 1 and 2 threads`, async (t) => {
    const path = join(dir, `ref-${compressed}.root`);
    await write(path, compressed);
    const file = readFileSync(path);
    const one = await openRootFile(path);
    const two = await openRootFile(path, { decompressThreads: 2 });
    t.teardown(() => Promise.all([one.close(), two.close()]));
    const meta = (await one.object('t')) as unknown as Meta;
    const names = TYPES.flatMap((type) => [`s_${type}`, `c_${type}`, `v_${type}`]);
    const refs = new Map(names.map((name) => {
      const br = meta.fBranches.arr.find((b) => b.fName === name)!;
      return [name, reference(file, br, name[0] as 's' | 'c' | 'v', SIZE[name.slice(2) as ElementType])] as const;
    }));
    // The reference itself against what was written (the same random bits in, little-endian). The
    // writer stores a float through a JS number, which may change a NaN's payload: there, NaN is
    // all that is compared. The reader is held to the file's bits, which the reference reads.
    for (const [k, type] of TYPES.entries()) {
      const written = values(type, offsets[N]!, 300 + k);
      const got = refs.get(`v_${type}`)!.bytes;
      if (type === 'float') {
        const a = new Float32Array(got.buffer, got.byteOffset, got.length / 4);
        const u = new Uint32Array(got.buffer, got.byteOffset, got.length / 4);
        const w = new Uint32Array(written.buffer);
        t.ok(Array.from(a).every((x, i) => (Number.isNaN(x) ? Number.isNaN((written as Float32Array)[i]!) : u[i] === w[i])), 'reference v_float is what was written (NaN as NaN)');
        continue;
      }
      t.equal(Buffer.compare(got, bytesOf(written)), 0, `reference v_${type} is what was written`);
    }
    const ranges: Array<[number, number]> = [[0, N], [3, 190], [7, 14], [13, 15], [0, 1], [N - 1, N], [50, 50]];
    for (const [label, f] of [['1 thread', one], ['2 threads', two]] as const) {
      for (const [a, z] of ranges) {
        const cols = await (await f.tree('t')).arrays(names, { entryStart: a, entryStop: z });
        for (const name of names) check(t, name, cols[name]!, refs.get(name)!, SIZE[name.slice(2) as ElementType], a, z, `${label} [${a}, ${z})`);
      }
      // Consecutive steps of one reader: a basket cut by a step is cached and reused by the next.
      const tree = await f.tree('t');
      for await (const b of tree.iterate(names, { step: 5 })) {
        for (const name of names) check(t, name, b.columns[name]!, refs.get(name)!, SIZE[name.slice(2) as ElementType], b.entryStart, b.entryStop, `${label} step [${b.entryStart}, ${b.entryStop})`);
      }
    }
  });
}
