/** PBSCluster: workers as PBS Pro / Torque jobs (qsub, qstat, qdel). */
import type { OptionKeys } from '@gluon/protocol';
import type { ListedJob } from './pending-jobs.js';
import { JOB_CLUSTER_OPTION_KEYS, JobQueueCluster, type JobClusterOptions } from './job-cluster.js';
import { resolve } from 'node:path';
import { BatchCommandError, runCommand } from './commands.js';
import { pbsSubstateIsCancel, type EndState } from './job-failures.js';
import { pbsExitIsWalltime } from './walltime-kills.js';
import type { EndStates } from './end-states.js';

export interface PBSClusterOptions extends JobClusterOptions {
  /**
   * The `#PBS -l` resource request. Default (PBS Pro): `select=1:ncpus=<cores>:mem=<MiB>mb`;
   * Torque sites pass e.g. `nodes=1:ppn=4,mem=8gb`.
   */
  resourceSpec?: string;
}

const PBS_OPTION_KEYS: OptionKeys<PBSClusterOptions> = { ...JOB_CLUSTER_OPTION_KEYS, resourceSpec: true };

/**
 * A walltime as PBS reads it (`HH:MM:SS`, hours past 24 allowed): the `D-HH:MM:SS` form the shared
 * check accepts (Slurm's) is not one, so its days become hours (`1-02:00:00` → `26:00:00`).
 */
function pbsWalltime(walltime: string): string {
  const m = /^(\d+)-(\d+):(\d{2}:\d{2})$/.exec(walltime);
  return m ? `${Number(m[1]) * 24 + Number(m[2])}:${m[3]}` : walltime;
}

/**
 * A logDirectory qsub can be given: no space nor double quote. `#PBS -o my logs/` is a directive
 * whose value ends at the space, and whether a PBS server reads a quoted one was not seen here (no
 * PBS server: docs/deploy-pbs.md), so it is refused naming the option rather than submitted.
 */
