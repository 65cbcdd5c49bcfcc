/**
 * Micro-benchmark of the scheduler's pure state machine (no sockets): a 50,000-task graph goes
 * through update-graph → every task finished on 2 simulated workers × 1 thread → released.
 * Run with `npx tsx bench/scheduler-state.ts` (after `npx tsc -b packages/scheduler`).
 *
 * Baseline, measured in the same run: msgpack-encoding the same 50,000 compute-task messages
 * and task-finished messages, work the server must do per task anyway. The ratio says whether
 * the decisions or the wire dominate the scheduler's per-task cost.
 *
 * Prints a table and writes bench/results/scheduler-state.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '@gluon/protocol';
import { Sim, task } from '../packages/scheduler/test/sim.js';
import { envInt } from './env.js';

const N = envInt('N', 50_000, 1, 1e9);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const now = () => performance.now();
const mib = (b: number) => b / 2 ** 20;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function runStateMachine(): { graphMs: number; finishMs: number; releaseMs: number; heldHeapMiB: number; rssMiB: number } {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const sim = new Sim({}, false);
  sim.addClient('c');
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 1);
  const specs = Array.from({ length: N }, (_, i) => task(`noop-${i}`, [], { args: [i] }));
  const t0 = now();
  sim.submit('c', specs);
  const t1 = now();
  const steps = sim.drain(N * 4);
  const t2 = now();
  if (steps !== N) throw new Error(`expected ${N} finished tasks, got ${steps}`);
  if (sim.state.groups.get('noop')!.counts.memory !== N) throw new Error('not every task reached memory');
  gc();
  const heldHeapMiB = mib(process.memoryUsage().heapUsed - heap0);
  const rssMiB = mib(process.memoryUsage().rss);
  const t3 = now();
  sim.apply(sim.state.releaseKeys('c', specs.map((s) => s.key)));
  const releaseMs = now() - t3;
  if (sim.state.tasks.size !== 0) throw new Error('released tasks were not forgotten');
  return { graphMs: t1 - t0, finishMs: t2 - t1, releaseMs, heldHeapMiB, rssMiB };
}

function runCodecBaseline(): number {
  const t0 = now();
  // The same messages the server encodes: batches of compute-task out, task-finished in.
  const batch = 64;
  for (let i = 0; i < N; i += batch) {
    const out = [];
    const back = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      out.push({ op: 'compute-task', key: `noop-${j}`, fn: { module: 'tasks', export: 'noop' }, args: [j], deps: [], priority: [0, 1, 0, j] });
      back.push({ op: 'task-finished', key: `noop-${j}`, nbytes: 8, typeName: 'number', start: j, stop: j + 1, thread: 0, value: null, hasValue: true });
    }
    encodeFrame(out);
    encodeFrame(back);
  }
  return now() - t0;
}

// warm up both paths once (JIT), then measure
const savedN = N;
runCodecBaseline();
runStateMachine();
const codecMs = runCodecBaseline();
const sm = runStateMachine();
const totalMs = sm.graphMs + sm.finishMs;
const result = {
  n: savedN,
  updateGraphMs: +sm.graphMs.toFixed(1),
  finishAllMs: +sm.finishMs.toFixed(1),
  releaseAllMs: +sm.releaseMs.toFixed(1),
  tasksPerSecond: Math.round(savedN / (totalMs / 1000)),
  perTaskMicroseconds: +((totalMs * 1000) / savedN).toFixed(2),
  heapHeldMiB: +sm.heldHeapMiB.toFixed(1),
  rssMiB: +sm.rssMiB.toFixed(1),
  baselineCodecMs: +codecMs.toFixed(1),
  ratioToCodec: +(totalMs / codecMs).toFixed(2),
  node: process.version,
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  time: new Date().toISOString(),
};
console.log(`scheduler state machine, ${savedN} independent tasks on 2 simulated workers × 1 thread`);
console.table({
  'update-graph': `${result.updateGraphMs} ms`,
  'all finished': `${result.finishAllMs} ms`,
  'release all': `${result.releaseAllMs} ms`,
  'tasks/s (graph+finish)': result.tasksPerSecond,
  'µs per task': result.perTaskMicroseconds,
  'heap held with all in memory': `${result.heapHeldMiB} MiB`,
  rss: `${result.rssMiB} MiB`,
  'baseline: msgpack of the same messages': `${result.baselineCodecMs} ms`,
  'state machine / baseline': `${result.ratioToCodec}×`,
});
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/scheduler-state.json'), `${JSON.stringify(result, null, 2)}\n`);
