/**
 * bench/cpu-ceiling.ts — how well two processes scale on this machine at all: the ceiling for
 * bench/finalstates.ts's "2 workers ≥ 1.8× one worker". Each kernel runs in 1 process, then in 2
 * processes at once (ABBA: 1, 2, 2, 1), each process for a fixed wall time after a common start;
 * the figure is the 2 processes' work over the 1 process's work in the same time (2.00 = perfect).
 * Beside it the same ratio per CPU-second (work per CPU-second of each of 2 processes over that of
 * 1): below 1 only when the two share a piece of hardware (an SMT core, a cache, memory
 * bandwidth) — the operating system's scheduling and other load do not move it. /proc/stat's
 * steal time says whether the hypervisor took the CPUs away meanwhile; the minor page faults per
 * unit (one process alone) say how much fresh memory a kernel touches.
 *
 * Kernels (each with no allocation in its loop unless it says so):
 *   alu       integer xorshift-multiply chain: only a core's integer units;
 *   fp        cos, sin, sinh and sqrt, as the four-vectors do: a core's FP units and libm;
 *   l2-1MB    independent random 4-byte reads over 1 MiB (fits a core's private 2 MiB L2);
 *   l3-12MB   the same over 12 MiB (two processes' 24 MiB fit the shared 32 MiB L3);
 *   l3-24MB   the same over 24 MiB (one fits the L3, two do not);
 *   stream    b[i] += a[i]·k over 2 × 32 MiB of Float64Array (memory bandwidth);
 *   alloc     a fresh 8 MiB Uint8Array per unit, one write per 4 KiB page: allocation churn
 *             (malloc, zero-filling, and the garbage collections V8 starts for external memory);
 *   inflate   zlib inflate of real ROOT baskets (the first compressed blocks of a bench file) into
 *             one reused buffer, through @gluon/rootio's decompress, as the reader does;
 *   chunk     analysis-finalstates' processChunk over the bench dataset's chunks (CEILING_CHUNK
 *             events each, default 100,000 as bench/finalstates.ts uses), in-process: the
 *             workload itself without the cluster (scheduler, messages, merges).
 *
 * Run: `flock /work/bench.lock setsid /tmp/prio.sh npx tsx bench/cpu-ceiling.ts` (wall-clock
 * figures: quiet machine, top priority). Env: CEILING_SECONDS (per process per phase, default 3),
 * CEILING_KERNELS (comma-separated, default all), CEILING_CHUNK, CEILING_V8_FLAGS (for the kernels'
 * processes, e.g. "--single-threaded-gc" as Gluon's workers run), FINALSTATES_BENCH_DATA (the
 * bench dataset; default .cache/finalstates-bench-2.2; inflate and chunk are skipped without it).
 * Writes bench/results/cpu-ceiling.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './proc.js';
import { envInt, envNumber, envString } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = envNumber('CEILING_SECONDS', 3, 0.1, 600);
const chunkEvents = envInt('CEILING_CHUNK', 100_000, 1, 1e9);
const dataDir = envString('FINALSTATES_BENCH_DATA') ?? path.join(root, '.cache', 'finalstates-bench-2.2');
/** V8 flags for the kernels' processes (CEILING_V8_FLAGS, e.g. the workers' --single-threaded-gc). */
const v8Flags = (process.env.CEILING_V8_FLAGS ?? '').split(/\s+/).filter(Boolean);
const ALL = ['alu', 'fp', 'l2-1MB', 'l3-12MB', 'l3-24MB', 'stream', 'alloc', 'inflate', 'chunk'];

/** One unit of a kernel's work; returns a number so the work is not optimised away. */
type Unit = () => number | Promise<number>;

/** What a child reports after its timed phase. */
interface Report { units: number; wallMs: number; cpuMs: number; sink: number; minorFaults: number }

function randomReads(bytes: number): Unit {
  const a = new Int32Array(bytes / 4);
  for (let i = 0; i < a.length; i++) a[i] = i;
  const n = a.length;
  let idx = 1;
  return () => {
    let s = 0;
    for (let i = 0; i < 1 << 20; i++) {
      idx = (Math.imul(idx, 1103515245) + 12345) | 0;
      // The LCG's top 24 bits scaled to [0, n): no division, any n.
      s += a[(((idx >>> 8) * n) / 16777216) | 0]!;
    }
    return s;
  };
}

