/**
 * How long a big submit holds the client's event loop, and how long it takes to leave: for
 * 10k / 100k / 1M no-op tasks (`--sizes`), this checkout's client (A) against a baseline build
 * of @gluon/client (B, `--baseline=DIR`: a built `packages/client/dist` of another checkout,
 * placed under this repository so that it resolves this checkout's @gluon/protocol), in the
 * order of `--order` (default A B B A) per size, each run a fresh scheduler process (no workers:
 * the scheduler only takes the graph in, so the figures are the client's):
 *   - the call itself (wall): what `map()` / `persist()` holds the loop for before it returns;
 *   - the longest block of the event loop from the call until everything is sent: the call plus
 *     whatever runs before the loop's next turn (the first slice), or the longest gap between
 *     two turns after it (a timer that re-arms itself every millisecond sees every gap);
 *   - the submit's total: wall time from the call until `whenSent()` (every task handed to the
 *     connection; a slice waits for the scheduler to have handled the slice before the last,
 *     so the scheduler is at most two slices behind);
 *   - the client's CPU per task over the same span.
 * For scale, the same run times `JSON.stringify` of the same specs at once (key, fn, group,
 * args, deps: what the client encodes with msgpack), the floor of serialising the graph in
 * one block. Wall figures hold under the bench lock at top priority, and even then as ratios
 * within the run.
 *
 * `--shape`: `map` (default: `map(noop, xs)` over numbers), `persist` (`persist()` of delayed
 * calls over numbers), `map-futures` (`map(noop, futures)` over the futures of an earlier map,
 * sent first and not counted).
 *
 *   node --max-old-space-size=8192 --import tsx bench/submit-loop.ts --baseline=.cache/client-main/dist [--sizes=10000,100000,1000000] [--shape=map] [--order=ABBA]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { median } from './proc.js';
import type { Future } from '@gluon/client';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    baseline: { type: 'string' }, sizes: { type: 'string', default: '10000,100000,1000000' },
    shape: { type: 'string', default: 'map' }, order: { type: 'string', default: 'ABBA' },
  },
});

const SHAPES = ['map', 'persist', 'map-futures'] as const;
type Shape = typeof SHAPES[number];

interface Figures { callMs: number; blockMs: number; totalMs: number; cpuUs: number }

if (!values.baseline) throw new Error('submit-loop: --baseline=DIR (a built packages/client/dist of the baseline) is required');
const shape = values.shape as Shape;
if (!SHAPES.includes(shape)) throw new Error(`submit-loop: --shape must be one of ${SHAPES.join(', ')}, got ${shape}`);
const sizes = values.sizes!.split(',').map((s) => Number(s.replace(/_/g, '')));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`submit-loop: --sizes is a comma-separated list of task counts, got ${values.sizes}`);
const order = [...values.order!] as Array<'A' | 'B'>;
if (order.length === 0 || order.some((v) => v !== 'A' && v !== 'B')) throw new Error(`submit-loop: --order is a string of A and B, got ${values.order}`);
const variants = { A: join(root, 'packages/client/dist'), B: resolve(values.baseline) };

console.log(`submit-loop: ${shape} of ${sizes.map((n) => n.toLocaleString('en')).join(' / ')} no-op tasks; A = this checkout, B = ${variants.B}; ${process.version}; load ${loadavg()[0]!.toFixed(1)}`);
// The first run in a process pays for compiling the client's code: one uncounted run of each first.
for (const v of ['A', 'B'] as const) {
  const f = await once(variants[v], sizes[0]!);
  console.log(`  warm-up ${v} (not counted): longest loop block ${f.blockMs.toFixed(0)} ms; all sent ${f.totalMs.toFixed(0)} ms`);
}
const table: string[] = [];
for (const n of sizes) {
  const runs: Record<'A' | 'B', Figures[]> = { A: [], B: [] };
  for (const v of order) {
    const f = await once(variants[v], n);
    runs[v].push(f);
    console.log(`  ${n.toLocaleString('en').padStart(9)} ${v}: call ${f.callMs.toFixed(0)} ms; longest loop block ${f.blockMs.toFixed(0)} ms; all sent ${f.totalMs.toFixed(0)} ms; ` +
      `client CPU ${f.cpuUs.toFixed(2)} µs/task (load ${loadavg()[0]!.toFixed(1)})`);
  }
  const json = stringifyMs(n);
  const m = (v: 'A' | 'B', k: keyof Figures): number => median(runs[v].map((r) => r[k]));
  const cell = (k: keyof Figures, unit: string, digits = 0): string =>
    `${m('A', k).toFixed(digits)} / ${m('B', k).toFixed(digits)} ${unit} (${(m('A', k) / m('B', k)).toFixed(2)}×)`;
  table.push(`  ${n.toLocaleString('en').padStart(9)}  longest block ${cell('blockMs', 'ms')}; call ${cell('callMs', 'ms')}; all sent ${cell('totalMs', 'ms')}; ` +
    `CPU ${cell('cpuUs', 'µs/task', 2)}; JSON.stringify of the specs at once ${json.toFixed(0)} ms`);
}
console.log('\nmedians, A / B (A/B):');
for (const row of table) console.log(row);

/** One run: a fresh scheduler, the client of `dist`, the shape of n tasks, until all is sent. */
async function once(dist: string, n: number): Promise<Figures> {
  const { Client, remote, delayed } = await import(pathToFileURL(join(dist, 'index.js')).href) as typeof import('@gluon/client');
  const sched = spawn(process.execPath, [...SCHEDULER_V8_FLAGS, join(root, 'packages/scheduler/dist/cli.js'), '--port', '0', '--no-dashboard', '--heartbeat-ttl', '600s'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: withSchedulerEnv(process.env),
  });
  try {
    const address = await schedulerAddress(sched);
    const client = await Client.connect(address, { name: 'submit-loop' });
    const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop', { group: 'measured' });
    const args = Array.from({ length: n }, (_, i) => i + Math.random());
    const nodes = shape === 'persist' ? args.map((x) => delayed(noop)(x)) : [];
    let inputs: Future[] = [];
    if (shape === 'map-futures') {
      inputs = client.map(noop.with({ group: 'input' }), args);
      await client.whenSent();
    }
    // Every turn of the loop re-arms this timer: the longest gap between two of its runs is the
    // longest the loop was held (to within a millisecond), the call's block included.
    let last = performance.now();
    let longest = 0;
    const tick = setInterval(() => {
      const t = performance.now();
      longest = Math.max(longest, t - last);
      last = t;
    }, 1);
    await new Promise((r) => setTimeout(r, 20));
    longest = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = t0;
    let futures: Future[];
    switch (shape) {
      case 'map': futures = client.map(noop, args); break;
      case 'persist': futures = client.persist(nodes); break;
      case 'map-futures': futures = client.map(noop, inputs); break;
    }
    const callMs = performance.now() - t0;
    await client.whenSent();
    const totalMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    // One more turn, so that a gap that ended with the last send is seen.
    await new Promise((r) => setTimeout(r, 2));
    clearInterval(tick);
    const f: Figures = { callMs, blockMs: Math.max(longest, callMs), totalMs, cpuUs: (cpu.user + cpu.system) / n };
    client.release([...futures, ...inputs]);
    await client.close();
    return f;
  } finally {
    sched.kill();
  }
}

/** Wall ms of JSON.stringify of n specs like the ones the client sends, all at once. */
function stringifyMs(n: number): number {
  const fn = { module: '@gluon/examples/tasks', export: 'noop' };
  const specs = Array.from({ length: n }, (_, i) => ({ key: `measured-${(i * 2654435761 >>> 0).toString(16).padStart(16, '0')}`, fn, group: 'measured', args: [i + Math.random()], deps: [] }));
  const t0 = performance.now();
  const s = JSON.stringify(specs);
  const ms = performance.now() - t0;
  if (s.length === 0) throw new Error('unreachable');
  return ms;
}

function schedulerAddress(child: ChildProcess): Promise<string> {
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /scheduler at (\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.once('exit', (c) => rej(new Error(`the scheduler exited (${c}) before printing its address: ${out}`)));
  });
}
