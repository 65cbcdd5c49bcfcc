/**
 * Worker dispatch cost (not a test): how many no-op tasks per second go main thread → worker
 * thread → main thread, against a naive baseline measured in the same run (one postMessage per
 * task each way, one task in flight). Run: `npx tsc -b packages/worker && npx tsx bench/worker.ts`.
 * Writes bench/results/worker.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ThreadPool, WorkerState, type WorkerCommand } from '@gluon/worker';
import { envInt } from './env.js';

const here = dirname(fileURLToPath(import.meta.url));
const url = pathToFileURL(join(here, '../packages/worker/test/fixtures/tasks.mjs')).href;
const N = envInt('N', 50_000, 1, 1e9);

/** One postMessage per task each way, one task in flight: what dispatch costs without batching. */
async function naive(n: number): Promise<number> {
  const w = new Worker(`const { parentPort } = require('node:worker_threads');
    let mod; parentPort.on('message', async (m) => { mod ??= await import(m.url); parentPort.postMessage({ id: m.id, value: mod[m.exp](...m.args) }); });`, { eval: true });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((res) => {
      w.once('message', () => res());
      w.postMessage({ id: i, url, exp: 'noop', args: [i] });
    });
  }
  const rate = (n / (performance.now() - t0)) * 1000;
  await w.terminate();
  return rate;
}

/** The real path: WorkerState decides, ThreadPool runs, results go back into the state. */
async function gluon(n: number): Promise<number> {
  const pool = new ThreadPool(1, 'bench', () => {});
  await pool.run({ key: 'warm-0', url, exportName: 'noop', args: [], data: {} });
  const state = new WorkerState({ name: 'bench', address: 'ws://127.0.0.1:1', capacity: pool.capacity });
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const apply = (cmds: WorkerCommand[]) => {
      for (const c of cmds) {
        if (c.type !== 'execute') continue;
        void pool.run({ key: c.key, url, exportName: c.fn.export, args: c.args, data: c.data }).then((r) => {
          state.capacity = pool.capacity;
          apply(state.handle(r.ok ? { type: 'done', key: c.key, value: r.value, start: r.start, stop: r.stop, thread: r.thread } : { type: 'erred', key: c.key, error: r.error, kind: 'exception', start: r.start, stop: r.stop, thread: r.thread }));
          if (++done === n) resolve();
        });
      }
    };
    for (let i = 0; i < n; i++) {
      apply(state.handle({ type: 'compute', task: { key: `noop-${i}`, fn: { module: url, export: 'noop' }, args: [i], deps: {}, priority: [0, i] } }));
    }
  });
  const rate = (n / (performance.now() - t0)) * 1000;
  await pool.close();
  return rate;
}

const base = await naive(Math.min(N, 20_000));
const ours = await gluon(N);
const rows = [
  { what: 'naive dispatch (1 postMessage each way, 1 in flight), no-op', value: base, unit: 'tasks/s', ratio: 1 },
  { what: `WorkerState + ThreadPool, 1 thread, ${N} no-ops`, value: ours, unit: 'tasks/s', ratio: ours / base },
  { what: 'amortised main↔thread cost per task', value: 1e6 / ours, unit: 'µs', ratio: base / ours },
];
console.log('worker dispatch (this machine, same run)');
for (const r of rows) console.log(`  ${r.what.padEnd(62)} ${r.value.toFixed(r.unit === 'µs' ? 1 : 0).padStart(8)} ${r.unit.padEnd(8)} ×${r.ratio.toFixed(2)}`);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/worker.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, n: N, rows }, null, 2) + '\n');