/** A bench data file's first compressed ROOT blocks (9-byte header "ZL", method 8, then zlib), checked. */
async function rootBlocks(): Promise<{ blocks: Uint8Array[]; sizes: number[] }> {
  const { decompress } = await import('@gluon/rootio');
  const file = path.join(dataDir, 'MC', 'mc_363490.llll.4lep.root');
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(64 << 20);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const blocks: Uint8Array[] = [], sizes: number[] = [];
  const scratch = new Uint8Array(1 << 24);
  for (let s = 0; s + 9 < n && blocks.length < 400; s++) {
    if (buf[s] !== 0x5a || buf[s + 1] !== 0x4c || buf[s + 2] !== 8 || buf[s + 9] !== 0x78) continue;
    const csize = buf[s + 3]! | (buf[s + 4]! << 8) | (buf[s + 5]! << 16);
    const usize = buf[s + 6]! | (buf[s + 7]! << 8) | (buf[s + 8]! << 16);
    if (s + 9 + csize > n || usize < 1024) continue;
    const block = buf.slice(s, s + 9 + csize);
    try { decompress(block, usize, file, s, scratch); } catch { continue; }
    blocks.push(block); sizes.push(usize);
    s += 8 + csize;
  }
  if (blocks.length < 10) throw new Error(`found only ${blocks.length} zlib blocks in ${file}`);
  return { blocks, sizes };
}

async function kernel(name: string, id: number): Promise<Unit> {
  switch (name) {
    case 'alu': {
      let x = 0x12345678 + id;
      return () => {
        for (let i = 0; i < 1 << 22; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x = Math.imul(x, 0x9e3779b1); }
        return x;
      };
    }
    case 'fp': {
      let t = 0.1 + id;
      return () => {
        let s = 0;
        for (let i = 0; i < 1 << 18; i++) { t += 1e-3; s += Math.cos(t) * Math.sinh(t * 1e-3) + Math.sqrt(t) * Math.sin(t); }
        return s;
      };
    }
    case 'l2-1MB': return randomReads(1 << 20);
    case 'l3-12MB': return randomReads(12 << 20);
    case 'l3-24MB': return randomReads(24 << 20);
    case 'stream': {
      const a = new Float64Array(4 << 20).fill(1), b = new Float64Array(4 << 20);
      return () => {
        for (let i = 0; i < a.length; i++) b[i] += a[i]! * 1.0000001;
        return b[id]!;
      };
    }
    case 'alloc':
      return () => {
        const a = new Uint8Array(8 << 20);
        for (let i = 0; i < a.length; i += 4096) a[i] = 1;
        return a[4096]!;
      };
    case 'inflate': {
      const { decompress } = await import('@gluon/rootio');
      const { blocks, sizes } = await rootBlocks();
      const out = new Uint8Array(Math.max(...sizes));
      return () => {
        let s = 0;
        for (let i = 0; i < blocks.length; i++) s += decompress(blocks[i]!, sizes[i]!, 'bench', 0, out)[7]!;
        return s;
      };
    }
    case 'chunk': {
      const fs = await import('@gluon/analysis-finalstates');
      const physics = fs.physicsOptions(fs.mergeConfig({}, {}));
      const files = fs.listFiles(dataDir);
      const counts = await fs.countEntries(files, fs.schemaOf(physics).tree);
      const chunks = fs.makeChunks(counts, chunkEvents);
      let k = Math.floor((id * chunks.length) / 2);        // the two processes start apart
      return async () => {
        const c = chunks[k++ % chunks.length]!;
        return (await fs.processChunk(c.file, { entryStart: c.entryStart, entryStop: c.entryStop }, physics)).combinations;
      };
    }
    default: throw new Error(`unknown kernel ${name} (kernels: ${ALL.join(', ')})`);
  }
}

