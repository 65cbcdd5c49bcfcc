import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
// The flags only: the scheduler and worker packages themselves are not loaded into the client.
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { onProcessEnd, parseBytes, temporaryTls, unixSocketAddress, type TemporaryTls, type TlsFiles } from '@gluon/protocol';
import { connectWithoutEnvToken, type Client } from './client.js';
import type { ConnectOptions } from './connect-options.js';
import { allowModulePaths, checkLocalClusterValues, optionsOfFlags, tlsFilePaths } from './local-cluster-values.js';
import { StartupDeadline } from './startup-deadline.js';
import { ownAutogroupNice, shareAutogroupNice } from './autogroup.js';
import { checkOptionKeys, type OptionKeys } from '@gluon/protocol';

export interface LocalClusterOptions {
  /** Worker processes. Default 2. */
  nWorkers?: number;
  /** Threads per worker. Default 1. */
  nthreads?: number;
  /** Shared secret for every connection of the cluster. Default: none (loopback only). */
  token?: string;
  /** `false` for no dashboard, a number for its port; default `true` (any free port). */
  dashboard?: boolean | number;
  /**
   * The dashboard's public link behind a proxy (`gluon-scheduler --dashboard-link`), e.g.
   * `https://gluon.example.org/{host}/{port}/`: `dashboardUrl` and the clients' `dashboardUrl`
   * report it. Fields: `{host}`, `{port}`, `{prefix}`, `{ENV_VAR}` (the scheduler's environment).
   */
  dashboardLink?: string;
  /**
   * Task modules the workers may run besides those packages declare: package names (looked up
   * from `cwd`), files or directories (absolute, `file:` URLs, or relative to this script's
   * working directory, `process.cwd()`, whatever `cwd` is), or a file URL object as `remote()`
   * takes (`new URL('./tasks.mjs', import.meta.url)`). A path that names nothing is refused by
   * start(), naming the absolute path it looked at.
   */
  allowModules?: Array<string | URL>;
  /** Workers' working directory (where they look up task packages). Default `process.cwd()`. */
  cwd?: string;
  /** Extra environment for the processes. */
  env?: Record<string, string>;
  /** Per-worker memory limit, e.g. `'2GiB'`. */
  memoryLimit?: string;
  /** Worker deaths a task may cause before it fails. Default 3. */
  allowedFailures?: number;
  /** Scheduler's heartbeat TTL, e.g. `'5s'`. Default 30 s. */
  heartbeatTtl?: string;
  /** Passes the processes' stderr through, prefixed with their name (default: kept for errors). */
  verbose?: boolean;
  /**
   * Start-up timeout: the time the processes may take to start, not counting what they spent
   * waiting for a CPU on a busy machine (Linux; elsewhere wall time), and at most 10× it in wall
   * time. Default 30 s.
   */
  timeoutMs?: number;
  /**
   * Address the scheduler listens on. Default `127.0.0.1`; `0.0.0.0` (with a token) for workers on
   * other hosts, such as batch jobs, which then dial `ws://<this host's name>:PORT`.
   */
  host?: string;
  /** Largest WebSocket frame every process and client accepts, e.g. `'1MiB'` (default 256 MiB). */
  maxFrameBytes?: string | number;
  /**
   * Largest message (a task's arguments, a result, a dependency) every process and client accepts
   * or sends, e.g. `'8MiB'` (default 1 GiB); larger values than a frame travel in chunks.
   */
  maxMessageBytes?: string | number;
  /**
   * TLS on every connection of the cluster, with client certificates required (mutual TLS):
   * `true` makes a temporary CA and certificate with `openssl` (like Dask's
   * `Security.temporary()`), deleted on `close()`; or give your own files (a relative path is
   * taken from this script's working directory, `process.cwd()`, whatever `cwd` is, and passed on
   * absolute; a file that cannot be read is refused by start(), naming the absolute path).
   */
  tls?: boolean | TlsFiles;
  /**
   * Connections each listener of the cluster (the scheduler's port, its Unix socket, its
   * dashboard, every worker's data port) holds at once before they authenticate; past it, or when
   * one takes a process's last file descriptor, the oldest of them are closed to take in new ones
   * (`--max-unauthenticated-connections`). A whole number from 1; default 512.
   */
  maxUnauthenticatedConnections?: number;
}

