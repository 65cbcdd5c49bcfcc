/**
 * (b)'s round trips (bench/scheduler.ts: sequential `submit(inc).result()`) on one LocalCluster
 * whose scheduler's and workers' autogroups (Linux's per-session CPU scheduling groups) are set,
 * block by block in A B B A order, to nice 0 (a new session's own, where LocalCluster's
 * `detached` processes were left before autogroup.ts) and to this script's own group's nice value
 * (what LocalCluster now gives them). Run at top priority (/tmp/prio.sh: autogroup nice -20) on
 * a loaded machine it shows what the cluster's escaping the script's priority cost its round
 * trips; each arm's figures and our processes' wait for a CPU per round trip (every thread's
 * schedstat). Not a test.
 *
 *   npx tsx bench/autogroup-ab.ts        ROUND_TRIPS=n per arm (default 10,000), WARM_TRIPS=n (5,000)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { envInt } from './env.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const N = envInt('ROUND_TRIPS', 10_000, 1, 1e9);
const WARM = envInt('WARM_TRIPS', 5_000, 0, 1e9);
const BLOCK = 500;

/** Nanoseconds every thread of `pid` has waited for a CPU so far. */
function waitNs(pid: number): number {
  let w = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      w += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return w;
}

const own = /nice (-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1];
if (own === undefined || own === '0') {
  console.error('autogroup-ab: this script\'s autogroup is at nice 0 (run it under /tmp/prio.sh): both arms would be the same');
  process.exit(2);
}
const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: process.cwd() });
try {
  const client = await cluster.client();
  const pids = [cluster.schedulerProcess.pid!, ...cluster.workerPids];
  const ours = () => [process.pid, ...pids].reduce((s, p) => s + waitNs(p), 0);
  for (let i = 0; i < WARM; i++) await client.submit(inc, -1e6 - i).result();
  const arms = new Map<string, { lat: number[]; wait: number }>([['0', { lat: [], wait: 0 }], [own, { lat: [], wait: 0 }]]);
  let k = 0;
  for (let r = 0; arms.get('0')!.lat.length < N; r++) {
    for (const nice of r % 2 ? [own, '0'] : ['0', own]) {
      const arm = arms.get(nice)!;
      for (const p of pids) writeFileSync(`/proc/${p}/autogroup`, nice);
      const w0 = ours();
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        await client.submit(inc, k++).result();
        arm.lat.push((performance.now() - t0) * 1000);
      }
      arm.wait += ours() - w0;
    }
  }
  for (const [nice, { lat, wait }] of arms) {
    lat.sort((x, y) => x - y);
    const q = (p: number) => lat[Math.floor(p * lat.length)]!.toFixed(0);
    console.log(`cluster at autogroup nice ${nice.padStart(3)}: median ${q(0.5)} µs, p90 ${q(0.9)}, p99 ${q(0.99)}, p99.9 ${q(0.999)}, ` +
      `${lat.filter((x) => x > 1000).length} of ${lat.length} over 1 ms; our processes' wait for a CPU ${(wait / lat.length / 1e3).toFixed(0)} µs per round trip`);
  }
  console.log(`this script at autogroup nice ${own}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await cluster.close();
}
