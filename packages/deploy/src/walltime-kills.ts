/**
 * Jobs the batch system killed at their walltime while their worker was connected. Such a job's
 * running tasks are lost and start again on another worker, so with a walltime shorter than a
 * task the run never ends: every job is killed mid-task and replaced, and the task starts again
 * on the replacement, for as long as the cluster lives. The scheduler does not count these as
 * deaths (the worker said it was leaving, on SIGTERM), the dashboard only showed `ended (TIMEOUT,
 * …)` rows, and nothing was said anywhere else: a client waited in silence. The pure rule that
 * says so, the first at once and the rest folded; the cluster reads the end states and logs.
 */

/** Later walltime kills are said at most this often, as a count. */
export const WALLTIME_KILL_FOLD_MS = 10 * 60_000;

/** What was said of walltime kills so far. */
export interface WalltimeKills {
  /** Kills not said yet (after the first). */
  count: number;
  /** The newest of them. */
  last?: string;
  /** When a line last said them (ms; -Infinity: never). */
  saidAt: number;
}

export const NO_WALLTIME_KILLS: WalltimeKills = { count: 0, saidAt: -Infinity };

/** An ended job whose worker had joined, and what the cluster knows of it. */
export interface KilledJob {
  id: string;
  /** Its final state as {@link EndState} words it (`TIMEOUT, exit code 0:9`). */
  state: string;
  /** Its worker had started to retire (lifetime ended) but was still finishing a task. */
  retiring: boolean;
}

/** The cluster's walltime and whether its workers have a lifetime (`lifetime: false`: none). */
export interface WalltimeSetting {
  kind: string;
  walltime: string | undefined;
  lifetime: boolean;
}

/**
 * Whether Slurm's JobState (`TIMEOUT`) says the job reached its time limit.
 */
export function slurmStateIsWalltime(jobState: string): boolean {
  return jobState.replace(/\+$/, '').toUpperCase() === 'TIMEOUT';
}

/**
 * Whether a PBS Pro / OpenPBS history record's Exit_status says MOM killed the job over its
 * walltime: -29, JOB_EXEC_KILL_WALLTIME (openpbs/openpbs src/include/job.h).
 */
export function pbsExitIsWalltime(exitStatus: string | undefined): boolean {
  return exitStatus === '-29';
}

/**
 * The line (if any) for job `job`, killed at its walltime, and what is said from now on: the
 * first such kill at once, in full; the later ones counted and said as a count once
 * WALLTIME_KILL_FOLD_MS has passed since the last line (the next kill after that says them).
 */
export function walltimeKillNotice(said: WalltimeKills, job: KilledJob, s: WalltimeSetting, now: number): { said: WalltimeKills; line?: string } {
  const wall = s.walltime ? ` ${s.walltime}` : '';
  if (said.saidAt === -Infinity) {
    const why = job.retiring
      ? ' (its worker had begun to retire at the end of its lifetime, but was still finishing a task)'
      : s.lifetime ? '' : '; the workers have no lifetime (lifetime: false, --lifetime none), so each job works until its walltime kills it: give them one below it, so that they retire first';
    return {
      said: { count: 0, saidAt: now },
      line: `${s.kind} cluster: job ${job.id} was killed at its walltime${wall} (${job.state}) with its worker connected${why}: `
        + `the tasks it was running start again on another worker, so a task that takes longer than the walltime never finishes; `
        + `raise the walltime if tasks run that long (said for the first job killed so; later ones are counted, at most one line every ${WALLTIME_KILL_FOLD_MS / 60_000} min)`,
    };
  }
  const count = said.count + 1;
  if (now - said.saidAt < WALLTIME_KILL_FOLD_MS) return { said: { count, last: job.id, saidAt: said.saidAt } };
  const ago = Math.round((now - said.saidAt) / 60_000);
  return {
    said: { count: 0, saidAt: now },
    line: `${s.kind} cluster: ${count} more job(s) killed at their walltime${wall} with their worker connected since ${ago} min ago (the latest: ${job.id}, ${job.state}); their running tasks started again elsewhere`,
  };
}