const LOCAL_CLUSTER_OPTIONS: OptionKeys<LocalClusterOptions> = {
  nWorkers: true, nthreads: true, token: true, dashboard: true, dashboardLink: true, allowModules: true, cwd: true, env: true, memoryLimit: true,
  allowedFailures: true, heartbeatTtl: true, verbose: true, timeoutMs: true, host: true, maxFrameBytes: true, maxMessageBytes: true, tls: true,
  maxUnauthenticatedConnections: true,
};

/** The options of {@link LocalCluster.client}. */
type LocalClientOptions = Pick<ConnectOptions, 'name' | 'reconnectTimeoutMs'>;
const LOCAL_CLIENT_OPTIONS: OptionKeys<LocalClientOptions> = { name: true, reconnectTimeoutMs: true };

/** One process of the cluster. */
export interface LocalProcess {
  name: string;
  pid: number;
  /** `ws://` address it listens on (the scheduler's, or the worker's data listener). */
  address: string;
}

const live = new Set<ChildProcess>();
/**
 * Directories a cluster made (its scheduler's socket, a temporary CA with its private keys) that
 * close() has not removed yet: removed at the script's end too, or a Ctrl-C left them in the temp
 * directory for good.
 */
const liveDirs = new Set<string>();
let hooksInstalled = false;
/** Clusters not closed yet: closed at `beforeExit`, once the script has nothing left to do. */
const openClusters = new Set<LocalCluster>();

/**
 * Child processes must not outlive the script: killed on exit, and on the signals that end a
 * script without an `exit` event (`onProcessEnd`, which re-raises the signal after the clean-ups
 * when nobody else handles it, so the script still ends the way the signal asks). A script with
 * its own listener for the signal decides what it means: the processes are left to it (it may
 * still compute with the cluster, e.g. to save partial results, then close it) and killed only
 * at its `exit` (`onlyAtEnd`). They were killed at once, under the listener that meant to use them.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  onProcessEnd(() => {
    for (const c of live) c.kill('SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  }, { onlyAtEnd: true });
  // A script that forgot `await cluster.close()` hung for ever after its work: the processes'
  // handles kept the event loop going. They no longer do (launch), so the script's end comes
  // as Node's `beforeExit`; the cluster is closed then, as close() would (Dask's LocalCluster
  // closes itself at exit too), and the process exits once it is.
  process.on('beforeExit', () => { for (const c of openClusters) void c.close(); });
}

function binPath(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  const pj = require.resolve(`${pkg}/package.json`);
  const bins = (JSON.parse(readFileSync(pj, 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
  return join(dirname(pj), bins[bin] ?? join('dist', 'cli.js'));
}

/** A port that was free a moment ago, so the workers can dial the scheduler while it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  /** The last lines of its stderr, for error messages. */
  stderr: string[];
}

/**
 * A scheduler and workers as child processes of this script, on loopback: the way to use Gluon
 * on one machine. Processes are stopped by `close()`, and killed if the script exits or is
 * interrupted first.
 */
export class LocalCluster {
  private readonly clients: Client[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    /** `ws://127.0.0.1:PORT` of the scheduler (`wss://` with `tls`). */
    readonly schedulerAddress: string,
    /** Where to open the dashboard (its `dashboardLink` when given), unless started with `dashboard: false`. */
    readonly dashboardUrl: string | undefined,
    /** Where the scheduler serves it (the same as `dashboardUrl` without a `dashboardLink`); what tools read from. */
    readonly dashboardDirectUrl: string | undefined,
    private readonly scheduler: Proc,
    private readonly workerProcs: Proc[],
    private readonly workerAddresses: string[],
    private readonly token: string | undefined,
    private readonly limits: Pick<ConnectOptions, 'maxFrameBytes' | 'maxMessageBytes'>,
    /** The TLS files every process of the cluster uses (and its clients), when started with `tls`. */
    readonly tls: TlsFiles | undefined,
  ) {
    openClusters.add(this);
    // Nobody restarts a LocalCluster's scheduler: its clients should not wait for it to return.
    scheduler.child.once('exit', (code, signal) => {
      if (this.closing) return;
      const why = `the LocalCluster's scheduler process (pid ${scheduler.child.pid}) exited (${signal ?? `code ${code}`})`;
      for (const c of this.clients) c.abandon(why);
    });
  }

