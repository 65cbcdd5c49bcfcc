/**
 * What a farm's start costs the scheduler per worker hello: N workers (1,000 by default) say
 * hello and register, one after another, on the pure state machine (no sockets). Each hello is
 * handled as the server does it: judged against the registered workers when it arrives
 * (worker-clash.ts, before the welcome), judged again when its `holding` arrives, its namesakes
 * looked up, then registered.
 *
 * Baseline, in the same run: the same hellos judged as the server did before worker-index.ts,
 * against a copy of every registered worker made for each judgement (and a pass over them all
 * for namesakes), which made the start cost ~N² steps. The ratio is what the index saves.
 *
 * Run with `npx tsx bench/worker-hellos.ts` (after `npx tsc -b`); N=4000 for a bigger farm.
 */
import { judgeWorkerHello } from '../packages/scheduler/src/worker-clash.js';
import { SchedulerState } from '../packages/scheduler/src/state.js';
import { envInt } from './env.js';

const N = envInt('N', 1000, 1, 1e6);
const ROUNDS = envInt('ROUNDS', 5, 1, 1000);

type Hello = { name: string; address: string; session: string };
const hellos: Hello[] = Array.from({ length: N }, (_, i) => ({ name: `w${i}`, address: `ws://10.0.${i >> 8}.${i & 255}:40000`, session: `s${i}` }));

function register(st: SchedulerState, h: Hello, i: number, now: number): void {
  st.workerAdded({ id: `w${i}`, name: h.name, address: h.address, nthreads: 4, memoryLimit: 0, host: 'h', pid: i, session: h.session }, now);
}

/** The server's way before: a copy of every registration per judgement, and a pass for namesakes. */
function copying(): number {
  const st = new SchedulerState();
  const t0 = performance.now();
  hellos.forEach((h, i) => {
    const judge = () => judgeWorkerHello(h, [...st.workers.values()].map((w) => ({ id: w.id, name: w.name, address: w.address, session: w.session, lastSeen: w.lastSeen })), 0, 30_000);
    if (judge().kind === 'refused' || judge().kind === 'refused') throw new Error('refused');
    for (const w of st.workers.values()) if (w.name === h.name) throw new Error('namesake');
    register(st, h, i, 0);
  });
  return performance.now() - t0;
}

/** Now: the workers at the hello's address and of its name, from the index. */
function indexed(): number {
  const st = new SchedulerState();
  const t0 = performance.now();
  hellos.forEach((h, i) => {
    if (st.judgeHello(h, 0).kind === 'refused' || st.judgeHello(h, 0).kind === 'refused') throw new Error('refused');
    if (st.namesakes(h.name).length) throw new Error('namesake');
    register(st, h, i, 0);
  });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Warm both paths before timing them, then alternate so that load on the machine hits both alike.
copying();
indexed();
const before: number[] = [];
const after: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  before.push(copying());
  after.push(indexed());
}
const b = median(before);
const a = median(after);
console.log(`hellos of ${N} workers, median of ${ROUNDS} rounds (registration included):`);
console.log(`  copying every registration per judgement (before): ${b.toFixed(1)} ms, ${(b * 1000 / N).toFixed(1)} µs per hello`);
console.log(`  indexed by address and name (now):                 ${a.toFixed(1)} ms, ${(a * 1000 / N).toFixed(1)} µs per hello`);
console.log(`  ratio before/now: ${(b / a).toFixed(1)}x`);
