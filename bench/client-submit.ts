/**
 * The client's side of a large update-graph (issue #17): N no-op tasks (default 1M) submitted
 * in one call against the real scheduler process and simulated workers (bench/sim-workers.ts) that live in
 * a CHILD process, so that the client process's CPU time is the client's own. For this
 * checkout's client (A) and a baseline build of @gluon/client (B, `--baseline=DIR`: a built
 * `packages/client/dist` of another checkout, placed under this repository so that it resolves
 * this checkout's @gluon/protocol), interleaved A B B A on a fresh scheduler each run:
 *   - client CPU per task: in the submitting call itself, and from it until every result is in;
 *   - the longest stall of the client's event loop (perf_hooks monitorEventLoopDelay, max);
 *   - wall time from `map()` until the first task reaches a worker, and until every task is
 *     known (a marker task submitted after the map, at top priority, reaches a worker).
 * CPU figures hold under load; wall figures only under the bench lock, and even then as
 * ratios within the run.
 *
 * `--shape` picks the call (its tasks are in the group `measured`; what a shape submits first
 * to have futures to pass is not counted):
 *   - `map` (default): `map(noop, xs)` over N numbers;
 *   - `map-objects`: `map(noop, objs)` over N small plain objects (`{ x, tag }`);
 *   - `map-futures`: `map(noop, futures)` over the N futures of an earlier map, finished first;
 *   - `tree`: `map(noop, xs)` of 7/8 N leaves and `treeReduce` (fan-in 8) over them in the
 *     same tick, the leaves released at once (N tasks in all, as bench/scale.ts's tree);
 *   - `persist`: `persist()` of N delayed calls over numbers.
 *
 * `--op` picks what is measured:
 *   - `submit` (default): the call, as above;
 *   - `release`: the shape's futures, every result in, released with `client.release()`: client
 *     CPU per future in that call and until `whenSent()` (every release handed to the
 *     connection), and the longest event-loop stall from the call until then (the call's own
 *     synchronous part, or the longest delay the loop monitor saw after it);
 *   - `cancel`: the shape's futures cancelled with `client.cancel()` right after the call, before
 *     any of it was built or sent: the same three figures.
 *
 *   node --max-old-space-size=8192 --import tsx bench/client-submit.ts --baseline=.cache/client-main/dist [--tasks=N] [--pairs=1] [--shape=map] [--op=submit] [--order=ABBA]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { median } from './proc.js';
import { SimFleet } from './sim-workers.js';
import type { Future } from '@gluon/client';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { baseline: { type: 'string' }, tasks: { type: 'string', default: '1000000' }, pairs: { type: 'string', default: '1' }, fleet: { type: 'string' },
    shape: { type: 'string', default: 'map' }, order: { type: 'string', default: 'ABBA' }, op: { type: 'string', default: 'submit' } },
});

const SHAPES = ['map', 'map-objects', 'map-futures', 'tree', 'persist'] as const;
type Shape = typeof SHAPES[number];
const OPS = ['submit', 'release', 'cancel'] as const;
type Op = typeof OPS[number];

/** Wall clock comparable across processes (ms). */
const now = (): number => performance.timeOrigin + performance.now();

if (values.fleet) {
  // The child: 10 simulated workers × 2 threads; reports the first compute-task and the marker's.
  let first = false;
  const fleet = new SimFleet(values.fleet, {
    onCompute(key) {
      if (!first && key.startsWith('measured-')) {
        first = true;
        console.log(JSON.stringify({ first: now() }));
      }
      if (key.startsWith('marker-')) console.log(JSON.stringify({ marker: now() }));
    },
  });
  await fleet.add(10, 2);
  console.log(JSON.stringify({ ready: true }));
} else {
  await main();
}

interface Figures { buildUs: number; totalUs: number; maxStallMs: number; firstMs: number; knownMs: number }

