import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError, type ByteSource, type RootFile } from '../../src/index.js';

/**
 * A read of several branches has several reads of bytes in flight at once (a local file on the
 * main thread: the first branches' own reads and one for the rest). Its first failure ends the
 * others and is the error it rejects with, once none of them runs: the read went on decoding the
 * branches before the failed one (in the order asked), rejected with whatever failed there first,
 * and left later reads running after the caller had its error.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-read-failure-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Offset of the only 8-byte big-endian `value` after `from` in `bytes` (a basket seek of the TTree). */
function findSeek(bytes: Buffer, value: number, from: number): number {
  const hits: number[] = [];
  for (let p = from; p + 8 <= bytes.length; p++) if (bytes.readBigInt64BE(p) === BigInt(value)) hits.push(p);
  if (hits.length !== 1) throw new Error(`findSeek: ${hits.length} places hold ${value}`);
  return hits[0]!;
}

/**
 * A tree of three double branches (uncompressed: its TTree's basket seeks are plain bytes), with
 * branch `a`'s first basket claiming another length than its branch gives it (found only once its
 * bytes are in) and branch `b`'s first basket placed past the end of the file (refused before any
 * byte is read). The read is under 4 MiB: its bytes are read on libuv's pool, not the reading thread.
 */
async function twoFaults(): Promise<string> {
  const path = join(dir, 'two-faults.root');
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'none', level: 0 } });
  const n = 100_000;
  const tw = w.createTree('t', 'two faults', ['a', 'b', 'c'].map((name) => ({ name, type: 'double' as const })));
  await tw.append({ a: new Float64Array(n).fill(1), b: new Float64Array(n).fill(2), c: new Float64Array(n).fill(3) });
  await w.close();
  const f = await openRootFile(path);
  const tree = (await f.object('t')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[] }> } };
  await f.close();
  const seek = (name: string) => Number(tree.fBranches.arr.find((b) => b.fName === name)!.fBasketSeek[0]);
  const bytes = readFileSync(path);
  bytes.writeInt32BE(1, seek('a')); // its key's fNbytes
  const last = Math.max(seek('a'), seek('b'), seek('c'));
  bytes.writeBigInt64BE(BigInt(bytes.length + 4096), findSeek(bytes, seek('b'), last));
  writeFileSync(path, bytes);
  return path;
}

/** Counts the reads of `f`'s source not yet settled (the real reads run: this only watches them). */
function watchReads(f: RootFile): { inFlight: () => number; started: () => number } {
  const src = f.source as { read: ByteSource['read'] };
  const read = src.read.bind(src);
  let open = 0;
  let started = 0;
  src.read = (ranges, opts) => {
    open++;
    started++;
    const p = read(ranges, opts);
    const settled = () => void open--;
    p.then(settled, settled);
    return p;
  };
  return { inFlight: () => open, started: () => started };
}

t.test('the first failure of a read is the error, and nothing of the read runs after it', async (t) => {
  const path = await twoFaults();
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const reads = watchReads(f);
  // a's read is in flight when the read of b and c is refused (at once); a's damage is found only
  // after its bytes are in. Decoding in the order asked rejected with a's error.
  const first = await tree.arrays(['a', 'b', 'c']).then(() => null, (e: unknown) => e);
  t.type(first, RootFormatError);
  t.match((first as RootFormatError).reason, /points past the end of the file/, `the first failure (b's basket past the end), not a's found later: ${(first as Error).message}`);
  t.equal(reads.inFlight(), 0, 'no read of its bytes in flight after it rejected');
  // b's refused read first, then a and c's still in flight: a's error came with its decoding (the
  // read waited for it) and c's read was left running after the read had rejected.
  const second = await tree.arrays(['b', 'a', 'c']).then(() => null, (e: unknown) => e);
  t.match((second as RootFormatError).reason, /points past the end of the file/);
  t.equal(reads.inFlight(), 0, 'no read of its bytes in flight after it rejected');
  // Each branch alone: its own error.
  await t.rejects(tree.arrays(['a']), { name: 'RootFormatError', message: /basket 0 says it has 1 bytes/ });
  t.same(Array.from((await tree.arrays(['c'], { entryStop: 3 })).c as Float64Array), [3, 3, 3], 'c reads');
});
