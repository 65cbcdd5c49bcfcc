import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from './client.js';

export interface LocalClusterOptions {
  /** Worker processes. Default 2. */
  nWorkers?: number;
  /** Threads per worker. Default 1. */
  nthreads?: number;
  token?: string;
  /** `false` for no dashboard, a number for its port; default any free port. */
  dashboard?: boolean | number;
  /** Extra allowed task modules for the workers (package names, directories, file URLs). */
  allowModules?: string[];
  /** Workers' working directory (decides which packages they may import). Default `process.cwd()`. */
  cwd?: string;
  /** Extra environment for the processes. */
  env?: Record<string, string>;
  /** Per-worker memory limit, e.g. `'2GiB'`. */
  memoryLimit?: string;
  /** Deaths a task may cause before it fails. Default 3. */
  allowedFailures?: number;
  heartbeatTtl?: string;
  /** Passes the processes' stderr through (default: only shown when start-up fails). */
  verbose?: boolean;
  /** Start-up timeout. Default 30 s. */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Child processes must not outlive a script that forgot close() or crashed.
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

function binPath(pkg: string): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'cli.js');
}

interface Proc {
  child: ChildProcess;
  stderr: string[];
}

/**
 * A scheduler and workers as child processes of this script, on loopback: the way to use Gluon
 * on one machine. Processes are stopped by `close()`, and killed if the script exits first.
 */
export class LocalCluster {
  private client_: Client | undefined;

  private constructor(
    readonly schedulerAddress: string,
    readonly dashboardUrl: string | undefined,
    private readonly scheduler: Proc,
    private readonly workers: Proc[],
    private readonly token: string | undefined,
  ) {}

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    installExitHook();
    const nWorkers = opts.nWorkers ?? 2;
    const nthreads = opts.nthreads ?? 1;
    if (!Number.isInteger(nWorkers) || nWorkers < 0) throw new RangeError(`LocalCluster: nWorkers must be an integer ≥ 0, got ${nWorkers}`);
    if (!Number.isInteger(nthreads) || nthreads < 1) throw new RangeError(`LocalCluster: nthreads must be an integer ≥ 1, got ${nthreads}`);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const env = { ...process.env, ...opts.env, ...(opts.token ? { GLUON_TOKEN: opts.token } : {}) };
    const schedArgs = ['--host', '127.0.0.1', '--port', '0'];
    if (opts.dashboard === false) schedArgs.push('--no-dashboard');
    else schedArgs.push('--dashboard-port', String(typeof opts.dashboard === 'number' ? opts.dashboard : 0));
    if (opts.allowedFailures) schedArgs.push('--allowed-failures', String(opts.allowedFailures));
    if (opts.heartbeatTtl) schedArgs.push('--heartbeat-ttl', opts.heartbeatTtl);
    const scheduler = launch(binPath('@gluon/scheduler'), schedArgs, env, opts.cwd, opts.verbose);
    const procs: Proc[] = [scheduler];
    try {
      const lines = await waitForLine(scheduler, /^scheduler at (\S+)/, timeoutMs, 'scheduler');
      const address = /^scheduler at (\S+)/.exec(lines.at(-1)!)![1]!;
      const dashboard = lines.map((l) => /^dashboard at (\S+)/.exec(l)?.[1]).find(Boolean);
      const workerArgs = (i: number) => {
        const a = [address, '--nthreads', String(nthreads), '--name', `local-${i}`];
        for (const m of opts.allowModules ?? []) a.push('--allow-module', m);
        if (opts.memoryLimit) a.push('--memory-limit', opts.memoryLimit);
        return a;
      };
      const workers = Array.from({ length: nWorkers }, (_, i) => launch(binPath('@gluon/worker'), workerArgs(i), env, opts.cwd, opts.verbose));
      procs.push(...workers);
      await Promise.all(workers.map((w, i) => waitForLine(w, /^worker \S+ at \S+ connected/, timeoutMs, `worker local-${i}`)));
      return new LocalCluster(address, dashboard, scheduler, workers, opts.token);
    } catch (err) {
      for (const p of procs) p.child.kill('SIGKILL');
      throw err;
    }
  }

  /** A client connected to this cluster (created on first use, closed with the cluster). */
  async client(): Promise<Client> {
    this.client_ ??= await Client.connect(this.schedulerAddress, { ...(this.token ? { token: this.token } : {}), name: 'local-cluster-client' });
    return this.client_;
  }

  /** PIDs of the worker processes, e.g. to test what happens when one dies. */
  get workerPids(): number[] {
    return this.workers.map((w) => w.child.pid!).filter(Boolean);
  }

  /** Stops workers (gracefully, then by force after `graceMs`) and then the scheduler. */
  async close(graceMs = 5000): Promise<void> {
    await this.client_?.close();
    await Promise.all(this.workers.map((w) => stop(w.child, graceMs)));
    await stop(this.scheduler.child, graceMs);
  }
}

function launch(script: string, args: string[], env: NodeJS.ProcessEnv, cwd: string | undefined, verbose?: boolean): Proc {
  const child = spawn(process.execPath, [script, ...args], { env, cwd: cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (verbose) process.stderr.write(d);
    stderr.push(d);
    if (stderr.length > 200) stderr.shift();
  });
  return { child, stderr };
}

/** Waits for a stdout line matching `pattern`; returns every line seen up to it. */
function waitForLine(p: Proc, pattern: RegExp, timeoutMs: number, what: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const rl = createInterface({ input: p.child.stdout! });
    const onExit = (code: number | null, sig: string | null) => fail(`exited during start-up (${sig ?? `code ${code}`})`);
    const fail = (why: string) => {
      clearTimeout(timer);
      rl.close();
      const tail = p.stderr.join('').trim().split('\n').slice(-20).join('\n');
      reject(new Error(`LocalCluster: the ${what} ${why}${tail ? `; its stderr:\n${tail}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    p.child.once('exit', onExit);
    rl.on('line', (line) => {
      seen.push(line);
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      p.child.off('exit', onExit);
      rl.close();
      p.child.stdout!.resume(); // keep draining: a full pipe would block the child
      resolve(seen);
    });
  });
}

function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
