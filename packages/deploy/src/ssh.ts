/**
 * SSHCluster: the scheduler on the first host and one worker on each of the others, started over
 * `ssh` (the user's ssh config applies: User, IdentityFile, ProxyJump, ...). The same core as the
 * batch launchers (scale, adapt, waitForWorkers, close); a "job" is one ssh session running one
 * script, which `hostScript()` shows exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { checkOptionKeys, checkTokenOption, type OptionKeys, type TlsOptions } from '@gluon/protocol/tools';
import { binOf, checkJobClusterOptions, JOB_CLUSTER_OPTION_KEYS, JobQueueCluster, optionKey, type JobClusterOptions, type OptionName } from './job-cluster.js';
import { shellQuote } from './commands.js';
import type { AdaptOptions } from './adapt.js';
import type { ListedJob } from './pending-jobs.js';
import type { ClusterOutlook } from './no-worker-coming.js';
import { hostAddress, pickWorkerHost } from './worker-hosts.js';
import { HOST_TLS_ARGS, hostTlsInput, makeSSHClusterTls, READ_TLS_LINES, type SSHClusterTls } from './ssh-tls.js';

export interface SSHClusterOptions extends Omit<JobClusterOptions, 'scheduler' | 'dashboardUrl' | 'host' | 'queue' | 'account' | 'walltime' | 'jobExtra' | 'logDirectory' | 'jobArrays'> {
  /**
   * The scheduler's host, then the worker hosts (one worker each): as `ssh` is given them
   * (`login1`, `ana@10.0.0.2`, a Host of your ssh config). The part after `@` is also the address
   * each listens on, so the hosts must reach each other by it.
   */
  hosts: string[];
  /** More `ssh` arguments, before the host (`-F FILE`, `-i KEY`, `-o ProxyJump=bastion`). */
  sshOptions?: string[];
  /** The scheduler's port on its host (0: any free one). Default 8786. */
  schedulerPort?: number;
  /** The dashboard's port (0: any free one); null: no dashboard (then adapt and waitForWorkers cannot work). Default 8787. */
  dashboardPort?: number | null;
  /** How long the scheduler may take to start, ms. Default 60 000. */
  startTimeoutMs?: number;
  /**
   * TLS between the hosts (default true): a CA made here for this cluster, a certificate for each
   * host sent over its ssh session, the scheduler on `wss://` and the workers verifying it.
   * `false`: plain `ws://`, so the cluster's token and every task's data cross the network in
   * clear (said in `log` at the start); only for a network nobody else can watch.
   */
  tls?: boolean;
}

/** The keys of {@link SSHClusterOptions}: the shared ones but the batch system's, and the ssh ones. */
const { scheduler: _s, dashboardUrl: _d, host: _h, queue: _q, account: _a, walltime: _w, jobExtra: _j, logDirectory: _l, jobArrays: _ja, ...SHARED_KEYS } = JOB_CLUSTER_OPTION_KEYS;
const SSH_OPTION_KEYS: OptionKeys<SSHClusterOptions> = { ...SHARED_KEYS, hosts: true, sshOptions: true, schedulerPort: true, dashboardPort: true, startTimeoutMs: true, tls: true };

/** Said at the start of a cluster with `tls: false` (`gluon-cluster ssh --no-tls`). */
export const PLAIN_WS_WARNING = 'ssh cluster: TLS is off (tls: false, --no-tls): the scheduler and workers speak plain ws:// between the hosts, so the cluster\'s token and every task\'s data and results cross the network unencrypted; anyone who can watch that network can read the token and then use the scheduler (run any task on its workers). Use it only on a network nobody else can watch';

/** One ssh session and what it printed (the tail, for errors). */
interface Session { child: ChildProcess; host: string; output: string; stops: number }

