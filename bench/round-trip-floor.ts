/**
 * The floor under (b) (bench/scheduler.ts: sequential `submit(inc).result()` on a LocalCluster of
 * 2 workers × 1 thread): the same round trip with no Gluon in it. A "client" (this process) sends
 * a frame to a "relay" process (the scheduler's place), which sends one to a "worker" process,
 * whose main thread posts a message to its worker_thread, which answers; and back the same way.
 * Same hops as (b): four frames between three processes over a Unix socket, two thread hand-offs,
 * six sleeps and wake-ups; each frame msgpack of the byte size of (b)'s frame at that hop
 * (update-graph, compute-task, task-finished, key-in-memory: {@link GLUON_FRAME_BYTES}), the thread
 * messages shaped as the worker pool's (a batch of one task out, its result back). Each process
 * only decodes what arrives and encodes the next message: no state, no decisions, no checks.
 *
 * Two transports:
 *  - `ws`: what a LocalCluster's processes use since 3ab5a51: `ws` WebSockets over a Unix socket
 *    (an HTTP upgrade, then masked frames from the connecting sides), with Gluon's socket options
 *    (protocol's CONNECTION_WS_OPTIONS);
 *  - `net`: the same bytes over plain `net` Unix sockets, each frame behind a 2-byte length, so
 *    `ws`'s own share (framing, masking, its parser) is the difference between the two.
 *
 * One process fewer than (b): (b)'s second worker, idle but for its heartbeat, has no counterpart.
 *
 * bench/scheduler.ts's (b) runs the floor in the same run, in blocks interleaved with its own
 * ({@link startFloor}). Run alone, it times both transports in blocks of BLOCK_TRIPS (default 500)
 * alternating A B B A, ROUND_TRIPS (default 20,000) each after WARM_TRIPS (default 10,000)
 * unmeasured, and prints per transport median, p90, p99, p99.9, the count over 1 ms and each
 * process's CPU and wait for a CPU per round trip:
 *
 *   npx tsx bench/round-trip-floor.ts
 *
 * Linux only (/proc). Not a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import WebSocket, { WebSocketServer } from 'ws';
import { CONNECTION_WS_OPTIONS, unixSocketAddress } from '@gluon/protocol';
import { hostCpu, hostCpuSince } from './host-cpu.js';
import { cpuSeconds, ownCpuSeconds, runDelaySeconds } from './proc.js';
import { envInt } from './env.js';

export type FloorTransport = 'ws' | 'net';

/** The four frames of a round trip, in order: their msgpack payloads' bytes. */
export interface FrameBytes { updateGraph: number; computeTask: number; taskFinished: number; keyInMemory: number }

/**
 * The payload bytes of (b)'s four frames over the Unix socket (`strace -f` of 20 round trips after
 * 3,000, 2026-12-03 22:22, at 5f87f6b: update-graph 104 bytes written, compute-task 81,
 * task-finished 76, key-in-memory 74, less each frame's WebSocket header: 6 bytes from the
 * connecting sides, whose frames are masked, 2 from the scheduler). Override with
 * FLOOR_FRAMES=a,b,c,d (payload bytes, in this order).
 */
export const GLUON_FRAME_BYTES: FrameBytes = frameBytesFromEnv() ?? { updateGraph: 98, computeTask: 79, taskFinished: 70, keyInMemory: 72 };

function frameBytesFromEnv(): FrameBytes | undefined {
  const v = process.env.FLOOR_FRAMES;
  if (!v) return undefined;
  const n = v.split(',').map(Number);
  if (n.length !== 4 || n.some((x) => !Number.isInteger(x) || x < 24 || x > 125)) {
    throw new Error(`FLOOR_FRAMES=${v}: expected four payload sizes in bytes, 24-125 each (update-graph, compute-task, task-finished, key-in-memory)`);
  }
  return { updateGraph: n[0]!, computeTask: n[1]!, taskFinished: n[2]!, keyInMemory: n[3]! };
}

const packr = new Packr({ useRecords: false });
/** A round trip's number travels as a fixed-width string, so every frame of a hop has one size. */
const ID_DIGITS = 10;

/**
 * Encodes `[{op, id, pad, more}]` to exactly `bytes` of msgpack (the pad strings' lengths found
 * once; two of them, as a string's header grows by a byte past 31 characters), as Gluon's frames
 * are an array of messages.
 */
