/**
 * What a burst of work after an idle gap costs the scheduler, with its idle collection
 * (idle-gc.ts) and without it, in the same run; and what the idle collection is for: the RSS
 * after a big graph is forgotten.
 *
 * Sides, each its own real scheduler process (`gluon-scheduler`, this checkout's build unless
 * said) with its own client and 10 simulated workers × 2 threads (bench/sim-workers.ts):
 *  - `idle gc`: as shipped (SCHEDULER_V8_FLAGS, so `--expose-gc`: the scheduler collects when idle);
 *  - `no idle gc`: the same flags without `--expose-gc` (also given as its `--v8-flags`, so the
 *    CLI starts no child to add it): no idle collection, no trim, V8 left to itself;
 *  - with `--vs=DIR`, `DIR`: DIR's built scheduler with DIR's SCHEDULER_V8_FLAGS (the same protocol
 *    version: this checkout's client talks to it), e.g. main before a change to the idle rule.
 *
 * Each side warms up (60,000 tasks, past the idle-collection threshold, and their collection),
 * then runs ROUNDS bursts of BURST_TASKS no-op tasks (map, wait, release, a round trip), each
 * starting GAP_MS after that side's previous burst ended, in blocks of BLOCK bursts per side, the
 * sides' blocks in turn (A B B A …); the first burst of a block follows the other sides' blocks,
 * a longer idle, and is printed but not counted. Per burst: the scheduler's CPU per task (every
 * thread, schedstat) from submit until the release was handled (`burst`), and from the end of its
 * previous burst (`with gap`: the idle gap's own collection counted too); its system CPU, minor
 * page faults and the collection lines it logged in the gap; with `--trace-gc-nvp`, its
 * scavenges and mark-compacts. Per side: the median and range of each figure over the rounds,
 * and each side's medians over the `no idle gc` side's.
 *
 * Then the RSS: per side, one at a time, the idle RSS (steady), a graph of BIG_TASKS held and
 * released, the RSS once settled; their ratio (the `no idle gc` side shows what the idle
 * collection gives back).
 *
 * Run with `node --max-old-space-size=8192 --import tsx bench/idle-burst.ts` after `npx tsc -b`.
 * Env: ROUNDS (default 8), BLOCK (4), BURST_TASKS (50,000), GAP_MS (3,000), BIG_TASKS
 * (500,000; 0: no RSS section). Flags: `--vs=DIR`; `--scheduler-flags="--trace-gc-nvp"` adds node flags to every
 * side's scheduler (V8 writes to its log: bench/results/idle-burst-SIDE.log); `--only=NAMES`
 * (comma-separated side names: `idle-gc`, `no-idle-gc`, `vs`). Writes bench/results/idle-burst.json.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, remote } from '@gluon/client';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { envInt } from './env.js';
import { cpuTimes, median, residentByKind, threadCpuSeconds } from './proc.js';
import { rssRange, startSchedulerProcess, steadyRss, until } from './scheduler-process.js';
import { SimFleet } from './sim-workers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { vs: { type: 'string' }, 'scheduler-flags': { type: 'string', default: '' }, only: { type: 'string' } } });
const ROUNDS = envInt('ROUNDS', 8, 1, 200);
const BURST_TASKS = envInt('BURST_TASKS', 50_000, 100, 2_000_000);
const GAP_MS = envInt('GAP_MS', 3_000, 0, 600_000);
const BLOCK = envInt('BLOCK', 4, 1, 200);
const BIG_TASKS = envInt('BIG_TASKS', 500_000, 0, 5_000_000);
const WARM_UP_TASKS = 60_000;
const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop');
const load = () => loadavg()[0]!.toFixed(1);

interface Side {
  name: string;
  id: string;
  pid: number;
  log: string;
  client: Client;
  fleet: SimFleet;
  stop: () => Promise<void>;
  lastEnd: number;
  cpuAtLastEnd: number;
  burst: number[];
  withGap: number[];
  gapS: number[];
  /** Per burst: system CPU s, minor page faults, and V8's collections (with --trace-gc-nvp). */
  detail: Array<{ systemS: number; minorFaults: number; gc: GcTally }>;
  /** Collection lines the scheduler had logged when its last burst ended. */
  collectionsAtLastEnd: number;
}

/** The scheduler's log lines that say it collected (idle collection, held work, buffers, the second one). */
function collections(log: string): number {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((l) => /idle collection after|collection after \d+ task state changes|collection of big buffers|after a second collection/.test(l)).length;
}

async function startSide(id: string, name: string, from: string, flags: readonly string[], cliArgs: readonly string[]): Promise<Side> {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const log = join(root, 'bench', 'results', `idle-burst-${id}.log`);
  const extra = values['scheduler-flags']!.split(/\s+/).filter(Boolean);
  const { child, address } = await startSchedulerProcess(from, [...flags, ...extra], log, cliArgs);
  const client = await Client.connect(address, { name: `idle-burst-${id}` });
  const fleet = new SimFleet(address, {});
  await fleet.add(10, 2);
  const stop = async () => {
    await client.close();
    fleet.closeAll();
    child.kill('SIGTERM');
  };
  return { name, id, pid: child.pid!, log, client, fleet, stop, lastEnd: 0, cpuAtLastEnd: 0, burst: [], withGap: [], gapS: [], detail: [], collectionsAtLastEnd: 0 };
}

