/** SlurmCluster: workers as Slurm jobs (sbatch, squeue, scancel). */
import type { ListedJob } from './pending-jobs.js';
import { JOB_CLUSTER_OPTION_KEYS, jobsNeedToken, JobQueueCluster, type JobClusterOptions } from './job-cluster.js';
import { resolve } from 'node:path';
import { runCommand } from './commands.js';
import { slurmStateIsCancel, type EndState } from './job-failures.js';
import { slurmStateIsWalltime } from './walltime-kills.js';
import { END_STATE_QUERIES, mapBounded, type EndStates } from './end-states.js';

/**
 * Gluon workers as Slurm batch jobs, one worker per job:
 * ```ts
 * const cluster = await SlurmCluster.start({ cores: 4, memory: '8GiB', walltime: '02:00:00', queue: 'short' });
 * await cluster.scale(10);
 * const client = await cluster.client();
 * ```
 * Options map to `#SBATCH` directives: cores → `--cpus-per-task`, memory → `--mem` (MiB),
 * walltime → `--time`, queue → `--partition`, account → `--account`, logDirectory → `--output`,
 * jobExtra → one `#SBATCH` line each.
 */
export class SlurmCluster extends JobQueueCluster {
  readonly kind = 'slurm';
  // squeue --array lists an array's tasks as <array job id>_<task id>; a plain job by its id.
  protected jobIdExpr(array: boolean): string {
    return array ? '${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}' : '${SLURM_JOB_ID}';
  }

  /** The commands it submits, lists and cancels jobs with (`requireCommands` checks them). */
  static readonly commands = ['sbatch', 'squeue', 'scancel'] as const;

  /**
   * Starts (or attaches to) the scheduler; submit workers with `scale(n)` or `adapt()`. Refuses an
   * unknown option key, and, when it would start a scheduler, a PATH without sbatch, squeue or
   * scancel (nothing is started then).
   */
  static async start(opts: JobClusterOptions = {}): Promise<SlurmCluster> {
    const s = await JobQueueCluster.startScheduler(opts, JOB_CLUSTER_OPTION_KEYS, 'SlurmCluster.start', { system: 'Slurm', commands: SlurmCluster.commands, check: checkSlurmOptions });
    return JobQueueCluster.checkedAtStart(new SlurmCluster(s.opts, s.local, s.address, s.dashboardUrl, s.dashboardDirectUrl));
  }

  protected directives(arraySize?: number): string[] {
    const o = this.opts;
    const d = [`--job-name=${this.jobName}`, '--ntasks=1', `--cpus-per-task=${this.cores}`];
    if (this.memoryMiB !== undefined) d.push(`--mem=${this.memoryMiB}M`);
    if (o.walltime) d.push(`--time=${o.walltime}`);
    if (o.queue) d.push(`--partition=${o.queue}`);
    if (o.account) d.push(`--account=${o.account}`);
    // An array task's output is named like its listing: <name>-<array job>_<task>.out.
    if (o.logDirectory) d.push(`--output=${slurmDirectiveValue(`${o.logDirectory}/%x-${arraySize === undefined ? '%j' : '%A_%a'}.out`)}`);
    if (arraySize !== undefined) d.push(`--array=0-${arraySize - 1}`);
    d.push(...(o.jobExtra ?? []));
    return d.map((x) => `#SBATCH ${x}`);
  }

  protected async submit(env: NodeJS.ProcessEnv, script = this.jobScript()): Promise<string> {
    // --parsable prints "jobid" or "jobid;cluster"; the script comes on stdin.
    const out = await runCommand(['sbatch', '--parsable'], { input: script, env });
    const id = out.trim().split(';')[0]!;
    if (!/^\d+$/.test(id)) throw new Error(`sbatch printed "${out.trim()}", not a job id`);
    return id;
  }

  protected override async submitArray(env: NodeJS.ProcessEnv, n: number): Promise<string[]> {
    const id = await this.submit(env, this.arrayScript(n));
    return Array.from({ length: n }, (_, i) => `${id}_${i}`);
  }

  protected async listJobs(): Promise<Map<string, ListedJob>> {
    // --array: one line per array task (a pending array is otherwise one line, 12_[0-9]).
    // RestartCnt: a requeue is counted at once, while the stopped run is still listed CG
    // (requeued-jobs.ts). Reason: why a job is pending (Resources, Priority, JobHeldUser, …), said
    // when jobs wait long. Width 0 and a space after each: the fields whole, as `%i %t %r` gave them.
    const out = await runCommand(['squeue', '--array', '--noheader', SQUEUE_FORMAT, `--user=${this.user}`]);
    return parseSqueue(out);
  }

  protected async cancel(ids: string[]): Promise<void> {
    if (ids.length) await runCommand(this.cancelCommand(ids));
  }

  protected override cancelCommand(ids: string[]): string[] {
    return ['scancel', ...ids];
  }

  // The --output of directives() (an array task's id is already <array job>_<task>, as %A_%a),
  // else Slurm's default, slurm-%j.out in the directory sbatch ran in.
  protected outputOf(id: string): string {
    const dir = this.opts.logDirectory;
    return dir === undefined ? resolve(`slurm-${id}.out`) : resolve(dir, `${this.jobName}-${id}.out`);
  }

  // scontrol still shows an ended job for MinJobAge (default 300 s), without accounting, one job a
  // call: END_STATE_QUERIES at a time. One it no longer shows (past MinJobAge) has no state known.
  protected override async endStates(ids: string[]): Promise<EndStates> {
    const states = await mapBounded(ids, END_STATE_QUERIES, (id) => runCommand(['scontrol', '--oneliner', 'show', 'job', id]).then(parseScontrolEnd, () => undefined));
    return { states: new Map(ids.flatMap((id, i) => (states[i] ? [[id, states[i]] as const] : []))) };
  }
}