async function main(): Promise<void> {
  if (!values.baseline) throw new Error('client-submit: --baseline=DIR (a built packages/client/dist of the baseline) is required');
  const n = Number(values.tasks);
  const pairs = Number(values.pairs);
  const shape = values.shape as Shape;
  if (!SHAPES.includes(shape)) throw new Error(`client-submit: --shape must be one of ${SHAPES.join(', ')}, got ${shape}`);
  const op = values.op as Op;
  if (!OPS.includes(op)) throw new Error(`client-submit: --op must be one of ${OPS.join(', ')}, got ${op}`);
  const variants = { A: join(root, 'packages/client/dist'), B: resolve(values.baseline) };
  // --order=AB (one run each, e.g. to keep a locked run short), --order=A (a profile, a look).
  const order = [...values.order!] as Array<'A' | 'B'>;
  if (order.length === 0 || order.some((v) => v !== 'A' && v !== 'B')) throw new Error(`client-submit: --order is a string of A and B, got ${values.order}`);
  console.log(`client-submit: ${op === 'submit' ? '' : `${op} of `}${shape} of ${n.toLocaleString('en')} no-op tasks; A = this checkout, B = ${variants.B}; load ${loadavg()[0]!.toFixed(1)}`);
  const runs: Record<'A' | 'B', Figures[]> = { A: [], B: [] };
  for (let p = 0; p < pairs; p++) {
    for (const v of order) {
      const f = await once(variants[v], n, shape, op);
      runs[v].push(f);
      if (op !== 'submit') {
        console.log(`${v}: ${op} call ${f.buildUs.toFixed(2)} µs/task CPU; until handed to the connection ${f.totalUs.toFixed(2)} µs/task CPU; ` +
          `longest loop stall ${f.maxStallMs.toFixed(0)} ms (wall, load ${loadavg()[0]!.toFixed(1)})`);
        continue;
      }
      console.log(`${v}: ${shape} call ${f.buildUs.toFixed(2)} µs/task CPU; until every result ${f.totalUs.toFixed(2)} µs/task CPU; longest loop stall ${f.maxStallMs.toFixed(0)} ms; ` +
        `first task at a worker ${f.firstMs.toFixed(0)} ms, all known ${f.knownMs.toFixed(0)} ms (wall, load ${loadavg()[0]!.toFixed(1)})`);
    }
  }
  console.log('\nmedians, A / B:');
  for (const k of op === 'submit' ? ['buildUs', 'totalUs', 'maxStallMs', 'firstMs', 'knownMs'] as const : ['buildUs', 'totalUs', 'maxStallMs'] as const) {
    const a = median(runs.A.map((r) => r[k]));
    const b = median(runs.B.map((r) => r[k]));
    console.log(`  ${k.padEnd(11)} A ${a.toFixed(2).padStart(10)}  B ${b.toFixed(2).padStart(10)}  A/B ${(a / b).toFixed(3)}`);
  }
}