/** Child: prepare the kernel, warm it up, say ready, wait for go, run for `seconds`, report. */
async function child(name: string, id: number): Promise<void> {
  const unit = await kernel(name, id);
  for (let i = 0; i < 3; i++) await unit();
  process.send!({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const f0 = minorFaults(), c0 = process.cpuUsage(), t0 = performance.now(), end = t0 + seconds * 1000;
  let units = 0, sink = 0;
  while (performance.now() < end && units < 1e7) { sink += await unit(); units++; }
  const wallMs = performance.now() - t0, cu = process.cpuUsage(c0);
  process.send!({ units, wallMs, cpuMs: (cu.user + cu.system) / 1000, sink, minorFaults: minorFaults() - f0 } satisfies Report);
  process.disconnect();
}

/** This process's minor page faults so far (/proc/self/stat): first touches of fresh memory. */
function minorFaults(): number {
  return Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[7]);
}

/** /proc/stat's total and steal jiffies over all CPUs. */
function cpuStat(): { total: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
}

/** Runs `n` processes of the kernel at once; their reports and the steal share meanwhile. */
async function phase(name: string, n: number): Promise<{ reports: Report[]; steal: number }> {
  const kids: ChildProcess[] = [];
  const reports: Promise<Report>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const k = fork(fileURLToPath(import.meta.url), ['--child', name, String(i)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...v8Flags] });
    kids.push(k);
    const exited = new Promise<never>((_, reject) => k.once('exit', (code) => reject(new Error(`${name} process ${i} exited with ${code} before reporting`))));
    exited.catch(() => {});
    ready.push(Promise.race([new Promise<void>((resolve) => k.once('message', () => resolve())), exited]));
    reports.push(ready[i]!.then(() => Promise.race([new Promise<Report>((resolve) => k.once('message', (m) => resolve(m as Report))), exited])));
  }
  try {
    await Promise.all(ready);
    const s0 = cpuStat();
    for (const k of kids) k.send('go');
    const r = await Promise.all(reports);
    const s1 = cpuStat();
    return { reports: r, steal: (s1.steal - s0.steal) / Math.max(1, s1.total - s0.total) };
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill();
  }
}

interface Figure { kernel: string; ratio: number; perCpuRatio: number; ratios: number[]; perCpuRatios: number[]; steal: number; unitMs: number; faultsPerUnit: number }

async function main(): Promise<void> {
  const kernels = (envString('CEILING_KERNELS') ?? ALL.join(',')).split(',').filter((k) => {
    if ((k === 'inflate' || k === 'chunk') && !existsSync(dataDir)) { console.log(`${k}: skipped, no bench dataset at ${dataDir}`); return false; }
    return true;
  });
  const siblings = [0, 1].map((c) => { try { return readFileSync(`/sys/devices/system/cpu/cpu${c}/topology/thread_siblings_list`, 'utf8').trim(); } catch { return '?'; } });
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model}; thread siblings of cpu0: ${siblings[0]}, cpu1: ${siblings[1]}); ${seconds} s per process per phase; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const out: Figure[] = [];
  for (const name of kernels) {
    const ones: Report[] = [], twos: Report[][] = [];
    let steal = 0;
    for (const n of [1, 2, 2, 1]) {
      const p = await phase(name, n);
      steal = Math.max(steal, p.steal);
      if (n === 1) ones.push(p.reports[0]!); else twos.push(p.reports);
    }
    const rate = (r: Report) => r.units / r.wallMs, perCpu = (r: Report) => r.units / r.cpuMs;
    // ABBA pairs: (first 1, first 2), (second 2, second 1).
    const ratios = [0, 1].map((i) => (rate(twos[i]![0]!) + rate(twos[i]![1]!)) / rate(ones[i === 0 ? 0 : 1]!));
    const perCpuRatios = [0, 1].map((i) => (perCpu(twos[i]![0]!) + perCpu(twos[i]![1]!)) / 2 / perCpu(ones[i === 0 ? 0 : 1]!));
    const f: Figure = { kernel: name, ratio: +median(ratios).toFixed(3), perCpuRatio: +median(perCpuRatios).toFixed(3),
      ratios: ratios.map((r) => +r.toFixed(3)), perCpuRatios: perCpuRatios.map((r) => +r.toFixed(3)), steal: +steal.toFixed(4),
      unitMs: +(median(ones.map((r) => r.wallMs / r.units))).toFixed(3), faultsPerUnit: Math.round(median(ones.map((r) => r.minorFaults / r.units))) };
    out.push(f);
    console.log(`${name.padEnd(8)} 2 processes / 1: ${f.ratio.toFixed(2)}× (${f.ratios.map((r) => r.toFixed(2)).join(', ')}); work per CPU-second ${f.perCpuRatio.toFixed(2)}× (${f.perCpuRatios.map((r) => r.toFixed(2)).join(', ')}); unit ${f.unitMs} ms, ${f.faultsPerUnit} page faults; steal ≤ ${(f.steal * 100).toFixed(1)}%`);
  }
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'cpu-ceiling.json'), JSON.stringify({ date: new Date().toISOString(), seconds, chunkEvents, load: loadavg()[0], siblings, kernels: out }, null, 1));
}

if (process.argv[2] === '--child') await child(process.argv[3]!, Number(process.argv[4]));
else await main();