/**
 * Wraps the command lines of a host in the script `ssh HOST bash -s` reads (`lines` start the
 * host's process in the background and set `pid` to it). Everything is inside `main` so that bash
 * has read the whole script before anything runs: the token is the next line of the same stdin
 * (never a command line), and what is left of stdin then is the session's lifeline — when it
 * closes (close(), or this process died) the host's process gets SIGTERM. When the process ends
 * by itself (a worker's --lifetime or --death-timeout), the script exits with its status and the
 * session ends: returning, bash read on from the lifeline for more commands, so the session stayed
 * open with nothing running, its job counted as running for the cluster's life (a worker that
 * retired at its lifetime was never replaced, its host taken), and its TLS files kept on the host.
 *
 * The lifeline signals a process group, never a pid: the process runs in a subshell that `set -m`
 * gives a group of its own, with the lifeline's reader, and the reader's `kill -TERM 0` reaches
 * that group alone, which exists while the reader is in it. It sent `kill -TERM "$pid"`: once the
 * process had ended and been reaped (its parent waits for it), that pid could be another process's,
 * and the lifeline closing then (the session ending as the worker retired, or after the script's
 * shell was killed) sent it a SIGTERM. Only the script's own processes are in the group: the host's
 * process and what it started (as a terminal's Ctrl-C reaches them; a supervised gluon-worker's
 * child is told twice, and stops once), and the reader.
 *
 * A SIGTERM, SIGINT or SIGHUP to the script's own shell (a `kill` of it on the host) goes to that
 * group too, and the script waits for the group's leader to end: `stopGraceS` seconds (Slurm's
 * KillWait, 30 s), then a SIGKILL to the group; it then exits 128 + the signal's number. It
 * exited at once and left the process running until the session closed. The shell sends to the
 * group only while bash counts its leader as running (not yet reaped), so the group's id is not
 * another's. The lifeline closing gets the same grace: the script's shell reads it too, sends the
 * group SIGTERM, and SIGKILL `stopGraceS` seconds later (exiting with the process's status, 137
 * then); the group's reader alone sent a SIGTERM, and a process ignoring it ran on for ever.
 */
export function hostScriptOf(what: string, host: string, tls: boolean, lines: string[], o: { stopGraceS?: number } = {}): string {
  return [
    '#!/usr/bin/env bash',
    `# Gluon SSHCluster: the ${what} on ${host}, run as \`ssh ${host} bash -s\`.`,
    'main() {',
    '  set -e',
    '  IFS= read -r GLUON_TOKEN; export GLUON_TOKEN   # the line after this script on stdin',
    // Then the host's CA certificate, certificate and key (ssh-tls.ts), into files only it reads.
    ...(tls ? READ_TLS_LINES.map((l) => `  ${l}`) : []),
    // The traps before the group starts: set after it, a signal in between found this shell with
    // the default action and killed it, and the process was left to the lifeline's SIGTERM alone
    // (no grace, no SIGKILL, the script dead of the signal). A subshell starts with them reset.
    ...STOP_LINES(what, o.stopGraceS ?? 30).map((l) => `  ${l}`),
    '  # A process group of its own for the process and the lifeline (set -m), which signals that group only.',
    '  set -m',
    '  (',
    ...lines.map((l) => `    ${l}`),
    // Started with job control on, the subshell's stdin is the session's (a background command's
    // is /dev/null otherwise); fd 3 hands it to the reader, itself in the background.
    // The lifeline's SIGTERM reaches this shell too, and so do the signals the script's shell
    // passes on: ignored (after the process started, which keeps the defaults), so the wait is not
    // cut short and this shell outlives the process. A trap that cut it short and waited again
    // lost the process's status now and then (bash 5.2: `wait` gave -1, the script exited 255).
    // The reader ends quietly on them (dying of one, this shell said "Terminated" on the session).
    '    trap \'\' TERM INT HUP',
    '    # The ssh session is the lifeline: when its stdin closes, stop the process (and what it started).',
    '    exec 3<&0',
    '    { trap \'exit 0\' TERM INT HUP; cat <&3 >/dev/null; trap \'\' TERM; kill -TERM 0; } >/dev/null 2>&1 &',
    '    exec 3<&-',
    '    status=0; wait "$pid" || status=$?',
    // A SIGHUP, not a SIGTERM: the reader ignores SIGTERM once its cat has ended, and a process
    // that ended at once could leave it waiting for the session's end. Sent again until the reader
    // has ended: until its trap is set it ignores SIGHUP (as this shell does, and it was forked
    // from it), and a process that ended at once left it reading the session for as long as that
    // stayed open (6-12 of 30 scripts started together). The sleep starts after each SIGHUP; 300
    // tries (30 s and more) because a loaded host may not run the reader for a while.
    '    # The process ended by itself: so does the lifeline, and the session (the EXIT trap removes the TLS files).',
    '    for _ in $(seq 300); do kill -HUP 0 2>/dev/null || true; [ -n "$(jobs -rp)" ] || break; sleep 0.1 </dev/null >/dev/null 2>&1 || true; done',
    '    exit "$status"',
    '  ) &',
    '  group=$!',
    '  set +m',
    // The lifeline seen from here too (this shell's stdin is the session's): on its end this
    // shell sends the SIGTERM, then the SIGKILL after the grace. The group's reader alone stopped
    // the process, which ran on for ever if it ignored SIGTERM; it still sends its own, which
    // stops the process once this shell is gone (killed). A read with a timeout, not a `wait -n`
    // for a reader or the group: one that ended before the `wait -n` began was not waited for.
    // The traps only note the signal: a trap that ran the grace inside the read was cut short by
    // the read's own timeout (bash 5.2), and the script read on, the signal forgotten.
    '  while running "$group"; do',
    '    r=0; IFS= read -r -t 1 _ || r=$?',
    '    if [ -n "$sig" ]; then stop $sig; fi',
    '    if [ "$r" -ne 0 ] && [ "$r" -le 128 ]; then to_group TERM; break; fi',
    '  done',
    '  if [ -n "$sig" ]; then stop $sig; fi',
    '  status=0; wait "$group" || status=$?',
    '  exit "$status"',
    '}',
    'main',
    '',
  ].join('\n');
}

