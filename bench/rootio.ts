/**
 * rootio read speed (not a test). On a generated file in the 4ℓ schema (2,000,000 events by
 * default, zlib level 1, written by @gluon/rootio's writer and cached under .cache/), it measures
 * per branch kind (scalar float, vector<float>, counted float array) and for the analysis's 7
 * branches: our read against (a) decompression alone of the same baskets and (b) jsroot's
 * treeProcess on the same branches, all in this run; then the 7-branch read over HTTP from a
 * loopback server in a child process; the 7 branches read with baskets decompressed on 1 and on 2
 * threads (`decompressThreads`: the reader plus one worker thread), wall time, in interleaved pairs; and the
 * whole 1-thread read (in fresh memory, and into the columns of the read before: `into`) against the inflaters alone on those baskets (Node's zlib into one reused
 * buffer and through `inflateSync`, and fflate, the fastest well-kept pure-JS inflater; libdeflate
 * or zlib-ng as a well-kept WebAssembly or prebuilt package is not on the registry), with what
 * the read does beyond inflating (reading the bytes, fresh memory for its columns) timed alone.
 *
 * Run: `npx tsc -b packages/rootio && npx tsx bench/rootio.ts` (N=… to change the event count;
 * PARTS=kinds,threads,whole,http, any of them, to run only those parts). Writes bench/results/rootio.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inflateSync } from 'node:zlib';
import { unzlibSync } from 'fflate';
import { openFile, TSelector, treeProcess } from 'jsroot';
import { decompress, openRootFile, RootFileWriter, type BranchSpec, type Column, type Jagged, type RootFile, type TypedArray } from '@gluon/rootio';
import { envInt, envString } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
/** A full garbage collection now (V8's gc(), exposed for this process only). */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const N = envInt('N', 2_000_000, 1, 1e9);
const REPEAT = envInt('REPEAT', 5, 1, 1e9);
const PARTS = new Set((envString('PARTS') ?? 'kinds,threads,whole,http').split(','));
const SEVEN = ['lep_n', 'lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_charge', 'lep_type'];
const KINDS: Record<string, string[]> = { 'scalar float': ['met_et'], 'vector<float>': ['lep_pt'], 'counted float[lep_n]': ['lep_pt_counted'] };

/** A small deterministic PRNG, so the cached file is the same every time. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the 4ℓ-schema file (only when not cached). Lepton multiplicity 0–6, mostly 4. */
async function generate(path: string): Promise<void> {
  const spec: BranchSpec[] = [
    { name: 'runNumber', type: 'int32' }, { name: 'eventNumber', type: 'int32' }, { name: 'mcWeight', type: 'float' },
    { name: 'trigE', type: 'bool' }, { name: 'trigM', type: 'bool' }, { name: 'met_et', type: 'float' }, { name: 'lep_n', type: 'uint32' },
    { name: 'lep_pt', type: 'float', jagged: 'vector' }, { name: 'lep_eta', type: 'float', jagged: 'vector' },
    { name: 'lep_phi', type: 'float', jagged: 'vector' }, { name: 'lep_E', type: 'float', jagged: 'vector' },
    { name: 'lep_charge', type: 'int32', jagged: 'vector' }, { name: 'lep_type', type: 'uint32', jagged: 'vector' },
    { name: 'lep_pt_counted', type: 'float', jagged: 'counted', counter: 'lep_n' },
  ];
  const tmp = `${path}.partial`;
  const w = await RootFileWriter.create(tmp, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('mini', '4lep schema (generated)', spec);
  const next = rng(42);
  const STEP = 100_000;
  for (let a = 0; a < N; a += STEP) {
    const n = Math.min(STEP, N - a);
    const lepN = new Uint32Array(n);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const r = next();
      lepN[i] = r < 0.05 ? 2 : r < 0.15 ? 3 : r < 0.9 ? 4 : r < 0.97 ? 5 : 6;
      offsets[i + 1] = offsets[i]! + lepN[i]!;
    }
    const m = offsets[n]!;
    const floats = (f: () => number) => Float32Array.from({ length: m }, f);
    const pt = floats(() => 7000 + 60000 * next() ** 2);
    const cols = {
      runNumber: new Int32Array(n).fill(284500), eventNumber: Int32Array.from({ length: n }, (_, i) => a + i),
      mcWeight: Float32Array.from({ length: n }, () => 1 + 0.1 * (next() - 0.5)),
      trigE: Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0)), trigM: Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0)),
      met_et: Float32Array.from({ length: n }, () => 40000 * next()), lep_n: lepN,
      lep_pt: { offsets, values: pt }, lep_eta: { offsets, values: floats(() => 5 * (next() - 0.5)) },
      lep_phi: { offsets, values: floats(() => 2 * Math.PI * (next() - 0.5)) }, lep_E: { offsets, values: floats(() => 10000 + 100000 * next()) },
      lep_charge: { offsets, values: Int32Array.from({ length: m }, () => (next() < 0.5 ? -1 : 1)) },
      lep_type: { offsets, values: Uint32Array.from({ length: m }, () => (next() < 0.5 ? 11 : 13)) },
      lep_pt_counted: { offsets, values: pt },
    };
    await tw.append(cols);
  }
  await w.close();
  renameSync(tmp, path);
}

