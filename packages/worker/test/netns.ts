/**
 * Several hosts on one machine for cross-host tests: a wrapper around scripts/netns.sh (network
 * namespaces joined by veth links to a bridge, addresses in 10.201.0.0/24 that exist only inside
 * them) that starts Gluon processes on those hosts, cuts and restores their links, adds netem,
 * and always cleans up: every process it started is killed by pid, then the namespaces are
 * deleted by name (also when the test process exits without its teardown). A lab's namespaces
 * are gluon-ID-HOST, ID naming this checkout and process (CHECKOUT_TAG-PID-N: `ip netns` tells two
 * checkouts' labs apart); those of this checkout whose process is gone (killed: no exit handler
 * ran) are deleted when the next lab is made here (sweepStaleLabs). A host can be given
 * a cable through a user-space relay (scripts/netem-relay.mjs) where the kernel has no netem,
 * so delay and loss work everywhere namespaces do. Unless told
 * otherwise, the lab's processes speak TLS: a temporary CA and one certificate for all the lab's
 * addresses, so the cluster uses wss:// as across real hosts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { temporaryTls, type TemporaryTls } from '@gluon/protocol';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { awaitTestEnvSetup } from '../../../test/helpers/test-env.js';
import { repo, schedulerCli, start, workerCli, type Proc } from './procs.js';

const script = join(repo, 'scripts/netns.sh');
/** The private range used inside the namespaces (never routed anywhere else). */
export const NETNS_PREFIX = '10.201.0.';

/** Why namespaces cannot be made here (not root, no `ip`, …), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  return whyNot('check');
}

/** Why `tc netem` cannot be used here, or undefined when it can. */
export function netemUnavailable(): string | undefined {
  return whyNot('netem-check');
}

function whyNot(cmd: string): string | undefined {
  const check = () => spawnSync('bash', [script, cmd], { encoding: 'utf8', timeout: 30_000 });
  let r = check();
  if (r.status === 0) return undefined;
  // Waited for only when needed: Debian's base image has iproute2 (setup-test-env.sh installs it
  // where it is missing), so the cross-host tests need not wait for chromium's install.
  awaitTestEnvSetup();
  r = check();
  if (r.status === 0) return undefined;
  return (r.stderr || r.stdout || `scripts/netns.sh ${cmd} exited ${r.status ?? r.signal}`).trim();
}

/**
 * This checkout's part of every lab ID: its directory's name (`wt-giveup`, `main`) and 4 hex
 * digits of its path, so two checkouts named alike are told apart too.
 */
export const CHECKOUT_TAG = `${basename(repo).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 20) || 'repo'}-${createHash('sha1').update(repo).digest('hex').slice(0, 4)}`;

/**
 * Deletes (netns.sh down) the labs of this checkout whose test process has gone: one killed
 * (SIGKILL, a runner's timeout) ran no exit handler and left its namespaces. Only this checkout's
 * (`tag`, default CHECKOUT_TAG: IDs `TAG-PID-N`), only a process that no longer exists; says which
 * IDs it deleted. Every test file's first lab runs it, so test files running side by side sweep
 * each other's dead labs: test/netns-check.test.ts makes its "killed test's" lab under a tag of its own.
 */
export function sweepStaleLabs(tag: string = CHECKOUT_TAG): string[] {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(tag)) throw new Error(`sweepStaleLabs: a tag is lowercase letters, digits and inner dashes, got '${tag}'`);
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  const hub = new RegExp(`^gluon-(${tag}-(\\d+)-\\d+)-hub(?:\\s|$)`);
  const stale = [...new Set(listed.split('\n').flatMap((l) => { const m = hub.exec(l); return m && !alive(Number(m[2])) ? [m[1]!] : []; }))];
  for (const id of stale) spawnSync('bash', [script, 'down', id], { stdio: 'ignore', timeout: 60_000 });
  return stale;
}

/** Whether process `pid` exists (a zombie counts: its parent has not reaped it yet). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let seq = 0;
let swept = false;
const labs = new Set<NetLab>();
process.on('exit', () => {
  for (const lab of labs) lab.destroySync();
});

/** Namespaced hosts by name → address, e.g. `{sched: '10.201.0.1', w1: '10.201.0.11'}`. */
export class NetLab {
  private readonly procs: Proc[] = [];
  /**
   * Every process started here gets it as GLUON_TOKEN: the listeners are off loopback, where the
   * CLIs refuse to run without a token.
   */
  readonly token = randomBytes(16).toString('hex');

  private constructor(readonly id: string, readonly hosts: Readonly<Record<string, string>>, readonly tls: TemporaryTls | undefined) {}