function checkPbsLogDirectory(o: JobClusterOptions, name: (key: string) => string): void {
  if (o.logDirectory !== undefined && /[\s"]/.test(o.logDirectory)) {
    throw new RangeError(`${name('logDirectory')} must be a path without spaces or double quotes for PBS (a #PBS -o directive ends at a space), got ${JSON.stringify(o.logDirectory)}`);
  }
}

/**
 * Gluon workers as PBS batch jobs, one worker per job. Options map to `#PBS` directives:
 * cores and memory → `-l select=1:ncpus=N:mem=Mmb` (or `resourceSpec`), walltime →
 * `-l walltime=`, queue → `-q`, account → `-A`, logDirectory → `-o`/`-e`, jobExtra → one `#PBS`
 * line each. `scale()` and `adapt()` submit `jobScript()` once per worker, never an array;
 * `arrayScript(n)` is the same job as an array of n (`-J 1-n`), for a user to submit by hand.
 */
export class PBSCluster extends JobQueueCluster {
  readonly kind = 'pbs';
  // PBS Pro lists an array's subjobs as 12[3].server, which is their PBS_JOBID: the worker's name
  // is its job's as listed, in an arrayScript() submitted by hand too.
  protected jobIdExpr(): string {
    return '${PBS_JOBID}';
  }
  declare protected readonly opts: PBSClusterOptions;

  /** The commands it submits, lists and cancels jobs with (`requireCommands` checks them). */
  static readonly commands = ['qsub', 'qstat', 'qdel'] as const;

  /**
   * Starts (or attaches to) the scheduler; submit workers with `scale(n)` or `adapt()`. Refuses an
   * unknown option key, and, when it would start a scheduler, a PATH without qsub, qstat or qdel
   * (nothing is started then).
   */
  static async start(opts: PBSClusterOptions = {}): Promise<PBSCluster> {
    const s = await JobQueueCluster.startScheduler(opts, PBS_OPTION_KEYS, 'PBSCluster.start', { system: 'PBS', commands: PBSCluster.commands, check: checkPbsLogDirectory });
    return JobQueueCluster.checkedAtStart(new PBSCluster(s.opts, s.local, s.address, s.dashboardUrl, s.dashboardDirectUrl));
  }

  protected directives(arraySize?: number): string[] {
    const o = this.opts;
    const mem = this.memoryMiB;
    const d = [`-N ${this.jobName}`, `-l ${o.resourceSpec ?? `select=1:ncpus=${this.cores}${mem !== undefined ? `:mem=${mem}mb` : ''}`}`];
    if (o.walltime) d.push(`-l walltime=${pbsWalltime(o.walltime)}`);
    if (o.queue) d.push(`-q ${o.queue}`);
    if (o.account) d.push(`-A ${o.account}`);
    if (o.logDirectory) d.push(`-o ${o.logDirectory}/`, `-e ${o.logDirectory}/`);
    d.push('-V'); // the submitting environment (GLUON_TOKEN) reaches the job
    d.push(...(o.jobExtra ?? []));
    if (arraySize !== undefined) d.push(`-J 1-${arraySize}`);
    return d.map((x) => `#PBS ${x}`);
  }

  protected async submit(env: NodeJS.ProcessEnv): Promise<string> {
    const out = (await runCommand(['qsub'], { input: this.jobScript(), env })).trim();
    if (!/^\d+(\[\d*\])?(\.\S+)?$/.test(out)) throw new Error(`qsub printed "${out}", not a job id`);
    return out;
  }

  /**
   * `qstat -u` lists no reason, so the pending jobs' `comment` comes from one `qstat -f` of them
   * (`Not Running: Insufficient amount of resource: ncpus`): one more command per look, only while
   * a job is pending and the notice is on. A `qstat -f` that fails (a job ended in between) gives
   * the records it printed; none, and the jobs are said pending without a reason.
   */
  protected async listJobs(): Promise<Map<string, ListedJob>> {
    const jobs = bySubmittedIds(parseQstat(await runCommand(['qstat', '-u', this.user])), this.trackedIds);
    const pending = [...jobs].filter(([, j]) => j.state === 'pending').map(([id]) => id);
    if (!pending.length || this.opts.pendingNoticeMs === Infinity) return jobs;
    const full = await runCommand(['qstat', '-f', ...pending]).catch((e: unknown) => (e instanceof BatchCommandError ? e.output : ''));
    const comments = new Map([...parseQstatFull(full)].map(([id, r]) => [jobNumber(id), r.comment]));
    for (const id of pending) {
      const comment = comments.get(jobNumber(id));
      if (comment) jobs.set(id, { state: 'pending', reason: comment });
    }
    return jobs;
  }

  protected async cancel(ids: string[]): Promise<void> {
    if (ids.length) await runCommand(this.cancelCommand(ids));
  }

  protected override cancelCommand(ids: string[]): string[] {
    return ['qdel', ...ids];
  }

  // PBS names them <job name>.o<sequence> and .e<sequence> (a subjob 12[3]: 12.3), in -o/-e's
  // directory, else in the directory qsub ran in.
  protected outputOf(id: string): string {
    const m = /^(\d+)(?:\[(\d+)\])?/.exec(id);
    const seq = m ? `${m[1]}${m[2] ? `.${m[2]}` : ''}` : id;
    const at = (f: string) => resolve(this.opts.logDirectory ?? '.', `${this.jobName}.${f}${seq}`);
    return `${at('o')} (errors: ${at('e')})`;
  }

  /**
   * The final states of a look's ended jobs, from one `qstat -x -f ID…` naming them all (PBS Pro,
   * OpenPBS: the job history, when the server keeps it; Torque: XML), not one qstat per job. qstat
   * goes on past a job it does not know (`Unknown Job Id`, an answer too: {@link PBS_NO_HISTORY})
   * and exits 153 with the others' records printed; {@link qstatEndStates} matches both to the ids.
   */
  protected override async endStates(ids: string[]): Promise<EndStates> {
    try {
      return qstatEndStates(ids, await runCommand(['qstat', '-x', '-f', ...ids]));
    } catch (e) {
      if (!(e instanceof BatchCommandError)) throw e;
      return qstatEndStates(ids, e.output, e);
    }
  }
}

/**
 * What a server without job history says of an ended job. Job history is off unless a manager
 * sets `job_history_enable = True` (pbs_server_attributes(7B): "Default: False"); the server then
 * purges a job as it ends, so `qstat -x -f` knows no job `qdel` deleted, and it cannot be told from
 * a failure: it is counted, and the line says why.
 */
export const PBS_NO_HISTORY = 'unknown to qstat -x (no job history on the server: PBS job_history_enable = False, or Torque past keep_completed or deleted while queued; a qdel is counted as a failure)';

/**
 * What `qstat -x -f ID…` printed (stderr first, then stdout, as a failed runCommand gives them) for
 * the ended jobs `ids`, and how it failed if it did → each id's final state (a record, or
 * {@link PBS_NO_HISTORY} for its `Unknown Job Id` line), matched by job number (qstat may name the
 * server otherwise than qsub did). An id with neither (a qstat that could not run or reach the
 * server, an output it cannot read) has no state, and `problem` says so naming the command.
 */
export function qstatEndStates(ids: readonly string[], out: string, failed?: BatchCommandError): EndStates {
  const printed = parseQstatEnds(out);
  const byNumber = new Map([...printed].map(([id, s]) => [jobNumber(id), s]));
  const states = new Map<string, EndState>();
  const missing: string[] = [];
  for (const id of ids) {
    const state = printed.get(id) ?? byNumber.get(jobNumber(id));
    if (state) states.set(id, state);
    else missing.push(id);
  }
  if (!missing.length) return { states };
  const command = `qstat -x -f ${few(ids, ' ')}`;
  const how = failed ? `failed (${typeof failed.status === 'number' ? `exit ${failed.status}` : failed.status}) and gave` : 'exited 0 but printed';
  const text = out.trim();
  const said = text ? `it printed ${JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text)}` : 'it printed nothing';
  return { states, problem: `${command} ${how} no record of job(s) ${few(missing, ', ')} (nor "Unknown Job Id"): their final state is not known, and they are judged without it; ${said}` };
}

/** The first of `ids` joined by `sep`, and how many in all when there are more than fit a log line. */
function few(ids: readonly string[], sep: string): string {
  return ids.length <= 8 ? ids.join(sep) : `${ids.slice(0, 6).join(sep)}${sep}… (${ids.length} jobs)`;
}

/**
 * `qstat -x -f ID…` → the final state of each job it printed, by the id it printed: `F, exit
 * status 127` (job_state and Exit_status) and whether the job was deleted (`F deleted (substate
 * 91)`; pbsSubstateIsCancel says why the substate), or {@link PBS_NO_HISTORY} for `qstat: Unknown
 * Job Id ID` (Torque: `Unknown Job Id Error ID`, or `(… Unknown Job Id) getting status of job ID`:
 * the id ends the line). Torque's `-x` is XML, one document per job ({@link parseTorqueXmlEnd}). A
 * record without a job_state is left out.
 */
export function parseQstatEnds(out: string): Map<string, EndState> {
  const ends = new Map<string, EndState>();
  for (const line of out.split('\n')) {
    const id = /Unknown Job Id\b.*\s(\S+)\s*$/.exec(line)?.[1];
    if (id) ends.set(id, { state: PBS_NO_HISTORY, cancelled: false, unknown: true });
  }
  for (const [, job] of out.matchAll(/<Job>([\s\S]*?)<\/Job>/g)) {
    const id = xmlValue(job!, 'Job_Id');
    const end = parseTorqueXmlEnd(job!);
    if (id && end) ends.set(id, end);
  }
  for (const [id, a] of qstatRecords(out)) {
    const state = a.job_state?.trim();
    if (!state) continue;
    const substate = a.substate?.trim();
    const exit = /^-?\d+$/.exec(a.Exit_status?.trim() ?? '')?.[0];
    const cancelled = pbsSubstateIsCancel(substate);
    const walltime = pbsExitIsWalltime(exit) ? { walltime: true as const } : {};
    ends.set(id, { state: `${state}${cancelled ? ` deleted (substate ${substate})` : ''}${exit !== undefined ? `, exit status ${exit}` : ''}`, cancelled, ...walltime });
  }
  return ends;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The text of the job record's element `name` (one not nested in another of the same name), unescaped. */
function xmlValue(out: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(out);
  return m?.[1]!.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => XML_ENTITIES[e]!);
}

/**
 * One job of Torque's `qstat -x -f ID…`, which prints for each ID `<?xml version="1.0"?>` and one
 * line `<Data><Job><Job_Id>…</Job_Id>…<job_state>C</job_state>…<exit_status>127</exit_status>…</Job></Data>`,
 * each attribute an element, its value escaped (adaptivecomputing/torque: src/cmds/qstat.c
 * create_full_job_xml and its loop over the operands, src/cmds/MXML.c): `<Job>`'s content → `C,
 * exit status 127`. Never a cancel: Torque keeps no mark of a qdel (no history substate; a
 * deleted job's exit status is the site's exit_code_canceled_job, unset by default, and a job
 * deleted while queued is purged at once: Unknown Job Id), so it counts as a failure.
 */
function parseTorqueXmlEnd(out: string): EndState | undefined {
  const state = xmlValue(out, 'job_state');
  const exit = xmlValue(out, 'exit_status');
  return state ? { state: `${state}${exit !== undefined ? `, exit status ${exit}` : ''}`, cancelled: false } : undefined;
}

/**
 * `qstat -f` → job id → its attributes. A record starts with `Job Id: ID`; its attributes are
 * `    name = value` lines, and PBS wraps a long value onto lines that begin with a tab (the value
 * goes on with no separator: `ngp` then `\tus=1`). Other lines (qstat's errors) end an attribute.
 */
function qstatRecords(out: string): Map<string, Record<string, string>> {
  const records = new Map<string, Record<string, string>>();
  let attrs: Record<string, string> | undefined;
  let last: string | undefined;
  for (const line of out.split('\n')) {
    const head = /^Job Id:\s*(\S+)/.exec(line);
    if (head) {
      attrs = {};
      records.set(head[1]!, attrs);
      last = undefined;
      continue;
    }
    if (!attrs) continue;
    if (line.startsWith('\t') && last !== undefined) {
      attrs[last] += line.slice(1);
      continue;
    }
    const kv = /^\s+([\w.]+) = (.*)$/.exec(line);
    if (kv) attrs[last = kv[1]!] = kv[2]!;
    else last = undefined;
  }
  return records;
}

/** `qstat -f` → job id → its `job_state` and `comment` ({@link qstatRecords}). */
export function parseQstatFull(out: string): Map<string, { state?: string; comment?: string }> {
  return new Map([...qstatRecords(out)].map(([id, a]) => [id, {
    ...(a.job_state !== undefined ? { state: a.job_state.trim() } : {}),
    ...(a.comment?.trim() ? { comment: a.comment.trim() } : {}),
  }]));
}

/** `12.pbs.example.org` → `12`, `12[3].pbs` → `12[3]`: qstat -u may shorten the server name, -f does not. */
function jobNumber(id: string): string {
  return /^\d+(\[\d*\])?/.exec(id)?.[0] ?? id;
}

/**
 * A `qstat -u` listing keyed by the ids qsub printed (`submitted`). qstat -u cuts a long job id to
 * fit its column, and qsub prints it whole: OpenPBS keeps 15 characters, the last made `*`
 * (`5012345.pbs-se*` for `5012345.pbs-server01`; src/cmds/qstat.c, SIZEJOBID and trunc_value),
 * Torque 22 with no mark (16 before 4.2; PBS_JOB_ID_LEN), and either may list the server by a
 * shorter name than qsub gave. A listed id stands for the submitted one with the same job number
 * (and array index) that it begins (less the `*`); other ids (the user's other jobs) stay as listed.
 * Looked up by the whole id, such a job was never found: it seemed to end at every look, was
 * counted as a job ended before its worker joined, and submitted again.
 */
export function bySubmittedIds(listed: ReadonlyMap<string, ListedJob>, submitted: Iterable<string>): Map<string, ListedJob> {
  const byNumber = new Map<string, string[]>();
  for (const id of submitted) byNumber.set(jobNumber(id), [...(byNumber.get(jobNumber(id)) ?? []), id]);
  const out = new Map<string, ListedJob>();
  for (const [id, job] of listed) {
    const head = id.replace(/\*$/, '');
    const whole = byNumber.get(jobNumber(id))?.find((s) => s === id || s.startsWith(head));
    out.set(whole ?? id, job);
  }
  return out;
}

/** `qstat -u USER` → job id as listed (bySubmittedIds names it as qsub did) → pending (Q, H, W, T) or running (R, E, B, …). */
export function parseQstat(out: string): Map<string, ListedJob> {
  const jobs = new Map<string, ListedJob>();
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (!/^\d+/.test(cols[0] ?? '')) continue;
    // Torque/PBS Pro -u layout: Job ID, Username, Queue, Jobname, SessID, NDS, TSK, Memory, Time, S, Elap
    const st = cols.length >= 10 ? cols[9]! : cols[4] ?? '';
    if (st === 'C' || st === 'F' || st === 'X') continue; // completed, finished, expired
    // -u prints no reason: listJobs reads the pending jobs' comment with qstat -f.
    jobs.set(cols[0]!, { state: ['Q', 'H', 'W', 'T'].includes(st) ? 'pending' : 'running' });
  }
  return jobs;
}
