/**
 * What the scheduler's heap holds per task: the REAL scheduler process (`gluon-scheduler`)
 * against simulated workers (bench/sim-workers.ts) and a real client, heap snapshots of it
 * (`--heapsnapshot-signal`) before and while N tasks are held, and the difference per task by
 * kind of heap object (V8's node type and constructor name): how many of each per task and how
 * many bytes. Two shapes:
 *   - map: N independent no-op tasks finished and held by the client (results in memory);
 *   - tree: a tree reduction (fan-in 8) of ≈ N tasks just submitted, its workers holding every
 *     task they were sent unanswered, so the whole graph is waiting (the peak a big tree has).
 * Also prints `heapUsed` per task from the scheduler's own heap statistics after a full GC
 * (the snapshot's total), the figure the scale benchmark's growth comes from.
 *
 * Run with `node --max-old-space-size=8192 --import tsx bench/scheduler-heap.ts [--n=100000]
 * [--shape=map,tree] [--scheduler-root=DIR]` (after `npx tsc -b`). A snapshot of 100k held
 * tasks is ~100-200 MB of JSON and is deleted once read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, remote, type Future } from '@gluon/client';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { threadCpuSeconds } from './proc.js';
import { SimFleet } from './sim-workers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, shape: { type: 'string', default: 'map,tree' }, 'scheduler-root': { type: 'string' }, top: { type: 'string', default: '14' } } });
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

/** Heap object counts and self sizes by kind, from a .heapsnapshot file. */
type Census = Map<string, { count: number; bytes: number }>;

function census(file: string): { kinds: Census; total: number } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const kinds: Census = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const size = snap.nodes[i + iSize]!;
    total += size;
    // Strings and numbers by type only (their "names" are their values); objects by constructor.
    const name = type === 'object' || type === 'closure' || type === 'hidden' || type === 'array' || type === 'code' || type === 'object shape'
      ? `${type} ${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}` : type;
    const k = kinds.get(name) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += size;
    kinds.set(name, k);
  }
  return { kinds, total };
}

const dir = mkdtempSync(join(tmpdir(), 'gluon-heap-'));

async function startScheduler(): Promise<{ child: ChildProcess; address: string }> {
  const cli = join(values['scheduler-root'] ?? root, 'packages/scheduler/dist/cli.js');
  const child = spawn(process.execPath, [...SCHEDULER_V8_FLAGS, '--heapsnapshot-signal=SIGUSR2', cli, '--port', '0', '--no-dashboard', '--heartbeat-ttl', '600s'], {
    stdio: ['ignore', 'pipe', 'inherit'], env: withSchedulerEnv(process.env), cwd: dir,
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
  rmSync(join(dir, file));
  return c;
}

function report(label: string, tasks: number, a: { kinds: Census; total: number }, b: { kinds: Census; total: number }): void {
  const rows: Array<{ kind: string; perTask: number; bytesPerTask: number }> = [];
  for (const [kind, v] of b.kinds) {
    const w = a.kinds.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, perTask: (v.count - w.count) / tasks, bytesPerTask: (v.bytes - w.bytes) / tasks });
  }
  rows.sort((x, y) => y.bytesPerTask - x.bytesPerTask);
  const objects = rows.reduce((s, r) => s + r.perTask, 0);
  console.log(`\n${label}: ${tasks.toLocaleString('en')} tasks, heap ${((b.total - a.total) / tasks).toFixed(0)} bytes and ${objects.toFixed(2)} objects per task`);
  console.log(`${'kind'.padEnd(52)} ${'objects/task'.padStart(12)} ${'bytes/task'.padStart(11)}`);
  for (const r of rows.slice(0, Number(values.top))) {
    if (Math.abs(r.bytesPerTask) < 1) break;
    console.log(`${r.kind.padEnd(52)} ${r.perTask.toFixed(2).padStart(12)} ${r.bytesPerTask.toFixed(1).padStart(11)}`);
  }
}

async function main(): Promise<void> {
  const { child, address } = await startScheduler();
  const client = await Client.connect(address, { name: 'heap-bench' });
  const fleet = new SimFleet(address);
  try {
    await fleet.add(10, 2);
    // Warm up: the group, the code paths, the connections' buffers.
    const warm = client.map(noop, Array.from({ length: 20_000 }, (_, i) => i + Math.random()));
    await client.wait(warm);
    client.release(warm);
    await until(() => fleet.freed >= 20_000, 'the warm-up released');
    const shapes = values.shape!.split(',');
    if (shapes.includes('map')) {
      const a = await snapshot(child);
      const futures = client.map(noop, Array.from({ length: N }, (_, i) => i + Math.random()));
      await client.wait(futures);
      const b = await snapshot(child);
      report('map, results held', N, a, b);
      const freed0 = fleet.freed;
      client.release(futures);
      await until(() => fleet.freed - freed0 >= N, 'the map released');
    }
    if (shapes.includes('tree')) {
      const a = await snapshot(child);
      for (const w of fleet.workers) w.stuck = true;
      const leaves = Math.round((N * 7) / 8);
      let tasks = leaves;
      for (let l = leaves; l > 1; l = Math.ceil(l / 8)) tasks += Math.ceil(l / 8);
      const parts = client.map(noop, Array.from({ length: leaves }, (_, i) => i + Math.random()));
      const top: Future<unknown> = client.treeReduce(combine, parts, { fanIn: 8 });
      client.release(parts);
      await client.whenSent();
      // Every task taken: the scheduler has gone quiet (under 20 ms of CPU in a second).
      await quiet(child.pid!);
      const b = await snapshot(child);
      report('tree, submitted and waiting', tasks, a, b);
      const freed0 = fleet.freed;
      for (const w of fleet.workers) w.unstick();
      await client.wait([top]);
      client.release([top]);
      await until(() => fleet.freed - freed0 >= tasks, 'the tree released');
    }
  } finally {
    fleet.closeAll();
    await client.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