  /** A temporary CA and certificate this cluster made, deleted on close. */
  private temporary: TemporaryTls | undefined;
  /**
   * The private directory of the scheduler's Unix socket, deleted on close, and the socket's
   * `ws+unix:` address: this cluster's workers and its `client()`s connect there rather than to
   * {@link schedulerAddress}, as a frame costs less over a Unix socket than over TCP loopback.
   */
  private socketDir: string | undefined;
  private local: string | undefined;

  /**
   * `ws+unix:PATH:/`, the scheduler's Unix socket, through which this cluster's workers and its
   * `client()`s connect (a frame costs less there than over TCP loopback); undefined with TLS
   * and on Windows, where they use {@link schedulerAddress}. Other programs connect to that.
   */
  get localAddress(): string | undefined {
    return this.local;
  }

  /**
   * Starts the scheduler (`gluon-scheduler --port 0 --dashboard-port 0`) and `nWorkers`
   * `gluon-worker` processes, and resolves once every worker has registered. The workers are
   * launched together with the scheduler and dial it with a short backoff, so start-up costs one
   * process start, not two in a row. Fails with the processes' stderr when one of them cannot
   * start.
   */
  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    checkOptionKeys(opts, LOCAL_CLUSTER_OPTIONS, 'LocalCluster.start');
    installExitHooks();
    checkLocalClusterValues(opts);
    // A file URL object, as remote() and remoteFrom() take, stands for its href.
    if (opts.allowModules) opts = { ...opts, allowModules: allowModulePaths(opts.allowModules.map((m) => (m instanceof URL ? m.href : m))) };
    if (typeof opts.tls === 'object') opts = { ...opts, tls: tlsFilePaths(opts.tls) };
    const nWorkers = opts.nWorkers ?? 2;
    const nthreads = opts.nthreads ?? 1;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    // The token goes through the environment, not argv, so `ps` does not show it.
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    if (opts.token) env.GLUON_TOKEN = opts.token;
    else delete env.GLUON_TOKEN;
    const temporary = opts.tls === true ? await temporaryTls() : undefined;
    if (temporary) liveDirs.add(temporary.dir);
    const tls: TlsFiles | undefined = temporary ? { cert: temporary.cert, key: temporary.key, ca: temporary.ca, requireClientCert: true }
      : typeof opts.tls === 'object' ? opts.tls : undefined;
    // Not with TLS (a Unix socket does not speak it) nor on Windows (no Unix sockets in ws there).
    const socketDir = tls || process.platform === 'win32' ? undefined : mkdtempSync(join(tmpdir(), 'gluon-'));
    if (socketDir !== undefined) liveDirs.add(socketDir);
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      // One file per attempt: a scheduler stopped after a failed attempt may leave its socket file.
      const socket = socketDir === undefined ? undefined : join(socketDir, `scheduler-${attempt}.sock`);
      try {
        const cluster = await LocalCluster.launchAll(opts, port, nWorkers, nthreads, env, timeoutMs, tls, socket);
        cluster.temporary = temporary;
        cluster.socketDir = socketDir;
        return cluster;
      } catch (err) {
        // Someone took the port between our probe and the scheduler's bind: pick another.
        if (attempt < 3 && /port is in use|EADDRINUSE/.test((err as Error).message)) continue;
        await removeDirs(temporary, socketDir);
        throw err;
      }
    }
  }

  private static async launchAll(
    opts: LocalClusterOptions, port: number, nWorkers: number, nthreads: number, env: NodeJS.ProcessEnv, timeoutMs: number,
    tls: TlsFiles | undefined, socket: string | undefined,
  ): Promise<LocalCluster> {
    const tlsArgs = tls ? tlsFlags(tls) : [];
    const host = opts.host ?? '127.0.0.1';
    const schedArgs = ['--host', host, '--port', String(port), ...tlsArgs, ...(socket !== undefined ? ['--unix-socket', socket] : [])];
    if (opts.dashboard === false) schedArgs.push('--no-dashboard');
    else {
      schedArgs.push('--dashboard-port', String(typeof opts.dashboard === 'number' ? opts.dashboard : 0));
      if (opts.dashboardLink !== undefined) schedArgs.push('--dashboard-link', opts.dashboardLink);
    }
    if (opts.allowedFailures !== undefined) schedArgs.push('--allowed-failures', String(opts.allowedFailures));
    if (opts.heartbeatTtl) schedArgs.push('--heartbeat-ttl', opts.heartbeatTtl);
    const limitArgs: string[] = [];
    if (opts.maxFrameBytes !== undefined) limitArgs.push('--max-frame-bytes', String(opts.maxFrameBytes));
    if (opts.maxMessageBytes !== undefined) limitArgs.push('--max-message-bytes', String(opts.maxMessageBytes));
    if (opts.maxUnauthenticatedConnections !== undefined) limitArgs.push('--max-unauthenticated-connections', String(opts.maxUnauthenticatedConnections));
    schedArgs.push(...limitArgs);
    const address = `${tls ? 'wss' : 'ws'}://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${port}`;
    const localAddress = socket !== undefined ? unixSocketAddress(socket) : undefined;
    const workerArgs = (i: number) => {
      const a = [localAddress ?? address, '--nthreads', String(nthreads), '--name', `local-${i}`, ...tlsArgs];
      for (const m of opts.allowModules ?? []) a.push('--allow-module', String(m)); // hrefs by now (start's first lines)
      if (opts.memoryLimit) a.push('--memory-limit', opts.memoryLimit);
      a.push(...limitArgs);
      return a;
    };
    // Both get their V8 flags on node's command line, so neither runs under a supervisor process.
    const scheduler = launch('scheduler', [...SCHEDULER_V8_FLAGS, binPath('@gluon/scheduler', 'gluon-scheduler'), ...schedArgs], withSchedulerEnv(env), opts.cwd, opts.verbose);
    const launchWorker = (i: number) =>
      launch(`worker local-${i}`, [...WORKER_V8_FLAGS, binPath('@gluon/worker', 'gluon-worker'), ...workerArgs(i)], env, opts.cwd, opts.verbose);
    const workers = Array.from({ length: nWorkers }, (_, i) => launchWorker(i));
    const procs = [scheduler, ...workers];
    // One deadline for all: a worker waits on the scheduler, so the scheduler's waits for a CPU are its own too.
    const deadline = new StartupDeadline(timeoutMs, procs.map((p) => p.child.pid));
    try {
      const [schedLines, ...workerAddresses] = await Promise.all([
        waitForLine(scheduler, /^scheduler at (\S+)/, deadline),
        ...workers.map((w) => workerAddress(w, deadline)),
      ]);
      const dashboard = schedLines!.map((l) => /^dashboard at (\S+)/.exec(l)?.[1]).find(Boolean);
      // With a link, the scheduler says where it serves the dashboard on a line of its own.
      const served = schedLines!.map((l) => /^dashboard served at (\S+)/.exec(l)?.[1]).find(Boolean) ?? dashboard;
      const cluster = new LocalCluster(address, dashboard, served, scheduler, workers, workerAddresses as string[], opts.token, clientLimits(opts), tls);
      cluster.launchWorker = launchWorker;
      cluster.local = localAddress;
      cluster.timeoutMs = timeoutMs;
      return cluster;
    } catch (err) {
      await Promise.all(procs.map((p) => stop(p.child, 0)));
      throw err;
    }
  }

  /**
   * A new client connected to this cluster; every client made here is closed with the cluster.
   */
  async client(opts: LocalClientOptions = {}): Promise<Client> {
    checkOptionKeys(opts, LOCAL_CLIENT_OPTIONS, 'LocalCluster.client');
    if (this.closing) throw new Error('LocalCluster: the cluster is closed');
    // The cluster's own token or none: GLUON_TOKEN was not given to its processes either.
    const c = await connectWithoutEnvToken(this.local ?? this.schedulerAddress, {
      ...opts, ...(this.token ? { token: this.token } : {}), ...this.limits, name: opts.name ?? `local-client-${this.clients.length + 1}`,
      // Its workers are the cluster's: one more is addWorker(), not a gluon-worker by hand.
      workersHelp: 'add one with cluster.addWorker()',
      ...(this.tls ? { tls: { ...(this.tls.ca ? { ca: this.tls.ca } : {}), ...(this.tls.cert ? { cert: this.tls.cert } : {}), ...(this.tls.key ? { key: this.tls.key } : {}) } } : {}),
    });
    this.clients.push(c);
    return c;
  }

  /** Starts worker process number `i` (named `local-<i>`) with the cluster's flags. */
  private launchWorker!: (i: number) => Proc;
  private timeoutMs = 30_000;

  /**
   * Starts one more worker process with the cluster's options (named `local-<n>`, n counting
   * on from the first workers) and resolves once it has registered — e.g. a replacement for a
   * worker that died.
   */
  async addWorker(): Promise<LocalProcess> {
    if (this.closing) throw new Error('LocalCluster: the cluster is closed');
    const proc = this.launchWorker(this.workerProcs.length);
    this.workerProcs.push(proc);
    this.workerAddresses.push('');
    try {
      const deadline = new StartupDeadline(this.timeoutMs, [proc.child.pid, this.scheduler.child.pid]);
      this.workerAddresses[this.workerProcs.length - 1] = await workerAddress(proc, deadline);
    } catch (err) {
      await stop(proc.child, 0);
      throw err;
    }
    return this.workers.find((w) => w.pid === proc.child.pid)!;
  }

  /**
   * The worker processes still running (or registering): name, pid and data address (e.g. to
   * kill one in a test); workers that exited are left out.
   */
  get workers(): LocalProcess[] {
    const out: LocalProcess[] = [];
    this.workerProcs.forEach((w, i) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return;
      out.push({ name: w.name.replace(/^worker /, ''), pid: w.child.pid ?? 0, address: this.workerAddresses[i]! });
    });
    return out;
  }

  /** PIDs of the worker processes still running. */
  get workerPids(): number[] {
    return this.workers.map((w) => w.pid).filter(Boolean);
  }

  /** The scheduler process. */
  get schedulerProcess(): LocalProcess {
    return { name: 'scheduler', pid: this.scheduler.child.pid ?? 0, address: this.schedulerAddress };
  }

  /** The last lines each process wrote to stderr, for diagnosing a failure. */
  logs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of [this.scheduler, ...this.workerProcs]) out[p.name] = p.stderr.join('');
    return out;
  }

  /**
   * Closes the clients, stops the workers (SIGTERM: they hand back work and exit; SIGKILL after
   * `graceMs`), then the scheduler. Safe to call twice.
   */
  close(graceMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      openClusters.delete(this);
      await Promise.all(this.clients.map((c) => c.close()));
      await Promise.all(this.workerProcs.map((w) => stop(w.child, graceMs)));
      await stop(this.scheduler.child, graceMs);
      await removeDirs(this.temporary, this.socketDir);
    })();
    return this.closing;
  }
}

