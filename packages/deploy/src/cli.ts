#!/usr/bin/env node
/**
 * gluon-cluster: a scheduler here and its workers as batch jobs (or the scheduler and workers on
 * hosts over SSH), for people who do not write scripts. `gluon-cluster slurm --jobs 10 --cores 4 --memory 8GiB --walltime 02:00:00` starts the
 * scheduler, submits ten jobs, prints the addresses, and cancels every job on Ctrl-C or SIGTERM.
 * `--print-job-script` shows what would be submitted and submits nothing.
 */
import { allowModulePaths } from '@gluon/client/local-cluster-values';
import { checkDashboardLink } from '@gluon/scheduler/dashboard-link';
import { clusterMeant } from './batch-spellings.js';
import { exitUsage, flagGiven, isLoopbackHost, npmShellPid, packageVersionOf, parseCliOrExit, stopWithSupervisor, tokenFromEnv, type CliSpec } from '@gluon/protocol/tools';
import type { JobClusterOptions, JobQueueCluster } from './job-cluster.js';
import { CLUSTER_FLAGS, jobKeysFromFlags } from './cluster-flags.js';
import { JOB_KEY_NAMES, JOB_KEYS, jobClusterOptionsOf, keysNotFor, notForLauncher } from './job-keys.js';
import { SlurmCluster } from './slurm.js';
import { PBSCluster } from './pbs.js';
import { SSHCluster } from './ssh.js';
import { sshHostsOf, tooManySshWorkers, withSshJobs } from './ssh-run.js';
import { keepToken, keptTokenFile, readKeptToken } from './kept-token.js';
import { requireCommands } from './commands.js';
import { loopbackSchedulerWarning } from './loopback-scheduler.js';

const CLI: CliSpec<typeof CLUSTER_FLAGS> = {
  name: 'gluon-cluster',
  version: packageVersionOf(import.meta.url),
  usage: 'slurm|pbs|ssh [options]',
  description: 'Starts a Gluon scheduler here and submits its workers as batch jobs (Slurm or PBS), one worker\nper job; or (ssh) starts the scheduler on the first of --hosts and --jobs workers on the others.\nPrints the scheduler and dashboard addresses; Ctrl-C or SIGTERM cancels every job it started.\nThe token (GLUON_TOKEN; else, for a scheduler other hosts reach, the one kept in\n~/.gluon/cluster-token, made there if missing) reaches the jobs through their environment (ssh: stdin).',
  flags: CLUSTER_FLAGS,
  positionals: { min: 1, max: 1, name: 'launcher (slurm, pbs or ssh)' },
  meant: clusterMeant,
};

/**
 * The flag that sets each option the launchers check, so their messages name what the user typed
 * (`--death-timeout`), not the options-object key (`deathTimeout`) nobody typed here.
 */
const FLAG_OF: Record<string, string> = {
  ...Object.fromEntries(JOB_KEY_NAMES.flatMap((k) => { const o = JOB_KEYS[k].option; return o ? [[o, JOB_KEYS[k].flag]] : []; })),
  host: 'host', hosts: 'hosts', schedulerPort: 'scheduler-port', dashboardPort: 'dashboard-port', dashboardLink: 'dashboard-link',
};

/** An option as the user gave it: its flag, or the environment variable the flag fell back to. */
function flagName(key: string): string {
  const f = FLAG_OF[key];
  if (f === undefined) return key;
  const env = CLUSTER_FLAGS[f as keyof typeof CLUSTER_FLAGS].env;
  return env !== undefined && !flagGiven(f) ? `$${env}` : `--${f}`;
}

/** Dask users try `gluon-cluster local`; there is none, so say what starts workers on this machine. */
const LOCAL_HINT = '; workers on this machine need no launcher: `gluon-scheduler`, then `gluon-worker ws://127.0.0.1:8786 --nworkers N`'
  + ' (or LocalCluster from @gluon/client in a script)';

/**
 * What gluon-cluster says when npm runs it through a shell (`npx`, `npm exec`): a SIGINT sent to
 * npm's pid alone never reaches it (npmShellPid), so it names its own pid and what does stop it.
 */
function npmSigintNote(pid: number, shell: number): string {
  return `pid ${pid}, run by npm through sh (pid ${shell}), which holds a SIGINT sent to npm's pid alone until gluon-cluster ends: `
    + `stop it with Ctrl-C, a SIGTERM to npm, or a SIGINT or SIGTERM to pid ${pid}`;
}

/**
 * What `--jobs N` submitted, with the jobs' ids. `--jobs 0` (a scheduler whose workers come from
 * elsewhere) said `submitted 0 slurm job(s): `, a list with nothing after its colon.
 */
