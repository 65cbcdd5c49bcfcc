/**
 * Soak: an hour of mixed work on a LocalCluster (3 worker processes × 1 thread) — maps, tree
 * reductions, chains, failing tasks (exceptions with retries, a task that ends its thread,
 * dependents of failures), cancellations, and worker restarts (the third worker is killed with
 * SIGKILL or stopped with SIGTERM every few minutes, mid-round, and replaced) — printing the
 * scheduler's and the workers' RSS over time. Every round checks its results.
 *
 * Target: RSS at the end within 10% of RSS after the first five minutes, for the scheduler and
 * for each worker that lives through the whole run (local-0, local-1; the restarted slot is a
 * fresh process each time and is printed, not judged). RSS is sampled after each round (the
 * cluster idle, everything released); "after five minutes" is the median of the samples in
 * minutes 4–6, "at the end" the median of the samples in the last two minutes.
 *
 * Not part of CI. Run with `npx tsx bench/soak.ts` (after `npx tsc -b`); `--minutes 10
 * --baseline-min 2` for a short run. Writes bench/results/soak.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalCluster, remoteFrom, type Client, type Future } from '@gluon/client';
import { cpuSeconds, median, rssMiB } from './proc.js';

type Tasks = typeof import('@gluon/examples/tasks');
const { inc, add, fail, exit, sleep, histogram, mergeHistograms } = remoteFrom<Tasks>('@gluon/examples/tasks');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'baseline-min': { type: 'string', default: '5' },
    'restart-every-min': { type: 'string', default: '4' },
    'print-every-s': { type: 'string', default: '30' },
  },
});
const minutes = Number(values.minutes);
const baselineMin = Number(values['baseline-min']);
const restartEveryMs = Number(values['restart-every-min']) * 60_000;
const printEveryMs = Number(values['print-every-s']) * 1000;
const endWindowMin = Math.min(2, minutes / 5);
const TARGET = 1.1;

interface Sample { t: number; scheduler: number; workers: Record<string, number> }

const samples: Sample[] = [];
const problems: string[] = [];
const counts = { rounds: 0, tasks: 0, failuresSeen: 0, cancelled: 0, restarts: 0 };

function check(cond: boolean, what: string): void {
  if (!cond) {
    problems.push(`${new Date().toISOString()} ${what}`);
    console.log(`PROBLEM: ${what}`);
  }
}

/** Rejects unless the future fails; returns its error. */
async function failure(f: Future<unknown>): Promise<Error | null> {
  try {
    await f.result();
    return null;
  } catch (err) {
    return err as Error;
  }
}

const rounds: Array<{ name: string; run(c: Client): Promise<void> }> = [
  {
    name: 'map',
    async run(c) {
      const xs = Array.from({ length: 5000 }, (_, i) => i);
      const fs = c.map(inc, xs);
      const got = await c.gather(fs);
      c.release(fs);
      check(got.length === xs.length && got.every((v, i) => v === i + 1), 'map: wrong results');
      counts.tasks += xs.length;
    },
  },
  {
    name: 'tree reduction',
    async run(c) {
      const parts = c.map(histogram, Array.from({ length: 400 }, (_, i) => i + 1), Array.from({ length: 400 }, () => 2000));
      const merged = c.treeReduce(mergeHistograms, parts, { fanIn: 8 });
      const h = await merged.result();
      c.release([...parts, merged]);
      check(h.reduce((a, b) => a + b, 0) === 400 * 2000, 'tree reduction: wrong total');
      counts.tasks += 400 + 58;
    },
  },
  {
    name: 'chain',
    async run(c) {
      let f: Future<number> = c.submit(inc, 0);
      const chain = [f];
      for (let i = 1; i < 300; i++) chain.push((f = c.submit(inc, f)));
      const sum = c.submit(add, ...chain.slice(-20));
      const v = await sum.result();
      c.release([...chain, sum]);
      check(v === 20 * 281 + 190, `chain: got ${v}`);
      counts.tasks += 301;
    },
  },
  {
    name: 'failures',
    async run(c) {
      const failing = c.map(fail.with({ retries: 1 }), Array.from({ length: 20 }, (_, i) => `soak failure ${i}`));
      const dependent = c.submit(inc, failing[0] as unknown as Future<number>);
      const dies = c.submit(exit, 3);
      const errs = await Promise.all([...failing, dependent].map(failure));
      check(errs.every((e) => e !== null), 'failures: a failing task succeeded');
      const died = await failure(dies);
      check(died !== null && /KilledWorker|killed/.test(`${died.name} ${died.message}`), `failures: exit task ended with ${died?.name}: ${died?.message}`);
      c.release([...failing, dependent, dies]);
      counts.failuresSeen += errs.length + 1;
      counts.tasks += 23;
    },
  },
  {
    name: 'cancel',
    async run(c) {
      const fs = c.map(sleep, Array.from({ length: 200 }, () => 5));
      const after = c.submit(add, ...(fs.slice(0, 10) as unknown as Array<Future<number>>));
      await fs[0]!.result();
      await c.cancel(fs.slice(100));
      const kept = await c.gather(fs.slice(0, 100));
      check(kept.length === 100, 'cancel: kept tasks did not finish');
      await after.result();
      c.release([...fs, after]);
      counts.cancelled += 100;
      counts.tasks += 201;
    },
  },
];