/** One run: a fresh scheduler and fleet, the client of `dist`, `shape` of n tasks and a marker (or `op` on them). */
async function once(dist: string, n: number, shape: Shape, op: Op): Promise<Figures> {
  const { Client, remote, delayed } = await import(pathToFileURL(join(dist, 'index.js')).href) as typeof import('@gluon/client');
  const sched = spawn(process.execPath, [...SCHEDULER_V8_FLAGS, join(root, 'packages/scheduler/dist/cli.js'), '--port', '0', '--no-dashboard', '--heartbeat-ttl', '600s'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: withSchedulerEnv(process.env),
  });
  let fleet: ChildProcess | undefined;
  try {
    const address = (await lineMatching(sched, /scheduler at (\S+)/))[1]!;
    fleet = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), `--fleet=${address}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: { first?: number; marker?: number } = {};
    const ready = new Promise<void>((res, rej) => {
      createInterface({ input: fleet!.stdout! }).on('line', (l) => {
        if (!l.startsWith('{')) return;
        const m = JSON.parse(l) as { first?: number; marker?: number; ready?: boolean };
        if (m.ready) res();
        Object.assign(events, m);
      });
      fleet!.once('exit', (c) => rej(new Error(`the fleet exited (${c})`)));
    });
    await ready;
    const client = await Client.connect(address, { name: 'client-submit' });
    const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop', { group: 'measured' });
    const combine = remote<(parts: unknown[]) => null>('@gluon/examples/tasks', 'noop', { group: 'measured-combine' });
    const leaves = shape === 'tree' ? Math.round((n * 7) / 8) : n;
    const args = Array.from({ length: leaves }, (_, i) => i + Math.random());
    const objs = shape === 'map-objects' ? args.map((x) => ({ x, tag: 'a' })) : [];
    const nodes = shape === 'persist' ? args.map((x) => delayed(noop)(x)) : [];
    let inputs: Array<Future> = [];
    if (shape === 'map-futures') {
      // Their results in memory first: not counted (their group is not `measured`).
      inputs = client.map(noop.with({ group: 'input' }), args);
      await client.wait(inputs);
    }
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    // The histogram records from its second sample on: let it take one first.
    await new Promise((r) => setTimeout(r, 50));
    const c0 = process.cpuUsage();
    const t0 = now();
    let futures: Future[];
    switch (shape) {
      case 'map': futures = client.map(noop, args); break;
      case 'map-objects': futures = client.map(noop, objs); break;
      case 'map-futures': futures = client.map(noop, inputs); break;
      case 'persist': futures = client.persist(nodes); break;
      case 'tree': {
        const parts = client.map(noop, args);
        futures = [client.treeReduce(combine, parts, { fanIn: 8 })];
        client.release(parts);
        break;
      }
    }
    if (op === 'cancel') {
      h.disable();
      return await measured(() => client.cancel(futures), client, n);
    }
    const cBuilt = process.cpuUsage(c0);
    const marker = client.submit(noop.with({ priority: 1e9, group: 'marker' }), Math.random());
    await until(() => events.marker !== undefined, 'the marker at a worker');
    await client.wait([...futures, marker]);
    const cAll = process.cpuUsage(c0);
    h.disable();
    if (op === 'release') {
      const r = await measured(() => client.release([...futures, marker, ...inputs]), client, n);
      await client.close();
      return r;
    }
    const f: Figures = {
      buildUs: (cBuilt.user + cBuilt.system) / n, totalUs: (cAll.user + cAll.system) / n, maxStallMs: h.max / 1e6,
      firstMs: events.first! - t0, knownMs: events.marker! - t0,
    };
    client.release([...futures, marker, ...inputs]);
    await client.close();
    return f;
  } finally {
    fleet?.kill();
    sched.kill();
  }
}

/**
 * Client CPU per task in `call` and until `whenSent()` (everything it queued handed to the
 * connection), and the longest event-loop stall meanwhile: the call's own synchronous part
 * (wall), or the longest delay the loop's monitor saw after it. Started at once after whatever
 * came before (a cancel must come before the first slice leaves). The client is closed after.
 */
async function measured(call: () => unknown, client: { whenSent(): Promise<void>; close(): Promise<void> }, n: number): Promise<Figures> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const p = call();
  const syncMs = performance.now() - t0;
  h.enable();
  await p;
  const cCall = process.cpuUsage(c0);
  await client.whenSent();
  const cAll = process.cpuUsage(c0);
  // One more sample after the last stall, so that it is recorded.
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  await client.close();
  return { buildUs: (cCall.user + cCall.system) / n, totalUs: (cAll.user + cAll.system) / n, maxStallMs: Math.max(syncMs, h.max / 1e6), firstMs: 0, knownMs: 0 };
}

function lineMatching(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) res(m);
    });
    child.once('exit', (c) => rej(new Error(`exited (${c}) before printing ${re}: ${out}`)));
  });
}

/** Polls a condition (bounded: 10 minutes): the run waits on the fleet's reports, not on sleeps. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > 600_000) throw new Error(`client-submit: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