/**
 * A directive's value as sbatch reads it: one with a space in double quotes. Unquoted, sbatch took
 * the words after the space for a directive of their own (`#SBATCH --output=my logs/%x-%j.out`:
 * "Invalid directive found in batch script: logs/%x-%j.out", naming no option), and
 * `--print-job-script` printed that script. sbatch takes `--output="my logs/%x-%j.out"` (Slurm
 * 22.05, 7 December 2026: the job wrote `my logs/q.sh-787.out`).
 */
function slurmDirectiveValue(v: string): string {
  return /\s/.test(v) ? `"${v}"` : v;
}

/** The options sbatch must be able to act on, before anything starts: the log directory, and what the jobs' environment keeps. */
function checkSlurmOptions(o: JobClusterOptions, name: (key: string) => string): void {
  // No double quote: the quotes around a value with spaces (above) cannot hold one.
  if (o.logDirectory?.includes('"')) throw new RangeError(`${name('logDirectory')} must hold no double quote (an #SBATCH --output="…" value cannot), got ${JSON.stringify(o.logDirectory)}`);
  const cut = exportWithoutToken(o.jobExtra ?? [], process.env.SBATCH_EXPORT);
  if (cut && jobsNeedToken(o)) {
    throw new RangeError(`${cut.from === 'env' ? 'SBATCH_EXPORT' : name('jobExtra')} ${JSON.stringify(cut.given)} keeps GLUON_TOKEN from the jobs: the cluster's token reaches them only through sbatch's environment (it is never written into the script), so each worker would refuse to start without it and its job end at once; use --export=ALL (Slurm's default), or name it: --export=GLUON_TOKEN,…`);
  }
}

/**
 * The `--export` the jobs get that leaves GLUON_TOKEN out (`NONE`, `NIL`, or a list without it), if
 * any: `SBATCH_EXPORT` in this environment wins over the script's directive (sbatch(1): environment
 * variables override directives). With `--job-extra "--export=NONE"` every job ended at once
 * (FAILED, exit 2:0), its worker saying it listens without a token, five times before the cluster gave up.
 */
function exportWithoutToken(jobExtra: readonly string[], sbatchExport: string | undefined): { from: 'env' | 'jobExtra'; given: string } | undefined {
  const directive = [...jobExtra].reverse().find((d) => /^--export[=\s]/.test(d.trim()));
  const given = sbatchExport !== undefined ? { from: 'env' as const, given: sbatchExport, value: sbatchExport } : directive ? { from: 'jobExtra' as const, given: directive, value: directive.trim().replace(/^--export[=\s]\s*/, '') } : undefined;
  if (!given) return undefined;
  const names = given.value.split(',').map((n) => n.trim().split('=')[0]);
  return names.includes('ALL') || names.includes('GLUON_TOKEN') ? undefined : { from: given.from, given: given.given };
}

/** `scontrol -o show job ID` → `FAILED, exit code 127:0` (its JobState and ExitCode), whether that is a cancel and whether a walltime kill (TIMEOUT), or undefined. */
export function parseScontrolEnd(out: string): EndState | undefined {
  const state = /\bJobState=(\S+)/.exec(out)?.[1];
  const exit = /\bExitCode=(\S+)/.exec(out)?.[1];
  if (!state) return undefined;
  return { state: `${state}${exit ? `, exit code ${exit}` : ''}`, cancelled: slurmStateIsCancel(state), ...(slurmStateIsWalltime(state) ? { walltime: true as const } : {}) };
}

/**
 * squeue's compact states (squeue(1), JOB STATE CODES) of a job that is not running and waits to:
 * PENDING, CONFIGURING, RESV_DEL_HOLD (held after its reservation was deleted), and the requeues
 * {@link SQUEUE_REQUEUES}. The rest (R, CG, S, ST, SI, SO, RS, …) hold an allocation: running.
 */
const SQUEUE_WAITING = new Set(['PD', 'CF', 'RD']);
/** REQUEUED (a completing job being requeued), REQUEUE_HOLD, REQUEUE_FED, SPECIAL_EXIT (requeued in a special state). */
const SQUEUE_REQUEUES = new Set(['RQ', 'RH', 'RF', 'SE']);

/** What the cluster's look asks squeue for: job id, compact state, restart count, reason (see parseSqueue). */
const SQUEUE_FORMAT = '--Format=JobArrayID:0 ,StateCompact:0 ,RestartCnt:0 ,Reason:0';

/**
 * squeue's listing in {@link SQUEUE_FORMAT} (`101 PD 1 BeginTime`) → job id → pending (PD, CF, RD,
 * and the requeue states RQ, RH, RF, SE, marked `requeued`) or running (R, CG and the rest; CG
 * marked `completing`), with how many times it was requeued and the reason a pending job gives (the
 * rest of the line; `None` is none). A line without the count (`--format='%i %t %r'`) is read too.
 */
export function parseSqueue(out: string): Map<string, ListedJob> {
  const jobs = new Map<string, ListedJob>();
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+(\S+)(?:\s+(\d+)(?=\s|$))?(?:\s+(.*))?$/.exec(line.trim());
    if (!m) continue;
    const requeued = SQUEUE_REQUEUES.has(m[2]!);
    const pending = requeued || SQUEUE_WAITING.has(m[2]!);
    const reason = m[4]?.trim();
    jobs.set(m[1]!, {
      state: pending ? 'pending' : 'running',
      ...(pending && reason && reason !== 'None' ? { reason } : {}),
      ...(requeued ? { requeued: true } : {}),
      ...(m[3] !== undefined ? { restarts: Number(m[3]) } : {}),
      ...(m[2] === 'CG' ? { completing: true } : {}),
    });
  }
  return jobs;
}
