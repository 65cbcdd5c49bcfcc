/**
 * Real scheduler and worker processes for the worker's integration tests, plus a raw protocol
 * client: start, wait for a printed line (bounded), and always clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Connection, type Message, type TlsOptions } from '@gluon/protocol';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../../..');
export const workerCli = join(repo, 'packages/worker/dist/cli.js');
export const schedulerCli = join(repo, 'packages/scheduler/dist/cli.js');
export const fixture = join(here, 'fixtures/tasks.mjs');
/** Worker flags that allow the test fixtures as task code (nothing is allowed by default). */
export const ALLOW_FIXTURES = ['--allow-module', dirname(fixture)];

export interface Proc {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the first match of `re` in the output (past or future), or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the output is all read, or rejects after `ms`. */
  exited(ms?: number): Promise<number | string>;
  kill(sig?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts `node ...nodeArgs script ...args` in the repository directory (or `where.cwd`), behind
 * `where.launcher` when given (e.g. `['ip', 'netns', 'exec', NS]`, which execs node in place, so
 * the pid is node's).
 */
export function start(
  script: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = [],
  where: { launcher?: readonly string[]; cwd?: string } = {},
): Proc {
  const argv = [process.execPath, ...nodeArgs, script, ...args];
  const [cmd, ...rest] = where.launcher?.length ? [...where.launcher, ...argv] : argv;
  return startCommand(cmd!, rest, env, where.cwd);
}

/** Starts any command (`npm exec ...`), by default in the repository directory. */
export function startCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = repo): Proc {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exit: number | string | undefined;
  // A spawn that fails (EAGAIN, ENOMEM on a loaded machine) is an 'error' event on the child,
  // thrown as an uncaught exception in the test process without a listener; here it ends the
  // process's waits with its message instead (no 'exit' follows a failed spawn).
  child.on('error', (err) => {
    out += `\nspawn of ${command} failed: ${err.message}\n`;
    if (exit === undefined && child.pid === undefined) {
      exit = `spawn failed (${(err as NodeJS.ErrnoException).code ?? err.message})`;
      live.delete(child);
    }
    for (const w of [...waiters]) w();
  });
  // 'close', not 'exit': 'exit' can come before the last of the output is read (libuv reaps every
  // exited child on any SIGCHLD, so another child's exit, seen while this process was busy, reaps
  // this one before its pipes were polled); a test reading output() after exited() lost lines.
  child.on('close', (code, signal) => {
    exit = code ?? signal ?? -1;
    live.delete(child);
    for (const w of [...waiters]) w();
  });
  return {
    child,
    output: () => out,
    waitFor(re, ms = 120_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            res(m);
          } else if (exit !== undefined) {
            done();
            rej(new Error(`process exited (${exit}) before printing ${re}; output:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          rej(new Error(`no ${re} within ${ms} ms; output:\n${out}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 120_000) {
      return new Promise((res, rej) => {
        const check = () => {
          if (exit === undefined) return;
          done();
          res(exit);
        };
        const timer = setTimeout(() => {
          done();
          rej(new Error(`process still running after ${ms} ms; output:\n${out}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    kill(sig = 'SIGTERM') {
      if (exit === undefined) child.kill(sig);
    },
  };
}

/** A scheduler on an ephemeral (or given) port, no dashboard. */
export async function startScheduler(port = 0, extra: string[] = []): Promise<{ proc: Proc; address: string }> {
  const proc = start(schedulerCli, ['--port', String(port), '--no-dashboard', ...extra], {}, SCHEDULER_V8_FLAGS);
  const m = await proc.waitFor(/^scheduler at (ws:\/\/\S+)$/m);
  return { proc, address: m[1]! };
}

/**
 * A worker process connected to `scheduler`, started the way LocalCluster starts one (its V8
 * flags on node's command line), with the test fixtures directory allowed as task code; resolves
 * once it printed its registration line.
 */
export async function startWorker(scheduler: string, args: string[] = []): Promise<{ proc: Proc; address: string; name: string }> {
  const proc = start(workerCli, [scheduler, ...ALLOW_FIXTURES, ...args], {}, WORKER_V8_FLAGS);
  const m = await proc.waitFor(/^worker (\S+) at (ws:\/\/\S+) connected to (\S+)$/m);
  return { proc, name: m[1]!, address: m[2]! };
}

/** A raw protocol client: collects every message and waits for the ones a test expects. */
export class RawClient {
  readonly messages: Message[] = [];
  private waiters = new Set<() => void>();
  private constructor(readonly conn: Connection) {
    conn.on('message', (m: Message) => {
      this.messages.push(m);
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(url: string, token?: string, tls?: TlsOptions): Promise<RawClient> {
    const { conn } = await connect(url, { role: 'client', name: 'raw-test-client' }, { ...(token ? { token } : {}), ...(tls ? { tls } : {}), log: () => {} });
    return new RawClient(conn);
  }

  /** The first message for which `pred` holds (already received or future), bounded in time. */
  waitFor(pred: (m: Message) => boolean, ms = 120_000, what = 'a matching message'): Promise<Message> {
    return new Promise((res, rej) => {
      const check = () => {
        const m = this.messages.find(pred);
        if (m) {
          done();
          res(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.messages.map((x) => [x.op, x.key]))}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until every key has a `key-in-memory` or `task-erred` (bounded at 120 s, as every wait here); returns them by key. */
  async results(keys: string[], ms = 120_000): Promise<Map<string, Message>> {
    const want = new Set(keys);
    const found = new Map<string, Message>();
    const deadline = Date.now() + ms;
    while (found.size < want.size) {
      for (const m of this.messages) {
        if ((m.op === 'key-in-memory' || m.op === 'task-erred') && want.has(String(m.key))) found.set(String(m.key), m);
      }
      if (found.size >= want.size) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${found.size} of ${want.size} results within ${ms} ms`);
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          this.waiters.delete(wake);
          r();
        }, Math.min(left, 200));
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          r();
        };
        this.waiters.add(wake);
      });
    }
    return found;
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * The processes and raw clients a test file starts, ended when its tests are done: stopped
 * processes (SIGSTOP) are continued and killed, clients closed.
 */
export function endAfter(t: { teardown(fn: () => unknown): void }): { procs: Proc[]; clients: RawClient[] } {
  const started = { procs: [] as Proc[], clients: [] as RawClient[] };
  endWithCase(t, started);
  return started;
}

/**
 * Ends the processes and clients in `started` (a module's lists: endAfter's, or its own) when case
 * `t` ends, not when the test file does: processes.test.ts runs every module's cases in one file,
 * and the schedulers and workers each case left running (60 by its end) cost CPU for the rest of it.
 */
export function endWithCase(t: { teardown(fn: () => unknown): void }, started: { procs: Proc[]; clients?: RawClient[] }): void {
  t.teardown(() => {
    for (const c of started.clients?.splice(0) ?? []) c.close();
    for (const p of started.procs.splice(0)) {
      p.kill('SIGCONT');
      p.kill('SIGKILL');
    }
  });
}

/** A raw peer connection to a worker's data listener; resolves get-data replies. */
export async function getData(address: string, keys: string[], token?: string): Promise<Message> {
  const { conn } = await connect(address, { role: 'peer', name: 'raw-test-peer' }, { ...(token ? { token } : {}), log: () => {} });
  try {
    return await conn.request({ op: 'get-data', keys }, 120_000);
  } finally {
    conn.close();
  }
}