function frameMaker(op: string, bytes: number): (id: number) => Buffer {
  const at = (a: string, b: string, id: number) => packr.pack([{ op, id: String(id).padStart(ID_DIGITS, '0'), pad: a, more: b }]);
  for (let a = 0; a < 32; a++) {
    for (let b = 0; b < 128; b++) {
      const n = at('x'.repeat(a), 'x'.repeat(b), 0).length;
      if (n > bytes) break;
      if (n < bytes) continue;
      const pad = 'x'.repeat(a), more = 'x'.repeat(b);
      return (id) => at(pad, more, id);
    }
  }
  throw new Error(`cannot make a ${op} frame of exactly ${bytes} bytes of msgpack (${at('', '', 0).length} at the least)`);
}

/** The round trip's number in a frame made by {@link frameMaker}. */
function frameId(buf: Buffer): number {
  const msgs = packr.unpack(buf) as Array<{ id?: unknown }>;
  const id = Number(msgs[0]?.id);
  if (!Number.isSafeInteger(id)) throw new Error(`a floor frame without a round trip number (${buf.length} bytes)`);
  return id;
}

/** A message-oriented socket over either transport: send a frame, get frames. */
interface Pipe { send(buf: Buffer): void; onFrame(f: (buf: Buffer) => void): void; onClose(f: () => void): void; close(): void }

function wsPipe(ws: WebSocket): Pipe {
  return {
    send: (buf) => ws.send(buf, { binary: true }),
    onFrame: (f) => ws.on('message', (data) => f(data as Buffer)),
    onClose: (f) => ws.on('close', f),
    close: () => ws.close(),
  };
}

/** Frames on a byte stream: each behind its length (2 bytes, big-endian). */
function netPipe(socket: Socket): Pipe {
  socket.setNoDelay(true);
  let frameCb: (buf: Buffer) => void = () => {};
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 2) {
      const n = pending.readUInt16BE(0);
      if (pending.length < 2 + n) break;
      frameCb(pending.subarray(2, 2 + n));
      pending = pending.subarray(2 + n);
    }
  });
  return {
    send: (buf) => {
      const out = Buffer.allocUnsafe(2 + buf.length);
      out.writeUInt16BE(buf.length, 0);
      buf.copy(out, 2);
      socket.write(out);
    },
    onFrame: (f) => { frameCb = f; },
    onClose: (f) => socket.on('close', f),
    close: () => socket.end(),
  };
}

async function dial(transport: FloorTransport, path: string): Promise<Pipe> {
  if (transport === 'ws') {
    const ws = new WebSocket(unixSocketAddress(path), { ...CONNECTION_WS_OPTIONS });
    await new Promise<void>((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
    return wsPipe(ws);
  }
  const socket = netConnect(path);
  await new Promise<void>((ok, fail) => { socket.once('connect', ok); socket.once('error', fail); });
  return netPipe(socket);
}

/** Listens on `path`; each connection's first frame names it (`client` or `worker`). */
async function listen(transport: FloorTransport, path: string, onPipe: (role: string, pipe: Pipe) => void): Promise<void> {
  const named = (pipe: Pipe) => {
    let role: string | undefined;
    pipe.onFrame((buf) => {
      if (role === undefined) onPipe((role = buf.toString()), pipe);
    });
  };
  if (transport === 'ws') {
    const server = createHttpServer();
    const wss = new WebSocketServer({ server, ...CONNECTION_WS_OPTIONS });
    wss.on('connection', (ws) => named(wsPipe(ws)));
    await new Promise<void>((ok) => server.listen(path, ok));
    return;
  }
  const server = createNetServer((socket) => named(netPipe(socket)));
  await new Promise<void>((ok) => server.listen(path, ok));
}

/**
 * The relay (the scheduler's place): a client's frame goes on to the worker as a compute-task-sized
 * one, the worker's comes back to the client as a key-in-memory-sized one. Exits when either leaves.
 */
async function relay(transport: FloorTransport, path: string, sizes: FrameBytes): Promise<void> {
  const computeTask = frameMaker('compute-task', sizes.computeTask);
  const keyInMemory = frameMaker('key-in-memory', sizes.keyInMemory);
  let worker: Pipe | undefined;
  let client: Pipe | undefined;
  const ack = () => { if (worker && client) client.send(Buffer.from('ready')); };
  await listen(transport, path, (role, pipe) => {
    pipe.onClose(() => process.exit(0));
    if (role === 'worker') {
      worker = pipe;
      pipe.onFrame((buf) => client?.send(keyInMemory(frameId(buf))));
    } else {
      client = pipe;
      pipe.onFrame((buf) => worker!.send(computeTask(frameId(buf))));
    }
    ack();
  });
  process.stdout.write('ready\n');
}

/**
 * The worker thread: answers a batch of one task with its result, in the pool's shapes
 * (packages/worker's RunBatch and results), as source: a thread does not load TypeScript.
 */
const THREAD = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (batch) => {
  const t = batch.tasks[0];
  const start = Date.now();
  parentPort.postMessage({ type: 'results', replies: [{ type: 'done', id: t.id, value: t.args[0] + 1, nbytes: 9, start, stop: Date.now() }] });
});`;

/** The worker: each frame's task goes to its thread; the thread's answer goes back as a task-finished-sized frame. */
async function worker(transport: FloorTransport, path: string, sizes: FrameBytes): Promise<void> {
  const taskFinished = frameMaker('task-finished', sizes.taskFinished);
  const thread = new Worker(THREAD, { eval: true });
  await new Promise((r) => thread.once('online', r));
  const pipe = await dial(transport, path);
  pipe.onClose(() => process.exit(0));
  let seq = 0;
  pipe.onFrame((buf) => {
    const id = frameId(buf);
    thread.postMessage({
      type: 'run',
      tasks: [{ type: 'run', id, seq: seq++, key: `inc-${String(id).padStart(32, '0')}`, url: 'file:///floor/tasks.js', exportName: 'inc', args: [id], data: {} }],
    });
  });
  thread.on('message', (r: { replies: Array<{ id: number; value: number }> }) => {
    const reply = r.replies[0]!;
    if (reply.value !== reply.id + 1) throw new Error(`the floor's thread answered ${reply.value} for ${reply.id}`);
    pipe.send(taskFinished(reply.id));
  });
  pipe.send(Buffer.from('worker'));
  process.stdout.write('ready\n');
}

