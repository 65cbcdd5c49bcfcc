/**
 * N reads of the 7 analysis branches of bench/rootio.ts's file, for profiling (not a benchmark: no
 * baseline). `INTO=1`: each read into the columns of the read before; `THREADS=n`: on n
 * decompression threads (default 1). Prints each read's CPU and wall time. Run under `perf record`
 * (node --perf-basic-prof) or valgrind's callgrind; profiles of READS=12 minus READS=2 cancel the
 * start-up.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Column } from '@gluon/rootio';
import { envInt, envString } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = envInt('N', 2_000_000, 1, 1e9);
const READS = envInt('READS', 12, 1, 1e9);
const INTO = process.env.INTO === '1';
const THREADS = envInt('THREADS', 1, 1, 64);
const SEVEN = (envString('BRANCHES') ?? 'lep_n,lep_pt,lep_eta,lep_phi,lep_E,lep_charge,lep_type').split(',');
const path = join(here, '..', '.cache', 'rootio-bench', `4lep-schema-${N}-zlib1.root`);
const f = await openRootFile(path, { decompressThreads: THREADS });
const tree = await f.tree('mini');
let last: Record<string, Column> | undefined;
for (let r = 0; r < READS; r++) {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const cols = await tree.arrays(SEVEN, INTO ? { into: last } : {});
  const w = performance.now() - w0;
  const c = process.cpuUsage(c0);
  if (INTO) last = cols;
  console.log(`read ${r}: ${((c.user + c.system) / 1e3).toFixed(1)} ms CPU, ${w.toFixed(1)} ms wall`);
}
await f.close();