function submittedLine(kind: string, jobs: number, ids: readonly string[]): string {
  return jobs === 0 ? `submitted no ${kind} jobs (--jobs 0)` : `submitted ${jobs} ${kind} job(s): ${ids.join(' ')}`;
}

/**
 * What a stop cancels: the jobs submitted, and those whose submission is under way (their ids not
 * yet back from sbatch or qsub; close() cancels them once they are). Said `cancelling 0 job(s)`
 * before, while the job being submitted was then cancelled.
 */
function cancellingLine(submitted: number, submitting: number): string {
  if (!submitting) return `cancelling ${submitted} job(s)`;
  return `cancelling ${submitted + submitting} job(s), ${submitting} of them still being submitted: cancelled once the batch system gives ${submitting === 1 ? 'its id' : 'their ids'}`;
}

async function main(): Promise<void> {
  const { values: v, positionals } = parseCliOrExit(CLI);
  const kind = positionals[0]!;
  if (kind !== 'slurm' && kind !== 'pbs' && kind !== 'ssh') exitUsage(CLI.name, `the launcher must be slurm, pbs or ssh, got "${kind}"${kind === 'local' ? LOCAL_HINT : ''}`);
  const sshOnly = ['hosts', 'ssh-option', 'scheduler-port', 'dashboard-port', 'no-tls'].filter((f) => flagGiven(f));
  if (kind !== 'ssh' && sshOnly.length) exitUsage(CLI.name, `--${sshOnly[0]} is for ssh only, not ${kind}`);
  // Taken and ignored before: over ssh the scheduler runs on the first of --hosts, listening on
  // that host's address (its TLS certificate names it, and the workers dial it).
  if (kind === 'ssh' && flagGiven('host')) exitUsage(CLI.name, `--host is for slurm and pbs (the address the scheduler started here listens on); over ssh the scheduler runs on the first of --hosts and listens on that host's address: give it there as the workers reach it (--hosts ${v.host},…)`);
  // ssh: --jobs left out is a worker on each worker host, as the analyses' --cluster ssh and dask's
  // SSHCluster; it was 1, so `--hosts lab1,lab2,lab3` left lab3 idle.
  const j = withSshJobs({ ...jobKeysFromFlags(v), cluster: kind, hosts: v.hosts ?? [] }, flagGiven('jobs'));
  // A key this launcher does not take, typed: taken silently before and never written into a job
  // (--resource-spec under Slurm, --queue over ssh). The analyses refuse theirs the same way.
  const notFor = keysNotFor(j, kind, (k) => flagGiven(JOB_KEYS[k].flag))[0];
  if (notFor) exitUsage(CLI.name, `--${JOB_KEYS[notFor].flag} ${notForLauncher(notFor, kind)}`);
  // Taken silently before: --jobs was ignored under --adapt.
  if (v.adapt !== undefined && flagGiven('jobs')) exitUsage(CLI.name, '--jobs and --adapt are each the number of jobs: give one (--adapt MIN:MAX follows the load, --jobs N keeps N)');
  // --adapt MIN:MAX as numbers (its check has refused any other form).
  const adaptRange = v.adapt === undefined ? undefined : v.adapt.split(':').map(Number) as [number, number];
  if (kind === 'ssh' && v['print-job-script']) exitUsage(CLI.name, '--print-job-script is for slurm and pbs; an ssh cluster prints each host\'s script as it starts it');
  // A relative entry is taken from the directory gluon-cluster runs in and passed on absolute, by
  // LocalCluster's rule: given as typed, each worker took it from its own working directory, which
  // a --prologue line may change (`cd $TMPDIR`), and one that named nothing was only a warning in
  // each job's output, its tasks refused later.
  let allowModules: string[] = [];
  try {
    allowModules = allowModulePaths(v['allow-module'], process.cwd(), { entry: () => '--allow-module', base: 'the directory gluon-cluster runs in' });
  } catch (e) {
    exitUsage(CLI.name, (e as Error).message);
  }
  const allowArgs = allowModules.length ? { workerExtraArgs: allowModules.flatMap((m) => ['--allow-module', m]) } : {};
  // Set but empty is a mistake (`GLUON_TOKEN=$TOKEN` with TOKEN unset), not "no token": refused
  // before anything starts rather than read as "use the kept token" or "none".
  let envToken: string | undefined;
  try { envToken = tokenFromEnv(); } catch (e) { exitUsage(CLI.name, (e as Error).message); }
  // The scheduler started here would refuse a bad link naming --dashboard-link (exit 1, inside
  // LocalCluster's start-up error) even when it came from $GLUON_DASHBOARD_LINK. Over ssh its
  // {ENV_VAR} fields are filled on the scheduler's host, so only that scheduler can check it.
  if (kind !== 'ssh' && v['dashboard-link'] !== undefined && !v['print-job-script']) {
    try { checkDashboardLink(v['dashboard-link'], v.host, '', process.env, flagName('dashboardLink')); } catch (e) { exitUsage(CLI.name, (e as Error).message); }
  }
  if (kind !== 'ssh' && !v['print-job-script']) {
    // Before the scheduler starts and its addresses and token are printed (printing a job script
    // submits nothing, so it needs none of them).
    try { requireCommands(kind === 'slurm' ? 'Slurm' : 'PBS', kind === 'slurm' ? SlurmCluster.commands : PBSCluster.commands); } catch (e) {
      process.stderr.write(`gluon-cluster: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }
  const log = (line: string) => process.stderr.write(`gluon-cluster: ${line}\n`);
  // Without GLUON_TOKEN a scheduler for other hosts uses the token kept for the user's clusters
  // (made and kept by the first): a second cluster must not replace the file the first's clients read.
  const kept = (envToken !== undefined || v['print-job-script']) ? undefined : readKeptToken();
  const token = envToken ?? (kept !== undefined && (kind === 'ssh' || !isLoopbackHost(v.host)) ? kept : undefined);
  // The job keys' options (the analyses make theirs with the same function), then gluon-cluster's own.
  const opts: JobClusterOptions & { resourceSpec?: string } = {
    ...jobClusterOptionsOf(j, kind), host: v.host, log, optionName: flagName,
    ...allowArgs,
    ...(token ? { token } : {}),
    ...(v['dashboard-link'] !== undefined ? { dashboardLink: v['dashboard-link'] } : {}),
  };
  if (v['print-job-script']) opts.scheduler = 'ws://SCHEDULER:PORT';
  /** The ssh launcher from the flags: only the options that mean something over SSH. */
  const startSSH = (): Promise<SSHCluster> => {
    const hosts = sshHostsOf(v.hosts);
    // One worker per worker host: asking for more started the scheduler over ssh, then failed
    // at scale() naming scale(n), which nobody typed.
    const wanted = adaptRange ? adaptRange[1] : j.jobs;
    const tooMany = tooManySshWorkers(v.adapt ? `--adapt ${v.adapt} asks for up to` : `--jobs ${j.jobs} asks for`, wanted, '--hosts', hosts);
    if (tooMany) exitUsage(CLI.name, tooMany);
    return SSHCluster.start({
      ...jobClusterOptionsOf(j, 'ssh'), hosts, sshOptions: v['ssh-option'],
      schedulerPort: v['scheduler-port'], dashboardPort: v['dashboard-port'], log, optionName: flagName,
      ...(v['no-tls'] ? { tls: false } : {}),
      ...allowArgs,
      ...(token ? { token } : {}),
      ...(v['dashboard-link'] !== undefined ? { dashboardLink: v['dashboard-link'] } : {}),
    });
  };
  let cluster: JobQueueCluster | undefined;
  /** A stop asked for while start() was under way: done once it settles. */
  let stopAfterStart: { why: string; status: number } | undefined;
  let stopping = false;
  /** `said`: the stop was said already ('… while starting: stopping what was started'). */
  const stop = (why: string, status = 0, said = false) => {
    if (stopping) return;
    stopping = true;
    if (!cluster) {
      process.stderr.write(`gluon-cluster: ${why} while starting: stopping what was started\n`);
      stopAfterStart = { why, status };
      return;
    }
    const c = cluster;
    if (!said) process.stderr.write(`gluon-cluster: ${why}: ${cancellingLine(c.jobList.length, c.submitting)}\n`);
    c.close().then(() => process.exit(status), (e: Error) => { process.stderr.write(`gluon-cluster: ${e.message}\n`); process.exit(1); });
  };
  // Before anything starts: a Ctrl-C or SIGTERM while the scheduler starts (or its ssh session
  // opens) stops what was started and exits as after it, instead of killing this process there.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  stopWithSupervisor(() => stop('npm exited'));
  try {
    cluster = kind === 'slurm' ? await SlurmCluster.start(opts) : kind === 'pbs' ? await PBSCluster.start(opts) : await startSSH();
  } catch (e) {
    // Stopped while starting: the start failed because of it (a Ctrl-C reaches the scheduler too), and nothing is left.
    if (stopAfterStart) process.exit(stopAfterStart.status);
    // A bad option is a usage error (2); a host that did not start the scheduler is not (1).
    if (e instanceof RangeError) exitUsage(CLI.name, e.message);
    process.stderr.write(`gluon-cluster: ${(e as Error).message}\n`);
    process.exit(1);
  }
  if (stopAfterStart) {
    stopping = false;
    stop(stopAfterStart.why, stopAfterStart.status, true);
    return;
  }
  // Once started (a bad option is refused first, without it), and said, not refused: on a one-node
  // cluster (or jobs kept to this node) a loopback scheduler works.
  const loopback = loopbackSchedulerWarning(kind, v.host, kind === 'ssh' ? sshHostsOf(v.hosts) : []);
  if (loopback) log(`warning: ${loopback}`);
  if (v['print-job-script']) {
    // What --jobs N submits: Slurm sends several workers as one array job (--no-job-arrays: not).
    process.stdout.write(v.adapt ? cluster.jobScript() : cluster.scriptFor(j.jobs));
    // On stderr: the script on stdout stays what is submitted, to be saved and submitted as is.
    if (adaptRange) {
      process.stderr.write(`gluon-cluster: --adapt ${v.adapt}: ${cluster.adaptNote(...adaptRange)}\n`);
    } else {
      const note = cluster.scriptForNote(j.jobs);
      if (note) process.stderr.write(`gluon-cluster: --jobs ${j.jobs}: ${note}\n`);
    }
    return;
  }
  // `npx gluon-cluster` on Debian: a `kill -INT` of npm's pid alone ends in npm's sh, which holds
  // it (npmShellPid says why), so nothing stopped and nothing said why. Said once, with what works,
  // once the cluster runs: not before a usage error or a printed job script, where nothing is left
  // to stop (it was noise there).
  const shell = npmShellPid();
  if (shell !== undefined) log(npmSigintNote(process.pid, shell));
  if (cluster instanceof SSHCluster) for (const h of cluster.workerHosts.slice(0, j.jobs)) process.stdout.write(`--- ${h} runs:\n${cluster.hostScript(h)}`);
  // No worker can come any more and none is connected (the jobs kept ending before their worker
  // joined; over ssh, every host's session did): each was logged as it ended, and the give-up
  // names them all with what to fix (no-worker-coming.ts, as the analyses' runs say it).
  void cluster.whenNoWorkerCanCome({ prologueFlag: `--${JOB_KEYS.job_prologue.flag}` }).then((e) => { log(e.message); stop('no worker can come', 1); });
  // The cluster names this host in place of a wildcard bind (job-cluster.ts).
  if (cluster.dashboardUrl) process.stdout.write(`dashboard at ${cluster.dashboardUrl}\n`);
  process.stdout.write(`scheduler at ${cluster.schedulerAddress}\n`);
  // Its clients trust the cluster's own CA (the file goes when the cluster stops).
  const tlsCa = cluster instanceof SSHCluster ? cluster.tlsCa : undefined;
  if (tlsCa) process.stdout.write(`TLS: clients trust ${tlsCa} (--tls-ca; Client.connect's tls: { ca }), the CA made for this cluster; removed when it stops\n`);
  if (cluster.token && envToken === undefined) {
    // A token made here must reach the user too, but not a log: a file only they can read.
    const file = keptTokenFile();
    if (cluster.token !== kept) keepToken(cluster.token, file);
    process.stdout.write(`token in ${file}${cluster.token === kept ? ' (kept from before)' : ''} (clients: GLUON_TOKEN=$(cat ${file}) npx gluon-h4l run --scheduler ${cluster.schedulerAddress}${tlsCa ? ` --tls-ca ${tlsCa}` : ''} …; dashboard login with it)\n`);
  }
  try {
    if (adaptRange) {
      const [min, max] = adaptRange;
      cluster.adapt({ minimum: min, maximum: max });
      process.stdout.write(`adapting between ${min} and ${max} ${kind} jobs\n`);
    } else {
      await cluster.scale(j.jobs);
      // Stopped while submitting: close() cancels what was submitted; "submitted" would be untrue.
      if (stopping) return;
      process.stdout.write(`${submittedLine(kind, j.jobs, cluster.jobList.map((job) => job.id))}\n`);
    }
  } catch (e) {
    process.stderr.write(`gluon-cluster: ${(e as Error).message}\n`);
    stop('submission failed', 1);
  }
  // Keep running (the scheduler lives in this process's child) until a signal.
  setInterval(() => {}, 1 << 30);
}

main().catch((e: Error) => { process.stderr.write(`gluon-cluster: ${e.message}\n`); process.exit(1); });