/** A running floor: its relay and worker processes, and this process as the client. */
export interface Floor {
  transport: FloorTransport;
  /** The relay's (scheduler's place) and the worker's pids, for their CPU. */
  pids: { relay: number; worker: number };
  /** One round trip: resolves when the answer to a new frame is back. */
  roundTrip(): Promise<void>;
  close(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/** Starts `role` of this file in a child process and waits for its `ready`; it ends with this process (its stdin closes). */
async function child(role: string, transport: FloorTransport, path: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--import', 'tsx', self, `--floor-role=${role}`, transport, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready\n')) ok(); });
    p.once('exit', (code, signal) => fail(new Error(`the floor's ${role} (${transport}) exited before it was ready (${signal ?? `code ${code}`})${out ? `: ${out.trim()}` : ''}`)));
    p.once('error', fail);
  });
  return p;
}

/**
 * Starts a floor: a relay and a worker process on a Unix socket in a private temporary directory,
 * and this process connected as the client. Frame sizes default to (b)'s ({@link GLUON_FRAME_BYTES}).
 */
export async function startFloor(transport: FloorTransport): Promise<Floor> {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-floor-'));
  const path = join(dir, 'relay.sock');
  const procs: ChildProcess[] = [];
  const stop = () => { for (const p of procs) p.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  try {
    procs.push(await child('relay', transport, path));
    procs.push(await child('worker', transport, path));
    const pipe = await dial(transport, path);
    const updateGraph = frameMaker('update-graph', GLUON_FRAME_BYTES.updateGraph);
    let waiting: { id: number; resolve: () => void; reject: (e: Error) => void } | undefined;
    let ready: (() => void) | undefined;
    let closing = false;
    const gone = (why: string) => { const w = waiting; waiting = undefined; w?.reject(new Error(`the floor (${transport}): ${why}`)); };
    for (const p of procs) p.once('exit', (code, signal) => { if (!closing) gone(`a process exited (${signal ?? `code ${code}`})`); });
    pipe.onClose(() => { if (!closing) gone('the relay closed the connection'); });
    pipe.onFrame((buf) => {
      if (ready) { const r = ready; ready = undefined; r(); return; }
      const w = waiting;
      if (!w) return gone(`a frame (${buf.length} bytes) with no round trip waiting`);
      waiting = undefined;
      const id = frameId(buf);
      if (id !== w.id) w.reject(new Error(`the floor (${transport}) answered round trip ${id}, not ${w.id}`));
      else w.resolve();
    });
    await new Promise<void>((r) => { ready = r; pipe.send(Buffer.from('client')); });
    let next = 0;
    return {
      transport,
      pids: { relay: procs[0]!.pid!, worker: procs[1]!.pid! },
      roundTrip: () => new Promise<void>((resolve, reject) => {
        const id = next++;
        waiting = { id, resolve, reject };
        pipe.send(updateGraph(id));
      }),
      close: async () => {
        closing = true;
        const exits = procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r))));
        pipe.close();
        await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000).unref())]);
        stop();
      },
    };
  } catch (err) {
    stop();
    throw err;
  }
}

