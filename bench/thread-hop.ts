/**
 * What the worker's hand-off to its task thread and back costs, by the way the two threads wake
 * each other: a ping-pong of a small message between the main thread and a worker thread, N times
 * each way in the same run, in alternating blocks (A B B A …) so the machine's load weighs on all
 * alike:
 *
 *  - `postMessage`: what the pool does (MessagePort; the receiving thread's event loop wakes
 *    through libuv and runs a 'message' listener);
 *  - `waitAsync`: the message is written to shared memory and the other side is woken by
 *    Atomics.notify on an Atomics.waitAsync, which keeps both event loops running (V8 posts the
 *    wake-up to the isolate's task runner, so it still goes through libuv);
 *  - `wait`: the thread blocks in Atomics.wait between messages (a futex): the cheapest wake-up,
 *    but a thread blocked so runs no event loop — no timers, no promises of a task that awaits, no
 *    messages — so it is shown as the floor, not as something the pool could use.
 *
 * Prints median, p90, p99, p99.9 and max of the round trip (main → thread → main) in µs, and the
 * CPU per round trip of the process. Not a test. `npx tsx bench/thread-hop.ts` (N=20000, BLOCK=1000).
 */
import { Worker } from 'node:worker_threads';
import { envInt } from './env.js';

const N = envInt('N', 20_000, 1, 1e9);
const BLOCK = envInt('BLOCK', 1_000, 1, 1e9);
type Mode = 'postMessage' | 'waitAsync' | 'wait';
const MODES: Mode[] = ['postMessage', 'waitAsync', 'wait'];

/** Shared words: [0] main → thread sequence, [1] thread → main sequence, [2] payload. */
const TO_THREAD = 0, TO_MAIN = 1, VALUE = 2;

/**
 * The thread's side, as source (a thread does not load TypeScript through tsx): answers each
 * message with the value plus one, in the mode it was started in.
 */
const THREAD = `
const { parentPort: port, workerData: { mode, shared } } = require('node:worker_threads');
const TO_THREAD = ${TO_THREAD}, TO_MAIN = ${TO_MAIN}, VALUE = ${VALUE};
if (mode === 'postMessage') {
  port.on('message', (m) => port.postMessage({ id: m.id, x: m.x + 1 }));
} else {
  let seen = 0;
  const answer = () => {
    seen = Atomics.load(shared, TO_THREAD);
    Atomics.store(shared, VALUE, Atomics.load(shared, VALUE) + 1);
    Atomics.store(shared, TO_MAIN, seen);
    Atomics.notify(shared, TO_MAIN);
  };
  if (mode === 'wait') {
    // Blocks between messages; a negative sequence number ends it.
    for (;;) {
      Atomics.wait(shared, TO_THREAD, seen);
      if (Atomics.load(shared, TO_THREAD) < 0) break;
      answer();
    }
  } else {
    // A pending waitAsync does not keep a thread's event loop alive: this timer does.
    const alive = setInterval(() => {}, 1 << 30);
    const loop = () => {
      const r = Atomics.waitAsync(shared, TO_THREAD, seen);
      const go = () => {
        if (Atomics.load(shared, TO_THREAD) < 0) return clearInterval(alive);
        answer();
        loop();
      };
      if (r.async) r.value.then(go);
      else go();
    };
    loop();
  }
}`;

interface Side {
  mode: Mode; worker: Worker; shared: Int32Array; lat: number[]; seq: number;
  /** postMessage: resolves the round trip in flight (one listener for all, as the pool has). */
  answered?: () => void;
}

async function start(mode: Mode): Promise<Side> {
  const shared = new Int32Array(new SharedArrayBuffer(16));
  const worker = new Worker(THREAD, { eval: true, workerData: { mode, shared } });
  await new Promise((r) => worker.once('online', r));
  const side: Side = { mode, worker, shared, lat: [], seq: 0 };
  if (mode === 'postMessage') worker.on('message', () => side.answered?.());
  return side;
}

/** One round trip: main → thread → main, resolved when the answer is seen on the main thread. */
function roundTrip(s: Side): Promise<void> {
  const id = ++s.seq;
  if (s.mode === 'postMessage') {
    return new Promise((resolve) => {
      s.answered = resolve;
      s.worker.postMessage({ id, x: id });
    });
  }
  Atomics.store(s.shared, VALUE, id);
  Atomics.store(s.shared, TO_THREAD, id);
  Atomics.notify(s.shared, TO_THREAD);
  // The main thread waits asynchronously in every mode: it is the worker's event loop.
  const r = waitAsync(s.shared, TO_MAIN, id - 1);
  return r.async ? r.value.then(() => undefined) : Promise.resolve();
}

/** Atomics.waitAsync (V8 since Node 16; in TypeScript's lib only from es2024). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

await main();

async function main(): Promise<void> {
  // Nor the main thread's, while it waits on one.
  const alive = setInterval(() => {}, 1 << 30);
  const sides = [];
  for (const m of MODES) sides.push(await start(m));
  for (const s of sides) for (let i = 0; i < 2_000; i++) await roundTrip(s); // warm-up
  const cpu = new Map<Mode, number>(MODES.map((m) => [m, 0]));
  for (let done = 0, round = 0; done < N; done += BLOCK, round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const s of order) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        await roundTrip(s);
        s.lat.push((performance.now() - t0) * 1000);
      }
      const c = process.cpuUsage(c0);
      cpu.set(s.mode, cpu.get(s.mode)! + c.user + c.system);
    }
  }
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  console.log(`${N} round trips main → thread → main per mode, blocks of ${BLOCK} alternating; µs`);
  console.log('mode'.padEnd(14) + ['p50', 'p90', 'p99', 'p99.9', 'max', 'CPU/trip'].map((h) => h.padStart(9)).join(''));
  for (const s of sides) {
    const xs = [...s.lat].sort((a, b) => a - b);
    console.log(s.mode.padEnd(14) + [q(xs, 0.5), q(xs, 0.9), q(xs, 0.99), q(xs, 0.999), xs[xs.length - 1]!, cpu.get(s.mode)! / xs.length].map((x) => x.toFixed(1).padStart(9)).join(''));
  }
  console.log('(CPU: this process, both threads, per round trip)');
  for (const s of sides) {
    if (s.mode !== 'postMessage') {
      Atomics.store(s.shared, TO_THREAD, -1);
      Atomics.notify(s.shared, TO_THREAD);
    }
    await s.worker.terminate();
  }
  clearInterval(alive);
}