/**
 * The script's shell on a signal, or once the lifeline closed: `to_group` sends the signal to the
 * group and waits for the group's leader (at most `graceS` seconds, then SIGKILL to the group);
 * `stop`, on a signal (noted by its trap, acted on by the loop that reads the lifeline), then
 * exits 128 + the signal's number. `running` asks bash's own count of its
 * children (`jobs -rp`), not the kernel: a pid bash has reaped may be another's. The grace is
 * polled (every 0.1 s): a `wait -n` for the leader or a timer missed a leader that ended before
 * it began (bash 5.2), and waited out the whole grace.
 */
const STOP_LINES = (what: string, graceS: number): string[] => [
  'running() { local p; for p in $(jobs -rp); do [ "$p" != "$1" ] || return 0; done; return 1; }',
  'to_group() {',
  '  running "$group" || return 0',
  '  kill -s "$1" -- "-$group" 2>/dev/null || true',
  `  local end=$((SECONDS + ${graceS}))`,
  '  while running "$group" && [ "$SECONDS" -le "$end" ]; do sleep 0.1 </dev/null >/dev/null 2>&1 || true; done',
  // Waited for, so bash says nothing of it at exit (it printed the whole subshell, "Killed").
  // Said once the SIGKILL is sent: after the lifeline closed the session is gone, and a write to
  // it is a SIGPIPE (ignored here, or this shell died of it).
  '  if running "$group"; then',
  '    kill -KILL -- "-$group" 2>/dev/null || true',
  '    wait "$group" 2>/dev/null || true',
  '    trap \'\' PIPE',
  `    echo "gluon: the ${what} still running ${graceS} s after SIG$1: SIGKILL to its process group" >&2 || true`,
  '  fi',
  '}',
  'stop() {',
  '  trap \'\' TERM INT HUP',
  '  to_group "$1"',
  '  exit "$2"',
  '}',
  'sig=',
  'trap \'sig="TERM 143"\' TERM',
  'trap \'sig="INT 130"\' INT',
  'trap \'sig="HUP 129"\' HUP',
];

