/**
 * An analysis run's workers over ssh (`cluster: ssh`, batch-run.ts): gluon-cluster ssh's own
 * flags (--hosts, --ssh-option, --scheduler-port, --dashboard-port, --no-tls) as the analyses'
 * flags of the same names and their config keys (hosts, ssh_options, scheduler_port,
 * dashboard_port, tls), checked with gluon-cluster's words, and the SSHCluster options a run
 * starts with.
 */
import { CLUSTER_OWN_FLAGS } from './cluster-flags.js';
import { checkJobClusterOptions } from './job-cluster.js';
import { intIn, jobClusterOptionsOf, jobKeyOfOption, line, listOf, runFlagOf, type JobKeyName, type JobKeyValues } from './job-keys.js';
import { checkSSHOptions, type SSHClusterOptions } from './ssh.js';

/** The ssh keys of an analysis config (config.yaml and flags). */
export interface SshRunValues {
  /** The scheduler's host, then the worker hosts, one worker each; an entry may hold several, comma-separated (`a,b,c`). */
  hosts: string[];
  /** More `ssh` arguments before the host (`-F FILE`), one each. */
  ssh_options: string[];
  /** The scheduler's port on the first host (0: any free one). */
  scheduler_port: number;
  /** The dashboard's port on the first host (0: any free one). */
  dashboard_port: number;
  /** TLS between the hosts and to the run's client (SSHCluster's `tls`); false (`--no-tls`): plain ws://. */
  tls: boolean;
}

type Check = (v: unknown) => string | undefined;

/** One ssh key: gluon-cluster's flag (the analyses' too), the SSHCluster option it sets, its type, check and default. */
export interface SshRunKey {
  flag: keyof typeof CLUSTER_OWN_FLAGS;
  option: 'hosts' | 'sshOptions' | 'schedulerPort' | 'dashboardPort' | 'tls';
  /** off: a switch that turns the key off (`--no-tls`: `tls: false`). */
  type: 'int' | 'list' | 'off';
  arg?: string;
  help: string;
  check: Check;
  /** A list's check of one entry (a flag gives one a time). */
  item?: Check;
  runDefault: unknown;
}

/** An entry of `hosts`: one word, or several separated by commas (ssh destinations: SSHCluster checks each). */
const hostsEntry: Check = (v) => (typeof v === 'string' && /^[^\s\p{Cc}]+$/u.test(v) ? undefined : 'must be ssh destinations (host, user@host), several separated by commas, without spaces');
const own = (f: keyof typeof CLUSTER_OWN_FLAGS) => CLUSTER_OWN_FLAGS[f].help.replace(/^ssh only: /, '');

