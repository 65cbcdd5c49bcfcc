/**
 * Real `gluon-scheduler` and `gluon-worker` processes for the hostile-input tests, started as
 * LocalCluster starts them (V8 flags on node's command line, so the pid is the process that
 * listens), always killed on teardown; and the RSS of a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The path of a package's CLI (its one `bin`). */
export function bin(pkg: string): string {
  const pj = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  const bins = (JSON.parse(readFileSync(pj, 'utf8')) as { bin: Record<string, string> }).bin;
  return join(dirname(pj), Object.values(bins)[0]!);
}

export interface Proc {
  child: ChildProcess;
  address: string;
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
}

/** Where a started process's kill is registered: a tap test, or anything with `teardown`. */
export interface Owner {
  teardown(fn: () => void): void;
}

/** Starts a process and waits (bounded: 20 s) for the line `re` names its address in. */
function startProc(owner: Owner, args: string[], re: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  owner.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no ${re} within 120 s; output:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ child, address: m[1]!, output: () => out, alive: () => child.exitCode === null && child.signalCode === null });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`exited (${code ?? sig}) before ${re}; output:\n${out}`));
    });
  });
}

/** `gluon-scheduler --port 0 --no-dashboard ...args`. */
export function startScheduler(owner: Owner, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return startProc(owner, [...SCHEDULER_V8_FLAGS, bin('@gluon/scheduler'), '--port', '0', '--no-dashboard', ...args], /^scheduler at (ws:\/\/\S+)$/m, env);
}

/** `gluon-worker <scheduler> ...args`; its address is its data listener's. */
export function startWorker(owner: Owner, scheduler: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return startProc(owner, [...WORKER_V8_FLAGS, bin('@gluon/worker'), scheduler, ...args], /^worker \S+ at (ws:\/\/\S+) connected/m, env);
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}