/** Removes a cluster's temporary CA and socket directory, which the script's end then need not. */
async function removeDirs(temporary: TemporaryTls | undefined, socketDir: string | undefined): Promise<void> {
  if (temporary) {
    await temporary.remove();
    liveDirs.delete(temporary.dir);
  }
  if (socketDir !== undefined) {
    rmSync(socketDir, { recursive: true, force: true });
    liveDirs.delete(socketDir);
  }
}

/** The cluster's size limits for its clients, in bytes (the processes parse the same strings). */
function clientLimits(opts: LocalClusterOptions): Pick<ConnectOptions, 'maxFrameBytes' | 'maxMessageBytes'> {
  const bytes = (flag: string, v: string | number) => (typeof v === 'number' ? v : parseBytes(flag, v));
  return {
    ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: bytes('maxFrameBytes', opts.maxFrameBytes) } : {}),
    ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: bytes('maxMessageBytes', opts.maxMessageBytes) } : {}),
  };
}

/** The CLIs' TLS flags for these files. */
function tlsFlags(tls: TlsFiles): string[] {
  const a: string[] = [];
  if (tls.cert) a.push('--tls-cert', tls.cert);
  if (tls.key) a.push('--tls-key', tls.key);
  if (tls.ca) a.push('--tls-ca', tls.ca);
  if (tls.requireClientCert) a.push('--require-client-cert');
  return a;
}