/** The ssh keys, as gluon-cluster ssh's flags say them. */
export const SSH_RUN_KEYS: { [K in keyof SshRunValues]: SshRunKey } = {
  hosts: { flag: 'hosts', option: 'hosts', type: 'list', arg: 'HOST', help: own('hosts'), check: listOf(hostsEntry, 'ssh destinations', '[login1, node1, node2]'), item: hostsEntry, runDefault: [] },
  ssh_options: { flag: 'ssh-option', option: 'sshOptions', type: 'list', arg: 'ARG', help: own('ssh-option'), check: listOf(line, 'ssh arguments', '[-F, ~/.ssh/lab_config]'), item: line, runDefault: [] },
  scheduler_port: { flag: 'scheduler-port', option: 'schedulerPort', type: 'int', arg: 'PORT', help: own('scheduler-port'), check: intIn(0, 65535), runDefault: 8786 },
  dashboard_port: { flag: 'dashboard-port', option: 'dashboardPort', type: 'int', arg: 'PORT', help: own('dashboard-port'), check: intIn(0, 65535), runDefault: 8787 },
  tls: { flag: 'no-tls', option: 'tls', type: 'off', help: own('no-tls').replace(/\n/g, ' '), check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'), runDefault: true },
};

export type SshRunKeyName = keyof SshRunValues;
export const SSH_RUN_KEY_NAMES = Object.keys(SSH_RUN_KEYS) as SshRunKeyName[];

/** Whether `k` is an ssh key (own keys only). */
export function isSshRunKey(k: string): k is SshRunKeyName {
  return Object.hasOwn(SSH_RUN_KEYS, k);
}

/** The ssh key of the analyses' flag `flag` (`ssh-option` → `ssh_options`), or undefined. */
export function sshRunKeyOfFlag(flag: string): SshRunKeyName | undefined {
  return SSH_RUN_KEY_NAMES.find((k) => SSH_RUN_KEYS[k].flag === flag);
}

/**
 * Key `k`'s value from a flag's text (a port's number; one entry of a list), checked: throws a
 * RangeError naming `name` and the text as typed.
 */
export function sshRunKeyFromText(k: SshRunKeyName, text: string, name: string): unknown {
  const e = SSH_RUN_KEYS[k];
  const value = e.type === 'int' ? (text.trim() === '' ? NaN : Number(text)) : text;
  const why = (e.item ?? e.check)(value);
  if (why !== undefined) throw new RangeError(`${name} ${why}, got ${JSON.stringify(text)}`);
  return value;
}

/** Key `k`'s value as a config file gives it: a list's one line of text is a one-item list (`hosts: a,b,c`). */
export function sshRunKeyFromConfig(k: SshRunKeyName, v: unknown): unknown {
  return SSH_RUN_KEYS[k].type === 'list' && typeof v === 'string' && line(v) === undefined ? [v] : v;
}

/** What is wrong with `value` for key `k`, named `name`; undefined when it is good. */
export function sshRunKeyProblem(k: SshRunKeyName, value: unknown, name: string): string | undefined {
  const why = SSH_RUN_KEYS[k].check(value);
  return why === undefined ? undefined : `${name} ${why}, got ${JSON.stringify(value)}`;
}

/** The hosts, as ssh is given them: each entry split at its commas. */
export function sshHostsOf(hosts: readonly string[]): string[] {
  return hosts.flatMap((h) => h.split(',')).filter(Boolean);
}

/** The ssh keys set to other than their default (given without `cluster: ssh`, they would do nothing). */
export function sshKeysSet(v: Partial<SshRunValues>): SshRunKeyName[] {
  return SSH_RUN_KEY_NAMES.filter((k) => v[k] !== undefined && JSON.stringify(v[k]) !== JSON.stringify(SSH_RUN_KEYS[k].runDefault));
}

/**
 * Why `wanted` workers cannot run on `hosts` (one per host after the first, which runs the
 * scheduler), or undefined: gluon-cluster ssh's words, the count and hosts named as given
 * (`asking`: `--jobs 3 asks for`; `hostsName`: `--hosts`).
 */
export function tooManySshWorkers(asking: string, wanted: number, hostsName: string, hosts: readonly string[]): string | undefined {
  if (hosts.length < 2 || wanted <= hosts.length - 1) return undefined;
  return `${asking} ${wanted} workers, but ${hostsName} gives ${hosts.length - 1} worker host(s) (the first, ${hosts[0]}, runs the scheduler; one worker per other host)`;
}

/** The SSHCluster options of a run's keys: the job keys ssh takes, then the ssh keys. */
export function sshClusterOptionsOf(c: JobKeyValues & SshRunValues): SSHClusterOptions {
  return {
    ...jobClusterOptionsOf(c, 'ssh'),
    hosts: sshHostsOf(c.hosts), sshOptions: c.ssh_options, schedulerPort: c.scheduler_port, dashboardPort: c.dashboard_port,
    // Only when off: SSHCluster's default is TLS.
    ...(c.tls === false ? { tls: false } : {}),
  };
}

/** The run's key (an ssh key, else a job key) that sets SSHCluster option `option`. */
function runKeyOfOption(option: string): SshRunKeyName | JobKeyName | undefined {
  return SSH_RUN_KEY_NAMES.find((k) => SSH_RUN_KEYS[k].option === option) ?? jobKeyOfOption(option);
}

/**
 * An SSHCluster option as a run's flag (`schedulerPort`: `--scheduler-port`), for what the
 * cluster says while it runs (the run's keys were checked in the user's own words before).
 */
export function sshRunOptionName(option: string): string {
  const key = runKeyOfOption(option);
  return key === undefined ? option : `--${isSshRunKey(key) ? SSH_RUN_KEYS[key].flag : runFlagOf(key)}`;
}

/**
 * Why a run's ssh keys cannot go together, or undefined: SSHCluster's own checks (a scheduler's
 * host and at least one worker host, each an ssh destination; the job keys it takes), then `jobs` against the worker
 * hosts, each setting named as `name` says (`--hosts`, `/x/config.yaml: hosts`).
 */
export function sshRunProblem(c: JobKeyValues & SshRunValues, name: (key: keyof JobKeyValues | SshRunKeyName) => string, jobsGiven: string): string | undefined {
  const opts = sshClusterOptionsOf(c);
  const byOption = (option: string): string => {
    const key = runKeyOfOption(option);
    return key ? name(key) : option;
  };
  try {
    checkSSHOptions(opts, byOption);
    checkJobClusterOptions(opts, byOption);
  } catch (e) {
    return (e as Error).message;
  }
  return tooManySshWorkers(`${jobsGiven} asks for`, c.jobs, name('hosts'), opts.hosts);
}

/**
 * The run's config with `jobs` for ssh: left at its default (not given), one worker on every
 * worker host, as the hosts listed say (as dask's SSHCluster; gluon-cluster ssh too); given, at
 * most that many (sshRunProblem).
 */
export function withSshJobs<C extends Pick<JobKeyValues, 'jobs'> & Pick<SshRunValues, 'hosts'> & { cluster: string | null }>(c: C, jobsGiven: boolean): C {
  return c.cluster === 'ssh' && !jobsGiven ? { ...c, jobs: Math.max(0, sshHostsOf(c.hosts).length - 1) } : c;
}
