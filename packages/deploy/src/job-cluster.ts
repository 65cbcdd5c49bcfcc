/**
 * The shared core of the batch-system launchers (SlurmCluster, PBSCluster), shaped like
 * dask-jobqueue: a cluster object owns (or attaches to) a scheduler and submits workers as batch
 * jobs, one `gluon-worker` per job. `jobScript()` is one job's script and `scriptFor(n)` exactly what
 * `scale(n)` submits (one array job where the batch system has them); `scale(n)` keeps n jobs; `adapt()` follows the scheduler's load; `close()` cancels every job it submitted.
 * A subclass says how its batch system spells directives, submission, status and cancellation.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
// Types only: the client (ws, msgpackr, the scheduler's launcher) is loaded when a cluster starts
// its scheduler or connects, not by a job script printed or a flag checked (bench/cli-startup.ts).
import type { Client, LocalCluster } from '@gluon/client';
import { checkOptionKeys, checkTokenOption, isLoopbackHost, onProcessEnd, parseBytes, tokenFromEnv, type OptionKeys, type TlsOptions } from '@gluon/protocol/tools';
import { checkAdaptOptions, fetchLoad, type AdaptOptions } from './adapt.js';
import { checkMaxFailedJobs, countEndedJob, DEFAULT_MAX_FAILED_JOBS, endedWithoutWorkerLine, JobsFailedError, type EndedJob, type EndState } from './job-failures.js';
import { noWorkerCanCome, NoWorkerCanComeError, type ClusterOutlook, type FailedStart, type FixWords, type NoWorkerVerdict } from './no-worker-coming.js';
import { BatchCommandError, requireCommands, shellQuote } from './commands.js';
import { submitRefusal } from './submit-refusals.js';
import { checkScriptSyntax } from './script-syntax.js';
import { cancelLine, isRetiring, planLook, type PlanJob, type WorkerSeen } from './job-plan.js';
import { endStatesWanted, type EndStates } from './end-states.js';
import { deathTimeoutArgs, lifetimeArgs } from './lifetime.js';
import { makeDirectory } from './make-directory.js';
import { requeuedLine, requeuedNow, requeuedState, stillRequeued } from './requeued-jobs.js';
import { absenceLine, absenceLook } from './absent-workers.js';
import { NO_WALLTIME_KILLS, walltimeKillNotice, type WalltimeKills } from './walltime-kills.js';
import { listingAnswered, listingFailed, NO_LISTING, staleListing, staleText, type ListingHealth } from './listing-health.js';
import { BATCH_JOB_COUNTS_TOPIC, BATCH_JOBS_TOPIC, endedView, jobView, liveState, MAX_VIEW_ROWS, type EndedJobView, type EndFacts } from './job-view.js';
import { checkPendingNoticeMs, DEFAULT_PENDING_NOTICE_MS, NO_SLOT_WAITS, pendingNotice, type ListedJob, type PendingEpisode, type SlotWaits } from './pending-jobs.js';

export interface JobClusterOptions {
  /** Threads per worker, and the cores each job asks for. Default 1. */
  cores?: number;
  /** Memory per job (`8GiB`); also the worker's `--memory-limit`. */
  memory?: string;
  /**
   * Wall-clock limit per job, `HH:MM:SS`. The job's worker then gets a `--lifetime` a margin
   * below it by default (see {@link lifetime}).
   */
  walltime?: string;
  /**
   * The worker's `--lifetime` (`55m`): it retires by itself after this long, finishing its tasks
   * and having its results copied to other workers, rather than be killed at the walltime with
   * them. Default with a walltime: a margin below it (a twelfth, 2 to 10 minutes; lifetime.ts says
   * why), with a stagger of half the margin; `false`: none. Without a walltime, none unless given.
   * A `--lifetime` in `workerExtraArgs` wins.
   */
  lifetime?: string | false;
  /** The worker's `--lifetime-stagger` (`4m`): each worker's lifetime varies at random by up to this much either way. */
  lifetimeStagger?: string;
  /**
   * The worker's `--death-timeout` (`60s`, the default): with no scheduler connected this long, at
   * its start or after losing it, the worker says so and exits, ending its job, rather than hold
   * the batch slot until the walltime (a cluster whose process died). `false`: wait for ever. A
   * `--death-timeout` in `workerExtraArgs` wins.
   */
  deathTimeout?: string | false;
  /** Queue (Slurm: partition). */
  queue?: string;
  /** Account (project) to charge. */
  account?: string;
  /** Job name; workers are named `<jobName>-<job id>`. Default `gluon-worker`. */
  jobName?: string;
  /** Extra directives, each one line after the prefix (`--qos=high`, `-l gpus=1`). */
  jobExtra?: string[];
  /** Shell lines run before the worker (`module load nodejs`, `source env.sh`). */
  prologue?: string[];
  /** Where jobs write their output (default: the batch system's default, the submit directory); created before the first job is submitted. */
  logDirectory?: string;
  /** Extra `gluon-worker` arguments (`--allow-module`, …). */
  workerExtraArgs?: string[];
  /** The workers' working directory (decides which task modules they may import). Default `process.cwd()`. */
  cwd?: string;
  /** An existing scheduler `ws://host:port` to attach to; default: start one here. */
  scheduler?: string;
  /** The dashboard URL of that existing scheduler (adapt reads the load from it: where it is served, not a proxy's link). */
  dashboardUrl?: string;
  /**
   * The started scheduler's public dashboard link behind a proxy (`gluon-scheduler
   * --dashboard-link`, e.g. `https://gluon.example.org/{host}/{port}/`): the cluster's
   * `dashboardUrl` reports it; adapt() still reads the dashboard where it is served.
   */
  dashboardLink?: string;
  /** Address the started scheduler listens on. Default `0.0.0.0` (jobs run on other hosts). */
  host?: string;
  /** Shared secret; passed to jobs through the environment, never written into the script. */
  token?: string;
  /** The node binary jobs run. Default: this process's. */
  node?: string;
  /** How often job states are read from the batch system, ms. Default 2000. */
  pollIntervalMs?: number;
  /**
   * Submit several workers at once as one job array (Slurm `--array`) where the launcher has
   * arrays: one submission, one scheduling decision, instead of one per worker. Default true.
   */
  jobArrays?: boolean;
  /**
   * Consecutive jobs that may end before their worker joins (a bad worker command, no node on the
   * compute node, a job killed at start) before the cluster stops submitting and fails: `scale()`,
   * `waitForWorkers()` and `whenFailed()` then give the error, naming the last job, its final state
   * and its output file. A job whose worker joined resets the count. Needs the dashboard (the
   * cluster reads which workers joined from it). Default 5.
   */
  maxFailedJobs?: number;
  /**
   * How long (ms) jobs may stay pending in the batch system (no free CPU, priority, a QOS limit, a
   * node or partition down, a hold) before the cluster says so, once, with the batch system's
   * reason (`slurm cluster: 2 job(s) pending for 30 s: 12_0, 12_1 (Resources: …)`); again if the
   * reason changes, and once when none is pending any more. Infinity: never. Default 30000.
   */
  pendingNoticeMs?: number;
  /**
   * How long (ms) a running job's worker may be gone from the scheduler without having said it
   * was leaving (a frozen or suspended node, a cut network) before the cluster says so, once, and
   * again when it is back (absent-workers.ts). Default 15000: long enough that a worker whose job
   * is ending (its exit comes a moment before the batch system stops listing the job) is not said.
   */
  absentNoticeMs?: number;
  /** Where the cluster says what happened to its jobs (one line each). Default: stderr. */
  log?: (line: string) => void;
  /**
   * How its messages name an option (a bad value, a log directory that cannot be made): a CLI
   * names what its user typed (`--death-timeout`, `/x/config.yaml: job_queue`). Default: the key.
   */
  optionName?: OptionName;
}