function sample(cluster: LocalCluster, t: number): Sample {
  const workers: Record<string, number> = {};
  for (const w of cluster.workers) {
    try {
      workers[w.name] = rssMiB(w.pid);
    } catch {
      // exited between the listing and the read
    }
  }
  return { t, scheduler: rssMiB(cluster.schedulerProcess.pid), workers };
}

function fmt(s: Sample): string {
  const ws = Object.entries(s.workers).map(([n, v]) => `${n} ${v.toFixed(0)}`).join(', ');
  return `${(s.t / 60_000).toFixed(1).padStart(5)} min  scheduler ${s.scheduler.toFixed(1)} MiB  workers: ${ws} MiB`;
}

/** Kills (or stops) the newest worker beyond the first two and starts a replacement. */
async function restartWorker(cluster: LocalCluster, signal: NodeJS.Signals): Promise<void> {
  const victim = cluster.workers.at(-1);
  if (!victim || cluster.workers.length < 3) return;
  process.kill(victim.pid, signal);
  counts.restarts++;
  await cluster.addWorker();
}

async function main(): Promise<void> {
  console.log(`soak: ${minutes} min of mixed work on 3 workers × 1 thread; RSS sampled after each round\n`);
  const cluster = await LocalCluster.start({ nWorkers: 3, nthreads: 1, cwd: root });
  const schedPid = cluster.schedulerProcess.pid;
  const cpu0 = cpuSeconds(schedPid);
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let lastPrint = -Infinity;
  let nextRestart = restartEveryMs;
  let schedulerCpuS = NaN;
  try {
    const client = await cluster.client();
    // Bounded by time; the round count bound only guards against a round that returns at once.
    for (let i = 0; elapsed() < minutes * 60_000 && i < 1_000_000; i++) {
      const round = rounds[i % rounds.length]!;
      const work = round.run(client).catch((err: Error) => check(false, `${round.name}: ${err.name}: ${err.message}`));
      if (round.name === 'map' && elapsed() >= nextRestart) {
        nextRestart += restartEveryMs;
        // Mid-round: the map's tasks on that worker are rescheduled.
        await restartWorker(cluster, counts.restarts % 2 ? 'SIGTERM' : 'SIGKILL');
      }
      await work;
      counts.rounds++;
      const s = sample(cluster, elapsed());
      samples.push(s);
      if (s.t - lastPrint >= printEveryMs) {
        lastPrint = s.t;
        console.log(fmt(s));
      }
    }
    schedulerCpuS = cpuSeconds(schedPid) - cpu0;
  } finally {
    await cluster.close();
  }
  report(schedulerCpuS);
}

function report(schedulerCpuS: number): void {
  const inWindow = (lo: number, hi: number) => samples.filter((s) => s.t >= lo * 60_000 && s.t <= hi * 60_000);
  const base = inWindow(baselineMin - 1, baselineMin + 1);
  const end = inWindow(minutes - endWindowMin, minutes + 1);
  const procs = ['scheduler', 'local-0', 'local-1'];
  const val = (s: Sample, p: string) => (p === 'scheduler' ? s.scheduler : s.workers[p]);
  const rows = procs.map((p) => {
    const b = median(base.map((s) => val(s, p)).filter((v): v is number => v !== undefined));
    const e = median(end.map((s) => val(s, p)).filter((v): v is number => v !== undefined));
    return { process: p, afterBaselineMiB: b, endMiB: e, ratio: e / b, meets: e / b <= TARGET };
  });
  console.log(`\nsoak result after ${minutes} min: ${counts.rounds} rounds, ${counts.tasks} tasks, ${counts.failuresSeen} expected failures, ${counts.cancelled} cancelled, ${counts.restarts} worker restarts`);
  console.log(`RSS, median of samples at ${baselineMin - 1}–${baselineMin + 1} min vs the last ${endWindowMin} min (target: end ≤ ${TARGET}× the first):`);
  for (const r of rows) console.log(`  ${r.process.padEnd(10)} ${r.afterBaselineMiB.toFixed(1)} → ${r.endMiB.toFixed(1)} MiB  (${r.ratio.toFixed(3)}×) ${r.meets ? 'meets' : 'MISSES'} the target`);
  console.log(`scheduler CPU: ${schedulerCpuS.toFixed(1)} s (${((schedulerCpuS / counts.tasks) * 1e6).toFixed(0)} µs per task)`);
  console.log(problems.length ? `${problems.length} problem(s):\n  ${problems.join('\n  ')}` : 'every round checked out');
  const out = join(root, 'bench', 'results');
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'soak.json'), `${JSON.stringify({
    date: new Date().toISOString(), node: process.version, minutes, baselineMin, endWindowMin, counts, schedulerCpuS, rows, problems, samples,
  }, null, 2)}\n`);
  if (problems.length || rows.some((r) => !r.meets)) process.exitCode = 1;
}

await main();