/**
 * Seconds of this process's CPU time (user + system) spent in `fn`. The machine is shared and
 * loaded; CPU time is what the read costs, where wall time also counts waiting for a core. The
 * reads here are single-threaded (zlib's sync inflate runs on this thread), so it is comparable
 * across readers. Wall time is reported beside it.
 */
const wall: number[] = [];
function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return fn().then((v) => {
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - t0) / 1000);
    return [(c.user + c.system) / 1e6, v];
  });
}

/** Same, for functions that time their own interesting part. */
async function bestTimed<T>(fn: () => Promise<[number, T]>): Promise<[number, T]> {
  let out: [number, T] | null = null;
  for (let i = 0; i < REPEAT; i++) {
    const r = await fn();
    if (!out || r[0] < out[0]) out = r;
  }
  return out!;
}

type Meta = { fBranches: { arr: Array<{ fName: string; fWriteBasket: number; fBasketSeek: number[]; fBasketBytes: number[] }> } };

/** The baskets of some branches: where they are, so decompression alone can be timed on them. */
async function basketsOf(f: RootFile, names: string[]): Promise<Array<[number, number]>> {
  const meta = (await f.object('mini')) as unknown as Meta;
  return meta.fBranches.arr.filter((b) => names.includes(b.fName)).flatMap((b) =>
    Array.from({ length: b.fWriteBasket }, (_, k) => [Number(b.fBasketSeek[k]), Number(b.fBasketBytes[k])] as [number, number]));
}

/** Read the same basket bytes and only decompress them: the floor under any reader. */
async function decompressOnly(f: RootFile, ranges: Array<[number, number]>): Promise<number> {
  const blobs = await f.source.read(ranges);
  let bytes = 0;
  for (let i = 0; i < blobs.length; i++) {
    const b = blobs[i]!;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const keylen = dv.getInt16(14);
    bytes += decompress(b.subarray(keylen), dv.getInt32(6), f.path, ranges[i]![0] + keylen).length;
  }
  return bytes;
}

/** Our read of whole columns. A fresh reader each time (readers keep their last basket), opened outside the timing. */
async function ours(f: RootFile, names: string[]): Promise<[number, number]> {
  const tree = await f.tree('mini');
  const [s, cols] = await time(() => tree.arrays(names));
  return [s, Object.keys(cols).length];
}

async function jsroot(path: string, names: string[], entries: number): Promise<number> {
  const jf = await openFile(path);
  const t = await jf.readObject('mini');
  const sel = new TSelector();
  for (const b of names) sel.addBranch(b, b);
  let n = 0;
  sel.Process = () => { n++; };
  await treeProcess(t, sel, { numentries: entries });
  return n;
}

