/**
 * What the scheduler's heap holds per task: the REAL scheduler process (`gluon-scheduler`)
 * against simulated workers (bench/sim-workers.ts) and a real client, heap snapshots of it
 * (`--heapsnapshot-signal`) before and while N tasks are held, and the difference per task by
 * kind of heap object (V8's node type and constructor name): how many of each per task and how
 * many bytes. Two shapes:
 *   - map: N independent no-op tasks finished and held by the client (results in memory);
 *   - tree: a tree reduction (fan-in 8) of ≈ N tasks just submitted, its workers holding every
 *     task they were sent unanswered, so the whole graph is waiting (the peak a big tree has).
 *   - released: what N independent tasks leave behind once finished and released (snapshots
 *     before the map and after its release, the scheduler quiet): what keeps its RSS above its
 *     idle size after a release (bench/scale.ts).
 * The first line of each shape is the snapshots' difference in all: heap bytes and objects per
 * task (V8 collects before it takes a snapshot, so garbage is not counted).
 *
 * `--alloc`: then what one more whole run of each shape (submitted, finished, released)
 * allocates per task, garbage included, by the function that allocated it (V8's sampling heap
 * profiler through the inspector, every 16 KiB on average). Garbage sets how often the young
 * generation is collected, and each of those collections costs more while a big graph is held.
 *
 * Run with `node --max-old-space-size=8192 --import tsx bench/scheduler-heap.ts [--n=100000]
 * [--shape=map,tree,released] [--warm-up=N] [--alloc] [--scheduler-root=DIR]` (after `npx tsc -b`). A snapshot of 100k
 * held tasks is ~100-200 MB of JSON and is deleted once read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, remote, type Future } from '@gluon/client';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { census, printCensusDifference, type Census } from './heap-census.js';
import { threadCpuSeconds } from './proc.js';
import { SimFleet } from './sim-workers.js';
import WebSocket from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, shape: { type: 'string', default: 'map,tree' }, 'scheduler-root': { type: 'string' }, top: { type: 'string', default: '14' }, alloc: { type: 'boolean', default: false }, 'warm-up': { type: 'string' } } });
const N = Number(values.n);
const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop');
const combine = remote<(parts: Array<null>) => null>('@gluon/examples/tasks', 'noop', { group: 'combine' });

async function until(cond: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`scheduler-heap: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves once the process has used under 20 ms of CPU in a second (bounded). */
async function quiet(pid: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const c0 = threadCpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (threadCpuSeconds(pid) - c0 < 0.02) return;
  }
  throw new Error('scheduler-heap: the scheduler did not go quiet within 300 s');
}

const dir = mkdtempSync(join(tmpdir(), 'gluon-heap-'));
let stderr = '';

