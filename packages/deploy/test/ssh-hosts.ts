/**
 * Hosts reachable over ssh for the tests of SSHCluster and of the analyses' `--cluster ssh`: a
 * NetLab (network namespaces, scripts/netns.sh) with one real sshd (Debian's openssh-server,
 * scripts/setup-test-env.sh installs it) on each host but the "login" one, where the user's
 * commands run; keys made for this run only; an ssh config as a user would write one. Everything
 * is stopped by PID and the namespaces deleted at `stop()`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitTestEnvSetup } from '../../../test/helpers/test-env.js';
import { NetLab, netnsUnavailable } from '../../worker/test/netns.js';

const SSHD = '/usr/sbin/sshd';

/** Why hosts over ssh cannot be had here (not root, no `ip`, no sshd), or undefined when they can. */
export function sshHostsUnavailable(): string | undefined {
  awaitTestEnvSetup();
  return netnsUnavailable() ?? (existsSync(SSHD) ? undefined : `${SSHD} is missing (Debian: apt-get install openssh-server; scripts/setup-test-env.sh does it)`);
}

export interface SshHosts {
  lab: NetLab;
  /** The run's directory (keys, configs); removed at stop(). */
  dir: string;
  /** The ssh config the user's commands give with `-F`: the key, the known hosts, and any ProxyJump asked for. */
  sshConfig: string;
  /** What each sshd logged, by host name. */
  logs: Record<string, string>;
  /** `ip netns exec <host's namespace> cmd...` as spawn's first two arguments. */
  launch(host: string, cmd: string[]): [string, string[]];
  /** The Gluon processes (scheduler, workers) running on a host, by command line. */
  gluonOn(host: string): string[];
  /** Stops every sshd (by PID), deletes the namespaces and the directory. */
  stop(): Promise<void>;
}

/**
 * Creates `hosts` (name → address in 10.201.0.0/24) and starts sshd on each one but `login`;
 * `proxyJump` sends ssh to a host through another (`{ w2: 'sched' }`). `unreachable`: addresses
 * of the lab's network that no host has, which the login host has no route to, so that ssh from
 * there fails at once with "No route to host" (a router's answer) instead of after the ~3 s of
 * unanswered ARP that ends with the same error (a run's every session to one paid it).
 */
export async function startSshHosts(hosts: Record<string, string>, o: { login?: string; proxyJump?: Record<string, string>; unreachable?: readonly string[] } = {}): Promise<SshHosts> {
  const login = o.login ?? 'login';
  const taken = new Set(Object.values(hosts));
  for (const a of o.unreachable ?? []) {
    if (!/^10\.201\.0\.\d{1,3}$/.test(a) || taken.has(a)) throw new Error(`startSshHosts: unreachable ${a} must be an address of 10.201.0.0/24 that no host has (hosts: ${[...taken].join(', ')})`);
  }
  const lab = await NetLab.create(hosts, { tls: false });
  try {
    for (const a of o.unreachable ?? []) execFileSync(...launchOn(lab, login, ['ip', 'route', 'add', 'unreachable', `${a}/32`]), { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gluon-ssh-'));
  chmodSync(dir, 0o700);
  const logs: Record<string, string> = {};
  const daemons: ChildProcess[] = [];
  const launch = (host: string, cmd: string[]) => launchOn(lab, host, cmd);
  const stop = async () => {
    for (const d of daemons) d.kill('SIGTERM');
    await Promise.all(daemons.map((d) => (d.exitCode !== null || d.signalCode !== null ? undefined : new Promise((r) => d.once('exit', r)))));
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Keys for this run only: the client's, and one host key per host.
    const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gluon-test', '-f', file], { stdio: 'ignore' });
    keygen(join(dir, 'id'));
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
    const known: string[] = [];
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
    for (const h of Object.keys(hosts).filter((x) => x !== login)) {
      keygen(join(dir, `host-${h}`));
      known.push(`${hosts[h]} ${readFileSync(join(dir, `host-${h}.pub`), 'utf8').split(' ').slice(0, 2).join(' ')}`);
      writeFileSync(join(dir, `sshd-${h}`), [
        `ListenAddress ${hosts[h]}`, 'Port 22', `HostKey ${join(dir, `host-${h}`)}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no',
        'PidFile none', 'AllowTcpForwarding yes', 'LogLevel INFO', '',
      ].join('\n'));
      const d = spawn(...launch(h, [SSHD, '-D', '-e', '-f', join(dir, `sshd-${h}`)]), { stdio: ['ignore', 'ignore', 'pipe'] });
      daemons.push(d);
      logs[h] = '';
      d.stderr!.on('data', (b) => (logs[h] += b));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sshd on ${h} did not listen within 60 s: ${logs[h]}`)), 60_000);
        const look = () => { if (/Server listening on/.test(logs[h]!)) { clearTimeout(timer); resolve(); } };
        d.stderr!.on('data', look);
        d.once('exit', (c) => { clearTimeout(timer); reject(new Error(`sshd on ${h} exited ${c}: ${logs[h]}`)); });
      });
    }
    writeFileSync(join(dir, 'known_hosts'), `${known.join('\n')}\n`);
    // The user's ssh config: key, known hosts, and the hosts reached through another.
    writeFileSync(join(dir, 'ssh_config'), [
      ...Object.entries(o.proxyJump ?? {}).flatMap(([h, via]) => [`Host ${hosts[h]}`, `  ProxyJump ${hosts[via]}`]),
      'Host *', '  User root', `  IdentityFile ${join(dir, 'id')}`, `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes', '  BatchMode yes', '  ConnectTimeout 60', '',
    ].join('\n'));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    lab, dir, sshConfig: join(dir, 'ssh_config'), logs, launch, stop,
    gluonOn: (h) => spawnSync('ip', ['netns', 'pids', `gluon-${lab.id}-${h}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
      .map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; } }).filter((c) => /gluon-(worker|scheduler)/.test(c)),
  };
}

/** `cmd` in `host`'s namespace of `lab`, as spawn's first two arguments. */
function launchOn(lab: NetLab, host: string, cmd: string[]): [string, string[]] {
  const [first, ...rest] = [...lab.launcher(host), ...cmd];
  return [first!, rest];
}