/** CPU seconds and seconds waiting for a CPU so far of a floor's processes, this one (the client) included. */
export function floorCpu(floor: Floor): { relay: number; worker: number; client: number; wait: number } {
  return {
    relay: cpuSeconds(floor.pids.relay),
    worker: cpuSeconds(floor.pids.worker),
    client: ownCpuSeconds(),
    wait: runDelaySeconds(floor.pids.relay) + runDelaySeconds(floor.pids.worker) + runDelaySeconds(process.pid),
  };
}

/** The q-quantile of sorted numbers (the element at floor(q·n)). */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Median, p90, p99, p99.9 (µs) and how many of some latencies (µs) took over 1 ms. */
/** Latencies in µs: `over5ms`, the round trips long enough to be a stall rather than a late wake-up. */
export interface LatencySummary { count: number; median: number; p90: number; p99: number; p999: number; over1ms: number; over5ms: number }

export function latencySummary(lat: number[]): LatencySummary {
  const s = [...lat].sort((a, b) => a - b);
  return { count: s.length, median: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), p999: quantile(s, 0.999), over1ms: s.filter((x) => x > 1000).length, over5ms: s.filter((x) => x > 5000).length };
}

/** Both transports alone, interleaved A B B A; see the header. */
async function main(): Promise<void> {
  const ROUND_TRIPS = envInt('ROUND_TRIPS', 20_000, 1, 1e9);
  const WARM_TRIPS = envInt('WARM_TRIPS', 10_000, 0, 1e9);
  const BLOCK = envInt('BLOCK_TRIPS', 500, 1, 1e9);
  const floors = [await startFloor('ws'), await startFloor('net')];
  try {
    for (const f of floors) for (let i = 0; i < WARM_TRIPS; i++) await f.roundTrip();
    const arms = floors.map((f) => ({ f, lat: [] as number[], relay: 0, worker: 0, client: 0, wait: 0 }));
    const loads: number[] = [];
    const h0 = hostCpu();
    for (let block = 0; arms.some((a) => a.lat.length < ROUND_TRIPS); block++) {
      const a = arms[block % 4 === 0 || block % 4 === 3 ? 0 : 1]!;
      if (a.lat.length >= ROUND_TRIPS) continue;
      const c0 = floorCpu(a.f);
      for (let i = 0; i < BLOCK && a.lat.length < ROUND_TRIPS; i++) {
        const t0 = performance.now();
        await a.f.roundTrip();
        a.lat.push((performance.now() - t0) * 1000);
      }
      const c1 = floorCpu(a.f);
      a.relay += c1.relay - c0.relay; a.worker += c1.worker - c0.worker; a.client += c1.client - c0.client; a.wait += c1.wait - c0.wait;
      loads.push(loadavg()[0]!);
    }
    const host = hostCpuSince(h0, hostCpu());
    const all = host.busy + host.idle + host.steal || 1;
    console.log(`the floor: ${ROUND_TRIPS} round trips per transport in blocks of ${BLOCK} (A B B A) after ${WARM_TRIPS} unmeasured; ` +
      `load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; the CPUs meanwhile: steal ${(100 * host.steal / all).toFixed(1)}%, ` +
      `idle ${(100 * host.idle / all).toFixed(1)}%, busy ${(100 * host.busy / all).toFixed(1)}%`);
    console.log('transport'.padEnd(10) + ['p50', 'p90', 'p99', 'p99.9', '>1ms', 'relay CPU', 'wrkr CPU', 'clnt CPU', 'our wait'].map((h) => h.padStart(10)).join(''));
    for (const a of arms) {
      const s = latencySummary(a.lat);
      const per = (x: number) => ((x / s.count) * 1e6).toFixed(0).padStart(10);
      console.log(a.f.transport.padEnd(10) + [s.median, s.p90, s.p99, s.p999].map((x) => x.toFixed(0).padStart(10)).join('') +
        String(s.over1ms).padStart(10) + per(a.relay) + per(a.worker) + per(a.client) + per(a.wait));
    }
    console.log('(µs; CPU and the three processes\' wait for a CPU per round trip; relay and worker CPU from 10 ms ticks)');
  } finally {
    for (const f of floors) await f.close();
  }
}

const roleArg = process.argv.find((a) => a.startsWith('--floor-role='));
if (roleArg) {
  const [transport, path] = process.argv.slice(process.argv.indexOf(roleArg) + 1) as [FloorTransport, string];
  // Ends with the process that started it: its stdin closes when that one is gone.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  (roleArg === '--floor-role=relay' ? relay : worker)(transport, path, GLUON_FRAME_BYTES).catch((e) => {
    console.error(`round-trip-floor ${roleArg}: ${(e as Error).stack}`);
    process.exit(1);
  });
} else if (process.argv[1] && resolve(process.argv[1]) === self) {
  main().catch((e) => { console.error(e); process.exitCode = 1; });
}