/** The scheduler's inspector (with --alloc): one request at a time is all this needs. */
async function inspector(): Promise<{ call(method: string, params?: object): Promise<any>; close(): void }> {
  await until(() => /ws:\/\/\S+/.test(stderr), 'the scheduler\'s inspector address');
  const ws = new WebSocket(/ws:\/\/\S+/.exec(stderr)![0]);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const waiting = new Map<number, (v: any) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
    waiting.delete(m.id!);
  });
  return {
    call: (method, params = {}) => new Promise((resolve) => {
      waiting.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

interface ProfileNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: ProfileNode[] }

/** Bytes allocated per task by function (self), from a sampling heap profile of `tasks` tasks. */
function reportAllocations(label: string, tasks: number, head: ProfileNode): void {
  const by = new Map<string, number>();
  let total = 0;
  const stack = [head];
  while (stack.length) {
    const n = stack.pop()!;
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    total += n.selfSize;
    by.set(name, (by.get(name) ?? 0) + n.selfSize);
    stack.push(...n.children);
  }
  console.log(`\n${label}: ${(total / tasks).toFixed(0)} bytes allocated per task (sampled), by function`);
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${(v / tasks).toFixed(0).padStart(8)}  ${k}`);
}

async function startScheduler(): Promise<{ child: ChildProcess; address: string }> {
  const cli = join(values['scheduler-root'] ?? root, 'packages/scheduler/dist/cli.js');
  const inspect = values.alloc ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn(process.execPath, [...SCHEDULER_V8_FLAGS, ...inspect, '--heapsnapshot-signal=SIGUSR2', cli, '--port', '0', '--no-dashboard', '--heartbeat-ttl', '600s'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: withSchedulerEnv(process.env), cwd: dir,
  });
  // Its log (and the inspector's address, with --alloc) on stderr: passed on, and kept.
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(d);
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /scheduler at (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`scheduler exited (${code}) before listening: ${out}`)));
  });
  return { child, address };
}

/** Asks the scheduler for a heap snapshot (V8 collects first) and reads its census. */
async function snapshot(child: ChildProcess): Promise<{ kinds: Census; total: number }> {
  const before = new Set(readdirSync(dir));
  child.kill('SIGUSR2');
  let file = '';
  let size = -1;
  let still = 0;
  // V8 writes it from the scheduler's main thread; done when its size has not changed for a second.
  await until(() => {
    const f = readdirSync(dir).find((x) => x.endsWith('.heapsnapshot') && !before.has(x));
    if (!f) return false;
    const s = statSync(join(dir, f)).size;
    still = s > 0 && s === size && file === f ? still + 1 : 0;
    file = f;
    size = s;
    return still >= 5;
  }, 'the heap snapshot');
  const c = census(join(dir, file));
  if (process.env.KEEP_SNAPSHOTS) console.log(`snapshot kept: ${join(dir, file)}`);
  else rmSync(join(dir, file));
  return c;
}

function report(label: string, tasks: number, a: { kinds: Census; total: number }, b: { kinds: Census; total: number }): void {
  printCensusDifference(label, tasks, a, b, Number(values.top));
}

/** N independent no-op tasks. */
function submitMap(client: Client, n = N): Array<Future<unknown>> {
  return client.map(noop, Array.from({ length: n }, (_, i) => i + Math.random()));
}

/** A tree reduction (fan-in 8) of ≈ N tasks, as bench/scale.ts builds it: its root and its size. */
function submitTree(client: Client): { top: Future<unknown>; tasks: number } {
  const leaves = Math.round((N * 7) / 8);
  let tasks = leaves;
  for (let l = leaves; l > 1; l = Math.ceil(l / 8)) tasks += Math.ceil(l / 8);
  const parts = client.map(noop, Array.from({ length: leaves }, (_, i) => i + Math.random()));
  const top = client.treeReduce(combine, parts, { fanIn: 8 });
  client.release(parts);
  return { top, tasks };
}

/** Waits for every result, releases them and waits until the workers were told to free them. */
async function finishAndRelease(client: Client, fleet: SimFleet, futures: Array<Future<unknown>>, tasks: number): Promise<void> {
  const freed0 = fleet.freed;
  await client.wait(futures);
  client.release(futures);
  await until(() => fleet.freed - freed0 >= tasks, `${tasks} tasks released`);
}

/** One whole run of a shape: submitted, every result in, released and freed; returns its task count. */
async function cycle(client: Client, fleet: SimFleet, shape: string): Promise<number> {
  if (shape === 'map') {
    await finishAndRelease(client, fleet, submitMap(client), N);
    return N;
  }
  const { top, tasks } = submitTree(client);
  await finishAndRelease(client, fleet, [top], tasks);
  return tasks;
}

async function main(): Promise<void> {
  const { child, address } = await startScheduler();
  const client = await Client.connect(address, { name: 'heap-bench' });
  const fleet = new SimFleet(address);
  try {
    await fleet.add(10, 2);
    // Warm up: the group, the code paths, the connections' buffers (--warm-up=N tasks; default N).
    const warm = Number(values['warm-up'] ?? N);
    await finishAndRelease(client, fleet, submitMap(client, warm), warm);
    const shapes = values.shape!.split(',');
    if (shapes.includes('map')) {
      const a = await snapshot(child);
      const futures = submitMap(client);
      await client.wait(futures);
      const b = await snapshot(child);
      report('map, results held', N, a, b);
      await finishAndRelease(client, fleet, futures, N);
    }
    if (shapes.includes('tree')) {
      const a = await snapshot(child);
      for (const w of fleet.workers) w.stuck = true;
      const { top, tasks } = submitTree(client);
      await client.whenSent();
      // Every task taken: the scheduler has gone quiet (under 20 ms of CPU in a second).
      await quiet(child.pid!);
      const b = await snapshot(child);
      report('tree, submitted and waiting', tasks, a, b);
      for (const w of fleet.workers) w.unstick();
      await finishAndRelease(client, fleet, [top], tasks);
    }
    if (shapes.includes('released')) {
      await quiet(child.pid!);
      const a = await snapshot(child);
      await finishAndRelease(client, fleet, submitMap(client), N);
      await quiet(child.pid!);
      const b = await snapshot(child);
      report('map, finished and released (what it leaves behind)', N, a, b);
    }
    if (values.alloc) {
      const inspect = await inspector();
      try {
        await inspect.call('HeapProfiler.enable');
        for (const shape of shapes.filter((x) => x !== 'released')) {
          await inspect.call('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
          const tasks = await cycle(client, fleet, shape);
          const { profile } = await inspect.call('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } };
          reportAllocations(`${shape}, submitted, finished and released`, tasks, profile.head);
        }
      } finally {
        inspect.close();
      }
    }
  } finally {
    fleet.closeAll();
    await client.close();
    child.kill('SIGTERM');
    if (!process.env.KEEP_SNAPSHOTS) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