/**
 * Gluon over SSH: `hosts[0]` runs gluon-scheduler, every other host one gluon-worker.
 * ```ts
 * const cluster = await SSHCluster.start({ hosts: ['login1', 'node1', 'node2'], cores: 8 });
 * await cluster.scale(2);                    // a worker on node1 and node2
 * const client = await cluster.client();
 * await cluster.close();                      // stops the workers, then the scheduler
 * ```
 * Every host needs node and Gluon at the same paths as here (a shared filesystem), or give
 * `node` and install Gluon at the same path. `hostScript(host)` and `schedulerScript()` are exactly what runs.
 */
export class SSHCluster extends JobQueueCluster {
  readonly kind = 'ssh';
  declare protected readonly opts: SSHClusterOptions & { token: string; tlsMaterial?: SSHClusterTls };
  private readonly sessions = new Map<string, Session>();
  private seq = 0;
  /** What each ended worker session printed last, and its host (there is no output file over SSH). */
  private readonly endedOutput = new Map<string, { host: string; output: string }>();
  /** The worker hosts from which a worker of this cluster has joined. */
  private readonly joinedHosts = new Set<string>();

  private constructor(opts: SSHClusterOptions & { token: string }, private readonly scheduler: Session, address: string, dashboardUrl: string | undefined, dashboardDirectUrl: string | undefined) {
    super(opts, undefined, address, dashboardUrl, dashboardDirectUrl);
  }