/** A loopback HTTP server with Range support, in its own process so it does not share our CPU time slices. */
async function server(path: string): Promise<{ url: string; stop: () => void }> {
  const code = `
    const http = require('node:http'); const fs = require('node:fs');
    const size = fs.statSync(${JSON.stringify(path)}).size;
    const s = http.createServer((req, res) => {
      const m = /^bytes=(\\d+)-(\\d+)$/.exec(req.headers.range || '');
      if (!m) { res.writeHead(200, {'content-length': size}); fs.createReadStream(${JSON.stringify(path)}).pipe(res); return; }
      const a = +m[1], z = Math.min(+m[2], size - 1);
      res.writeHead(206, {'content-range': 'bytes ' + a + '-' + z + '/' + size, 'content-length': z - a + 1});
      fs.createReadStream(${JSON.stringify(path)}, {start: a, end: z}).pipe(res);
    });
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}/bench.root`, stop: () => child.kill() };
}

const cacheDir = join(here, '..', '.cache', 'rootio-bench');
mkdirSync(cacheDir, { recursive: true });
const path = join(cacheDir, `4lep-schema-${N}-zlib1.root`);
if (!existsSync(path)) {
  console.log(`generating ${path} (${N} events) …`);
  const [s] = await time(() => generate(path));
  console.log(`  written in ${s.toFixed(1)} s`);
}
const fileMB = statSync(path).size / 1e6;
const f = await openRootFile(path);
const entries = (await f.tree('mini')).numEntries;
console.log(`file: ${fileMB.toFixed(1)} MB, ${entries} entries; CPU time, best of ${REPEAT}`);
/**
 * glibc's malloc settings the process runs with (read at start-up only): whether the columns a
 * fresh read frees come back from the malloc heap or as new pages depends on them (README,
 * "Large reads into fresh columns"), so every figure below is for these settings.
 */
const malloc = Object.entries(process.env).filter(([k]) => /^MALLOC_[A-Z_]+_$|^GLIBC_TUNABLES$/.test(k)).map(([k, v]) => `${k}=${v}`).sort();
console.log(`malloc: ${malloc.length ? malloc.join(' ') : "glibc's defaults (dynamic mmap and trim thresholds)"}\n`);

const rows: Array<Record<string, unknown>> = [];
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
for (const [label, names] of PARTS.has('kinds') ? [...Object.entries(KINDS), ['7 analysis branches', SEVEN] as [string, string[]]] : []) {
  const ranges = await basketsOf(f, names);
  const compressed = ranges.reduce((a, r) => a + r[1], 0) / 1e6;
  await decompressOnly(f, ranges); // warm-up
  for (let i = 0; i < 2; i++) await ours(f, names); // warm-up: let the JIT compile the decode loops
  // Interleaved pairs (decompression alone, then our read): drift on a shared machine hits both
  // sides of each pair alike. Times are the best of each side; the overhead is the median of the
  // per-pair ratios, which a single disturbed run cannot move.
  wall.length = 0;
  const decs: number[] = [], ourTimes: number[] = [], ratios: number[] = [];
  let rawBytes = 0;
  for (let r = 0; r < REPEAT; r++) {
    const [d, bytes] = await time(() => decompressOnly(f, ranges));
    const [o] = await ours(f, names);
    rawBytes = bytes;
    decs.push(d);
    ourTimes.push(o);
    ratios.push(o / d - 1);
  }
  const tDec = Math.min(...decs), tOurs = Math.min(...ourTimes);
  const wallOurs = Math.min(...wall.filter((_, i) => i % 2 === 1));
  const overhead = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  // jsroot is slow: time it on a prefix when the file is large and scale by entries.
  const jsEntries = Math.min(entries, envInt('JSROOT_ENTRIES', 500_000, 1, 1e9));
  const [tJs] = await time(() => jsroot(path, names, jsEntries));
  const oursRate = entries / tOurs;
  const jsRate = jsEntries / tJs;
  const row = {
    branches: label, entries, compressedMB: compressed, uncompressedMB: rawBytes / 1e6,
    oursSeconds: tOurs, oursWallSeconds: wallOurs, oursEntriesPerSec: oursRate, oursMBperSec: rawBytes / 1e6 / tOurs,
    decompressOnlySeconds: tDec, decodeOverheadVsDecompress: overhead, decodeOverheadPerPair: ratios,
    jsrootEntriesTimed: jsEntries, jsrootEntriesPerSec: jsRate, speedupVsJsroot: oursRate / jsRate,
  };
  rows.push(row);
  console.log(`${label.padEnd(22)} ours ${fmt(oursRate / 1e6)} M entries/s, ${fmt(row.oursMBperSec)} MB/s (uncompressed) | ` +
    `decompression alone ${fmt(tDec * 1e3)} ms vs ours ${fmt(tOurs * 1e3)} ms → decode adds ${(overhead * 100).toFixed(0)}% (median of ${REPEAT} pairs) | ` +
    `jsroot ${fmt(jsRate / 1e6)} M entries/s → ${row.speedupVsJsroot.toFixed(1)}×`);
}
await f.close();