/**
 * Every key of {@link JobClusterOptions}, for `checkOptionKeys`: `start({ memroy: '8GiB' })` is
 * refused naming the key, instead of jobs submitted without the memory asked for.
 */
export const JOB_CLUSTER_OPTION_KEYS: OptionKeys<JobClusterOptions> = {
  cores: true, memory: true, walltime: true, lifetime: true, lifetimeStagger: true, deathTimeout: true, queue: true, account: true, jobName: true, jobExtra: true, prologue: true,
  logDirectory: true, workerExtraArgs: true, cwd: true, scheduler: true, dashboardUrl: true, dashboardLink: true, host: true, token: true, node: true,
  pollIntervalMs: true, jobArrays: true, maxFailedJobs: true, pendingNoticeMs: true, absentNoticeMs: true, log: true, optionName: true,
};

/**
 * Looks in a row whose listing lacked an ended job before the cluster forgets it. Kept every job it
 * ever submitted, a long-running cluster (worker lifetimes, adapt, failures) grew its map without
 * bound, thousands of jobs on a farm, each walked by every look. Not at once: a listing that missed
 * a job by mistake (a server failing over) and lists it again finds it still tracked, cancelled by
 * close() and counted, not an orphan that runs to its walltime. What ended stays on the dashboard
 * (the newest MAX_VIEW_ROWS rows, every job in the counts).
 */
export const FORGET_AFTER_LOOKS = 5;

/** Failed jobs kept for the give-up's message (each job's line was logged when it ended). */
const FAILED_KEPT = 50;

/** One submitted job as the cluster tracks it. */
export interface JobInfo {
  id: string;
  /** `pending`, `running`, or `gone` once the batch system no longer lists it. */
  state: 'pending' | 'running' | 'gone';
  /** The worker's name once it runs: `<jobName>-<id>`. */
  workerName: string;
  /** Whether its worker was seen connected to the scheduler. */
  joined: boolean;
  /**
   * Whether its worker is retiring (it said it is leaving, and has not yet left or has left while
   * the job is still listed), as of the last look that read the scheduler: the job no longer
   * counts towards `scale(n)`'s n and has been replaced (job-plan.ts).
   */
  retiring: boolean;
  /**
   * Whether the batch system requeued it and it has not run since (requeued-jobs.ts): its worker
   * has left and is expected back when the job runs again; pending meanwhile, as a new job is.
   */
  requeued: boolean;
  /** How many times it was requeued. */
  requeues: number;
  /**
   * Requeued after its worker had been seen retiring and replaced (job-plan.ts): of the surplus this
   * makes, a pending replacement goes first, else this job (pending before running); until it runs again.
   */
  rerun: boolean;
  /** When it entered its state as the dashboard shows it (pending, running, requeued; ms since the epoch). */
  since: number;
  /**
   * When the batch system last listed it (ms since the epoch; undefined until a look has): its
   * `state` is as of then, the last look (every `pollIntervalMs`), or older while the listing
   * fails (`listingStale` says since when and why). A state was shown as current with no time.
   */
  listedAt?: number;
}

/** A launcher of an installed Gluon package (`@gluon/worker`'s `gluon-worker`), by absolute path. */
export function binOf(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  const pj = require.resolve(`${pkg}/package.json`);
  const bins = (JSON.parse(readFileSync(pj, 'utf8')) as { bin: Record<string, string> }).bin;
  return join(dirname(pj), bins[bin]!);
}

/** The gluon-worker launcher that jobs run (from the installed @gluon/worker). */
const workerBin = () => binOf('@gluon/worker', 'gluon-worker');

/** Throws unless `text` is a batch walltime, `HH:MM:SS` or `D-HH:MM:SS`. */
export function checkWalltime(text: string, name: string): void {
  if (!/^(\d+-)?\d{1,3}:\d{2}:\d{2}$/.test(text)) throw new RangeError(`${name} must look like HH:MM:SS (or D-HH:MM:SS), got "${text}"`);
}

/** Whether the jobs of a cluster with options `o` need GLUON_TOKEN in their environment: one given, inherited, or made for a scheduler other hosts reach. */
export function jobsNeedToken(o: JobClusterOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return o.token !== undefined || Boolean(env.GLUON_TOKEN) || (o.scheduler === undefined && !isLoopbackHost(o.host ?? '0.0.0.0'));
}

/**
 * How a message names an option: the API's key by default (`deathTimeout`); a CLI passes one that
 * names what its user typed instead (`--death-timeout`, or `/x/config.yaml: job_queue`):
 * `gluon-cluster slurm --death-timeout nope` said `deathTimeout must be …`, a key nobody typed.
 */
export type OptionName = (key: string) => string;

/** The API's own names: the option keys. */
export const optionKey: OptionName = (key) => key;

/** How `o`'s messages name an option: its `optionName`, else the key. */
export function optionNameOf(o: Pick<JobClusterOptions, 'optionName'>): OptionName {
  return o.optionName ?? optionKey;
}

/** Checks the options every launcher shares, naming the bad one as `name` says. */
export function checkJobClusterOptions(o: JobClusterOptions, name: OptionName = optionKey): void {
  checkOptionTypes(o, name);
  if (o.cores !== undefined && (!Number.isInteger(o.cores) || o.cores < 1 || o.cores > 1024)) throw new RangeError(`${name('cores')} must be an integer from 1 to 1024, got ${said(o.cores)}`);
  if (o.memory !== undefined) parseBytes(name('memory'), o.memory);
  if (o.walltime !== undefined) checkWalltime(o.walltime, name('walltime'));
  lifetimeArgs(o, name);
  deathTimeoutArgs(o, name);
  // One word each: `#SBATCH --account=at las` made sbatch say only "Invalid directive found in
  // batch script: las", naming neither the option nor the value (and a newline would add a directive).
  for (const key of ['queue', 'account'] as const) {
    const v = o[key];
    if (v !== undefined) checkOneWord(v, name(key), key === 'queue' ? 'a queue or Slurm partition; several: a,b' : 'a batch account or project');
  }
  if (o.jobName !== undefined && !/^[\w.-]{1,64}$/.test(o.jobName)) throw new RangeError(`${name('jobName')} may hold letters, digits, _ . - (1-64), got "${o.jobName}"`);
  if (o.pollIntervalMs !== undefined && !(o.pollIntervalMs >= 100)) throw new RangeError(`${name('pollIntervalMs')} must be ≥ 100, got ${o.pollIntervalMs}`);
  checkMaxFailedJobs(o.maxFailedJobs, name('maxFailedJobs'));
  checkPendingNoticeMs(o.pendingNoticeMs, name('pendingNoticeMs'));
  if (o.absentNoticeMs !== undefined && !(typeof o.absentNoticeMs === 'number' && o.absentNoticeMs >= 0 && Number.isFinite(o.absentNoticeMs))) {
    throw new RangeError(`${name('absentNoticeMs')} must be a finite number of ms ≥ 0, got ${o.absentNoticeMs}`);
  }
}

/** One line of a job script, not blank: a line break would start a directive or a command of its own, unseen. */
export const ONE_LINE = /^[^\p{Cc}]*\S[^\p{Cc}]*$/u;

/** A value as a message quotes it: a string in quotes (`"4"`, not `4`), the rest as written. */
const said = (v: unknown): string => (typeof v === 'number' || v === undefined ? String(v) : JSON.stringify(v));

/** The list options: what each entry is, and an example, for the message refusing another value. */
const LIST_OPTIONS = {
  jobExtra: { lines: true, each: 'one line each', example: '["--qos=high"]' },
  prologue: { lines: true, each: 'one line each', example: '["module load nodejs"]' },
  workerExtraArgs: { lines: false, each: 'one argument each', example: '["--allow-module", "./tasks"]' },
} as const;