  /** Starts the scheduler on `hosts[0]` over ssh and resolves once it listens; start workers with `scale(n)`. */
  static async start(options: SSHClusterOptions): Promise<SSHCluster> {
    // Its own token goes to every host on stdin (never GLUON_TOKEN from here): only the option is checked.
    checkTokenOption(options.token, 'SSHCluster.start');
    const given = { ...options, token: options.token ?? randomBytes(24).toString('base64url') };
    checkSSHOptions(given, given.optionName);
    checkJobClusterOptions(given, given.optionName);
    if (given.tls === false) (given.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(PLAIN_WS_WARNING);
    const tlsMaterial = given.tls === false ? undefined : await makeSSHClusterTls(given.hosts.map(hostAddress));
    const opts = { ...given, ...(tlsMaterial ? { tlsMaterial } : {}) };
    let session: Session;
    try {
      session = openSession(opts, opts.hosts[0]!, schedulerScriptOf(opts));
    } catch (err) {
      await tlsMaterial?.remove();
      throw err;
    }
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    const address = await new Promise<string>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer); session.child.kill('SIGKILL'); void tlsMaterial?.remove();
        const printed = printedText(session.output).slice(-2000);
        const port = portTaken(printed, opts.hosts[0]!, opts.optionName);
        reject(new Error(`ssh cluster: the scheduler on ${opts.hosts[0]} ${why}${port ? `: ${port}` : ''}; it printed: ${printed || 'nothing'}`));
      };
      const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
      const look = () => {
        const m = /^scheduler at (\S+)$/m.exec(session.output);
        if (m) { clearTimeout(timer); session.child.stdout!.off('data', look); session.child.off('exit', exited); resolve(m[1]!); }
      };
      const exited = (code: number | null, sig: string | null) => fail(`exited (${code ?? sig}) before listening`);
      session.child.stdout!.on('data', look);
      session.child.once('exit', exited);
    });
    const dashboard = /^dashboard at (\S+)$/m.exec(session.output)?.[1];
    // With --dashboard-link, where it is served follows on its own line: adapt() reads there.
    const served = /^dashboard served at (\S+)$/m.exec(session.output)?.[1] ?? dashboard;
    return JobQueueCluster.checkedAtStart(new SSHCluster(opts, session, address, dashboard, served));
  }

  /**
   * The CA certificate a client of this cluster trusts (`tls: { ca }` of Client.connect,
   * `--tls-ca` of the analysis CLIs), a file in a private directory here; undefined with
   * `tls: false`. Removed by close(). (`client()` uses it already.)
   */
  get tlsCa(): string | undefined {
    return this.opts.tlsMaterial?.caFile;
  }

  protected override clientTls(): TlsOptions | undefined {
    return this.opts.tlsMaterial ? { ca: this.opts.tlsMaterial.ca } : undefined;
  }

  protected override workerTlsArgs(): readonly string[] {
    return this.opts.tlsMaterial ? HOST_TLS_ARGS : [];
  }

  /** The scheduler's host (`hosts[0]`, as ssh is given it). */
  get schedulerHost(): string {
    return this.opts.hosts[0]!;
  }

  /** The worker hosts (`hosts` without the scheduler's). */
  get workerHosts(): string[] {
    return this.opts.hosts.slice(1);
  }

  /** Exactly what `ssh hosts[0] bash -s` runs: gluon-scheduler on the host's address. */
  schedulerScript(): string {
    return schedulerScriptOf(this.opts);
  }

  /** Exactly what `ssh HOST bash -s` runs for a worker on `host` (`id`: the worker's, in its name). */
  hostScript(host: string, id = `${hostAddress(host)}-N`): string {
    const o = this.opts;
    return hostScriptOf('worker', host, o.tls !== false, [
      `cd ${shellQuote(o.cwd ?? process.cwd())}`,
      ...(o.prologue ?? []),
      `${this.workerCommand(`${this.jobName}-${id}`, hostAddress(host))} </dev/null &`,
      'pid=$!',
    ]);
  }

  /** Keeps `n` workers, one per worker host: `n` cannot exceed their number. */
  override async scale(n: number): Promise<void> {
    if (n > this.workerHosts.length) throw new RangeError(`ssh cluster: scale(${n}) but there are ${this.workerHosts.length} worker hosts (one worker each)`);
    return super.scale(n);
  }

  /** Follows the load, within one worker per worker host. */
  override adapt(opts: AdaptOptions): void {
    if (opts.maximum > this.workerHosts.length) throw new RangeError(`ssh cluster: adapt maximum ${opts.maximum} but there are ${this.workerHosts.length} worker hosts (one worker each)`);
    super.adapt(opts);
  }

  /** The first worker host's script (`hostScript(host)` for any other). */
  override jobScript(): string {
    return this.hostScript(this.workerHosts[0]!);
  }

  /** SSH has no job arrays: one session per host. */
  override arrayScript(): string {
    throw new Error('ssh cluster: no job arrays over SSH; hostScript(host) is what runs on each host');
  }

  /** Stops the workers (as the core does for jobs), then the scheduler. */
  override async close(timeoutMs = 120_000): Promise<void> {
    try {
      await super.close(timeoutMs);
    } finally {
      try {
        await endSession(this.scheduler, Math.min(timeoutMs, 30_000));
      } finally {
        await this.opts.tlsMaterial?.remove();
      }
    }
  }

  // Unused: hostScript() names each worker <jobName>-<address>-<n> itself (a host may get a new
  // worker later, under a new n).
  protected jobIdExpr(): string {
    return '';
  }

  protected directives(): string[] {
    return [];
  }

  protected async submit(): Promise<string> {
    const retiring = new Set(this.jobList.filter((j) => j.retiring).map((j) => j.id));
    const open = [...this.sessions].filter(([, s]) => running(s.child)).map(([id, s]) => ({ host: s.host, retiring: retiring.has(id) }));
    // An idle host that has not failed first; a retiring worker's host takes its replacement (worker-hosts.ts).
    const host = pickWorkerHost(this.workerHosts, open, this.outlook().failed);
    if (!host) throw new RangeError(`ssh cluster: every worker host (${this.workerHosts.join(', ')}) runs a worker; scale to at most ${this.workerHosts.length}`);
    const id = `${hostAddress(host)}-${++this.seq}`;
    this.sessions.set(id, openSession(this.opts, host, this.hostScript(host, id)));
    return id;
  }

  protected async listJobs(): Promise<Map<string, ListedJob>> {
    const live = new Map<string, ListedJob>();
    for (const [id, s] of this.sessions) {
      if (running(s.child)) live.set(id, { state: 'running' });
      else {
        this.endedOutput.set(id, { host: s.host, output: printedText(s.output).slice(-1000) });
        this.sessions.delete(id);
      }
    }
    return live;
  }

  protected outputOf(id: string): string {
    return `what its ssh session printed: ${this.endedOutput.get(id)?.output || 'nothing'}`;
  }

  protected override hostOf(id: string): { host: string } | undefined {
    const s = this.sessions.get(id);
    return s && { host: s.host };
  }

  protected override workerJoined(id: string): void {
    const host = this.sessions.get(id)?.host ?? this.endedOutput.get(id)?.host;
    if (host !== undefined) this.joinedHosts.add(host);
  }

  /** The core's outlook, and every worker host with whether a worker has joined from it (no-worker-coming.ts). */
  override outlook(): ClusterOutlook {
    return { ...super.outlook(), hosts: this.workerHosts.map((host) => ({ host, workerJoined: this.joinedHosts.has(host) })) };
  }

  protected override sessionOf(id: string): { host: string; printed: string } | undefined {
    const e = this.endedOutput.get(id);
    return e && { host: e.host, printed: e.output };
  }

  /**
   * The worker hosts whose last session ended, each with what it printed last (ssh's own error
   * for a host it could not reach: `ssh: connect to host b port 22: Connection refused`), for a
   * caller's message once no worker came (an analysis run's give-up).
   */
  endedSessions(): { host: string; output: string }[] {
    const last = new Map<string, string>();
    for (const e of this.endedOutput.values()) last.set(e.host, e.output);
    const live = new Set([...this.sessions.values()].filter((s) => running(s.child)).map((s) => s.host));
    return [...last].filter(([h]) => !live.has(h)).map(([host, output]) => ({ host, output }));
  }

  // First the lifeline (the worker gets SIGTERM and hands its work back); the core asks again
  // 10 s later if the session is still there, and then the ssh client is killed.
  protected async cancel(ids: string[]): Promise<void> {
    for (const id of ids) {
      const s = this.sessions.get(id);
      if (!s) continue;
      if (s.stops++ === 0) s.child.stdin!.end();
      else s.child.kill('SIGKILL');
    }
  }
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * What a session printed, as lines to quote in one of the cluster's messages: ssh ends its own
 * errors with `\r\n` (`… you have requested strict checking.\r\nHost key verification failed.`),
 * and a carriage return quoted inside a line sends a terminal back to its start, the rest of the
 * message written over what it named.
 */