// Decompression on 1 and on 2 threads: the second core is the point, so wall time, in pairs.
if (PARTS.has('threads')) {
  const one = await openRootFile(path);
  const two = await openRootFile(path, { decompressThreads: 2 });
  // `into`: each read into the columns of that reader's read before (what `iterate`'s `reuse` does).
  const previous = new Map<RootFile, Record<string, Column>>();
  // Page faults (the whole process's minor faults) of each fresh 2-thread read: how many of its
  // columns' pages were new decides its wall time (docs/internals.md, "glibc's trim decides the
  // fresh 2-thread read").
  const faults2: number[] = [];
  // The CPU time of every thread of the process in each 2-thread read, fresh and into: on two
  // cores its wall time cannot be under half of it, which bounds its speed-up over the 1-thread read.
  const cpu2: number[] = [];
  const cpu2Into: number[] = [];
  const readWall = async (file: RootFile, into = false) => {
    const tree = await file.tree('mini');
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const cols = await tree.arrays(SEVEN, into ? { into: previous.get(file) } : {});
    const s = (performance.now() - t0) / 1000;
    if (file === two) {
      const c = process.cpuUsage(c0);
      (into ? cpu2Into : cpu2).push((c.user + c.system) / 1e6);
    }
    if (file === two && !into) faults2.push(process.resourceUsage().minorPageFault - f0);
    if (into) previous.set(file, cols);
    return s;
  };
  for (let i = 0; i < 2; i++) {
    await readWall(one);
    await readWall(two);
  }
  /** REPEAT alternating pairs (1 thread, then 2): wall times and each pair's speed-up. */
  const pairs = async (into: boolean) => {
    const w1: number[] = [], w2: number[] = [], speedups: number[] = [];
    for (let r = 0; r < REPEAT; r++) {
      const a = await readWall(one, into);
      const b = await readWall(two, into);
      w1.push(a);
      w2.push(b);
      speedups.push(a / b);
    }
    return { w1, w2, speedups, median: [...speedups].sort((x, y) => x - y)[Math.floor(speedups.length / 2)]! };
  };
  faults2.length = 0;
  cpu2.length = 0;
  cpu2Into.length = 0;
  const { w1, w2, speedups, median } = await pairs(false);
  const pairFaults = [...faults2];
  // Alternating single reads charge each read with the garbage the other mode left; a reader
  // keeps one setting, so the steady state is also measured: blocks of 3 consecutive reads per
  // mode, in ABBA order, each block's mean.
  const block = async (file: RootFile) => {
    let sum = 0;
    for (let k = 0; k < 3; k++) sum += await readWall(file);
    return sum / 3;
  };
  const b1: number[] = [], b2: number[] = [];
  for (let r = 0; r < Math.max(2, Math.ceil(REPEAT / 2)); r++) {
    const [first, second] = r % 2 ? [two, one] : [one, two];
    const x = await block(first);
    const y = await block(second);
    (first === one ? b1 : b2).push(x);
    (second === one ? b1 : b2).push(y);
  }
  const steadyFaults = faults2.slice(pairFaults.length);
  const steady = b1.map((a, i) => a / b2[i]!);
  const steadyMedian = [...steady].sort((x, y) => x - y)[Math.floor(steady.length / 2)]!;
  const into = await pairs(true);
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  // The most a 2-thread read can gain on two cores: the 1-thread read's wall over half the
  // 2-thread read's CPU (medians). Fresh columns add CPU that the 1-thread read runs on the core
  // it does not use (faults, collections), and the 2-thread read has no such core.
  const boundFresh = med(w1) / (med(cpu2) / 2);
  const boundInto = med(into.w1) / (med(cpu2Into) / 2);
  rows.push({ branches: '7 analysis branches, decompressThreads 1 vs 2 (wall)', entries, wall1: Math.min(...w1), wall2: Math.min(...w2), speedupPerPair: speedups, speedupMedian: median,
    steadyBlocks1: b1, steadyBlocks2: b2, steadySpeedupMedian: steadyMedian,
    intoWall1: Math.min(...into.w1), intoWall2: Math.min(...into.w2), intoSpeedupPerPair: into.speedups, intoSpeedupMedian: into.median,
    faults2Pairs: pairFaults, faults2Steady: steadyFaults, cpu2Fresh: cpu2, cpu2Into, bound2Fresh: boundFresh, bound2Into: boundInto });
  console.log(`${'7 branches, 2 threads'.padEnd(22)} wall ${fmt(Math.min(...w1) * 1e3)} ms on 1 thread, ${fmt(Math.min(...w2) * 1e3)} ms on 2 → ${median.toFixed(2)}× (median of ${REPEAT} alternating pairs); ` +
    `steady (blocks of 3 reads, ABBA) ${fmt(Math.min(...b1) * 1e3)} vs ${fmt(Math.min(...b2) * 1e3)} ms → ${steadyMedian.toFixed(2)}×; ` +
    `each into the last read's columns ${fmt(Math.min(...into.w1) * 1e3)} vs ${fmt(Math.min(...into.w2) * 1e3)} ms → ${into.median.toFixed(2)}× (median of ${REPEAT} pairs); ` +
    `page faults of each fresh 2-thread read (205 MB of columns: ~50,000 if all new): pairs ${pairFaults.join(' ')}, steady ${steadyFaults.join(' ')}`);
  console.log(`${'… 2 threads\' ceiling'.padEnd(22)} CPU of every thread in a 2-thread read ${fmt(med(cpu2) * 1e3)} ms fresh, ${fmt(med(cpu2Into) * 1e3)} ms into (medians): ` +
    `on two cores the speed-up over the 1-thread read can be at most ${boundFresh.toFixed(2)}× fresh, ${boundInto.toFixed(2)}× into`);
  await one.close();
  await two.close();
}