/** Minor page faults of a process so far (/proc/PID/stat's minflt): each a page the kernel handed it (zeroed). */
function minorFaults(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[7]);
}

/** V8's collections in a stretch of the scheduler's log (lines of --trace-gc-nvp; all zero without it). */
interface GcTally { scavenges: number; scavengeMs: number; markCompacts: number; markCompactMs: number; promotedMiB: number; reduceMemory: number }

function tallyGc(log: string, from: number, to: number): GcTally {
  const t: GcTally = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0, promotedMiB: 0, reduceMemory: 0 };
  let text = '';
  try {
    text = readFileSync(log).subarray(from, to).toString();
  } catch {
    return t;
  }
  for (const line of text.split('\n')) {
    const kind = / gc=(\w+) /.exec(line)?.[1];
    if (!kind) continue;
    const pause = Number(/ pause=([\d.]+)/.exec(line)?.[1] ?? 0);
    if (kind === 's') {
      t.scavenges++;
      t.scavengeMs += pause;
      t.promotedMiB += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0) / 2 ** 20;
    } else {
      t.markCompacts++;
      t.markCompactMs += pause;
    }
    if (/ reduce_memory=1/.test(line)) t.reduceMemory++;
  }
  return t;
}

const logSize = (log: string) => { try { return statSync(log).size; } catch { return 0; } };

/** Runs `n` no-op tasks on a side until their release was handled; the scheduler's CPU seconds it took. */
async function burst(side: Side, n: number): Promise<number> {
  const before = side.fleet.answered;
  const freed0 = side.fleet.freed;
  const cpu0 = threadCpuSeconds(side.pid);
  const futures = side.client.map(noop, Array.from({ length: n }, (_, i) => i + Math.random()));
  await side.client.wait(futures);
  await until(() => side.fleet.answered - before >= n, `${n} tasks answered`);
  side.client.release(futures);
  await until(() => side.fleet.freed - freed0 >= n, `the workers told to free ${n} results`);
  // A round trip: the scheduler has handled everything before it.
  const f = side.client.submit(noop.with({ priority: 1e9, group: 'marker' }), Math.random());
  await f.result();
  side.client.release([f]);
  return threadCpuSeconds(side.pid) - cpu0;
}

const gcLine = (g: GcTally) => `${g.scavenges} scavenges ${g.scavengeMs.toFixed(0)} ms (promoted ${g.promotedMiB.toFixed(1)} MiB), ${g.markCompacts} mark-compacts ${g.markCompactMs.toFixed(0)} ms${g.reduceMemory ? ` (${g.reduceMemory} reducing memory)` : ''}`;
const fmtRange = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;

