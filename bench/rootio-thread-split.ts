/**
 * Where a 2-thread read's time goes, thread by thread (not a test). On bench/rootio.ts's cached
 * 2M-event file (run that once first), the 7 analysis branches are read on 1 and on 2
 * decompression threads in alternating pairs (fresh columns, or `INTO=1` into the last read's
 * columns); each read's wall time and every thread's CPU time (from /proc/self/task/TID/schedstat)
 * and page faults (minor faults, /proc/self/task/TID/stat: the kernel faulting fresh memory in;
 * the main thread's also up to when the compressed bytes were in)
 * are printed, with how far the end of glibc's main heap moved (growth: new pages for the columns;
 * a fall: freed columns given back to the kernel), with the main thread's garbage collections during the read (count and pause, by
 * kind: scavenge, incremental marking, mark-compact), with who decompressed the baskets (the decompression thread, the reader when it got
 * there, the reader ahead of time while the thread was busy), and with where the decompression
 * thread waited (from its job's start to its first basket, for the reader to free a slot of the
 * ring, from its last basket to the job's end), how long the reader waited for the thread's
 * baskets and the decompressed bytes of each side. The main thread is the reader: what it does
 * beyond its share of inflating is the serial part that bounds the speed-up.
 *
 * Run: `npx tsc -b packages/rootio && npx tsx bench/rootio-thread-split.ts` (REPEAT=…, N=…, INTO=1;
 * ONLY=2 for 2-thread reads only, e.g. under `perf record`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
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
// Counted by the pool when it counts (a checkout before it did prints no basket counts, and one
// before the threads reported their waits prints none of those).
type Totals = Record<'jobs' | 'threads' | 'reader' | 'ahead' | 'threadBytes' | 'readerBytes' | 'readerWaitMs' | 'reported' | 'threadStartMs' | 'ringWaitMs' | 'threadEndMs', number>;
const jobTotals: Partial<Totals> = (pool as { jobTotals?: Partial<Totals> }).jobTotals ?? {};
const path = join(here, '..', '.cache', 'rootio-bench', `4lep-schema-${N}-zlib1.root`);

/** ns on a CPU, ns waiting for one, and minor page faults, per thread of this process. */
function schedstat(): Map<number, [number, number, number]> {
  const out = new Map<number, [number, number, number]>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      // stat's fields after the command name (which may hold spaces): minflt is the 8th.
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const faults = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
      out.set(Number(t), [run!, wait!, faults]);
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
/** The main thread's minor page faults when the last read's compressed bytes were all in. */
let faultsIn = 0;
/**
 * The end of glibc's main heap ([heap] in /proc/self/maps), bytes: it grows when malloc takes new
 * pages (the columns come from there: each under glibc's 32 MiB mmap ceiling) and falls when
 * free() gives the top of the heap back to the kernel (glibc's trim, past its threshold).
 */
const heapEnd = () => {
  const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[heap]'));
  return line ? parseInt(line.slice(line.indexOf('-') + 1), 16) : 0;
};
const mainFaults = () => {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
};
for (const file of [one, two]) {
  const source = file.source;
  const read = source.read.bind(source);
  source.read = async (...args) => {
    const got = await read(...args);
    bytesIn = performance.now();
    faultsIn = mainFaults();
    return got;
  };
}

/** The main thread's garbage collections (pause ms), by kind, since the last {@link takeGcs}. */
const GC_KINDS: Array<[number, string]> = [[constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'], [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'], [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact']];
let gcs: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([(e as unknown as { detail: { kind: number } }).detail.kind, e.duration]);
}).observe({ entryTypes: ['gc'] });
const takeGcs = async () => {
  // A collection's entry is made on a later turn of the event loop and handed to observers on the
  // turn after that (a 2-thread read does not yield while it decodes: its collections come after).
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  const got = gcs;
  gcs = [];
  return got;
};

interface Sample { wall: number; fetch: number; fetchFaults: number; heapBetween: number; heapIn: number; main: number; mainWait: number; mainFaults: number; others: Array<[number, number, number]>; gcs: Array<[number, number]>; stats: Totals }

/** Each of jobTotals' figures since `from` (0 for one this checkout does not count). */
const since = (from: Partial<Totals>): Totals => Object.fromEntries(Object.keys(jobTotals).map((k) => [k, (jobTotals[k as keyof Totals] ?? 0) - (from[k as keyof Totals] ?? 0)])) as Totals;

/** Until every closed job's threads have reported (their message comes in a later turn), at most 5 s. */
async function reported(): Promise<void> {
  const until = performance.now() + 5000;
  while (jobTotals.reported !== undefined && jobTotals.reported < jobTotals.jobs! && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The heap's end after the last read (what moves it between reads is the collector freeing that read's garbage). */
let lastHeapAfter = 0;

async function read(file: RootFile): Promise<Sample> {
  const tree = await file.tree('mini');
  await takeGcs();
  const heapBefore = heapEnd();
  const before = schedstat();
  const j0 = { ...jobTotals };
  const t0 = performance.now();
  const cols = await tree.arrays(SEVEN, INTO ? { into: previous.get(file) } : {});
  const wall = performance.now() - t0;
  const fetch = bytesIn - t0;
  const fetchFaults = faultsIn - (before.get(process.pid)?.[2] ?? 0);
  const after = schedstat();
  const heapAfter = heapEnd();
  const heapBetween = lastHeapAfter ? heapBefore - lastHeapAfter : 0;
  lastHeapAfter = heapAfter;
  const collected = await takeGcs();
  await reported();
  if (INTO) previous.set(file, cols);
  const ms = (tid: number, i: 0 | 1) => ((after.get(tid)?.[i] ?? 0) - (before.get(tid)?.[i] ?? 0)) / 1e6;
  const faults = (tid: number) => (after.get(tid)?.[2] ?? 0) - (before.get(tid)?.[2] ?? 0);
  const others: Array<[number, number, number]> = [];
  for (const tid of after.keys()) if (tid !== process.pid && (ms(tid, 0) >= 1 || faults(tid) >= 100)) others.push([tid, ms(tid, 0), faults(tid)]);
  others.sort((a, b) => b[1] - a[1]);
  const stats = since(j0);
  return { wall, fetch, fetchFaults, heapBetween, heapIn: heapAfter - heapBefore, main: ms(process.pid, 0), mainWait: ms(process.pid, 1), mainFaults: faults(process.pid), others, gcs: collected, stats };
}

const mb = (x: number) => `${x >= 0 ? '+' : ''}${(x / 1e6).toFixed(0)}`;
const f = (x: number) => x.toFixed(0).padStart(5);
const gcText = (s: Sample) => GC_KINDS.map(([k, name]) => `${name} ${s.gcs.filter(([x]) => x === k).length} (${s.gcs.filter(([x]) => x === k).reduce((a, [, d]) => a + d, 0).toFixed(1)} ms)`).join(', ');
const line = (label: string, s: Sample) => console.log(`${label} wall ${f(s.wall)} ms (bytes in after ${f(s.fetch)}) | main CPU ${f(s.main)} (waited for a core ${f(s.mainWait)}), ${s.mainFaults} faults (${s.fetchFaults} before the bytes were in) | heap end ${mb(s.heapBetween)} MB since the read before, ${mb(s.heapIn)} MB in the read | ` +
  `other threads (CPU ms/faults) ${s.others.map(([t, c, n]) => `${t}:${c.toFixed(0)}/${n}`).join(' ')} | GC ${gcText(s)}` +
  (s.stats.jobs ? ` | baskets: thread ${s.stats.threads}, reader ${s.stats.reader}, ahead ${s.stats.ahead}` : '') +
  (s.stats.reported ? ` | ${threadText(s.stats)}` : ''));
/** Where the decompression thread waited and what each side decompressed, in one 2-thread read. */
const threadText = (x: Totals) => `thread's first basket ${x.threadStartMs.toFixed(1)} ms into its job, ring full ${x.ringWaitMs.toFixed(1)} ms, ` +
  `last basket ${x.threadEndMs.toFixed(1)} ms before the job's end; reader waited ${x.readerWaitMs.toFixed(1)} ms; MB decompressed thread/reader ${(x.threadBytes / 1e6).toFixed(0)}/${(x.readerBytes / 1e6).toFixed(0)}`;

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
const faultsAll = (s: Sample) => s.mainFaults + s.others.reduce((a, o) => a + o[2], 0);
const gcMs = (s: Sample) => s.gcs.reduce((a, [, d]) => a + d, 0);
const means = (xs: Sample[]) => `wall ${f(mean(xs, (s) => s.wall))} (bytes in after ${f(mean(xs, (s) => s.fetch))}), main CPU ${f(mean(xs, (s) => s.main))}, every thread's CPU ${f(mean(xs, cpu))}; ` +
  `page faults ${f(mean(xs, (s) => s.mainFaults))} on the main thread, ${f(mean(xs, faultsAll))} in all; main-thread GC ${mean(xs, (s) => s.gcs.length).toFixed(1)} a read (${mean(xs, gcMs).toFixed(1)} ms)`;
if (all1.length) console.log(`means, 1 thread:  ${means(all1)}`);
console.log(`means, 2 threads: ${means(all2)}`);
if (all2.some((s) => s.stats.reported)) {
  const sum = Object.fromEntries(Object.keys(all2[0]!.stats).map((k) => [k, mean(all2, (s) => s.stats[k as keyof Totals])])) as Totals;
  console.log(`means, 2 threads: ${threadText(sum)}`);
}
ratios.sort((x, y) => x - y);
if (ratios.length) console.log(`speed-up per pair ${ratios.map((x) => x.toFixed(2)).join(' ')}; median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}`);
await one.close();
await two.close();