// The whole 7-branch read on 1 thread against the inflaters alone on its zlib blocks
// (single-block baskets, as our writer makes), in interleaved rounds (the order reversed every
// other round), CPU time of the whole process (and wall time). "1 thread" is `decompressThreads: 1`: every basket
// is inflated and decoded on the calling thread; the file reads and, in fresh memory, the faulting in
// of the next branch's columns are the only work elsewhere (the reading thread and libuv's pool, counted too). The inflaters: Node's zlib through its public API (`inflateSync`, output sized
// to the block: fresh memory per block), zlib into one reused buffer (`decompress(…, into)`: zlib's
// handle, no fresh memory; what our read does per basket, so the fastest inflate available), and
// fflate (in rounds of its own, after). The read also does what inflating alone does not, each measured alone in the same rounds:
// reading the compressed bytes, and fresh memory for the columns it returns (allocated and written
// once: the kernel faults every new page in).
if (PARTS.has('whole')) {
  const fi = await openRootFile(path);
  const ranges = await basketsOf(fi, SEVEN);
  const blobs = await fi.source.read(ranges);
  const blocks = blobs.map((b) => {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const keylen = dv.getInt16(14);
    return { payload: b.subarray(keylen), body: b.subarray(keylen + 9), size: dv.getInt32(6) };
  });
  const reused = new Uint8Array(Math.max(...blocks.map((b) => b.size)));
  const ioMemory = new Uint8Array(ranges.reduce((n, r) => n + r[1], 0));
  const inFileOrder = [...ranges].sort((a, b) => a[0] - b[0]);
  // The typed arrays a read returns (each jagged column is two), by size.
  const arraySizes = Object.values(await (await fi.tree('mini')).arrays(SEVEN))
    .flatMap((c) => ('offsets' in (c as object) ? [(c as Jagged).offsets, (c as Jagged).values] : [c as TypedArray]))
    .map((a) => a.byteLength);
  const columnBytes = arraySizes.reduce((a, b) => a + b, 0);
  const sized = (b: Uint8Array, size: number) => inflateSync(b, { chunkSize: Math.max(64, size + 1), maxOutputLength: size }).length;
  // The same read into the memory of the columns of the one before (`arrays(…, { into })`): what
  // a caller pays that lets each read's columns go before the next (iterate's `reuse`).
  let previous: Record<string, Column> | undefined;
  const sides: Record<string, () => Promise<unknown>> = {
    read: () => ours(fi, SEVEN),
    readInto: async () => {
      previous = await (await fi.tree('mini')).arrays(SEVEN, { into: previous });
    },
    zlibReused: async () => blocks.reduce((n, b) => n + decompress(b.payload, b.size, path, 0, reused).length, 0),
    zlibSync: async () => blocks.reduce((n, b) => n + sized(b.body, b.size), 0),
    fflate: async () => blocks.reduce((n, b) => n + unzlibSync(b.body).length, 0),
    // Into one buffer kept from read to read, as the read does (src/read-memory.ts), in file
    // order: the baskets next to each other in the file are one pread (20 for the 140 baskets),
    // the fewest the read could make.
    fileRead: () => fi.source.read(inFileOrder, { into: ioMemory }),
    freshColumns: async () => arraySizes.map((n) => Buffer.allocUnsafeSlow(n).fill(1)).length,
  };
  const names = Object.keys(sides);
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const wallOf: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (const k of names) await sides[k]!(); // warm-up
  // fflate (3–5 s a round) goes in rounds of its own, after: inside the rounds its two runs
  // between one read and the next (order reversed every other round) made that gap 12 s at load
  // ~15, past the 10 s a read's compressed-bytes buffer is kept (src/read-memory.ts), so every
  // other round's read `into` paid 179 MB of fresh memory (~930 against ~770 ms, 2026-12-04 02:49).
  const rounds = names.filter((k) => k !== 'fflate');
  const orders: string[][] = [];
  for (let r = 0; r < REPEAT; r++) orders.push(r % 2 ? [...rounds].reverse() : rounds);
  for (let r = 0; r < Math.min(REPEAT, 3); r++) orders.push(['fflate']);
  for (const order of orders) {
    for (const k of order) {
      // Each side starts from a collected heap, its background sweeping done: the garbage of the
      // side before (the inflaters make 420 MB a round) is not charged to it.
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await sides[k]!();
      const c = process.cpuUsage(c0);
      wallOf[k]!.push((performance.now() - t0) / 1000);
      cpu[k]!.push((c.user + c.system) / 1e6);
    }
  }
  const best = (k: string) => Math.min(...cpu[k]!);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fastest = best('zlibReused') <= best('zlibSync') ? 'zlibReused' : 'zlibSync';
  const vsFastest = median(cpu.read!.map((x, i) => x / cpu[fastest]![i]!));
  const vsSync = median(cpu.read!.map((x, i) => x / cpu.zlibSync![i]!));
  const intoVsFastest = median(cpu.readInto!.map((x, i) => x / cpu[fastest]![i]!));
  // Wall time too: on 1 thread the file reads run in libuv's pool, beside the inflating (tree.ts),
  // so they cost CPU time but not the caller's wait. Inflating alone waits for nothing.
  const wallBest = (k: string) => Math.min(...wallOf[k]!);
  const wallVsFastest = median(wallOf.read!.map((x, i) => x / wallOf[fastest]![i]!));
  const intoWallVsFastest = median(wallOf.readInto!.map((x, i) => x / wallOf[fastest]![i]!));
  // What the read costs beyond the fastest inflate. The read `into` the last read's columns has
  // no fresh memory: beyond inflating it reads the bytes and decodes, so its decode is what is
  // left after the bytes' read timed alone. Fresh memory inside the read is the fresh read less
  // the read `into` (timed alone it is more: `freshColumns` also writes every byte once, which in
  // the read is the decode's writing of the columns).
  const rest = best('readInto') - best(fastest) - best('fileRead');
  const freshInRead = best('read') - best('readInto');
  rows.push({
    branches: 'whole read (1 thread) vs inflate alone, 7 branches', readSeconds: best('read'), readIntoSeconds: best('readInto'), readIntoVsFastestInflate: intoVsFastest, zlibReusedSeconds: best('zlibReused'), zlibSyncSeconds: best('zlibSync'),
    fflateSeconds: best('fflate'), fileReadSeconds: best('fileRead'), freshColumnsSeconds: best('freshColumns'), freshInReadSeconds: freshInRead, columnMB: columnBytes / 1e6, decodeRestSeconds: rest,
    fastestInflate: fastest, readVsFastestInflate: vsFastest, readVsInflateSync: vsSync, perRound: cpu,
    wallReadSeconds: wallBest('read'), wallReadIntoSeconds: wallBest('readInto'), wallFastestInflateSeconds: wallBest(fastest),
    wallReadVsFastestInflate: wallVsFastest, wallReadIntoVsFastestInflate: intoWallVsFastest, wallPerRound: wallOf,
  });
  const ms = (k: string) => `${fmt(best(k) * 1e3)} ms`;
  console.log(`${'inflate alone'.padEnd(22)} zlib into one reused buffer ${ms('zlibReused')}, zlib inflateSync ${ms('zlibSync')}, fflate ${ms('fflate')} (${(best('fflate') / best(fastest)).toFixed(2)}× the fastest)`);
  console.log(`${'whole read, 1 thread'.padEnd(22)} ${ms('read')} → ${vsFastest.toFixed(2)}× the fastest inflate, ${vsSync.toFixed(2)}× inflateSync (medians of ${REPEAT} rounds); ` +
    `beyond the read into the last read's columns: fresh memory for the ${fmt(columnBytes / 1e6)} MB of columns ${fmt(freshInRead * 1e3)} ms (${ms('freshColumns')} alone, written once)`);
  console.log(`${'… into the last read\'s'.padEnd(22)} ${ms('readInto')} → ${intoVsFastest.toFixed(2)}× the fastest inflate (median of ${REPEAT} rounds): the read with \`into\`, its columns in the memory of the read before; ` +
    `beyond the fastest inflate: reading the compressed bytes ${ms('fileRead')} (alone), the rest (decode) ${fmt(rest * 1e3)} ms`);
  const wms = (k: string) => `${fmt(wallBest(k) * 1e3)} ms`;
  console.log(`${'… the same, wall time'.padEnd(22)} fastest inflate ${wms(fastest)}; whole read ${wms('read')} → ${wallVsFastest.toFixed(2)}×, into the last read's ${wms('readInto')} → ${intoWallVsFastest.toFixed(2)}× (medians of ${REPEAT} rounds)`);
  await fi.close();
}

