/**
 * Start-up cost of Gluon's command-line programs: for each CLI, its --help, a usage error and its
 * real start (the job script a launcher prints, the scheduler listening, a worker connected), run
 * through the bin/ launchers as npm links them, `CLI_STARTUP_RUNS` times each (default 15), interleaved with
 * bare `node -e 0`. Prints per path the median wall and CPU and their ratios to the bare node of
 * the same run; writes bench/results/cli-startup.json.
 *
 * `npx tsx bench/cli-startup.ts [ROOT…]`: each ROOT a built checkout (default this one); with
 * several, every path runs on each in turn, so that two checkouts are set side by side under the
 * same load (`… /path/to/main-build .` for before and after), and the last columns are each root's
 * median over the first's. `CLI_STARTUP_ONLY=gluon-h4l,gluon-worker` runs those CLIs alone.
 *
 * Wall: from spawn to exit, or for a start, to the line that says it is up. CPU: for a process that
 * exits, its own `process.cpuUsage()` at 'exit' (a one-line preload, which bare node runs too); for
 * a start, every thread of its process tree when the line comes (/proc schedstat: the scheduler
 * and the worker run as a job script runs them, without their V8 flags, so a supervisor starts the
 * process that listens with them, and both are counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { envInt, envString, refuse } from './env.js';
import { median, threadCpuSeconds } from './proc.js';
import { startSchedulerProcess } from './scheduler-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const roots = (process.argv.length > 2 ? process.argv.slice(2) : [join(here, '..')]).map((r) => resolve(r));
const RUNS = envInt('CLI_STARTUP_RUNS', 15, 1, 10_000);
const only = envString('CLI_STARTUP_ONLY')?.split(',');

/** Writes the process's own CPU time to fd 3 as it exits: how an exiting CLI's CPU is read. */
const CPU_AT_EXIT = `--import=data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();try{writeSync(3,String((u.user+u.system)/1e6))}catch{}})`;

interface Path {
  cli: string;
  name: string;
  args: (scheduler: string) => string[];
  /** The exit code it must end with (a path that exits). */
  code?: number;
  /** The output line that says it is up (a start: then it is stopped with SIGTERM). */
  ready?: RegExp;
}

/** Each CLI's launcher, under packages/ of a checkout. */
const BINS: Record<string, string> = {
  'gluon-h4l': 'analysis-h4l/bin/gluon-h4l.js',
  'gluon-finalstates': 'analysis-finalstates/bin/gluon-finalstates.js',
  'gluon-cluster': 'deploy/bin/gluon-cluster.js',
  'gluon-scheduler': 'scheduler/bin/gluon-scheduler.js',
  'gluon-worker': 'worker/bin/gluon-worker.js',
};

const ALL_PATHS: Path[] = [
  { cli: 'gluon-h4l', name: '--help', args: () => ['--help'], code: 0 },
  { cli: 'gluon-h4l', name: 'run --help', args: () => ['run', '--help'], code: 0 },
  { cli: 'gluon-h4l', name: 'usage error', args: () => ['run', '--no-such-flag'], code: 2 },
  { cli: 'gluon-h4l', name: 'run --print-job-script', args: () => ['run', '--no-config', '--cluster', 'slurm', '--print-job-script'], code: 0 },
  { cli: 'gluon-finalstates', name: '--help', args: () => ['--help'], code: 0 },
  { cli: 'gluon-finalstates', name: 'usage error', args: () => ['--no-such-flag'], code: 2 },
  { cli: 'gluon-finalstates', name: '--print-job-script', args: () => ['--cluster', 'slurm', '--print-job-script'], code: 0 },
  { cli: 'gluon-cluster', name: '--help', args: () => ['--help'], code: 0 },
  { cli: 'gluon-cluster', name: 'usage error', args: () => ['slurm', '--no-such-flag'], code: 2 },
  { cli: 'gluon-cluster', name: 'slurm --print-job-script', args: () => ['slurm', '--print-job-script'], code: 0 },
  { cli: 'gluon-scheduler', name: '--help', args: () => ['--help'], code: 0 },
  { cli: 'gluon-scheduler', name: 'usage error', args: () => ['--no-such-flag'], code: 2 },
  { cli: 'gluon-scheduler', name: 'start to listening', args: () => ['--port', '0', '--no-dashboard'], ready: /^scheduler at /m },
  { cli: 'gluon-worker', name: '--help', args: () => ['--help'], code: 0 },
  { cli: 'gluon-worker', name: 'usage error', args: () => ['--no-such-flag'], code: 2 },
  { cli: 'gluon-worker', name: 'start to connected', args: (s) => [s], ready: / connected to /m },
];
const PATHS = ALL_PATHS.filter((p) => !only || only.includes(p.cli));
for (const name of only ?? []) if (!(name in BINS)) refuse(new Error(`$CLI_STARTUP_ONLY names "${name}", not one of ${Object.keys(BINS).join(', ')}`));
for (const root of roots) {
  const missing = Object.values(BINS).map((b) => join(root, 'packages', b.replace('/bin/', '/dist/').replace(/[^/]+$/, 'cli.js'))).find((f) => !existsSync(f));
  if (missing) refuse(new Error(`${root} is not a built Gluon checkout: ${missing} is missing (\`npm run build\` there)`));
}