export function printedText(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').trim();
}

/**
 * Checks the SSH options, naming the bad one as `name` says (the API's key by default; gluon-cluster
 * names its flags: optionName); the shared ones are checked by the core (checkJobClusterOptions).
 */
export function checkSSHOptions(o: SSHClusterOptions, name: OptionName = optionKey): void {
  // Batch options and misspelt keys first: `host: […]` would otherwise be reported as hosts missing.
  for (const key of ['queue', 'account', 'walltime', 'jobExtra', 'logDirectory'] as const) {
    if ((o as unknown as Record<string, unknown>)[key] !== undefined) throw new RangeError(`${key} has no meaning over SSH (it is a batch-system option)`);
  }
  checkOptionKeys(o, SSH_OPTION_KEYS, 'SSHCluster.start');
  // Missing said as missing ('got []' or 'got undefined' read as a value the user gave).
  if (o.hosts === undefined || (Array.isArray(o.hosts) && o.hosts.length === 0)) throw new RangeError(`${name('hosts')} is required over ssh: the scheduler's host, then at least one worker host (none given)`);
  if (!Array.isArray(o.hosts) || o.hosts.length < 2) throw new RangeError(`${name('hosts')} must list the scheduler's host and at least one worker host, got ${JSON.stringify(o.hosts)}`);
  for (const h of o.hosts) if (typeof h !== 'string' || !/^([\w.-]+@)?[\w.:-]+$/.test(h)) throw new RangeError(`${name('hosts')}: "${h}" is not an ssh destination like host, user@host or an address`);
  for (const k of ['schedulerPort', 'dashboardPort'] as const) {
    const v = o[k];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new RangeError(`${name(k)} must be a port from 0 to 65535, got ${v}`);
  }
  if (o.dashboardPort === null && o.dashboardLink !== undefined) throw new RangeError(`${name('dashboardLink')} with ${name('dashboardPort')}: null (no dashboard is served, so there is nothing to link to): leave one of them out`);
}

