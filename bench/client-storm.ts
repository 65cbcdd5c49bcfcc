/**
 * Clients connecting at once to a scheduler where one client already holds many results: what
 * the scheduler's state machine does for them (no sockets). Run with
 * `npx tsx bench/client-storm.ts` (after `npx tsc -b`); HELD (default 200,000) results held by
 * the first client, CLIENTS (default 50) connecting, then all but the first leaving.
 *
 * Baseline, measured in the same run: the same clients connecting and leaving beside a first
 * client that holds one result. The ratio says whether a connect (and a leave) costs in
 * proportion to what others hold: a second client used to turn the first one's list of held tasks
 * into a map (client-refs.ts), 4.2 s for 200,000 at load ~25, in one turn of the event loop.
 *
 * Then the holder leaves: the longest turn the scheduler spends on it, its references dropped 256
 * a turn (ClientSessions.forgetClient, as the server does), against all of them in one turn
 * (clientDisconnected, as the server did), measured in the same run.
 *
 * Prints a table and writes bench/results/client-storm.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sim, task } from '../packages/scheduler/test/sim.js';
import { envInt } from './env.js';

const HELD = envInt('HELD', 200_000, 1, 1e8);
const CLIENTS = envInt('CLIENTS', 50, 1, 100_000);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The first client holds `held` results; `CLIENTS` connect, then leave. Times in ms. */
function storm(held: number): { connectMs: number; slowestConnectMs: number; leaveMs: number } {
  const sim = new Sim({}, false);
  sim.addClient('holder');
  sim.addWorker('w1', 4);
  sim.submit('holder', Array.from({ length: held }, (_, i) => task(`held-${i}`, [], { args: [i] })));
  sim.drain(held * 4);
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < CLIENTS; i++) {
    const a = performance.now();
    sim.apply(sim.state.clientConnected(`c${i}`, `c${i}`, 0));
    slowest = Math.max(slowest, performance.now() - a);
  }
  const t1 = performance.now();
  for (let i = 0; i < CLIENTS; i++) sim.apply(sim.state.clientDisconnected(`c${i}`, 0));
  const t2 = performance.now();
  if (sim.state.tasks.size !== held) throw new Error(`the holder's ${held} results should be kept, the graph has ${sim.state.tasks.size}`);
  return { connectMs: t1 - t0, slowestConnectMs: slowest, leaveMs: t2 - t1 };
}

/** The holder of `held` results leaves: the whole of it in one turn, or the longest of its 256-task slices. */
function leave(held: number, slice: number): { longestTurnMs: number; turns: number } {
  const sim = new Sim({}, false);
  sim.addClient('holder');
  sim.addWorker('w1', 4);
  sim.submit('holder', Array.from({ length: held }, (_, i) => task(`held-${i}`, [], { args: [i] })));
  sim.drain(held * 4);
  let longest = 0;
  let turns = 0;
  for (let left = held; left > 0; turns++) {
    const a = performance.now();
    const r = sim.state.forgetClient('holder', 0, slice);
    sim.apply(r.commands);
    longest = Math.max(longest, performance.now() - a);
    left = r.left;
  }
  if (sim.state.tasks.size !== 0) throw new Error(`the holder's results should be forgotten, ${sim.state.tasks.size} are left`);
  return { longestTurnMs: longest, turns };
}

storm(1); // warm-up (JIT)
leave(1000, 256);
const whole = leave(HELD, Infinity);
const sliced = leave(HELD, 256);
const base = storm(1);
const big = storm(HELD);
const r = (a: number, b: number): number => +(a / Math.max(b, 0.001)).toFixed(1);
const result = {
  held: HELD, clients: CLIENTS,
  baselineConnectMs: +base.connectMs.toFixed(2), connectMs: +big.connectMs.toFixed(2), connectRatio: r(big.connectMs, base.connectMs),
  baselineSlowestConnectMs: +base.slowestConnectMs.toFixed(3), slowestConnectMs: +big.slowestConnectMs.toFixed(3),
  baselineLeaveMs: +base.leaveMs.toFixed(2), leaveMs: +big.leaveMs.toFixed(2), leaveRatio: r(big.leaveMs, base.leaveMs),
  leaveAtOnceMs: +whole.longestTurnMs.toFixed(2), leaveLongestSliceMs: +sliced.longestTurnMs.toFixed(3), leaveSlices: sliced.turns,
  leaveRatio256: +(sliced.longestTurnMs / whole.longestTurnMs).toFixed(3),
  node: process.version, time: new Date().toISOString(),
};
console.log(`${CLIENTS} clients connecting, then leaving, beside one holding ${HELD} results (baseline: holding 1)`);
console.table({
  [`${CLIENTS} connects`]: { baseline: `${result.baselineConnectMs} ms`, measured: `${result.connectMs} ms`, ratio: `${result.connectRatio}×` },
  'slowest connect': { baseline: `${result.baselineSlowestConnectMs} ms`, measured: `${result.slowestConnectMs} ms`, ratio: `${r(big.slowestConnectMs, base.slowestConnectMs)}×` },
  [`${CLIENTS} leaves`]: { baseline: `${result.baselineLeaveMs} ms`, measured: `${result.leaveMs} ms`, ratio: `${result.leaveRatio}×` },
});
console.log(`the holder of ${HELD} leaves: the longest turn (baseline: all in one turn)`);
console.table({
  'longest turn': { baseline: `${result.leaveAtOnceMs} ms`, measured: `${result.leaveLongestSliceMs} ms (${sliced.turns} slices of 256)`, ratio: `${result.leaveRatio256}×` },
});
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/client-storm.json'), `${JSON.stringify(result, null, 2)}\n`);