/**
 * Starts one of the cluster's processes in a process group of its own (`detached`), so a
 * terminal's Ctrl-C, which goes to the foreground group, reaches the script alone: the script (or
 * `onProcessEnd` for it) decides what becomes of its cluster. Its IPC channel, never used for
 * messages, closes when the script ends however it ends (kill -9 too), and the CLIs stop on that
 * (`stopWithSupervisor`): out of the script's group, nothing else would take them down with it.
 */
function launch(name: string, nodeArgs: string[], env: NodeJS.ProcessEnv, cwd: string | undefined, verbose?: boolean): Proc {
  const child = spawn(process.execPath, nodeArgs, { env, cwd: cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  // Neither the process nor its pipes keep the script alive: its clients do while it waits on
  // them (liveness.ts), and close() (or beforeExit) waits for the processes' exit.
  child.unref();
  (child.stdout as unknown as { unref?(): void }).unref?.();
  (child.stderr as unknown as { unref?(): void }).unref?.();
  child.channel?.unref();
  // Its own session is its own CPU scheduling group on Linux: given this process's priority (autogroup.ts).
  shareAutogroupNice(child.pid, ownAutogroupNice());
  live.add(child);
  child.on('exit', () => live.delete(child));
  child.on('error', () => {}); // reported through the exit/timeout path with the stderr tail
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (verbose) process.stderr.write(d.replace(/^(?=.)/gm, `[${name}] `));
    stderr.push(d);
    if (stderr.length > 200) stderr.shift();
  });
  return { name, child, stderr };
}