/**
 * Refuses an option of the wrong type, and a line break where the script takes one line. The CLIs
 * check their flags this way already (job-keys.ts); a script's options were not: a string given for
 * a list went into the script one character a line (`#SBATCH q`, a shell line `m`), each job
 * failing far from the cause, a line break in a jobExtra entry or logDirectory added a line of its
 * own to the script, and `memory: 8` threw "v.trim is not a function", naming nothing.
 */
function checkOptionTypes(o: JobClusterOptions, name: OptionName): void {
  for (const [key, list] of Object.entries(LIST_OPTIONS) as [keyof typeof LIST_OPTIONS, (typeof LIST_OPTIONS)[keyof typeof LIST_OPTIONS]][]) {
    const v: unknown = o[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw new RangeError(`${name(key)} must be an array of strings, ${list.each} (${list.example}), got ${said(v)}`);
    v.forEach((x: unknown, i) => {
      if (list.lines ? !(typeof x === 'string' && ONE_LINE.test(x)) : typeof x !== 'string') {
        throw new RangeError(`${name(key)}[${i}] must be ${list.lines ? 'one line of text, not empty' : 'a string'}, got ${said(x)}`);
      }
    });
  }
  if (o.logDirectory !== undefined && !(typeof o.logDirectory === 'string' && ONE_LINE.test(o.logDirectory))) {
    throw new RangeError(`${name('logDirectory')} must be one line of text, not empty, got ${said(o.logDirectory)}`);
  }
  if (o.memory !== undefined && typeof o.memory !== 'string') throw new RangeError(`${name('memory')} must be a string, a size like 8GiB, got ${said(o.memory)}`);
  for (const key of ['node', 'cwd'] as const) {
    const v: unknown = o[key];
    if (v !== undefined && !(typeof v === 'string' && v !== '')) throw new RangeError(`${name(key)} must be a path (a string, not empty), got ${said(v)}`);
  }
  if (o.jobArrays !== undefined && typeof o.jobArrays !== 'boolean') throw new RangeError(`${name('jobArrays')} must be true or false, got ${said(o.jobArrays)}`);
}

/** Throws unless `v` is one word (no space, no control character), naming it `name`; `what` says what the word is. */
export function checkOneWord(v: unknown, name: string, what: string): void {
  if (typeof v !== 'string' || !/^[^\s\p{Cc}]+$/u.test(v)) throw new RangeError(`${name} must be one word without spaces (${what}), got ${JSON.stringify(v)}`);
}

/**
 * Refuses an empty or blank `token` option, and, without one, an empty GLUON_TOKEN: the jobs
 * inherit this process's environment (and `client()` reads it), so a worker would start only to
 * refuse it, and each job would end as a failure far from the cause.
 */
export function checkClusterToken(token: string | undefined, where: string): void {
  checkTokenOption(token, where);
  if (token !== undefined) return;
  try {
    tokenFromEnv();
  } catch (err) {
    throw new RangeError(`${where}: ${(err as Error).message}`);
  }
}

export abstract class JobQueueCluster {
  /** The batch system's name, for messages (`slurm`). */
  abstract readonly kind: string;
  /**
   * The job's id as the shell sees it inside the job, as the batch system lists it
   * (`${SLURM_JOB_ID}`; an array task's may differ: `${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}`).
   */
  protected abstract jobIdExpr(array: boolean): string;
  /** The directive lines (`#SBATCH --time=...`) for these options; `arraySize` for an array of that many. */
  protected abstract directives(arraySize?: number): string[];
  /** Starts one worker (a batch system submits `jobScript()`); resolves with its job id. */
  protected abstract submit(env: NodeJS.ProcessEnv): Promise<string>;
  /**
   * Submits `arrayScript(n)` as one array job; resolves with the ids its n tasks are listed by.
   * Launchers without arrays leave it out, and each worker is one submission.
   */
  protected submitArray?(env: NodeJS.ProcessEnv, n: number): Promise<string[]>;
  /** The states of the user's jobs that the batch system lists (id → pending/running, and why pending where it says). */
  protected abstract listJobs(): Promise<Map<string, ListedJob>>;
  /** Cancels jobs by id. */
  protected abstract cancel(ids: string[]): Promise<void>;
  /**
   * The command line that cancels jobs `ids` (`scancel ID…`), run synchronously when this process
   * ends without `close()`. Launchers whose workers end with this process anyway (SSH: the
   * session's stdin is their lifeline) leave it out.
   */
  protected cancelCommand?(ids: string[]): string[];
  /** Where job `id` writes its output (and errors), as a user would open it. */
  protected abstract outputOf(id: string): string;
  /**
   * The final states of ended jobs `ids` (`FAILED, exit code 127:0`, and whether each was a
   * cancel), where the batch system still reports them (end-states.ts). Should not reject.
   */
  protected endStates?(ids: string[]): Promise<EndStates>;

  protected readonly opts: JobClusterOptions;
  private readonly jobs = new Map<string, JobInfo>();
  private target = 0;
  /** `scale(n)` set the target since the last look planned: its cancels are the caller's, not logged as the cluster's own. */
  private asked = false;
  private timer: NodeJS.Timeout | undefined;
  /** The last failure of a periodic look, logged once until a look succeeds or fails otherwise. */
  private lastLookFailure: string | undefined;
  private adaptOpts: AdaptOptions | undefined;
  private idleLooks = 0;
  private syncing: Promise<void> | undefined;
  private closed = false;
  /** Jobs whose submission is under way (sbatch or qsub not yet returned): see {@link submitting}. */
  private inFlight = 0;
  private logDirectoryMade = false;
  private readonly clients: Client[] = [];
  /** Jobs in a row that ended before their worker joined (job-failures.ts decides). */
  private failedInARow = 0;
  /** Those jobs, oldest first (the latest FAILED_KEPT), for no-worker-coming.ts's verdict and message. */
  private failedRun: FailedStart[] = [];
  /** Resolves once no worker can come (no-worker-coming.ts), judged after every look. */
  private readonly noWorker: Promise<NoWorkerVerdict>;
  private markNoWorker!: (v: NoWorkerVerdict) => void;
  private noWorkerJudged = false;
  /** The current episode of pending jobs (pending-jobs.ts decides what to say). */
  private pendingEpisode: PendingEpisode | undefined;
  /** Replacements that waited for a retiring job's slot, said folded (pending-jobs.ts). */
  private slotWaits: SlotWaits = NO_SLOT_WAITS;
  /** Set once the cluster gave up submitting; every later scale()/adapt() throws it. */
  private failure: Error | undefined;
  private readonly failed: Promise<Error>;
  private markFailed!: (e: Error) => void;
  /** Jobs cancelled because this process was ending (a signal the script handles, then `exit`: once). */
  private readonly cancelledAtEnd = new Set<string>();
  private readonly stopWatchingEnd: (() => void) | undefined;
  /** Ended jobs for the dashboard's view (the latest MAX_VIEW_ROWS), and how many ended each way (job-view.ts). */
  private endedViews: EndedJobView[] = [];
  /** Slurm: each job's restart count at the last look (requeued-jobs.ts). */
  private readonly restarts = new Map<string, number>();
  /**
   * Jobs this cluster cancelled (a scale-down, adapt, a surplus) that the batch system may still
   * list while their workers finish their tasks (Slurm: R, then CG until KillWait): such a job is
   * gone for the cluster, not "back in the listing". Each id is dropped when the job is forgotten
   * (FORGET_AFTER_LOOKS listings in a row lacked it), not when one listing first lacks it.
   */
  private readonly cancelledHere = new Set<string>();
  /** Ended jobs: how many listings in a row have lacked each (forgotten at FORGET_AFTER_LOOKS). */
  private readonly unlisted = new Map<string, number>();
  /** Jobs killed at their walltime with their worker connected: what was said (walltime-kills.ts). */
  private walltimeKills: WalltimeKills = NO_WALLTIME_KILLS;
  private readonly endedCounts = { failed: 0, done: 0 };
  /** The client the view is published through, the view last published, and the last failure to publish (said once). */
  private publisher: Promise<Client> | undefined;
  private publishedView = '';
  private publishFailure: string | undefined;
  /** Running jobs whose joined worker is absent from the scheduler: since when, and whether said (absent-workers.ts). */
  private readonly absences = new Map<string, { since: number | undefined; said: boolean }>();
  /** The scheduler's live workers at the last look that read them. */
  private lastLive: ReadonlySet<string> = new Set();
  /**
   * The scheduler's live workers at the newest reading, by the order the readings were asked for:
   * what the jobs' view calls connected. A look's own reading (lastLive) can be older than the one
   * waitForWorkers marked a job joined from while the look read the batch system.
   */
  private connectedNow: { reading: number; names: ReadonlySet<string> } = { reading: 0, names: new Set() };
  private readings = 0;
  /** When the batch system last listed the jobs, and whether its listing fails now (listing-health.ts). */
  private listing: ListingHealth = NO_LISTING;

  /**
   * Where adapt() and the worker listing read the dashboard: where the scheduler serves it, not
   * its public link, which may sit behind a proxy's own login that the cluster's token does not
   * pass (this process reaches the scheduler itself, so it reaches its dashboard too).
   */
  readonly dashboardDirectUrl: string | undefined;

  protected constructor(
    opts: JobClusterOptions, private readonly local: LocalCluster | undefined, readonly schedulerAddress: string,
    /** Where to open the dashboard: its public link when the scheduler has one. */
    readonly dashboardUrl: string | undefined,
    dashboardDirectUrl: string | undefined = dashboardUrl,
  ) {
    this.opts = opts;
    this.dashboardDirectUrl = dashboardDirectUrl;
    this.failed = new Promise((resolve) => { this.markFailed = resolve; });
    this.noWorker = new Promise((resolve) => { this.markNoWorker = resolve; });
    // A script stopped by Ctrl-C, SIGTERM or an uncaught error never reaches close(): its jobs
    // would wait in the queue, or run until their walltime with a worker dialling a scheduler
    // that has gone (workers reconnect for ever). Cancel them on the way out.
    // A script (gluon-cluster) that handles the signal itself closes the cluster: not twice.
    if (this.cancelCommand) this.stopWatchingEnd = onProcessEnd(() => this.cancelAtEnd(), { onlyAtEnd: true });
  }

  /** Cancels, synchronously, every job not yet cancelled (the process is ending: nothing async completes). */
  private cancelAtEnd(): void {
    const ids = [...this.jobs.values()].filter((j) => j.state !== 'gone' && !this.cancelledAtEnd.has(j.id)).map((j) => j.id);
    if (!ids.length) return;
    for (const id of ids) this.cancelledAtEnd.add(id);
    const [cmd, ...args] = this.cancelCommand!(ids);
    const r = spawnSync(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, encoding: 'utf8' });
    const how = r.error ? `failed (${r.error.message}); cancel them yourself` : r.status === 0 ? 'done' : `failed (exit ${r.status ?? r.signal}: ${r.stderr.trim()}); cancel them yourself`;
    this.log(`${this.kind} cluster: the process is ending without close(): ${cmd} ${ids.join(' ')}: ${how}`);
  }

  /**
   * Resolves with the error once the cluster stops submitting because `maxFailedJobs` jobs in a
   * row ended before their worker joined (never, otherwise): a long-running caller (the CLI, an
   * adaptive cluster) learns of it here.
   */
  whenFailed(): Promise<Error> {
    return this.failed;
  }

  /**
   * Resolves, once, when no worker can come any more and none is connected (no-worker-coming.ts:
   * the cluster gave up, or, over ssh, every host's session ended before its worker joined), with
   * the error its owner ends with: every job and its output file (ssh: every host and what its
   * session printed) and what to fix, the prologue named as `words` says. Judged after each look;
   * never, otherwise. gluon-cluster and the analyses' runs (startBatchRun) end on it.
   */
  async whenNoWorkerCanCome(words: FixWords): Promise<NoWorkerCanComeError> {
    return new NoWorkerCanComeError(await this.noWorker, this.schedulerAddress, words);
  }

  /** The state no-worker-coming.ts judges: the jobs that failed in a row, those under way, the workers connected at the last look. */
  outlook(): ClusterOutlook {
    return {
      kind: this.kind, maxFailedJobs: this.opts.maxFailedJobs ?? DEFAULT_MAX_FAILED_JOBS, failedInARow: this.failedInARow, failed: [...this.failedRun],
      underWay: this.jobList.flatMap((j) => (j.state === 'gone' ? [] : [{ id: j.id, state: j.state, ...this.hostOf(j.id) }])),
      workers: this.lastLive.size,
    };
  }

  /** ssh: the host job (session) `id` runs on; none for a batch system's job. */
  protected hostOf(_id: string): { host: string } | undefined {
    return undefined;
  }

  /** A job's worker was seen joined (while it runs, or once it ended: one that retired between two looks). ssh: its host has brought a worker. */
  protected workerJoined(_id: string): void {}

  /** ssh: the host an ended job (session) ran on and what it printed last, for the give-up's message. */
  protected sessionOf(_id: string): FailedStart['session'] {
    return undefined;
  }

  /** The cluster's token (given, or made at random for a scheduler reachable from other hosts). */
  get token(): string | undefined {
    return this.opts.token;
  }

  /**
   * Starts a scheduler here (or attaches to `opts.scheduler`); submits nothing yet. A scheduler
   * started for other hosts gets a random token when none is given (it refuses to listen beyond
   * loopback without one); jobs receive it through their environment.
   */
  protected static async startScheduler<O extends JobClusterOptions>(opts: O, keys: OptionKeys<O>, where: string,
                                                                      batch: { system: string; commands: readonly string[]; check?: (o: O, name: OptionName) => void }):
  Promise<{ opts: O; local?: LocalCluster; address: string; dashboardUrl?: string; dashboardDirectUrl?: string }> {
    checkOptionKeys(opts, keys, where);
    checkJobClusterOptions(opts, opts.optionName);
    batch.check?.(opts, optionNameOf(opts));
    checkClusterToken(opts.token, where);
    if (opts.scheduler) return { opts, address: opts.scheduler, ...(opts.dashboardUrl ? { dashboardUrl: opts.dashboardUrl } : {}) };
    // As gluon-cluster does: a machine without the batch system's commands gets one error naming
    // them before a scheduler starts, not a scheduler and then a failure at the first scale().
    requireCommands(batch.system, batch.commands);
    const host = opts.host ?? '0.0.0.0';
    const token = opts.token ?? (isLoopbackHost(host) ? undefined : randomBytes(24).toString('base64url'));
    const { LocalCluster, LocalClusterStartError, reachableDashboardUrl } = await import('@gluon/client');
    const local = await LocalCluster.start({ nWorkers: 0, host, ...(token ? { token } : {}), ...(opts.dashboardLink !== undefined ? { dashboardLink: opts.dashboardLink } : {}) }).catch((e: unknown) => {
      // Said in the launcher's terms: `gluon-cluster --host 10.0.0.9` said `LocalCluster: … (the
      // flags LocalCluster sets from its options: --host from host)`, a class and option its user
      // never met. The scheduler's own stderr (the cause) is kept whole.
      if (!(e instanceof LocalClusterStartError)) throw e;
      const name = optionNameOf(opts)('host');
      throw new Error(`the scheduler could not start here on ${name} ${host}: it ${e.why}${e.stderr ? `; its stderr:\n${e.stderr}` : ' (no stderr output)'}`);
    });
    // A wildcard bind is not an address anyone can open: http://0.0.0.0:PORT/ was what a script
    // printed for its dashboard. The scheduler's address already names this host.
    const direct = local.dashboardDirectUrl && reachableDashboardUrl(local.dashboardDirectUrl, local.schedulerAddress);
    const dashboardUrl = local.dashboardUrl !== local.dashboardDirectUrl ? local.dashboardUrl : direct;
    return {
      opts: { ...opts, ...(token ? { token } : {}) }, local, address: local.schedulerAddress,
      ...(dashboardUrl ? { dashboardUrl } : {}), ...(direct ? { dashboardDirectUrl: direct } : {}),
    };
  }

  /**
   * Refuses, before any job is submitted, a job script bash cannot parse (script-syntax.ts says
   * why), naming the prologue option when its lines are the cause; `c`'s scheduler is stopped
   * first. Each launcher's start() ends with it: one `bash -n` per start, not one per job.
   */
  protected static async checkedAtStart<C extends JobQueueCluster>(c: C): Promise<C> {
    try {
      checkScriptSyntax(c.jobScript(), `the ${c.kind} job script`, [{ name: optionNameOf(c.opts)('prologue'), lines: c.opts.prologue }]);
    } catch (e) {
      await c.close().catch(() => {});
      throw e;
    }
    return c;
  }

  /**
   * The user whose jobs are listed. USER set but empty is not a user: `squeue --user=` lists no
   * job at all, so every job would look ended and be submitted again, look after look.
   */
  protected get user(): string {
    return process.env.USER?.trim() || userInfo().username;
  }

  /** Cores per job. */
  protected get cores(): number {
    return this.opts.cores ?? 1;
  }

  /** Memory per job in MiB (rounded up), if set. */
  protected get memoryMiB(): number | undefined {
    return this.opts.memory === undefined ? undefined : Math.ceil(parseBytes('memory', this.opts.memory) / 1024 ** 2);
  }

  protected get jobName(): string {
    return this.opts.jobName ?? 'gluon-worker';
  }

  /** The exact script each job runs. */
  jobScript(): string {
    return this.script();
  }

  /**
   * The same job as an array of `n` tasks, one worker each (`#SBATCH --array=0-(n-1)`,
   * `#PBS -J 1-n`): what `scale()` submits for several workers at once where arrays are used
   * (Slurm). PBS never submits it (one job per worker): there it is for a user to submit by hand.
   */
  arrayScript(n: number): string {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`arrayScript: n must be an integer ≥ 1, got ${n}`);
    return this.script(n);
  }

  /**
   * What `scale(n)` submits to a cluster with no jobs: one `arrayScript(n)` where several workers
   * go as one array job, else `jobScript()` (submitted n times). `gluon-cluster --print-job-script`
   * prints it for its `--jobs`.
   */
  scriptFor(n: number): string {
    return this.usesArray(n) ? this.arrayScript(n) : this.jobScript();
  }

  /**
   * What a reader of `scriptFor(n)` cannot see in it, or undefined: that it is submitted `n`
   * times, once per worker job, where no array job is used (PBS; Slurm with `jobArrays: false`).
   * `gluon-cluster --print-job-script` says it on stderr, so the printed script stays the one
   * submitted, byte for byte.
   */
  scriptForNote(n: number): string | undefined {
    return n > 1 && !this.usesArray(n) ? `this job script is submitted ${n} times, one worker per job` : undefined;
  }

  /**
   * What `adapt({ minimum, maximum })` submits, which `jobScript()` alone does not say: how many
   * jobs it starts with, up to how many the load takes it, and how several go at once.
   * `gluon-cluster --adapt MIN:MAX --print-job-script` says it on stderr beside the script.
   */
  adaptNote(minimum: number, maximum: number): string {
    const jobs = (n: number) => `${n} job${n === 1 ? '' : 's'}`;
    const start = minimum === 0 ? 'no job until the scheduler has tasks' : jobs(minimum);
    const how = this.usesArray(2)
      ? 'several workers wanted at once are submitted as one array job of this script (with its array directive), one alone as this script'
      : 'this job script is submitted once per worker, one worker per job';
    return `adapt starts with ${start} and follows the scheduler's load up to ${jobs(maximum)}, back to ${minimum} when idle; ${how}`;
  }

  /** Whether `n` missing workers are submitted as one array job. */
  private usesArray(n: number): boolean {
    return n > 1 && this.submitArray !== undefined && this.opts.jobArrays !== false;
  }

  /** The job script; an array's when `arraySize` is given. */
  private script(arraySize?: number): string {
    const o = this.opts;
    // Workers on other hosts fetch results from each other: each listens on, and names, its node.
    const worker = this.workerCommand(`${this.jobName}-${this.jobIdExpr(arraySize !== undefined)}`, isLoopbackHost(o.host ?? '0.0.0.0') ? undefined : '$(hostname)');
    return [
      '#!/usr/bin/env bash',
      ...this.directives(arraySize),
      '',
      'set -e',
      `cd ${shellQuote(o.cwd ?? process.cwd())}`,
      ...(o.prologue ?? []),
      // exec: the batch system's SIGTERM reaches the worker, which hands its work back and exits.
      `exec ${worker}`,
      '',
    ].join('\n');
  }

  /** The gluon-worker command line, shell-quoted (words with `$` stay expandable): named `name`, listening on `listenHost`. */
  protected workerCommand(name: string, listenHost: string | undefined): string {
    const o = this.opts;
    const worker = [o.node ?? process.execPath, workerBin(), this.schedulerAddress, '--nthreads', String(this.cores), '--name', name];
    if (o.memory) worker.push('--memory-limit', o.memory);
    if (listenHost) worker.push('--listen-host', listenHost);
    // Retire before the walltime kills the worker with its results (lifetime.ts says why).
    worker.push(...lifetimeArgs(o));
    // Give up, and end the job, once no scheduler has been connected this long (lifetime.ts).
    worker.push(...deathTimeoutArgs(o));
    worker.push(...this.workerTlsArgs());
    worker.push(...(o.workerExtraArgs ?? []));
    return worker.map((w) => (w.includes('$') ? `"${w}"` : shellQuote(w))).join(' ');
  }

  /** gluon-worker's TLS flags (none here: a launcher that runs its scheduler with TLS gives them). */
  protected workerTlsArgs(): readonly string[] {
    return [];
  }

  /** What this process trusts when it connects to the scheduler and reads its dashboard (none here: the system's CAs). */
  protected clientTls(): TlsOptions | undefined {
    return undefined;
  }

  /** Every job id this cluster tracks, gone ones included (a launcher matches its listing to them). */
  protected get trackedIds(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * How many jobs are being submitted right now: the batch system has not yet given their ids (an
   * sbatch or qsub under way; an array job counts its tasks), so they are not in `jobList` yet.
   * `close()` waits for the submission and cancels them once their ids come back: a caller saying
   * what it cancels counts them (gluon-cluster stopped while sbatch ran said `cancelling 0 job(s)`).
   */
  get submitting(): number {
    return this.inFlight;
  }

  /**
   * Undefined while the batch system lists the jobs; while its listing fails (slurmctld down:
   * `squeue` fails), that `jobList`'s states are the last listed, with when and why
   * (`the batch system has not listed the jobs since 2026-12-05T08:46:38Z (failing since …: squeue … failed …)`):
   * they were read as current, a job that had ended meanwhile still running.
   */
  get listingStale(): string | undefined {
    const stale = staleListing(this.listing);
    return stale && staleText(stale);
  }

  /** The jobs submitted and not yet known to be gone, as last listed (each job's `listedAt`; {@link listingStale}). */
  get jobList(): JobInfo[] {
    return [...this.jobs.values()].filter((j) => j.state !== 'gone');
  }

  /** A client of this cluster's scheduler; closed with the cluster. */
  client(): Promise<Client> {
    return this.connect();
  }

  /** Connects a client to the scheduler (named `name` there, if given) and keeps it to close with the cluster. */
  private async connect(name?: string): Promise<Client> {
    const tls = this.clientTls();
    const { Client } = await import('@gluon/client');
    // Its jobs are the workers, and the cluster says itself when they stay pending (pending-jobs.ts):
    // the client's own notice would send the user to start gluon-worker by hand.
    const c = await Client.connect(this.schedulerAddress, {
      ...(this.opts.token ? { token: this.opts.token } : {}), ...(name !== undefined ? { name } : {}), ...(tls ? { tls } : {}), workersHelp: false,
    });
    this.clients.push(c);
    return c;
  }

  /** Keeps `n` jobs (one worker each): submits or cancels (pending ones first, then the newest). */
  async scale(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`scale: n must be an integer ≥ 0, got ${n}`);
    if (this.closed) throw new Error(`${this.kind} cluster: closed`);
    if (this.failure) throw this.failure;
    this.adaptOpts = undefined;
    this.target = n;
    this.asked = true;
    await this.sync();
    this.watch();
  }

  /** Follows the scheduler's load within [minimum, maximum] workers until `scale()` or `close()`. */
  adapt(opts: AdaptOptions): void {
    checkAdaptOptions(opts);
    if (this.failure) throw this.failure;
    if (!this.dashboardDirectUrl) throw new Error(`${this.kind} cluster: adapt reads the load from the scheduler's dashboard; give dashboardUrl when attaching to a scheduler`);
    this.adaptOpts = opts;
    this.target = Math.max(this.target, opts.minimum ?? 0);
    if (opts.intervalMs !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.watch(opts.intervalMs);
  }

  /** Resolves once `n` workers of this cluster are connected and working, none of them leaving (bounded by `timeoutMs`). */
  async waitForWorkers(n: number, timeoutMs = 300_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const mine = await this.liveWorkerNames();
      if (mine.length >= n) return;
      if (this.failure) throw this.failure;
      if (Date.now() > end) {
        const stale = this.listingStale;
        throw new Error(`${this.kind} cluster: ${mine.length} of ${n} workers connected after ${timeoutMs} ms; jobs: ${this.jobList.map((j) => `${j.id} ${j.requeued ? 'requeued, pending' : j.state}`).join(', ') || 'none'}${stale ? ` (as last listed: ${stale})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Names of this cluster's workers the scheduler lists as alive and not leaving (needs the
   * dashboard): those that take tasks, what `waitForWorkers(n)` counts. A worker that is closing
   * (its lifetime ended, or its job was SIGTERM'd by a walltime, a preemption or a rerun) takes no
   * more tasks: it only finishes its running ones and hands its results over, and counted, it let
   * `waitForWorkers(n)` return with fewer than n workers to run on. It still joined (noteJoined):
   * its job's end is not a failure. The looks decide on a closing worker's job by their own rule
   * (job-plan.ts: only a retiring one is replaced before its job ends).
   */
  async liveWorkerNames(): Promise<string[]> {
    if (!this.dashboardDirectUrl) throw new Error(`${this.kind} cluster: no dashboard to read workers from`);
    const reading = ++this.readings;
    const { names, closing } = await fetchLoad(this.dashboardDirectUrl, this.opts.token, this.clientTls());
    this.noteJoined(names);
    this.noteConnected(reading, names);
    const leaving = new Set(closing);
    const prefix = `${this.jobName}-`;
    // A requeued job's old worker, or the worker of a job that ended or the cluster cancelled,
    // handing its results over as it leaves, is no worker of the cluster.
    return names.filter((n) => {
      if (leaving.has(n)) return false;
      const j = n.startsWith(prefix) ? this.jobs.get(n.slice(prefix.length)) : undefined;
      return j !== undefined && j.state !== 'gone' && !j.requeued;
    });
  }

  /** Keeps `names` as the connected workers if no later-asked reading was kept already. */
  private noteConnected(reading: number, names: readonly string[]): void {
    if (reading > this.connectedNow.reading) this.connectedNow = { reading, names: new Set(names) };
  }

  /** Marks the jobs whose worker is among `names` (the scheduler's live workers) as joined. */
  private noteJoined(names: string[]): void {
    const live = new Set(names);
    for (const j of this.jobs.values()) {
      // A requeued job's old worker may still be connected: the job's next run has not joined.
      if (!j.joined && !j.requeued && live.has(j.workerName)) {
        j.joined = true;
        this.workerJoined(j.id);
        this.failedInARow = 0; // a worker joined: the jobs do work
        this.failedRun = [];
      }
    }
  }

  /** Cancels every job this cluster submitted, waits until the batch system lists none, stops its scheduler. */
  async close(timeoutMs = 120_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.target = 0;
    this.adaptOpts = undefined;
    await this.syncing?.catch(() => {});
    await Promise.all(this.clients.map((c) => c.close()));
    const end = Date.now() + timeoutMs;
    const cancelled = new Map<string, number>(); // id → when it was last cancelled
    // Cancel every job first, before asking the batch system anything: a listing that fails
    // (qstat killed by the same signal that stops us) must not leave a job running. Not those
    // known ended: every job of the cluster's life was named, thousands on a farm with worker
    // lifetimes, each a request to the batch server and an error back.
    const live = this.jobList.map((j) => j.id);
    if (live.length) {
      await this.cancel(live).catch(() => {});
      for (const id of live) cancelled.set(id, Date.now());
    }
    while (this.jobs.size) {
      let listed: Map<string, ListedJob>;
      try {
        listed = await this.listJobs();
      } catch (err) {
        if (Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const ours = [...this.jobs.keys()].filter((id) => listed.has(id));
      if (ours.length === 0) break;
      if (Date.now() > end) throw new Error(`${this.kind} cluster: jobs ${ours.join(', ')} still listed ${timeoutMs} ms after cancelling them`);
      // A cancelled job takes a moment to leave the listing (its worker hands back work first);
      // cancel again only if it is still there 10 s later.
      const now = Date.now();
      const due = ours.filter((id) => !(now - (cancelled.get(id) ?? -Infinity) < 10_000));
      if (due.length) {
        await this.cancel(due).catch(() => {}); // a job may end between listing and cancelling
        for (const id of due) cancelled.set(id, now);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const j of this.jobs.values()) j.state = 'gone';
    this.stopWatchingEnd?.();
    await this.local?.close();
  }

  private watch(everyMs = this.opts.pollIntervalMs ?? 2000): void {
    if (this.timer || this.closed) return;
    // Giving up was logged when it happened, and stopped this timer. Any other failure (a submit
    // that fails on every look, e.g. a bad account under adapt()) is logged once, not every look.
    this.timer = setInterval(() => {
      this.sync().then(() => { this.lastLookFailure = undefined; }, (e: Error) => {
        if (e === this.failure || e.message === this.lastLookFailure) return;
        this.lastLookFailure = e.message;
        this.log(`${e.message} (retrying every ${everyMs} ms; said again only if it changes)`);
      });
    }, everyMs);
    this.timer.unref();
  }

  /** One look: refresh job states, adapt the target, submit or cancel to meet it. Never runs twice at once. */
  private sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => { this.syncing = undefined; this.judgeOutlook(); });
    return this.syncing;
  }

  /** After a look: whether a worker can still come (no-worker-coming.ts decides; said once). */
  private judgeOutlook(): void {
    if (this.closed || this.noWorkerJudged) return;
    const v = noWorkerCanCome(this.outlook());
    if (!v) return;
    this.noWorkerJudged = true;
    this.markNoWorker(v);
  }

  /**
   * Runs `submission` of `n` jobs, counted in {@link submitting} until it settles. A refusal that
   * is about one of the options (`invalid partition specified: nosuch`) names it first, as its
   * caller typed it (submit-refusals.ts).
   */
  private async whileSubmitting<T>(n: number, submission: () => Promise<T>): Promise<T> {
    this.inFlight += n;
    try {
      return await submission();
    } catch (e) {
      if (!(e instanceof BatchCommandError) || (this.kind !== 'slurm' && this.kind !== 'pbs')) throw e;
      const about = submitRefusal(this.kind, e.output, this.opts, optionNameOf(this.opts));
      throw about ? new BatchCommandError(e.command, e.status, e.output, about) : e;
    } finally {
      this.inFlight -= n;
    }
  }

  /** Tracks a submitted job (pending until the batch system lists it running). */
  private track(id: string): void {
    this.jobs.set(id, { id, state: 'pending', workerName: `${this.jobName}-${id}`, joined: false, retiring: false, requeued: false, requeues: 0, rerun: false, since: Date.now() });
  }

  /**
   * Says once when a running job's worker has left the scheduler without saying it was leaving (a
   * frozen node) and when it is back (absent-workers.ts). Such a job is not replaced while it runs.
   */
  private noteAbsences(live: ReadonlySet<string>, now: number): void {
    for (const j of this.jobs.values()) {
      const watched = j.state === 'running' && j.joined && !j.requeued && !j.retiring;
      const was = this.absences.get(j.id);
      if (!watched) {
        this.absences.delete(j.id);
        continue;
      }
      const look = absenceLook(was?.since, was?.said ?? false, live.has(j.workerName), now, this.opts.absentNoticeMs);
      if (look.news !== 'none') {
        const away = now - (look.news === 'back' ? was!.since! : look.since!);
        this.log(absenceLine(this.kind, j.id, j.workerName, look.news, away, this.cancelCommand?.([])[0] ?? 'cancel'));
      }
      if (look.since === undefined) this.absences.delete(j.id);
      else this.absences.set(j.id, { since: look.since, said: look.said });
    }
  }

  /** Counts a listing that lacked ended job `id`, and forgets the job after FORGET_AFTER_LOOKS of them. */
  private noteUnlisted(id: string): void {
    const looks = (this.unlisted.get(id) ?? 0) + 1;
    if (looks < FORGET_AFTER_LOOKS) {
      this.unlisted.set(id, looks);
      return;
    }
    this.jobs.delete(id);
    this.unlisted.delete(id);
    this.restarts.delete(id);
    this.absences.delete(id);
    // Cancelled here: kept until now, not only until a listing first lacked it. One listing that
    // missed it (a server failing over) made the next, listing it while its worker finished a
    // task, take it back as running: cancelled again as a surplus, said so, counted ended twice.
    this.cancelledHere.delete(id);
  }

  /** Keeps an ended job for the dashboard's view. */
  private noteEnded(f: EndFacts): void {
    const v = endedView(f, Date.now());
    this.endedCounts[v.state]++;
    this.endedViews.push(v);
    if (this.endedViews.length > MAX_VIEW_ROWS) this.endedViews = this.endedViews.slice(-MAX_VIEW_ROWS);
  }

  /**
   * Publishes the jobs' view on the scheduler's topics (job-view.ts) when it changed since the last
   * look, through a client of its own. A scheduler that cannot be reached is said once; the jobs
   * go on regardless, and the next look tries again.
   */
  private async publishView(): Promise<void> {
    const { rows, counts } = jobView(this.jobList, this.endedViews, this.endedCounts, this.connectedNow.names, staleListing(this.listing));
    const text = JSON.stringify([rows, counts]);
    if (text === this.publishedView || this.closed) return;
    try {
      this.publisher ??= this.connect(`${this.kind} cluster`);
      const client = await this.publisher;
      client.publish(BATCH_JOB_COUNTS_TOPIC, counts);
      client.publish(BATCH_JOBS_TOPIC, rows);
      this.publishedView = text;
      this.publishFailure = undefined;
    } catch (e) {
      this.publisher = undefined;
      const why = (e as Error).message;
      if (why !== this.publishFailure) this.log(`${this.kind} cluster: cannot show its jobs on the dashboard (${why}); trying again at each look`);
      this.publishFailure = why;
    }
  }

  private log(line: string): void {
    if (this.opts.log) this.opts.log(line);
    else process.stderr.write(`${line}\n`);
  }

  /**
   * The jobs a look found ended, judged in the order it found them: their final states are asked
   * first, of those that need them (end-states.ts). A problem reading them is said, and the jobs
   * are judged without them.
   */
  private async jobsEnded(found: readonly JobInfo[], retired: ReadonlySet<string>): Promise<void> {
    // A worker that retired at the end of its lifetime and left since the last look was never seen
    // retiring (nor, with a lifetime shorter than a look, joined): its job's end was shown as a
    // plain one, or a failure before its worker joined. The gone worker's row still says it.
    const ended = found.map((j) => (!j.requeued && retired.has(j.workerName) ? { ...j, joined: true, retiring: true } : j));
    const wanted = endStatesWanted(ended, this.jobList.length);
    const asked = ended.filter((_, i) => wanted[i]).map((j) => j.id);
    const got: EndStates = this.endStates && asked.length
      ? await this.endStates(asked).catch((e: Error) => ({ states: new Map<string, EndState>(), problem: e.message }))
      : { states: new Map() };
    if (got.problem) this.log(`${this.kind} cluster: ${got.problem}`);
    for (const j of ended) this.jobEnded(j, got.states.get(j.id));
  }

  /**
   * A job the batch system no longer lists (and this cluster did not cancel), with its final state
   * where it was asked: logged once if its worker never joined, counted unless it was cancelled,
   * and after `maxFailedJobs` of them in a row the cluster gives up.
   */
  private jobEnded(j: JobInfo, end: EndState | undefined): void {
    const ended: EndedJob = { id: j.id, joined: j.joined, outputFile: this.outputOf(j.id) };
    if (j.joined) this.workerJoined(j.id);
    // Judged only for those without a worker; the others' state is for the dashboard's view.
    if (!j.joined) {
      ended.state = end?.state;
      ended.cancelled = end?.cancelled;
    }
    this.noteEnded({ ...ended, retiring: j.retiring, workerName: j.workerName, state: j.joined && end?.unknown ? undefined : end?.state });
    if (j.joined && end?.walltime) {
      const notice = walltimeKillNotice(this.walltimeKills, { id: j.id, state: end.state, retiring: j.retiring },
        { kind: this.kind, walltime: this.opts.walltime, lifetime: this.opts.lifetime !== false }, Date.now());
      this.walltimeKills = notice.said;
      if (notice.line) this.log(notice.line);
    }
    const { consecutive, giveUp } = countEndedJob(this.failedInARow, ended, this.opts.maxFailedJobs ?? DEFAULT_MAX_FAILED_JOBS);
    if (consecutive === 0) this.failedRun = [];
    else if (consecutive > this.failedInARow) this.failedRun = [...this.failedRun, { ...ended, session: this.sessionOf(j.id) }].slice(-FAILED_KEPT);
    this.failedInARow = consecutive;
    if (!j.joined) this.log(endedWithoutWorkerLine(this.kind, ended));
    if (giveUp && !this.failure) {
      // It submits no more, but still looks: the workers connected and the jobs still under way
      // are what no-worker-coming.ts judges (a worker connected goes on with the work).
      this.failure = new JobsFailedError(this.kind, consecutive, ended);
      this.log(this.failure.message);
      this.markFailed(this.failure);
    }
  }

  /**
   * Creates `logDirectory` (as dask-jobqueue does) before the first submission: the batch system
   * does not, and a job whose output file cannot be opened ends at once without a line of output,
   * so the cluster would replace it again and again with nothing said.
   */
  private async makeLogDirectory(): Promise<void> {
    const dir = this.opts.logDirectory;
    if (dir === undefined || this.logDirectoryMade) return;
    await makeDirectory(dir).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${this.kind} cluster: ${optionNameOf(this.opts)('logDirectory')} ${dir} cannot be created (${e.code ?? e.message}); the jobs write their output there`);
    });
    this.logDirectoryMade = true;
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    // Which workers joined: only the dashboard says (without one, ended jobs are not judged).
    // A dashboard that does not answer stops adapting, but not holding the jobs scale() asked for.
    // Read before the listing: a worker seen closing because Slurm requeued its job is then always
    // listed with the requeue counted (requeued-jobs.ts), not taken for a retiring one and replaced.
    const reading = ++this.readings;
    const load = this.dashboardDirectUrl ? await fetchLoad(this.dashboardDirectUrl, this.opts.token, this.clientTls()).catch((e: Error) => { if (this.adaptOpts) throw e; return undefined; }) : undefined;
    let listed: Map<string, ListedJob>;
    try {
      listed = await this.listJobs();
    } catch (e) {
      // The jobs' states are now the last listing's, not the batch system's: the dashboard says so
      // (the failure itself is said by whoever runs the look: watch() once, scale() to its caller).
      this.listing = listingFailed(this.listing, (e as Error).message, Date.now());
      // The scheduler did answer: its workers are current, not an earlier look's (a worker that
      // joined since was shown "not connected" beside its stale job).
      if (load) {
        this.noteJoined(load.names);
        this.lastLive = new Set(load.names);
        this.noteConnected(reading, load.names);
      }
      await this.publishView();
      throw e;
    }
    const answered = listingAnswered(this.listing, Date.now(), this.kind);
    this.listing = answered.health;
    if (answered.line) this.log(answered.line);
    if (load) this.noteJoined(load.names);
    const ended: JobInfo[] = [];
    const mine = new Map<string, ListedJob>();
    // Slurm and PBS list a job from its submission until it has ended: unlisted means ended.
    const now = Date.now();
    for (const j of this.jobs.values()) {
      const shown = j.state === 'gone' ? undefined : liveState(j);
      const l = j.state === 'gone' ? undefined : listed.get(j.id);
      if (l && requeuedNow({ ...j, restarts: this.restarts.get(j.id) }, l)) {
        // Its worker is gone, expected back: pending, not joined (this run's worker has not), not retiring.
        j.requeued = true;
        j.requeues++;
        j.joined = false;
        // Its worker seen retiring while the job was still listed running (PBS keeps a rerun job
        // R while it stops): it was replaced, and the replacement, not this job, is the surplus.
        j.rerun = j.retiring;
        j.retiring = false;
        this.log(requeuedLine(this.kind, j.id, l, j.requeues));
      } else if (l && !stillRequeued(l)) {
        j.requeued = false;
        j.rerun = false;
      }
      if (l?.restarts !== undefined) this.restarts.set(j.id, l.restarts);
      // The listing's own time, as the dashboard's stale rows say it.
      if (l) j.listedAt = this.listing.lastListed;
      if (l) mine.set(j.id, j.requeued ? { ...l, state: 'pending', requeued: true } : l);
      // One this cluster cancelled stays gone: listed again, it was taken back as running, cancelled
      // again as a surplus (said as the cluster's own cancel, for a cause that had not happened)
      // and counted ended twice on the dashboard.
      const seen = this.cancelledHere.has(j.id) ? undefined : listed.get(j.id);
      const state = seen ? requeuedState(j.requeued, seen) : 'gone';
      if (state === 'gone' && j.state !== 'gone') ended.push(j);
      j.state = state;
      if (state !== 'gone' && liveState(j) !== shown) j.since = now;
      // Judged below with the other ended jobs (or, cancelled here, when it was cancelled).
      if (state === 'gone' && !listed.has(j.id)) this.noteUnlisted(j.id);
      else this.unlisted.delete(j.id);
    }
    if (load) await this.jobsEnded(ended, new Set(load.retired));
    // Without the dashboard's workers, an ended job is not judged: shown as ended, no more.
    else for (const j of ended) this.noteEnded({ id: j.id, joined: j.joined, retiring: j.retiring, workerName: j.workerName, outputFile: this.outputOf(j.id) });
    if (load) {
      // Retiring workers, from this look's reading (a look without one keeps the last reading:
      // a dashboard that fails once must not make a retiring job count as working, and its
      // replacement be cancelled).
      const closing = new Set(load.closing);
      const retiring = new Set(load.retiring);
      const live = new Set(load.names);
      for (const j of this.jobList) {
        // A requeued job's old worker leaving is not the job ending: it will run again.
        if (j.requeued) continue;
        const seen: WorkerSeen = retiring.has(j.workerName) ? 'retiring' : closing.has(j.workerName) ? 'closing' : live.has(j.workerName) ? 'running' : 'absent';
        j.retiring = isRetiring(j.retiring, seen);
      }
      this.lastLive = live;
      this.noteConnected(reading, load.names);
      this.noteAbsences(live, now);
    }
    // After the retiring jobs are known: a replacement waiting for a retiree's slot is no news.
    for (const j of this.jobList) {
      const l = mine.get(j.id);
      if (l && j.retiring) mine.set(j.id, { ...l, retiring: true });
    }
    const notice = pendingNotice(this.kind, this.pendingEpisode, mine, Date.now(), this.opts.pendingNoticeMs ?? DEFAULT_PENDING_NOTICE_MS, this.slotWaits);
    this.pendingEpisode = notice.episode;
    this.slotWaits = notice.waits;
    for (const line of notice.lines) this.log(line);
    // Given up: the look above kept the jobs' states and the workers current; nothing is submitted or cancelled.
    if (this.failure) {
      await this.publishView();
      throw this.failure;
    }
    const planJobs = this.jobList.map((j): PlanJob => ({ id: j.id, state: j.state === 'running' ? 'running' : 'pending', retiring: j.retiring, rerun: j.rerun }));
    const plan = planLook({
      jobs: planJobs,
      target: this.target,
      asked: this.asked,
      // close() came while this look read the batch system: it cancels every job once the look ends.
      closing: this.closed,
      ...(this.adaptOpts && load ? { adapt: { load, opts: this.adaptOpts, cores: this.cores, idleLooks: this.idleLooks } } : {}),
    });
    this.asked = false;
    this.target = plan.target;
    this.idleLooks = plan.idleLooks;
    if (plan.submit > 0) {
      await this.makeLogDirectory();
      const env = { ...process.env, ...(this.opts.token ? { GLUON_TOKEN: this.opts.token } : {}) };
      // close() waits for this look: once it is called, submit no more (it cancels those tracked,
      // and those whose submission it came during, once their ids are back).
      if (this.usesArray(plan.submit)) {
        if (!this.closed) for (const id of await this.whileSubmitting(plan.submit, () => this.submitArray!(env, plan.submit))) this.track(id);
      } else {
        for (let i = 0; i < plan.submit && !this.closed; i++) this.track(await this.whileSubmitting(1, () => this.submit(env)));
      }
    } else if (plan.cancel.length) {
      await this.cancel(plan.cancel);
      const said = cancelLine(this.kind, plan, planJobs);
      if (said) this.log(said);
      for (const id of plan.cancel) {
        const j = this.jobs.get(id)!;
        j.state = 'gone';
        this.cancelledHere.add(id);
        this.noteEnded({ id, joined: j.joined, retiring: false, workerName: j.workerName, byCluster: true, outputFile: this.outputOf(id) });
      }
    }
    await this.publishView();
  }
}