const srv = PARTS.has('http') ? await server(path) : null;
if (srv) try {
  const hf = await openRootFile(srv.url);
  wall.length = 0;
  const [tHttp] = await bestTimed(() => ours(hf, SEVEN));
  const wallHttp = Math.min(...wall);
  await hf.close();
  const local = rows.find((r) => r.branches === '7 analysis branches');
  // Over HTTP the wall time is what matters (the server is another process).
  const row = {
    branches: '7 analysis branches over HTTP (loopback)', entries, oursSeconds: tHttp, oursWallSeconds: wallHttp,
    oursEntriesPerSecWall: entries / wallHttp, wallVsLocal: local ? wallHttp / (local.oursWallSeconds as number) : NaN,
  };
  rows.push(row);
  console.log(`${'7 branches over HTTP'.padEnd(22)} ours ${fmt(row.oursEntriesPerSecWall / 1e6)} M entries/s wall (${row.wallVsLocal.toFixed(2)}× the local wall time)`);
} finally {
  srv.stop();
}

// A run of some parts only does not overwrite the whole run's figures.
const out = join(here, 'results', envString('PARTS') ? `rootio-${[...PARTS].join('-')}.json` : 'rootio.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, malloc, file: { path, MB: fileMB, entries }, rows }, null, 2));
console.log(`\nwrote ${out}`);
