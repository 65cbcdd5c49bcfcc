/**
 * What the scheduler's tick pays for the lost-client-work rule (lost-client-wait.ts) while a
 * client is lost: a farm of W workers × 4 threads (1,000 by default), each full (its threads
 * and one task more), half of those tasks a lost client's, C connected clients (100) each with
 * tasks running and queued, so the rule's other conditions hold (tasks wait, no thread is free)
 * and its tasks are counted every tick. On the pure state machine, no sockets.
 *
 * Baseline, in the same run: the same farm with the client connected (nobody lost), whose tick
 * computes none of it. The difference is the rule's cost per tick.
 *
 * Run with `npx tsx bench/lost-client-wait.ts` (after `npx tsc -b`).
 */
import { Sim, task } from '../packages/scheduler/test/sim.js';
import { envInt } from './env.js';

const W = envInt('W', 1000, 1, 1e5);
const C = envInt('C', 100, 1, 1e5);
const TICKS = envInt('TICKS', 50, 1, 1e6);
const ROUNDS = envInt('ROUNDS', 5, 1, 1000);

function farm(lose: boolean): Sim {
  const sim = new Sim({ heartbeatTtlMs: 1e9, memoryStallMs: 1e12 }, false);
  for (let w = 0; w < W; w++) sim.addWorker(`w${w}`, 4);
  sim.addClient('lost');
  for (let c = 0; c < C; c++) sim.addClient(`c${c}`);
  // The lost client's tasks first: half the farm's slots (4 threads + 1 per worker).
  const slots = W * 5;
  sim.submit('lost', Array.from({ length: slots / 2 }, (_, i) => task(`lost-${i}`)));
  const per = Math.ceil(slots / C);
  for (let c = 0; c < C; c++) sim.submit(`c${c}`, Array.from({ length: per }, (_, i) => task(`t${c}-${i}`)));
  if (lose) sim.state.clientLost('lost', 0, 1e12);
  return sim;
}

function tickMs(sim: Sim): number {
  const t0 = performance.now();
  for (let i = 0; i < TICKS; i++) {
    sim.now += sim.state.tickIntervalMs;
    sim.state.tick(sim.now);
  }
  return (performance.now() - t0) / TICKS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lost = farm(true);
const none = farm(false);
const processing = [...lost.state.workers.values()].reduce((n, w) => n + w.processing.size, 0);
tickMs(lost);
tickMs(none);
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  a.push(tickMs(lost));
  b.push(tickMs(none));
}
const withLost = median(a);
const base = median(b);
console.log(`${W} workers × 4 threads, ${processing} tasks on them, ${C} connected clients and one lost; tick median of ${ROUNDS} × ${TICKS}:`);
console.log(`  a client lost:  ${withLost.toFixed(3)} ms per tick`);
console.log(`  nobody lost:    ${base.toFixed(3)} ms per tick (baseline)`);
console.log(`  the rule's cost: ${(withLost - base).toFixed(3)} ms per tick (${(withLost / base).toFixed(2)}x the baseline)`);