  /**
   * Creates the hub and the hosts, and (unless `tls: false`) a temporary CA with a certificate
   * for every host address; fails, having cleaned up, with netns.sh's message.
   */
  static async create(hosts: Record<string, string>, opts: { tls?: boolean; relayed?: readonly string[] } = {}): Promise<NetLab> {
    for (const a of Object.values(hosts)) if (!a.startsWith(NETNS_PREFIX)) throw new Error(`NetLab: ${a} is outside ${NETNS_PREFIX}0/24`);
    for (const h of opts.relayed ?? []) if (!(h in hosts)) throw new Error(`NetLab: relayed host ${h} is not one of ${Object.keys(hosts).join(', ')}`);
    if (!swept) {
      swept = true;
      sweepStaleLabs();
    }
    const id = `${CHECKOUT_TAG}-${process.pid}-${seq++}`;
    const tls = opts.tls === false ? undefined : await temporaryTls(Object.values(hosts));
    const lab = new NetLab(id, hosts, tls);
    labs.add(lab);
    try {
      lab.sh('up', id, ...Object.entries(hosts).map(([h, a]) => `${h}=${a}${opts.relayed?.includes(h) ? ':relay' : ''}`));
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** `--tls-cert … --tls-key … --tls-ca …` for this lab's schedulers and workers (none without TLS). */
  get tlsArgs(): string[] {
    return this.tls ? ['--tls-cert', this.tls.cert, '--tls-key', this.tls.key, '--tls-ca', this.tls.ca] : [];
  }

  private sh(...args: string[]): string {
    // NODE: the relays run on this node, whatever root's PATH holds.
    return execFileSync('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, encoding: 'utf8', env: { ...process.env, NODE: process.execPath } });
  }

  /** `ip netns exec <ns>`: processes started behind it run in that host's namespace. */
  launcher(host: string): string[] {
    if (!(host in this.hosts)) throw new Error(`NetLab: no host ${host} (hosts: ${Object.keys(this.hosts).join(', ')})`);
    return ['ip', 'netns', 'exec', `gluon-${this.id}-${host}`];
  }

  /** `node ...nodeArgs script ...args` on `host`. */
  start(host: string, file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; cwd?: string } = {}): Proc {
    const p = start(file, args, { GLUON_TOKEN: this.token, ...opts.env }, opts.nodeArgs ?? [], { launcher: this.launcher(host), ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    this.procs.push(p);
    return p;
  }

  /** gluon-scheduler on `host`'s address (port 8786 unless given), no dashboard. */
  async startScheduler(host: string, extra: string[] = [], port = 8786): Promise<{ proc: Proc; address: string }> {
    const args = ['--host', this.hosts[host]!, '--port', String(port), '--no-dashboard', ...this.tlsArgs, ...extra];
    const proc = this.start(host, schedulerCli, args, { nodeArgs: SCHEDULER_V8_FLAGS });
    const m = await proc.waitFor(/^scheduler at (wss?:\/\/\S+)$/m);
    return { proc, address: m[1]! };
  }

  /** gluon-worker on `host`, its data listener on the host's address. */
  async startWorker(host: string, scheduler: string, args: string[] = [], cwd?: string): Promise<{ proc: Proc; address: string; name: string }> {
    const proc = this.start(host, workerCli, [scheduler, '--listen-host', this.hosts[host]!, '--name', host, ...this.tlsArgs, ...args], {
      nodeArgs: WORKER_V8_FLAGS, ...(cwd ? { cwd } : {}),
    });
    const m = await proc.waitFor(/^worker (\S+) at (wss?:\/\/\S+) connected to (\S+)$/m);
    return { proc, name: m[1]!, address: m[2]! };
  }

  /** Unplugs (`down`) or plugs back (`up`) the host's cable at the bridge. */
  link(host: string, state: 'up' | 'down'): void {
    this.launcher(host);
    this.sh('link', this.id, host, state);
  }

  /**
   * Delay and loss on both directions of the host's link, e.g. `'delay 50ms loss 2%'`
   * (`'clear'` removes them): `tc netem`, or for a relayed host its relay.
   */
  netem(host: string, spec: string): void {
    this.launcher(host);
    this.sh('netem', this.id, host, spec);
  }

  /** What a relayed host's cable has carried: frames forwarded and dropped, its delay and loss. */
  relayStats(host: string): { forwarded: number; dropped: number; largest: number; delayMs: number; lossPercent: number } {
    this.launcher(host);
    return JSON.parse(this.sh('relay-stats', this.id, host)) as ReturnType<NetLab['relayStats']>;
  }

  /** Kills every process started here (by pid), then deletes the namespaces. */
  async destroy(): Promise<void> {
    for (const p of this.procs) {
      p.kill('SIGCONT');
      p.kill('SIGKILL');
    }
    await Promise.all(this.procs.map((p) => p.exited(10_000).catch(() => undefined)));
    this.destroySync();
  }

  /** The synchronous part of {@link destroy}, also run at process exit. */
  destroySync(): void {
    if (!labs.delete(this)) return;
    for (const p of this.procs) p.kill('SIGKILL');
    spawnSync('bash', [script, 'down', this.id], { stdio: 'ignore', timeout: 60_000 });
    if (this.tls) spawnSync('rm', ['-rf', this.tls.dir], { stdio: 'ignore', timeout: 10_000 });
  }
}