async function main(): Promise<void> {
  console.log(`idle-burst: bursts of ${BURST_TASKS.toLocaleString('en')} no-op tasks ${GAP_MS} ms apart (per side), ${ROUNDS} rounds; Node ${process.version}; load ${load()}`);
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const want = (id: string) => !only || only.has(id);
  const sides: Side[] = [];
  try {
    if (want('idle-gc')) sides.push(await startSide('idle-gc', 'idle gc', root, SCHEDULER_V8_FLAGS, []));
    if (want('no-idle-gc')) {
      const noGc = SCHEDULER_V8_FLAGS.filter((f) => f !== '--expose-gc');
      sides.push(await startSide('no-idle-gc', 'no idle gc', root, noGc, [`--v8-flags=${noGc.join(' ')}`]));
    }
    if (values.vs && want('vs')) {
      const dir = resolve(values.vs);
      const flags = (await import(pathToFileURL(join(dir, 'packages/scheduler/dist/v8-flags.js')).href) as typeof import('@gluon/scheduler/v8-flags')).SCHEDULER_V8_FLAGS;
      sides.push(await startSide('vs', basename(dir), dir, flags, []));
    }
    // Warm-up: JIT, buffers, and the first idle collection (past its threshold).
    for (const side of sides) {
      const c0 = collections(side.log);
      await burst(side, WARM_UP_TASKS);
      if (side.id !== 'no-idle-gc') await until(() => collections(side.log) > c0, `${side.name}: the warm-up's idle collection`, 60_000).catch(() => console.log(`  ${side.name}: no idle collection logged after the warm-up`));
      side.lastEnd = performance.now();
      side.cpuAtLastEnd = threadCpuSeconds(side.pid);
      side.collectionsAtLastEnd = collections(side.log);
    }
    // Blocks of BLOCK rounds per side, the sides' blocks in turn (A B B A …), so that each burst
    // follows exactly GAP_MS of its own scheduler's idling. A block's first burst follows the other
    // sides' blocks (a longer idle): made, printed, not counted.
    const blocks = Math.ceil(ROUNDS / BLOCK);
    let counted = 0;
    for (let b = 0; b < blocks; b++) {
      const rounds = Math.min(BLOCK, ROUNDS - counted);
      for (const side of b % 2 ? [...sides].reverse() : sides) {
        for (let r = -1; r < rounds; r++) {
          const wait = side.lastEnd + GAP_MS - performance.now();
          if (wait > 0) await new Promise((res) => setTimeout(res, wait));
          const gap = (performance.now() - side.lastEnd) / 1000;
          const gapCpu = threadCpuSeconds(side.pid) - side.cpuAtLastEnd;
          const c = collections(side.log);
          const sys0 = cpuTimes(side.pid).system;
          const flt0 = minorFaults(side.pid);
          const at0 = logSize(side.log);
          const cpu = await burst(side, BURST_TASKS);
          const gc = tallyGc(side.log, at0, logSize(side.log));
          const detail = { systemS: cpuTimes(side.pid).system - sys0, minorFaults: minorFaults(side.pid) - flt0, gc };
          const us = (cpu / BURST_TASKS) * 1e6;
          const withGap = ((cpu + gapCpu) / BURST_TASKS) * 1e6;
          if (r >= 0) {
            side.detail.push(detail);
            side.burst.push(us);
            side.withGap.push(withGap);
            side.gapS.push(gap);
          }
          side.lastEnd = performance.now();
          side.cpuAtLastEnd = threadCpuSeconds(side.pid);
          const inGap = c - side.collectionsAtLastEnd;
          side.collectionsAtLastEnd = collections(side.log);
          console.log(`  ${r < 0 ? 'not counted' : `round ${counted + r + 1}`.padEnd(11)} ${side.name.padEnd(12)} gap ${gap.toFixed(1)} s (${inGap} collection${inGap === 1 ? '' : 's'} logged): burst ${us.toFixed(1)} µs/task, with the gap's CPU ${withGap.toFixed(1)}; system ${detail.systemS.toFixed(2)} s, ${detail.minorFaults} minor faults${gc.scavenges + gc.markCompacts ? `; ${gcLine(gc)}` : ''}; load ${load()}`);
        }
      }
      counted += rounds;
    }
    console.log(`\n-- scheduler CPU per task, bursts of ${BURST_TASKS.toLocaleString('en')} after ${GAP_MS / 1000} s idle, median (range) over ${ROUNDS} rounds --`);
    const base = sides.find((s) => s.id === 'no-idle-gc');
    for (const side of sides) {
      const ratio = (xs: number[], ys: number[] | undefined) => (ys && side !== base ? `, ${(median(xs) / median(ys)).toFixed(2)}× no idle gc` : '');
      console.log(`${side.name.padEnd(14)} burst ${median(side.burst).toFixed(1)} µs/task (${fmtRange(side.burst)})${ratio(side.burst, base?.burst)};  with the gap's CPU ${median(side.withGap).toFixed(1)} (${fmtRange(side.withGap)})${ratio(side.withGap, base?.withGap)}`);
    }
    const rss: Record<string, unknown> = {};
    if (BIG_TASKS > 0) {
      console.log(`\n-- scheduler RSS: idle, then ${BIG_TASKS.toLocaleString('en')} tasks held and released (one side at a time) --`);
      for (const side of sides) {
        const idle = await steadyRss(side.pid);
        const c0 = collections(side.log);
        const cpu = await burst(side, BIG_TASKS);
        // The idle collection is paced (IdlePacing): after bursts it may come up to 30 s into the
        // idle, later than steadyRss's 10 s without a fall. Read after it (none without --expose-gc).
        if (side.id !== 'no-idle-gc') await until(() => collections(side.log) > c0, `${side.name}: the idle collection of the big graph`, 90_000).catch(() => console.log(`  ${side.name}: no collection logged within 90 s of the release`));
        const after = await steadyRss(side.pid);
        const k = residentByKind(side.pid);
        rss[side.id] = { idleMiB: idle.median, afterMiB: after.median, idleReadings: idle.readings, afterReadings: after.readings, bigUsPerTask: (cpu / BIG_TASKS) * 1e6 };
        console.log(`${side.name.padEnd(14)} idle ${idle.median.toFixed(1)} MiB (${rssRange(idle.readings)}), after the release ${after.median.toFixed(1)} MiB (${rssRange(after.readings)}): ${(after.median / idle.median).toFixed(2)}× idle; glibc heap ${k.heap.toFixed(0)} MiB, other anonymous ${k.anon.toFixed(0)}; the big graph ${((cpu / BIG_TASKS) * 1e6).toFixed(1)} µs/task; load ${load()}`);
      }
    }
    writeFileSync(join(root, 'bench', 'results', 'idle-burst.json'), `${JSON.stringify({
      at: new Date().toISOString(), node: process.version, rounds: ROUNDS, burstTasks: BURST_TASKS, gapMs: GAP_MS, bigTasks: BIG_TASKS,
      sides: sides.map((s) => ({ name: s.name, burstUsPerTask: s.burst, withGapUsPerTask: s.withGap, gapS: s.gapS })), rss,
    }, null, 2)}\n`);
  } finally {
    for (const side of sides) await side.stop();
  }
}

await main();