/** Waits for a worker's "connected" line; resolves with its data address. */
async function workerAddress(p: Proc, deadline: StartupDeadline): Promise<string> {
  const lines = await waitForLine(p, /^worker \S+ at (\S+) connected/, deadline);
  return /^worker \S+ at (\S+) connected/.exec(lines.at(-1)!)![1]!;
}

/**
 * A process of a LocalCluster that did not start: its message says which, why and what it wrote
 * on stderr (`LocalCluster: the scheduler exited during start-up (code 1); its stderr: …`); the
 * parts are kept apart so a program built on LocalCluster (gluon-cluster) can say it in its own
 * terms, naming its own options rather than LocalCluster's.
 */
export class LocalClusterStartError extends Error {
  override name = 'LocalClusterStartError';
  /**
   * @param process `scheduler`, or the worker's name (`worker local-0`)
   * @param why what happened (`exited during start-up (code 1)`, `could not be started: spawn … ENOENT`, `did not start within …`)
   * @param stderr the last lines it wrote on stderr, trimmed ('' when none)
   */
  constructor(readonly process: string, readonly why: string, readonly stderr: string) {
    super(`LocalCluster: the ${process} ${why}${stderr ? `; its stderr:\n${stderr}${optionsOfFlags(stderr)}` : ' (no stderr output)'}`);
  }
}

/** Waits for a stdout line matching `pattern` until `deadline` passes; returns every line seen up to it. */
function waitForLine(p: Proc, pattern: RegExp, deadline: StartupDeadline): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const rl = createInterface({ input: p.child.stdout! });
    const onExit = (code: number | null, sig: string | null) => fail(`exited during start-up (${sig ?? `code ${code}`})`);
    // A process that could not be spawned at all never exits: fail now, not at the deadline.
    const onError = (e: Error) => fail(`could not be started: ${e.message}`);
    let failed = false;
    const fail = (why: string) => {
      if (failed) return;
      failed = true;
      p.child.off('exit', onExit);
      p.child.off('error', onError);
      clearTimeout(timer);
      rl.close();
      // Give the pipe a moment: the reason is usually the last thing the process wrote.
      setTimeout(() => {
        const tail = p.stderr.join('').trim().split('\n').slice(-20).join('\n');
        reject(new LocalClusterStartError(p.name, why, tail));
      }, 50);
    };
    let timer: NodeJS.Timeout;
    const check = () => {
      const why = deadline.expired();
      if (why) fail(why);
      else timer = setTimeout(check, deadline.nextCheckMs());
    };
    timer = setTimeout(check, deadline.nextCheckMs());
    p.child.once('exit', onExit);
    p.child.once('error', onError);
    rl.on('line', (line) => {
      seen.push(line);
      if (failed || !pattern.test(line)) return;
      clearTimeout(timer);
      p.child.off('exit', onExit);
      p.child.off('error', onError);
      rl.close();
      p.child.stdout!.resume(); // keep draining: a full pipe would block the child
      resolve(seen);
    });
  });
}

function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // Its exit is waited for: nothing else may be keeping the process alive (see launch).
  child.ref();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  });
}
