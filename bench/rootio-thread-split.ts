/**
 * Where a 2-thread read's time goes, thread by thread (not a test). On bench/rootio.ts's cached
 * 2M-event file (run that once first), the 7 analysis branches are read on 1 and on 2
 * decompression threads in alternating pairs (fresh columns, or `INTO=1` into the last read's
 * columns); each read's wall time and every thread's CPU time (from /proc/self/task/TID/schedstat)
 * are printed, with who decompressed the baskets (the decompression thread, the reader when it got
 * there, the reader ahead of time while the thread was busy). The main thread is the reader: what
 * it does beyond its share of inflating is the serial part that bounds the speed-up.
 *
 * Run: `npx tsc -b packages/rootio && npx tsx bench/rootio-thread-split.ts` (REPEAT=…, N=…, INTO=1;
 * ONLY=2 for 2-thread reads only, e.g. under `perf record`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Column, type RootFile } from '@gluon/rootio';
import * as pool from '../packages/rootio/dist/inflate-pool.js';
import { envInt } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = envInt('N', 2_000_000, 1, 1e9);
const REPEAT = envInt('REPEAT', 7, 1, 1e9);
const INTO = process.env.INTO === '1';
const SEVEN = ['lep_n', 'lep_pt', 'lep_eta', 'lep_phi', 'lep_E', 'lep_charge', 'lep_type'];
// Counted by the pool when it counts (a checkout before it did prints no basket counts).
const jobTotals = (pool as { jobTotals?: { jobs: number; threads: number; reader: number; ahead: number } }).jobTotals ?? { jobs: 0, threads: 0, reader: 0, ahead: 0 };
const path = join(here, '..', '.cache', 'rootio-bench', `4lep-schema-${N}-zlib1.root`);

/** ns on a CPU and ns waiting for one, per thread of this process. */
function schedstat(): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(Number(t), [run!, wait!]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const one = await openRootFile(path);
const two = await openRootFile(path, { decompressThreads: 2 });
const previous = new Map<RootFile, Record<string, Column>>();
/** When the last read's compressed bytes were all in (performance.now()). */
let bytesIn = 0;
for (const file of [one, two]) {
  const source = file.source;
  const read = source.read.bind(source);
  source.read = async (...args) => {
    const got = await read(...args);
    bytesIn = performance.now();
    return got;
  };
}

interface Sample { wall: number; fetch: number; main: number; mainWait: number; others: Array<[number, number]>; stats: typeof jobTotals }

async function read(file: RootFile): Promise<Sample> {
  const tree = await file.tree('mini');
  const before = schedstat();
  const j0 = { ...jobTotals };
  const t0 = performance.now();
  const cols = await tree.arrays(SEVEN, INTO ? { into: previous.get(file) } : {});
  const wall = performance.now() - t0;
  const fetch = bytesIn - t0;
  const after = schedstat();
  if (INTO) previous.set(file, cols);
  const ms = (tid: number, i: 0 | 1) => ((after.get(tid)?.[i] ?? 0) - (before.get(tid)?.[i] ?? 0)) / 1e6;
  const others: Array<[number, number]> = [];
  for (const tid of after.keys()) if (tid !== process.pid && ms(tid, 0) >= 1) others.push([tid, ms(tid, 0)]);
  others.sort((a, b) => b[1] - a[1]);
  const stats = { jobs: jobTotals.jobs - j0.jobs, threads: jobTotals.threads - j0.threads, reader: jobTotals.reader - j0.reader, ahead: jobTotals.ahead - j0.ahead };
  return { wall, fetch, main: ms(process.pid, 0), mainWait: ms(process.pid, 1), others, stats };
}

const f = (x: number) => x.toFixed(0).padStart(5);
const line = (label: string, s: Sample) => console.log(`${label} wall ${f(s.wall)} ms (bytes in after ${f(s.fetch)}) | main CPU ${f(s.main)} (waited for a core ${f(s.mainWait)}) | other threads ${s.others.map(([t, c]) => `${t}:${c.toFixed(0)}`).join(' ')}` +
  (s.stats.jobs ? ` | baskets: thread ${s.stats.threads}, reader ${s.stats.reader}, ahead ${s.stats.ahead}` : ''));

for (let i = 0; i < 2; i++) {
  if (process.env.ONLY !== '2') await read(one);
  await read(two);
}
console.log(`${INTO ? 'into the last read\'s columns' : 'fresh columns'}, ${REPEAT} pairs; main thread = ${process.pid}`);
const ratios: number[] = [];
const all1: Sample[] = [];
const all2: Sample[] = [];
// ONLY=2: 2-thread reads only (to profile them alone, e.g. under `perf record`).
for (let r = 0; r < REPEAT; r++) {
  if (process.env.ONLY !== '2') {
    all1.push(await read(one));
    line('1 thread ', all1.at(-1)!);
  }
  all2.push(await read(two));
  line('2 threads', all2.at(-1)!);
  if (all1.length) ratios.push(all1.at(-1)!.wall / all2.at(-1)!.wall);
}
const mean = (xs: Sample[], f: (s: Sample) => number) => xs.reduce((a, s) => a + f(s), 0) / Math.max(1, xs.length);
const cpu = (s: Sample) => s.main + s.others.reduce((a, o) => a + o[1], 0);
const means = (xs: Sample[]) => `wall ${f(mean(xs, (s) => s.wall))} (bytes in after ${f(mean(xs, (s) => s.fetch))}), main CPU ${f(mean(xs, (s) => s.main))}, every thread's CPU ${f(mean(xs, cpu))}`;
if (all1.length) console.log(`means, 1 thread:  ${means(all1)}`);
console.log(`means, 2 threads: ${means(all2)}`);
ratios.sort((x, y) => x - y);
if (ratios.length) console.log(`speed-up per pair ${ratios.map((x) => x.toFixed(2)).join(' ')}; median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}`);
await one.close();
await two.close();