/** The pids of a process and all its descendants (/proc's children lists). */
function tree(pid: number): number[] {
  const kids = readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try { return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number); } catch { return []; }
  });
  return [pid, ...kids.flatMap(tree)];
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((res) => child.once('close', (code) => res(code)));
}

/** One run: wall and CPU seconds. */
async function once(argv: string[], p: Pick<Path, 'code' | 'ready'>, what: string): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  if (!p.ready) {
    const child = spawn(process.execPath, [CPU_AT_EXIT, ...argv], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let cpu = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; });
    child.stderr!.on('data', (d: Buffer) => { out += d; });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => { cpu += d; });
    const code = await exited(child);
    const wall = (performance.now() - t0) / 1000;
    if (code !== p.code) throw new Error(`${what}: exited ${code}, not ${p.code}:\n${out}`);
    if (!cpu) throw new Error(`${what}: said no CPU time at exit`);
    return { wall, cpu: Number(cpu) };
  }
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const end = exited(child);
  let out = '';
  const { wall, cpu } = await new Promise<{ wall: number; cpu: number }>((res, rej) => {
    const onData = (d: Buffer) => {
      out += d;
      if (!p.ready!.test(out)) return;
      const wall = (performance.now() - t0) / 1000;
      res({ wall, cpu: tree(child.pid!).reduce((s, pid) => s + threadCpuSeconds(pid), 0) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void end.then((code) => rej(new Error(`${what}: exited ${code} before it was up:\n${out}`)));
  });
  child.kill('SIGTERM');
  await end;
  return { wall, cpu };
}

interface Row { cli: string; path: string; wall: number; cpu: number; wallRatio: number; cpuRatio: number }
type Sample = { wall: number; cpu: number };

const medianOf = (xs: Sample[]): Sample => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

async function main(): Promise<void> {
  // The workers of every root dial one scheduler (the first root's), started as LocalCluster starts it.
  const sched = PATHS.some((p) => p.cli === 'gluon-worker')
    ? await startSchedulerProcess(roots[0]!, SCHEDULER_V8_FLAGS, join(tmpdir(), `gluon-cli-startup-scheduler-${process.pid}.log`))
    : undefined;
  try {
    const bare: Sample[] = [];
    const got = roots.map(() => new Map<Path, Sample[]>(PATHS.map((p) => [p, []])));
    let n = 0;
    for (let r = 0; r < RUNS; r++) {
      bare.push(await once(['-e', '0'], { code: 0 }, 'node -e 0'));
      for (const p of PATHS) {
        for (const [i, root] of roots.entries()) {
          const argv = [join(root, 'packages', BINS[p.cli]!), ...p.args(sched?.address ?? '')];
          if (p.cli === 'gluon-worker' && p.ready) argv.push('--name', `bench-${n++}`);
          got[i]!.get(p)!.push(await once(argv, p, `${root}: ${p.cli} ${p.name}`));
        }
      }
    }
    const base = medianOf(bare);
    const rows: Row[][] = got.map((g) => PATHS.map((p) => {
      const m = medianOf(g.get(p)!);
      return { cli: p.cli, path: p.name, ...m, wallRatio: m.wall / base.wall, cpuRatio: m.cpu / base.cpu };
    }));
    const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`.padStart(8);
    const x = (r: number) => `${r.toFixed(2)}×`.padStart(6);
    console.log(`node ${process.version}, medians of ${RUNS} runs; ${'node -e 0'}: wall ${ms(base.wall)}, CPU ${ms(base.cpu)}; ratios to it`);
    for (const [i, root] of roots.entries()) {
      console.log(`\n${root}${i ? ` (last columns: ÷ ${roots[0]})` : ''}`);
      for (const [j, r] of rows[i]!.entries()) {
        const first = rows[0]![j]!;
        console.log(`${`${r.cli} ${r.path}`.padEnd(44)} wall ${ms(r.wall)} ${x(r.wallRatio)}   CPU ${ms(r.cpu)} ${x(r.cpuRatio)}`
          + (i ? `   wall ${x(r.wall / first.wall)} CPU ${x(r.cpu / first.cpu)}` : ''));
      }
    }
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(join(here, 'results/cli-startup.json'), `${JSON.stringify({ node: process.version, runs: RUNS, bare: base, roots: roots.map((root, i) => ({ root, rows: rows[i] })) }, null, 2)}\n`);
  } finally {
    if (sched) {
      sched.child.kill('SIGTERM');
      await exited(sched.child);
    }
  }
}

await main();