/**
 * What to change when the scheduler on `host` could not listen because a port is taken there, in
 * the cluster's own words (`name`: gluon-cluster's and the analyses' `--scheduler-port`), or
 * undefined. What gluon-scheduler printed names its own flags (`choose another with --port`,
 * `--no-dashboard`), which the user of the cluster does not have.
 */
export function portTaken(printed: string, host: string, name: OptionName = optionKey): string | undefined {
  const taken = (what: string, port: string, key: 'schedulerPort' | 'dashboardPort') => `${what} ${port} is in use on ${host}: give another ${name(key)} (0: any free port)`;
  const dashboard = /dashboard cannot listen on \S+?:(\d+): listen EADDRINUSE/.exec(printed);
  if (dashboard) return taken('the dashboard\'s port', dashboard[1]!, 'dashboardPort');
  const scheduler = /cannot listen on \S+?:(\d+): the port is in use/.exec(printed);
  return scheduler ? taken('the scheduler\'s port', scheduler[1]!, 'schedulerPort') : undefined;
}

function schedulerScriptOf(o: SSHClusterOptions): string {
  const tls = o.tls !== false;
  const host = o.hosts[0]!;
  const args = [o.node ?? process.execPath, binOf('@gluon/scheduler', 'gluon-scheduler'), '--host', hostAddress(host), '--port', String(o.schedulerPort ?? 8786)];
  args.push(...(o.dashboardPort === null ? ['--no-dashboard'] : ['--dashboard-port', String(o.dashboardPort ?? 8787)]));
  // Its {ENV_VAR} fields are filled from the scheduler host's environment, there.
  if (o.dashboardLink !== undefined) args.push('--dashboard-link', o.dashboardLink);
  if (tls) args.push(...HOST_TLS_ARGS);
  // The TLS files' words expand on the host ($GLUON_TLS); every other word is taken literally.
  const words = args.map((w) => (w.startsWith('$GLUON_TLS/') ? `"${w}"` : shellQuote(w)));
  return hostScriptOf('scheduler', host, tls, [`${words.join(' ')} </dev/null &`, 'pid=$!']);
}

/**
 * `ssh [options] HOST bash -s` with the script, then the token, then (with TLS) the host's CA
 * certificate, certificate and key on stdin (kept open: the lifeline).
 */
function openSession(o: SSHClusterOptions & { token: string; tlsMaterial?: SSHClusterTls }, host: string, script: string): Session {
  // A session of its own (setsid): a terminal's Ctrl-C goes to the cluster's owner, which closes
  // the cluster in order, not to ssh too. In the owner's process group, ssh died of it at once,
  // and a start under way failed with the session's end ("exited (255) before listening") before
  // the owner's own handler had run. The lifeline holds as before: when the owner dies, so does
  // the pipe, and the host's process gets SIGTERM (its script's exit removes its TLS files).
  const child = spawn('ssh', ['-o', 'BatchMode=yes', ...(o.sshOptions ?? []), host, 'bash', '-s'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const s: Session = { child, host, output: '', stops: 0 };
  const keep = (d: Buffer) => { s.output = (s.output + d.toString()).slice(-64 * 1024); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(`ssh: ${e.message}\n`)));
  child.stdin!.on('error', () => {}); // a session that ended early reports through its exit
  child.stdin!.write(`${script}${o.token}\n${o.tlsMaterial ? hostTlsInput(o.tlsMaterial.forAddress(hostAddress(host))) : ''}`);
  return s;
}

/** Closes the lifeline and waits for the session to end (bounded), then kills the ssh client. */
async function endSession(s: Session, timeoutMs: number): Promise<void> {
  if (!running(s.child)) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.stdin!.end();
  const timer = setTimeout(() => s.child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
